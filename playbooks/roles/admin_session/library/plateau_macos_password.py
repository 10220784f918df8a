#!/usr/bin/python
"""Set a macOS local account's password and SecureToken without a password on any command line.

ansible.builtin.user on macOS runs ``dscl . -passwd /Users/<name> <password>``: the password is
in the process list while it runs, and with ``update_password: always`` it is rewritten (and
reported changed) on every run. This module:

1. checks the current password against the account's ShadowHashData (SALTED-SHA512-PBKDF2,
   read with ``dscl . -read``): the same password is no change, a rotated one is applied;
2. sets it through a prompt, never argv nor the environment: ``dscl . -passwd /Users/<name>``
   with no password argument (dscl prompts), or, for an account that already holds a
   SecureToken and when a SecureToken admin is given, ``sysadminctl -resetPasswordFor <name>
   -newPassword - -adminUser <admin> -adminPassword -`` (« - »: sysadminctl prompts), which
   keeps FileVault's copy of the password in step (dscl as root would not);
3. reads the hash again: a password that did not take is a failure, never a false success;
4. reads the SecureToken (``sysadminctl -secureTokenStatus``) and, when it is missing and a
   SecureToken admin is given, grants it with ``sysadminctl -secureTokenOn <name> -password -
   -adminUser <admin> -adminPassword -``, then reads it again (reported as measured).

Each prompt is answered on a pseudo-terminal with the password of the account it names (the
admin's or the account's own). Only standard library on the Mac (pty, plistlib, hashlib). The
password options are ``no_log``; the task is ``no_log`` too.

Returns ``secure_token`` (enabled | disabled | unknown, measured at the end; ``token_before``:
before any change), ``token_action``
(none | granted | grant_failed | no_admin | admin_no_token), ``token_detail`` (sysadminctl's
last words, redacted) and ``password_method`` (none | dscl | sysadminctl).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import plistlib
import pty
import re
import select
import subprocess
import time

from ansible.module_utils.basic import AnsibleModule

DOCUMENTATION = r"""
module: plateau_macos_password
short_description: Set a macOS account password and SecureToken through prompts (never on a command line)
options:
  name: {type: str, required: true, description: Account short name.}
  password: {type: str, required: true, no_log: true, description: The password to have.}
  token_admin: {type: str, default: "", description: An admin account holding a SecureToken.}
  token_admin_password: {type: str, default: "", no_log: true, description: Its password.}
  passwd_command:
    type: list
    elements: str
    description: Command that prompts for the new password ({name} is replaced).
  read_command:
    type: list
    elements: str
    description: Command printing ShadowHashData as hex ({name} is replaced).
  token_command:
    type: list
    elements: str
    description: Command reporting the SecureToken status ({name} is replaced); empty to skip.
  token_on_command:
    type: list
    elements: str
    description: Command granting the SecureToken, prompting for both passwords ({name}, {admin}).
  reset_command:
    type: list
    elements: str
    description: Command resetting the password of a SecureToken account, prompting ({name}, {admin}).
