"""plateau_macos_password (playbooks/roles/admin_session/library/): the macOS admin password is
compared with the account's hash, applied through dscl's own prompt on a pseudo-terminal (never
a command line), and checked again. No Mac here: stand-ins for ``dscl -read`` (prints a real
SALTED-SHA512-PBKDF2 ShadowHashData as dscl does, hex) and ``dscl -passwd`` (prompts twice on
the terminal, like dscl, and writes the new hash) run the real module through ``ansible``.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import plistlib
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

LIBRARY = Path(__file__).resolve().parents[2] / "playbooks" / "roles" / "admin_session" / "library"
BIN = Path(sys.executable).parent
_spec = importlib.util.spec_from_file_location("plateau_macos_password", LIBRARY / "plateau_macos_password.py")
mod = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(mod)


def dscl_read_output(password: str, salt: bytes = b"s" * 32, rounds: int = 1000) -> str:
    entropy = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, rounds, dklen=128)
    data = plistlib.dumps(
        {"SALTED-SHA512-PBKDF2": {"entropy": entropy, "salt": salt, "iterations": rounds}}, fmt=plistlib.FMT_BINARY
    )
    words = [data[i : i + 4].hex() for i in range(0, len(data), 4)]
    return "dsAttrTypeNative:ShadowHashData:\n " + " ".join(words) + "\n"


def test_hash_check():
    entry = mod.shadow_hash(dscl_read_output("Bonne-Réponse-42"))
    assert mod.matches(entry, "Bonne-Réponse-42")
    assert not mod.matches(entry, "autre")
    assert mod.shadow_hash("No such key: ShadowHashData\n") is None and not mod.matches(None, "x")


@pytest.fixture
def fake_mac(tmp_path):
    """(read, passwd, state): stand-ins for dscl -read / dscl -passwd sharing a hash file."""
    state = tmp_path / "hash.txt"
    seen = tmp_path / "argv.txt"
    read = tmp_path / "dscl-read"
    read.write_text(
        textwrap.dedent(f"""\
        #!{sys.executable}
        import sys
        from pathlib import Path
        p = Path({str(state)!r})
        if not p.exists():
            print("<dscl_cmd> DS Error: -14136 (eDSRecordNotFound)", file=sys.stderr); sys.exit(56)
        sys.stdout.write(p.read_text())
        """)
    )
    passwd = tmp_path / "dscl-passwd"
    passwd.write_text(
        textwrap.dedent(f"""\
        #!{sys.executable}
        import getpass, sys
        sys.path.insert(0, {str(Path(__file__).parent)!r})
        from pathlib import Path
        Path({str(seen)!r}).write_text(repr(sys.argv))
        first = getpass.getpass("New Password:")
        second = getpass.getpass("Verify New Password:")
        if first != second:
            print("passwords differ"); sys.exit(1)
        from test_macos_password import dscl_read_output
        Path({str(state)!r}).write_text(dscl_read_output(first, salt=b"n" * 32))
        """)
    )
    for script in (read, passwd):
        script.chmod(0o755)
    return read, passwd, state, seen


def run_module(fake_mac, password: str, *, check: bool = False, params: dict | None = None) -> dict:
    read, passwd, _state, _seen = fake_mac
    args = json.dumps(
        params
        or {
            "name": "jury",
            "password": password,
            "read_command": [str(read)],
            "passwd_command": [str(passwd), ".", "-passwd", "/Users/{name}"],
            "token_command": [],
        }
    )
    # the passwords reach the module as Ansible variables from a file (as from the vault), never on
    # the ad-hoc command line: the stand-ins look for them in every process's command line
    secrets_file = read.parent / "vault-vars.json"
    values = json.loads(args)
    secret_vars = {k: values[k] for k in ("password", "token_admin_password") if values.get(k)}
    secrets_file.write_text(json.dumps(secret_vars))
    args = json.dumps({**values, **{k: "{{ " + k + " }}" for k in secret_vars}})
    cmd = [
        str(BIN / "ansible"),
        "localhost",
        "-c",
        "local",
        "-M",
        str(LIBRARY),
        "-m",
        "plateau_macos_password",
        "-a",
        args,
        "-e",
        f"ansible_python_interpreter={sys.executable}",
        "-e",
        f"@{secrets_file}",
        "-o",
    ]
    if check:
        cmd.append("--check")
    # plateau's inventory loader, once imported by another test, leaves ANSIBLE_INVENTORY_* settings
    # in this process's environment (yaml only, unparsed fails): the ad-hoc run starts clean
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_INVENTORY")}
    env.update(ANSIBLE_NOCOLOR="1", ANSIBLE_LOCALHOST_WARNING="False", ANSIBLE_INVENTORY_UNPARSED_WARNING="False")
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120, check=False)
    lines = [ln for ln in done.stdout.splitlines() if "=>" in ln]
    assert lines, (done.stdout, done.stderr)
    line = lines[0]
    return {"status": line.split("|")[1].strip().split()[0], **json.loads(line.split("=>", 1)[1])}


@pytest.mark.slow
def test_rotation_is_applied_through_the_prompt_and_idempotent(fake_mac):
    _read, _passwd, state, seen = fake_mac
    assert run_module(fake_mac, "Premier-Mot-1", check=True)["changed"] is True  # fresh Mac: « à créer »
    assert not state.exists()

    first = run_module(fake_mac, "Premier-Mot-1")
    assert first["status"] == "CHANGED" and first["changed"] is True
    assert mod.matches(mod.shadow_hash(state.read_text()), "Premier-Mot-1")
    assert "Premier-Mot-1" not in seen.read_text()  # never on the command line
    assert "Premier-Mot-1" not in json.dumps(first)

    again = run_module(fake_mac, "Premier-Mot-1")
    assert again["changed"] is False  # same password: no change

    rotated = run_module(fake_mac, "Rotation-2")
    assert rotated["changed"] is True and mod.matches(mod.shadow_hash(state.read_text()), "Rotation-2")


@pytest.mark.slow
def test_a_password_that_did_not_take_fails(fake_mac, tmp_path):
    read, _passwd, _state, _seen = fake_mac
    silent = tmp_path / "no-prompt"
    silent.write_text("#!/bin/sh\nexit 0\n")
    silent.chmod(0o755)
    result = run_module((read, silent, None, None), "Jamais-Applique")
    assert result["status"].startswith("FAILED") and "non appliqué" in result["msg"]
    assert "Jamais-Applique" not in json.dumps(result)


# ---------------------------------------------------------------------------------------- SecureToken

SPY = """
def spy(secrets, out):
    # what `ps` would show while the prompt waits: every process's command line and this process's
    # environment; a secret found there is written to *out*
    import os
    hits = []
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                cmdline = open(f"/proc/{pid}/cmdline", "rb").read().decode("utf-8", "replace")
            except OSError:
                continue
            hits += [f"{pid}:{s}" for s in secrets if s in cmdline]
    hits += [f"env:{s}" for s in secrets if any(s in v for v in os.environ.values())]
    with open(out, "a") as f:
        f.write("".join(h + "\\n" for h in hits))
