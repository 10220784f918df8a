"""plateau secrets init generates only what plateau owns; the secrets of accounts that exist elsewhere
(Google, Apple ID, the access point's current login) are typed without echo or left « à saisir »."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import shutil
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from provision import secrets as secrets_core
from provision.cli import secrets as secrets_cli
from provision.families import REGISTRY
from provision.secrets import read_vault_file, write_vault_file

EXTERNAL = {
    ("a-ap-01", "ssh_password"),
    ("b-ap-01", "ssh_password"),
    ("a-ipad-01", "apple_id_password"),
    ("b-ipad-01", "apple_id_password"),
    ("a-tab-android-01", "google_password"),
    ("b-tab-android-01", "google_password"),
}
TYPED = {"a-tab-android-01": "Mot-de-passe-Google-42", "a-ap-01": "Borne-Actuelle-77"}


def vault_values(inventory: Path) -> dict[tuple[str, str], str]:
    password = (inventory / ".vault_pass").read_bytes().strip()
    return {
        (path.parent.name, key): str(value)
        for path in inventory.glob("host_vars/*/vault.yml")
        for key, value in read_vault_file(path, password).items()
    }


def drop(inventory: Path, host: str, key: str) -> None:
    """Remove one secret from a host's vault.yml (as if the technician had not entered it yet)."""
    password = (inventory / ".vault_pass").read_bytes().strip()
    path = inventory / "host_vars" / host / "vault.yml"
    data = read_vault_file(path, password)
    del data[key]
    write_vault_file(path, data, password)


def assert_listed(output: str, inventory: Path, pairs: set[tuple[str, str]]) -> None:
    flat = " ".join(output.split())
    assert f"À saisir ({len(pairs)})" in flat, output
    for host, field in pairs:
        assert f"{host} · {field}" in flat, (host, field, output)
        assert f"plateau secrets set -i {inventory} {host} {field}" in flat, (host, field, output)


def test_registry_declares_what_plateau_owns():
    external = {a.secret for fam in REGISTRY.values() for a in fam.accounts if a.in_plan and not a.generated}
    assert external == {"google_password", "apple_id_password", "ssh_password"}
    text = Path(secrets_core.__file__).read_text(encoding="utf-8")
    for family in REGISTRY:  # ownership is read from the registry, never decided by family name
        assert f'"{family}"' not in text, family


def test_fresh_init_leaves_external_secrets_to_enter(example, invoke, vault_secrets):
    (example / ".vault_pass").unlink()
    shutil.rmtree(example / "host_vars")
    result = invoke("secrets", "init", "-i", example)  # CliRunner: stdin is not a terminal
    assert result.code == 0, result.output
    stored = vault_values(example)
    assert not EXTERNAL & set(stored)
    assert {key for _, key in stored} == {"admin_password", "unlock_code", "wifi_key"}
    assert_listed(result.output, example, EXTERNAL)
    for secret in vault_secrets(example):
        assert secret not in result.output


def test_init_keeps_external_secrets_and_lists_missing_ones(example, invoke, monkeypatch):
    drop(example, "a-tab-android-01", "google_password")
    before = vault_values(example)
    # a terminal, but --no-input: nothing is asked
    monkeypatch.setattr(secrets_cli, "_terminal", lambda: True)
    monkeypatch.setattr(secrets_cli.getpass, "getpass", lambda prompt="": pytest.fail("asked despite --no-input"))
    result = invoke("secrets", "init", "-i", example, "--no-input")
    assert result.code == 0, result.output
    assert vault_values(example) == before  # Apple ID and access point passwords untouched, Google's not invented
    assert_listed(result.output, example, {("a-tab-android-01", "google_password")})