"""

PASSWD = ["/usr/bin/dscl", ".", "-passwd", "/Users/{name}"]
READ = ["/usr/bin/dscl", ".", "-read", "/Users/{name}", "ShadowHashData"]
TOKEN = ["/usr/sbin/sysadminctl", "-secureTokenStatus", "{name}"]
TOKEN_ON = ["/usr/sbin/sysadminctl", "-secureTokenOn", "{name}", "-password", "-",
            "-adminUser", "{admin}", "-adminPassword", "-"]  # fmt: skip
RESET = ["/usr/sbin/sysadminctl", "-resetPasswordFor", "{name}", "-newPassword", "-",
         "-adminUser", "{admin}", "-adminPassword", "-"]  # fmt: skip
PROMPT_TIMEOUT = 30.0
_PROMPT = re.compile(rb"pass(word|phrase)[^:\n]*:\s*$")


def shadow_hash(output: str) -> dict | None:
    """The SALTED-SHA512-PBKDF2 dict (entropy, salt, iterations) of ``dscl -read`` output."""
    tokens = [t for t in output.split() if re.fullmatch(r"[0-9a-fA-F]+", t)]
    if not tokens:
        return None
    try:
        data = plistlib.loads(bytes.fromhex("".join(tokens)))
    except (ValueError, plistlib.InvalidFileException):
        return None
    entry = data.get("SALTED-SHA512-PBKDF2") if isinstance(data, dict) else None
    return entry if isinstance(entry, dict) else None


def matches(entry: dict | None, password: str) -> bool:
    if not entry:
        return False
    try:
        entropy, salt, rounds = bytes(entry["entropy"]), bytes(entry["salt"]), int(entry["iterations"])
    except (KeyError, TypeError, ValueError):
        return False
    derived = hashlib.pbkdf2_hmac("sha512", password.encode("utf-8"), salt, rounds, dklen=len(entropy))
    return hmac.compare_digest(derived, entropy)


def token_state(text: str) -> str:
    """``sysadminctl -secureTokenStatus`` says « Secure token is ENABLED for user jury » (on stderr)."""
    said = text.upper()
    return "enabled" if "ENABLED" in said else "disabled" if "DISABLED" in said else "unknown"


def answer_for(prompt: bytes, answers: list[tuple[str, str]], answered: int) -> str:
    """The password to type at *prompt*: that of the one account it names (« Enter password for
    tech : »); else the admin's when it says « admin »; else the answers in order (the last one
    repeated, as for « Verify »). *answers*: [(account, password)], the admin first when there is one."""
    text = prompt.decode("utf-8", "replace").lower()
    named = [pw for who, pw in answers if who and re.search(rf"(?<![\w.-]){re.escape(who.lower())}(?![\w.-])", text)]
    if len(named) == 1:
        return named[0]
    if len(answers) > 1 and "admin" in text:
        return answers[0][1]
    return answers[min(answered, len(answers) - 1)][1]


def type_into_prompts(argv: list[str], answers: list[tuple[str, str]],
                      timeout: float = PROMPT_TIMEOUT) -> tuple[int, str]:  # fmt: skip
    """Run *argv* on a pseudo-terminal; answer each « password: » prompt (:func:`answer_for`).
    (rc, output with every password replaced by ***)."""
    pid, fd = pty.fork()
    if pid == 0:  # child
        try:
            os.execv(argv[0], argv)
        finally:
            os._exit(127)
    output = b""
    answered = 0
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _w, _x = select.select([fd], [], [], 0.2)
            if not ready:
                continue
            try:
                chunk = os.read(fd, 1024)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            output += chunk
            pending = output.rsplit(b"\n", 1)[-1]
            if _PROMPT.search(pending.lower()) and answered < 4:
                secret = answer_for(pending, answers, answered)
                os.write(fd, secret.encode("utf-8") + b"\n")
                answered += 1
                output += b"\n"
        else:
            os.kill(pid, 9)
    finally:
        _pid, status = os.waitpid(pid, 0)
        os.close(fd)
    text = output.decode("utf-8", "replace")
    for _who, secret in answers:
        if secret:
            text = text.replace(secret, "***")
    return os.waitstatus_to_exitcode(status), text


def last_words(output: str) -> str:
    lines = [
        ln.strip()
        for ln in output.strip().splitlines()
        if ln.strip() and not _PROMPT.search(ln.strip().lower().encode())
    ]
    return lines[-1][:200] if lines else "aucune réponse"


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "name": {"type": "str", "required": True},
            "password": {"type": "str", "required": True, "no_log": True},
            "token_admin": {"type": "str", "default": ""},
            "token_admin_password": {"type": "str", "default": "", "no_log": True},
            "passwd_command": {"type": "list", "elements": "str", "default": PASSWD},
            "read_command": {"type": "list", "elements": "str", "default": READ},
            "token_command": {"type": "list", "elements": "str", "default": TOKEN},
            "token_on_command": {"type": "list", "elements": "str", "default": TOKEN_ON},
            "reset_command": {"type": "list", "elements": "str", "default": RESET},
        },
        supports_check_mode=True,
    )
    name, password = module.params["name"], module.params["password"]
    admin, admin_password = module.params["token_admin"], module.params["token_admin_password"]
    has_admin = bool(admin and admin_password and admin != name)

    def argv(key: str) -> list[str]:
        return [part.replace("{name}", name).replace("{admin}", admin) for part in module.params[key]]

    def current() -> dict | None:
        done = subprocess.run(argv("read_command"), capture_output=True, text=True, check=False)
        return shadow_hash(done.stdout) if done.returncode == 0 else None

    def token(account: str) -> str:
        if not module.params["token_command"]:
            return "unknown"
        command = [part.replace("{name}", account) for part in module.params["token_command"]]
        try:
            done = subprocess.run(command, capture_output=True, text=True, check=False)
        except OSError:
            return "unknown"
        return token_state(done.stdout + done.stderr)

    before = token(name)
    result = {"changed": False, "secure_token": before, "token_before": before, "token_action": "none",
              "token_detail": "", "password_method": "none"}  # fmt: skip
    both = [(admin, admin_password), (name, password)]  # sysadminctl asks the admin's, then the account's
    if not matches(current(), password):
        result["changed"] = True
        result["password_method"] = "sysadminctl" if result["secure_token"] == "enabled" and has_admin else "dscl"
    if result["changed"] and not module.check_mode:
        if result["password_method"] == "sysadminctl":
            rc, output = type_into_prompts(argv("reset_command"), both)
        else:
            rc, output = type_into_prompts(argv("passwd_command"), [(name, password)])
        if not matches(current(), password):
            module.fail_json(msg=f"mot de passe non appliqué au compte {name} ({result['password_method']}, "
                                 f"code {rc}) : {last_words(output)}", **result)  # fmt: skip
    if result["secure_token"] == "disabled":
        if not has_admin:
            result["token_action"] = "no_admin"
        elif token(admin) == "disabled":
            result["token_action"] = "admin_no_token"
        elif module.check_mode:
            result["changed"] = True
            result["token_action"] = "granted"
        else:
            rc, output = type_into_prompts(argv("token_on_command"), both)
            result["secure_token"] = token(name)
            if result["secure_token"] == "enabled":
                result["changed"] = True
                result["token_action"] = "granted"
            else:
                result["token_action"] = "grant_failed"
                result["token_detail"] = f"code {rc} : {last_words(output)}"
    module.exit_json(**result)


if __name__ == "__main__":
    main()