"""


@pytest.fixture
def fake_sysadminctl(fake_mac, tmp_path):
    """A stand-in for sysadminctl: ``-secureTokenStatus`` prints macOS's line (on stderr, as
    sysadminctl logs), ``-secureTokenOn`` / ``-resetPasswordFor`` with ``-`` prompt on the terminal
    for the admin's and the account's passwords, check the admin's and that it holds a token."""
    _read, _passwd, state, _seen = fake_mac
    tokens = tmp_path / "tokens.json"
    tokens.write_text(json.dumps({"tech": True, "jury": False}))
    admins = tmp_path / "admins.json"
    admins.write_text(json.dumps({"tech": "Tech-Sudo-77"}))
    spied = tmp_path / "ps-hits.txt"
    tool = tmp_path / "sysadminctl"
    tool.write_text(
        f"#!{sys.executable}\n"
        + SPY
        + textwrap.dedent(f"""\
        import getpass, json, sys
        sys.path.insert(0, {str(Path(__file__).parent)!r})
        from pathlib import Path
        tokens = json.loads(Path({str(tokens)!r}).read_text())
        admins = json.loads(Path({str(admins)!r}).read_text())
        args = sys.argv[1:]
        if args[0] == "-secureTokenStatus":
            state = "ENABLED" if tokens.get(args[1]) else "DISABLED"
            print(f"2026-12-01 sysadminctl[42:4242] Secure token is {{state}} for user {{args[1]}}", file=sys.stderr)
            sys.exit(0)
        opts = dict(zip(args[::2], args[1::2]))
        admin = opts["-adminUser"]
        secrets = [*admins.values(), *json.loads(Path({str(tmp_path / "secrets.json")!r}).read_text())]
        spy(secrets, {str(spied)!r})
        admin_pw = getpass.getpass(f"Enter password for {{admin}} : ")
        if "-secureTokenOn" in opts:
            user = opts["-secureTokenOn"]
            user_pw = getpass.getpass(f"Enter password for {{user}} : ")
        else:
            user = opts["-resetPasswordFor"]
            user_pw = getpass.getpass("New password : ")
        if admins.get(admin) != admin_pw or not tokens.get(admin):
            print("sysadminctl[42:4242] Operation is not permitted without secure token unlock.", file=sys.stderr)
            sys.exit(1)
        if "-secureTokenOn" in opts:
            tokens[user] = True
            Path({str(tokens)!r}).write_text(json.dumps(tokens))
        else:
            from test_macos_password import dscl_read_output
            Path({str(state)!r}).write_text(dscl_read_output(user_pw, salt=b"r" * 32))
        print("sysadminctl[42:4242] Done", file=sys.stderr)
        """)
    )
    tool.chmod(0o755)
    return tool, tokens, spied