def test_typed_secrets_are_stored_and_never_echoed(example, invoke, monkeypatch):
    for host, key in [
        ("a-tab-android-01", "google_password"),
        ("a-ap-01", "ssh_password"),
        ("b-ipad-01", "apple_id_password"),
    ]:
        drop(example, host, key)
    prompts: list[str] = []
    answers = iter(
        [
            TYPED["a-ap-01"],
            "faute-de-frappe",  # the confirmation differs: asked again
            TYPED["a-ap-01"],
            TYPED["a-ap-01"],
            TYPED["a-tab-android-01"],
            TYPED["a-tab-android-01"],
            "",  # Enter alone: b-ipad-01 stays « à saisir »
        ]
    )

    def fake_getpass(prompt: str = "") -> str:
        prompts.append(prompt)
        return next(answers)

    monkeypatch.setattr(secrets_cli, "_terminal", lambda: True)
    monkeypatch.setattr(secrets_cli.getpass, "getpass", fake_getpass)
    result = invoke("secrets", "init", "-i", example)
    assert result.code == 0, result.output
    assert next(answers, None) is None
    stored = vault_values(example)
    assert stored[("a-ap-01", "ssh_password")] == TYPED["a-ap-01"]
    assert stored[("a-tab-android-01", "google_password")] == TYPED["a-tab-android-01"]
    assert ("b-ipad-01", "apple_id_password") not in stored
    assert prompts[0] == "Administration de la borne (SSH) de a-ap-01 (ssh_password) : "
    assert prompts[1] == "Confirmer : "
    assert "Compte Google plateau.salle.a@gmail.com de a-tab-android-01 (google_password) : " in prompts
    assert "Les deux saisies diffèrent" in result.output
    assert "Secrets saisis : 2." in result.output
    assert_listed(result.output, example, {("b-ipad-01", "apple_id_password")})
    for value in [*TYPED.values(), "faute-de-frappe"]:
        assert value not in result.output


def test_template_braces_refused_and_ctrl_d_stops_asking(example, invoke, monkeypatch):
    drop(example, "a-ipad-01", "apple_id_password")
    drop(example, "b-ipad-01", "apple_id_password")
    answers = iter(["Abc{{ lookup('env', 'HOME') }}", "Sans-Accolades-5", "Sans-Accolades-5"])

    def fake_getpass(prompt: str = "") -> str:
        value = next(answers, None)
        if value is None:
            raise EOFError  # Ctrl-D: nothing more is asked
        return value

    monkeypatch.setattr(secrets_cli, "_terminal", lambda: True)
    monkeypatch.setattr(secrets_cli.getpass, "getpass", fake_getpass)
    result = invoke("secrets", "init", "-i", example)
    assert result.code == 0, result.output
    assert "accolades de modèle" in result.output and "lookup" not in result.output
    stored = vault_values(example)
    assert stored[("a-ipad-01", "apple_id_password")] == "Sans-Accolades-5"
    assert ("b-ipad-01", "apple_id_password") not in stored
    assert_listed(result.output, example, {("b-ipad-01", "apple_id_password")})


def test_no_wifi_key_for_an_open_network(example, invoke):
    hosts = example / "hosts.yml"
    hosts.write_text(hosts.read_text().replace("wifi_security: wpa2-wpa3", "wifi_security: open"))
    drop(example, "b-ap-01", "wifi_key")
    drop(example, "a-ap-01", "wifi_key")
    result = invoke("secrets", "init", "-i", example)
    assert result.code == 0, result.output
    stored = vault_values(example)
    assert ("b-ap-01", "wifi_key") not in stored  # open: nothing to choose
    assert len(stored[("a-ap-01", "wifi_key")]) >= 8  # WPA2 by default: plateau chooses one


def test_rotate_leaves_external_secrets_as_they_are(example, invoke):
    before = vault_values(example)
    result = invoke("secrets", "init", "-i", example, "--rotate")
    assert result.code == 0, result.output
    after = vault_values(example)
    for pair in EXTERNAL:
        assert after[pair] == before[pair], pair
    for pair in set(before) - EXTERNAL:
        if pair[1] in {"admin_password", "unlock_code", "wifi_key"}:
            assert after[pair] != before[pair], pair
    assert "À saisir" not in result.output


def test_validate_names_host_and_field_of_a_missing_external_secret(example, plateau):
    drop(example, "b-ipad-01", "apple_id_password")
    result = plateau("validate", "-i", example)
    assert result.code == 0, result.text
    flat = " ".join(result.text.split())
    assert "hôte b-ipad-01 · champ apple_id_password" in flat, result.text
    assert "Secret absent (apple_id)" in flat
    assert "plateau secrets set" in flat


