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


def run_module(fake_mac, password: str, *, check: bool = False) -> dict:
    read, passwd, _state, _seen = fake_mac
    args = json.dumps(
        {
            "name": "jury",
            "password": password,
            "read_command": [str(read)],
            "passwd_command": [str(passwd), ".", "-passwd", "/Users/{name}"],
            "token_command": [],
        }
    )
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