def run_token(fake_mac, tool: Path, tmp_path: Path, password: str, *, admin: str = "", admin_password: str = "",
              check: bool = False) -> dict:  # fmt: skip
    (tmp_path / "secrets.json").write_text(json.dumps([password, admin_password]))
    read, passwd, _state, _seen = fake_mac
    params = {
        "name": "jury",
        "password": password,
        "token_admin": admin,
        "token_admin_password": admin_password,
        "read_command": [str(read)],
        "passwd_command": [str(passwd), ".", "-passwd", "/Users/{name}"],
        "token_command": [str(tool), "-secureTokenStatus", "{name}"],
        "token_on_command": [
            str(tool),
            "-secureTokenOn",
            "{name}",
            "-password",
            "-",
            "-adminUser",
            "{admin}",
            "-adminPassword",
            "-",
        ],  # fmt: skip
        "reset_command": [
            str(tool),
            "-resetPasswordFor",
            "{name}",
            "-newPassword",
            "-",
            "-adminUser",
            "{admin}",
            "-adminPassword",
            "-",
        ],  # fmt: skip
    }
    return run_module(fake_mac, password, check=check, params=params)


def test_prompts_get_the_password_of_the_account_they_name():
    both = [("tech", "T"), ("jury", "J")]
    assert mod.answer_for(b"Enter password for tech : ", both, 0) == "T"
    assert mod.answer_for(b"Enter password for jury : ", both, 0) == "J"
    assert mod.answer_for(b"Enter admin password: ", both, 1) == "T"
    assert mod.answer_for(b"Password:", both, 1) == "J"  # names none: in order
    assert mod.token_state("Secure token is ENABLED for user jury") == "enabled"
    assert mod.token_state("Secure token is DISABLED for user jury") == "disabled"
    assert mod.token_state("sysadminctl: command not found") == "unknown"


@pytest.mark.slow
def test_secure_token_is_granted_by_the_vaults_admin_and_measured(fake_mac, fake_sysadminctl, tmp_path):
    tool, tokens, spied = fake_sysadminctl
    planned = run_token(fake_mac, tool, tmp_path, "Jury-Mot-1", admin="tech", admin_password="Tech-Sudo-77",
                        check=True)  # fmt: skip
    assert planned["changed"] and planned["token_action"] == "granted" and not json.loads(tokens.read_text())["jury"]

    done = run_token(fake_mac, tool, tmp_path, "Jury-Mot-1", admin="tech", admin_password="Tech-Sudo-77")
    assert done["status"] == "CHANGED" and done["token_action"] == "granted" and done["secure_token"] == "enabled"
    assert json.loads(tokens.read_text())["jury"] is True  # the stand-in checked both passwords
    assert spied.read_text() == ""  # no password in any process's command line nor the environment
    assert "Jury-Mot-1" not in json.dumps(done) and "Tech-Sudo-77" not in json.dumps(done)

    again = run_token(fake_mac, tool, tmp_path, "Jury-Mot-1", admin="tech", admin_password="Tech-Sudo-77")
    assert again["changed"] is False and again["token_action"] == "none"