def set_app() -> typer.Typer:
    app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    app.add_typer(secrets_cli.secrets_app, name="secrets")
    return app


def test_secrets_set_reads_stdin_and_checks_host_and_field(example, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.delenv("PLATEAU_VAULT_PASSWORD_FILE", raising=False)
    drop(example, "b-tab-android-01", "google_password")
    runner = CliRunner()
    args = ["secrets", "set", "-i", str(example), "b-tab-android-01", "google_password"]
    result = runner.invoke(set_app(), args, input="Depuis-Un-Gestionnaire-9\n")
    assert result.exit_code == 0, result.output
    assert vault_values(example)[("b-tab-android-01", "google_password")] == "Depuis-Un-Gestionnaire-9"
    assert "Depuis-Un-Gestionnaire-9" not in result.output
    wrong = runner.invoke(
        set_app(), ["secrets", "set", "-i", str(example), "b-tab-android-01", "google_pass"], input="x\n"
    )
    assert wrong.exception is not None and "google_pass" in str(wrong.exception.problems[0].field)  # type: ignore[attr-defined]
    braces = runner.invoke(set_app(), args, input="{% raw %}\n")
    assert braces.exception is not None and braces.exception.problems[0].key == "secrets.jinja"  # type: ignore[attr-defined]
    unknown = runner.invoke(
        set_app(), ["secrets", "set", "-i", str(example), "z-nowhere", "google_password"], input="x\n"
    )
    assert unknown.exception is not None and unknown.exception.problems[0].key == "secrets.unknown_host"  # type: ignore[attr-defined]


def _expect(master: int, pattern: str, transcript: bytearray, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    regex = re.compile(pattern.encode())
    while not regex.search(transcript):
        left = deadline - time.monotonic()
        assert left > 0, f"{pattern!r} never came: {transcript.decode(errors='replace')}"
        ready, _, _ = select.select([master], [], [], left)
        if ready:
            try:
                chunk = os.read(master, 4096)
            except OSError:  # the child closed the terminal
                chunk = b""
            assert chunk, f"{pattern!r} never came: {transcript.decode(errors='replace')}"
            transcript.extend(chunk)


def _controlling_terminal() -> None:  # in the child: the pty becomes its /dev/tty, as in a real terminal
    os.setsid()
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


def test_real_terminal_typing_is_not_echoed(example):
    drop(example, "a-ap-01", "ssh_password")
    drop(example, "a-tab-android-01", "google_password")
    master, slave = pty.openpty()
    env = {**os.environ, "COLUMNS": "200", "TERM": "dumb", "NO_COLOR": "1"}
    env.pop("PLATEAU_VAULT_PASSWORD_FILE", None)
    plateau = Path(sys.executable).parent / "plateau"
    child = subprocess.Popen(
        [str(plateau), "secrets", "init", "-i", str(example)],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        preexec_fn=_controlling_terminal,
        close_fds=True,
    )
    os.close(slave)
    transcript = bytearray()
    try:
        _expect(master, r"a-ap-01 \(ssh_password\) : ", transcript)
        os.write(master, TYPED["a-ap-01"].encode() + b"\n")
        _expect(master, r"Confirmer : ", transcript)
        os.write(master, TYPED["a-ap-01"].encode() + b"\n")
        _expect(master, r"a-tab-android-01 \(google_password\) : ", transcript)
        os.write(master, b"\n")  # Enter alone: left « à saisir »
        _expect(master, r"À saisir \(1\)", transcript)
        assert child.wait(timeout=60) == 0
        try:
            while select.select([master], [], [], 0.5)[0]:
                chunk = os.read(master, 4096)
                if not chunk:
                    break
                transcript.extend(chunk)
        except OSError:
            pass
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        os.close(master)
    text = transcript.decode(errors="replace")
    assert TYPED["a-ap-01"] not in text  # the terminal never echoed it, plateau never printed it
    assert "a-tab-android-01 · google_password" in " ".join(text.split())
    stored = vault_values(example)
    assert stored[("a-ap-01", "ssh_password")] == TYPED["a-ap-01"]
    assert ("a-tab-android-01", "google_password") not in stored
