#!/usr/bin/python
"""Set a macOS local account's password without it ever being on a command line.

ansible.builtin.user on macOS runs ``dscl . -passwd /Users/<name> <password>``: the password is
in the process list while it runs, and with ``update_password: always`` it is rewritten (and
reported changed) on every run. This module:

1. checks the current password against the account's ShadowHashData (SALTED-SHA512-PBKDF2,
   read with ``dscl . -read``): the same password is no change, a rotated one is applied;
2. sets it by running ``dscl . -passwd /Users/<name>`` with no password argument, so that dscl
   prompts; the password is typed into that prompt through a pseudo-terminal (never argv,
   never the environment);
3. reads the hash again: a password that did not take is a failure, never a false success;
4. reports the account's SecureToken (``sysadminctl -secureTokenStatus``): setting a password
   as root without the old one does not update FileVault for a SecureToken account.

Only standard library on the Mac (pty, plistlib, hashlib). ``no_log`` on the task, and the
password option is ``no_log`` here too.
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
short_description: Set a macOS local account password through dscl's prompt (never on a command line)
options:
  name: {type: str, required: true, description: Account short name.}
  password: {type: str, required: true, no_log: true, description: The password to have.}
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
"""

PASSWD = ["/usr/bin/dscl", ".", "-passwd", "/Users/{name}"]
READ = ["/usr/bin/dscl", ".", "-read", "/Users/{name}", "ShadowHashData"]
TOKEN = ["/usr/sbin/sysadminctl", "-secureTokenStatus", "{name}"]
PROMPT_TIMEOUT = 30.0


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


def type_into_prompts(argv: list[str], password: str, timeout: float = PROMPT_TIMEOUT) -> tuple[int, str]:
    """Run *argv* on a pseudo-terminal; answer each « password: » prompt. (rc, output)."""
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
            pending = output.rsplit(b"\n", 1)[-1].lower()
            if re.search(rb"pass(word|phrase)[^:]*:\s*$", pending) and answered < 3:
                os.write(fd, password.encode("utf-8") + b"\n")
                answered += 1
                output += b"\n"
        else:
            os.kill(pid, 9)
    finally:
        _pid, status = os.waitpid(pid, 0)
        os.close(fd)
    text = output.decode("utf-8", "replace").replace(password, "***") if password else output.decode("utf-8", "replace")
    return os.waitstatus_to_exitcode(status), text


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "name": {"type": "str", "required": True},
            "password": {"type": "str", "required": True, "no_log": True},
            "passwd_command": {"type": "list", "elements": "str", "default": PASSWD},
            "read_command": {"type": "list", "elements": "str", "default": READ},
            "token_command": {"type": "list", "elements": "str", "default": TOKEN},
        },
        supports_check_mode=True,
    )
    name, password = module.params["name"], module.params["password"]

    def argv(key: str) -> list[str]:
        return [part.replace("{name}", name) for part in module.params[key]]

    def current() -> dict | None:
        done = subprocess.run(argv("read_command"), capture_output=True, text=True, check=False)
        return shadow_hash(done.stdout) if done.returncode == 0 else None

    result = {"changed": False, "secure_token": "unknown"}
    if module.params["token_command"]:
        try:
            token = subprocess.run(argv("token_command"), capture_output=True, text=True, check=False)
            said = (token.stdout + token.stderr).upper()
            result["secure_token"] = "enabled" if "ENABLED" in said else "disabled" if "DISABLED" in said else "unknown"
        except OSError:
            pass
    if matches(current(), password):
        module.exit_json(**result)
    result["changed"] = True
    if module.check_mode:
        module.exit_json(**result)
    rc, output = type_into_prompts(argv("passwd_command"), password)
    if not matches(current(), password):
        said = output.strip().splitlines()[-1][:200] if output.strip() else "aucune réponse"
        module.fail_json(msg=f"mot de passe non appliqué au compte {name} (dscl -passwd, code {rc}) : {said}", **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