@pytest.mark.slow
def test_no_admin_wrong_admin_and_a_token_account_rotated(fake_mac, fake_sysadminctl, tmp_path):
    tool, tokens, spied = fake_sysadminctl
    alone = run_token(fake_mac, tool, tmp_path, "Jury-Mot-2")
    assert alone["secure_token"] == "disabled" and alone["token_action"] == "no_admin"  # → French warning

    wrong = run_token(fake_mac, tool, tmp_path, "Jury-Mot-2", admin="tech", admin_password="pas-le-bon")
    assert wrong["token_action"] == "grant_failed" and "secure token unlock" in wrong["token_detail"]
    assert wrong["secure_token"] == "disabled" and "pas-le-bon" not in json.dumps(wrong)

    tokens.write_text(json.dumps({"tech": False, "jury": False}))
    orphan = run_token(fake_mac, tool, tmp_path, "Jury-Mot-2", admin="tech", admin_password="Tech-Sudo-77")
    assert orphan["token_action"] == "admin_no_token"

    # jury holds a token: a rotation goes through sysadminctl -resetPasswordFor with the admin (FileVault in step)
    tokens.write_text(json.dumps({"tech": True, "jury": True}))
    rotated = run_token(fake_mac, tool, tmp_path, "Jury-Mot-3", admin="tech", admin_password="Tech-Sudo-77")
    assert rotated["changed"] and rotated["password_method"] == "sysadminctl"
    assert mod.matches(mod.shadow_hash(fake_mac[2].read_text()), "Jury-Mot-3")
    # without an admin, dscl does it and the module says so (→ the desync warning)
    alone = run_token(fake_mac, tool, tmp_path, "Jury-Mot-4")
    assert alone["password_method"] == "dscl" and alone["token_before"] == "enabled"
    assert spied.read_text() == ""


@pytest.mark.slow
def test_the_admin_tasks_turn_the_modules_answer_into_french_warnings(tmp_path):
    """admin_session/tasks/macos.yml after the module (--start-at-task), one host per answer the
    module can give: the fact plateau's runner shows, rendered from the catalogue."""
    from provision.messages import render

    answers = {
        "alone": {"token_action": "no_admin", "secure_token": "disabled", "password_method": "dscl"},
        "orphan": {"token_action": "admin_no_token", "secure_token": "disabled", "password_method": "none"},
        "wrong": {"token_action": "grant_failed", "secure_token": "disabled", "password_method": "none",
                  "token_detail": "code 1 : Operation is not permitted without secure token unlock."},
        "granted": {"token_action": "granted", "secure_token": "enabled", "token_before": "disabled",
                    "password_method": "dscl"},
        "desync": {"token_action": "none", "secure_token": "enabled", "token_before": "enabled",
                   "password_method": "dscl"},
    }  # fmt: skip
    inventory = {"all": {"hosts": {name: {"admin_session_macos_password": answer, "ansible_connection": "local",
                                          "ansible_python_interpreter": sys.executable, "ansible_user": "tech"}
                                   for name, answer in answers.items()}}}  # fmt: skip
    (tmp_path / "hosts.json").write_text(json.dumps(inventory))
    tasks = LIBRARY.parent / "tasks" / "macos.yml"
    (tmp_path / "play.yml").write_text(
        "- hosts: all\n  gather_facts: false\n  vars:\n    plateau: {admin: {login: jury, secret_var: x}}\n"
        f"  tasks:\n    - ansible.builtin.import_tasks: {tasks}\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    env.update(ANSIBLE_STDOUT_CALLBACK="json", ANSIBLE_LOCALHOST_WARNING="False", ANSIBLE_LIBRARY=str(LIBRARY))
    done = subprocess.run([str(BIN / "ansible-playbook"), "-i", str(tmp_path / "hosts.json"), str(tmp_path / "play.yml"),
                           "--start-at-task", "Signaler un compte sans SecureToken (FileVault)"],
                          capture_output=True, text=True, env=env, timeout=120, check=False)  # fmt: skip
    assert done.stdout.startswith("{"), done.stdout + done.stderr
    report = json.loads(done.stdout)
    warned: dict[str, list[str]] = {name: [] for name in answers}
    for task in report["plays"][0]["tasks"]:
        for host, res in task["hosts"].items():
            fact = (res.get("ansible_facts") or {}).get("admin_session_warning")
            if fact:
                warned[host].append(render(f"provision.warning_{fact['key']}", fact["params"]))
    assert warned["granted"] == []
    (alone,) = warned["alone"]
    assert "FileVault" in alone and "mises à jour de macOS" in alone and "ansible_become_password" in alone
    assert "sysadminctl -secureTokenOn jury" in alone
    assert "tech non plus" in warned["orphan"][0] and "macos_secure_token_admin" in warned["orphan"][0]
    assert "secure token unlock" in warned["wrong"][0] and "par tech" in warned["wrong"][0]
    assert "FileVault peut garder l'ancien" in warned["desync"][0]
