"""plateau_macos_password over a real SSH session: Ansible (ssh connection, sshpass) logs in to the
macOS-flavoured lab (devices.lab.workstation.WorkstationLab, Debian's sshd chrooted in a Mac-like
root) as the lab's account and runs the module there, as on a Mac.

What is real: sshd, the password login, Ansible's transfer and run of the module on the far side,
the pseudo-terminal prompts. Stand-ins (Python, in a world-readable folder the lab sees) play
``dscl -read`` / ``dscl -passwd`` / ``sysadminctl`` as in test_macos_password.py, and each one,
while it waits at its prompt, reads every process's command line on the machine (what ``ps``
shows) looking for any of the three passwords: the login's, the jury's, the admin's.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import pytest

LIBRARY = Path(__file__).resolve().parents[2] / "playbooks" / "roles" / "admin_session" / "library"
BIN = Path(sys.executable).parent
LOGIN = "Lab-Login-6620"  # the technician's SSH password (ansible_password)
JURY = "Jury-Lab-Rotation-1"
ADMIN = "Tech-Token-3321"
CONTROL = "Control-Marker-0451"  # on a command line on purpose: proves the spy sees what ps sees
PYTHON = "/usr/bin/python3"  # the lab's root hides /root (where this venv's interpreter lives)

STANDIN = textwrap.dedent("""\
    #!{python}
    import getpass, hashlib, json, os, plistlib, sys
    from pathlib import Path
    D = Path({folder!r})
    SECRETS = {secrets!r}

    def spy():
        hits = []
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                line = open(f"/proc/{{pid}}/cmdline", "rb").read().decode("utf-8", "replace")
            except OSError:
                continue
            hits += [pid for s in SECRETS if s in line]
        hits += ["env" for s in SECRETS if any(s in v for v in os.environ.values())]
        with open(D / "ps-hits.txt", "a") as f:
            f.write("".join(h + "\\n" for h in hits))

    def shadow(pw):
        salt = b"l" * 32
        entropy = hashlib.pbkdf2_hmac("sha512", pw.encode(), salt, 1000, dklen=128)
        data = plistlib.dumps({{"SALTED-SHA512-PBKDF2": {{"entropy": entropy, "salt": salt, "iterations": 1000}}}},
                              fmt=plistlib.FMT_BINARY)
        return "dsAttrTypeNative:ShadowHashData:\\n " + data.hex() + "\\n"

    tokens = json.loads((D / "tokens.json").read_text())
    args = sys.argv[1:]
    if sys.argv[0].endswith("dscl-read"):
        p = D / "hash.txt"
        sys.stdout.write(p.read_text() if p.exists() else ""); sys.exit(0 if p.exists() else 56)
    if sys.argv[0].endswith("dscl-passwd"):
        spy()
        first, second = getpass.getpass("New Password:"), getpass.getpass("Verify New Password:")
        if first == second:
            (D / "hash.txt").write_text(shadow(first))
        sys.exit(0)
    if args[0] == "-secureTokenStatus":
        state = "ENABLED" if tokens.get(args[1]) else "DISABLED"
        print(f"sysadminctl[7:7] Secure token is {{state}} for user {{args[1]}}", file=sys.stderr); sys.exit(0)
    opts = dict(zip(args[::2], args[1::2]))
    spy()
    admin_pw = getpass.getpass(f"Enter password for {{opts['-adminUser']}} : ")
    user_pw = getpass.getpass(f"Enter password for {{opts['-secureTokenOn']}} : ")
    if admin_pw != {admin!r} or shadow(user_pw) != (D / "hash.txt").read_text():
        print("sysadminctl[7:7] Operation is not permitted without secure token unlock.", file=sys.stderr); sys.exit(1)
    tokens[opts["-secureTokenOn"]] = True
    (D / "tokens.json").write_text(json.dumps(tokens))
    """)


@pytest.fixture
def mac(workstation_lab):
    if shutil.which("sshpass") is None:
        pytest.skip("sshpass (Ansible's ssh connection with a password) is not installed")
    return workstation_lab(password=LOGIN, flavour="macos")


@pytest.mark.slow
def test_password_and_secure_token_over_real_ssh_never_visible_to_ps(mac):
    folder = Path(tempfile.mkdtemp(prefix="plateau-mac-standins-", dir="/tmp"))
    try:
        folder.chmod(0o777)  # the lab's account (not root) runs the stand-ins and writes their state
        (folder / "tokens.json").write_text(json.dumps({"tech": True, "jury": False}))
        for name in ("dscl-read", "dscl-passwd", "sysadminctl"):
            path = folder / name
            path.write_text(STANDIN.format(python=PYTHON, folder=str(folder), secrets=[LOGIN, JURY, ADMIN, CONTROL],
                                           admin=ADMIN))  # fmt: skip
            path.chmod(0o755)
        for name in ("tokens.json",):
            (folder / name).chmod(0o666)
        secrets = folder / "vault.json"  # as the vault: read by Ansible, never on a command line
        secrets.write_text(json.dumps({"ansible_password": LOGIN, "jury_pw": JURY, "admin_pw": ADMIN}))
        args = json.dumps({
            "name": "jury", "password": "{{ jury_pw }}", "token_admin": "tech", "token_admin_password": "{{ admin_pw }}",
            "read_command": [str(folder / "dscl-read")], "passwd_command": [str(folder / "dscl-passwd")],
            "token_command": [str(folder / "sysadminctl"), "-secureTokenStatus", "{name}"],
            "token_on_command": [str(folder / "sysadminctl"), "-secureTokenOn", "{name}", "-password", "-",
                                 "-adminUser", "{admin}", "-adminPassword", "-"],
        })  # fmt: skip
        host = mac.host_vars()
        env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
        env.update(ANSIBLE_HOST_KEY_CHECKING="False", ANSIBLE_NOCOLOR="1", ANSIBLE_LIBRARY=str(LIBRARY))
        control = subprocess.Popen([PYTHON, "-c", "import time; time.sleep(120)", CONTROL])
        done = subprocess.run(
            [str(BIN / "ansible"), "all", "-i", f"{host['ansible_host']},", "-c", "ssh", "-u", mac.user,
             "-e", f"ansible_port={host['ansible_port']}", "-e", f"ansible_python_interpreter={PYTHON}",
             "-e", f"@{secrets}", "-m", "plateau_macos_password", "-a", args, "-o"],
            capture_output=True, text=True, env=env, timeout=180, check=False,
        )  # fmt: skip
        control.kill()
        control.wait()
        line = next((ln for ln in done.stdout.splitlines() if "=>" in ln), None)
        assert line, done.stdout + done.stderr
        result = json.loads(line.split("=>", 1)[1])
        assert " CHANGED " in line, line
        assert result["token_action"] == "granted" and result["secure_token"] == "enabled"
        assert json.loads((folder / "tokens.json").read_text())["jury"] is True
        assert (folder / "hash.txt").exists()  # the rotation was typed into dscl's prompt
        hits = (folder / "ps-hits.txt").read_text().split()
        # each prompt's look at every command line found the control, and no password anywhere
        assert hits and set(hits) == {str(control.pid)}
        for secret in (LOGIN, JURY, ADMIN):
            assert secret not in done.stdout + done.stderr
    finally:
        shutil.rmtree(folder, ignore_errors=True)
