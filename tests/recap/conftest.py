"""Fixtures for the recap: the example inventory loaded once, PDF text and QR readers, ippeveprinter."""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from devices.lab.base import free_port

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "inventories" / "example"


def _need(tool: str, package: str) -> str:
    path = shutil.which(tool)
    if path is None:
        pytest.skip(f"{tool} not installed (apt-get install {package})")
    return path


def attested_ok(loaded, now):
    """OK attestation verdicts of every on-site item and manual device: what a real clean sweep holds."""
    from checks.model import Status, Verdict
    from provision.families import manual_check

    out = [
        Verdict(
            device=f"salle:{a['room']}",
            check=f"attestation:{a['id']}",
            status=Status.OK,
            key="check.attestation.ok",
            params={"label": a["label"], "by": "Mme Martin", "at": "03/12 07:00"},
            room=a["room"],
            probe="manual",
            measured_at=now,
        )
        for a in loaded.plan.attestations
    ]
    for device in loaded.inventory.devices:
        manual = manual_check(device)
        if manual is not None:
            out.append(
                Verdict(
                    device=device.name,
                    check=f"attestation:{manual.item}",
                    status=Status.OK,
                    key="check.attestation.ok",
                    params={"label": "x", "by": "Mme Martin", "at": "07:00"},
                    room=device.room,
                    probe="manual",
                    measured_at=now,
                )
            )
    return out


@pytest.fixture(scope="session")
def attested():
    return attested_ok


@pytest.fixture(scope="session")
def loaded():
    from provision.context import load_all

    return load_all(EXAMPLE)


@pytest.fixture(scope="session")
def host_secrets() -> dict[str, dict[str, str]]:
    """host -> {field: secret} decrypted from the example's vault files."""
    import yaml
    from ansible.parsing.vault import VaultLib, VaultSecret

    vault = VaultLib([("default", VaultSecret((EXAMPLE / ".vault_pass").read_bytes().strip()))])
    return {
        path.parent.name: {k: str(v) for k, v in yaml.safe_load(vault.decrypt(path.read_bytes())).items()}
        for path in sorted(EXAMPLE.glob("host_vars/*/vault.yml"))
    }


def pdf_text(pdf: bytes, tmp_path: Path, layout: bool = True) -> str:
    """``pdftotext -layout`` of the PDF (poppler-utils); ``layout=False``: reading order, one space."""
    tool = _need("pdftotext", "poppler-utils")
    source = tmp_path / "text-source.pdf"
    source.write_bytes(pdf)
    text = subprocess.run(
        [tool, *(["-layout"] if layout else []), str(source), "-"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    return text if layout else " ".join(text.split())


def grouped(secret: str) -> re.Pattern[str]:
    """The secret exactly as stored, as the PDF text layer must give it back (copy-paste).

    The recap sets groups apart by a tinted background, never by spacing, so no whitespace
    may appear inside; only what surrounds the secret (start of line, a space) is free.
    """
    return re.compile(r"(?<!\S)" + re.escape(secret) + r"(?!\S)")


def decode_qr(pdf: bytes, tmp_path: Path, page: int = 1) -> list[str]:
    """Payloads of the QR codes on one page: pdftoppm -r 150 -png, then zbarimg --raw -q.

    ``-Sqrcode.binary`` gives the raw bytes: zbar otherwise guesses the charset of short
    payloads and misreads UTF-8 accents (phones decode byte mode as UTF-8).
    """
    pdftoppm = _need("pdftoppm", "poppler-utils")
    zbarimg = _need("zbarimg", "zbar-tools")
    source = tmp_path / f"qr-source-{page}.pdf"
    source.write_bytes(pdf)
    prefix = tmp_path / f"qr-page-{page}"
    subprocess.run(
        [pdftoppm, "-r", "150", "-png", "-f", str(page), "-l", str(page), "-singlefile", str(source), str(prefix)],
        check=True,
        timeout=60,
    )
    found = subprocess.run(
        [zbarimg, "--raw", "-q", "-Sdisable", "-Sqrcode.enable", "-Sqrcode.binary", f"{prefix}.png"],
        capture_output=True,
        timeout=60,
    )
    return [line for line in found.stdout.decode("utf-8").split("\n") if line]


def pdf_pages(pdf: bytes, tmp_path: Path) -> int:
    tool = _need("pdfinfo", "poppler-utils")
    source = tmp_path / "info-source.pdf"
    source.write_bytes(pdf)
    info = subprocess.run([tool, str(source)], capture_output=True, text=True, check=True, timeout=60).stdout
    return int(re.search(r"^Pages:\s+(\d+)", info, re.M)[1])


@pytest.fixture(scope="module")
def ippeveprinter(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, Path]]:
    """A real CUPS ippeveprinter on loopback keeping its job files (-k); yields (port, spool dir).

    As in tests/devices/printer/conftest.py, Avahi needs a D-Bus bus: a private one is started.
    """
    binary = _need("ippeveprinter", "cups-ipp-utils")
    dbus = _need("dbus-daemon", "dbus")
    work = tmp_path_factory.mktemp("ippeve")
    spool = work / "spool"
    spool.mkdir()
    # --print-address: dbus-daemon prints the address once the bus listens (a real signal)
    bus = subprocess.Popen(
        [dbus, "--session", "--nofork", "--print-address=1", f"--address=unix:path={work}/bus"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    port = free_port()  # ippeveprinter binds it itself
    log = open(work / "ippeveprinter.log", "wb")  # noqa: SIM115
    printer = None
    try:
        assert bus.stdout is not None and bus.stdout.readline(), "dbus-daemon did not start"
        printer = subprocess.Popen(
            [
                binary,
                "-p",
                str(port),
                "-n",
                "localhost",
                "-M",
                "HP",
                "-m",
                "LaserJet",
                "-r",
                "off",
                "-k",
                "-f",
                "application/pdf",
                "-d",
                str(spool),
                "Salle A",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            env={"PATH": "/usr/bin:/bin", "DBUS_SYSTEM_BUS_ADDRESS": f"unix:path={work}/bus"},
        )
        deadline = time.monotonic() + 60  # generous: a loaded machine starts it slowly
        while True:
            if printer.poll() is not None:
                pytest.fail("ippeveprinter exited: " + (work / "ippeveprinter.log").read_text(errors="replace"))
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(f"ippeveprinter not listening on 127.0.0.1:{port} after 60 s")
                time.sleep(0.05)
        yield port, spool
    finally:
        for proc in (printer, bus):
            if proc is not None:
                proc.terminate()
                try:
                    proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    proc.kill()
        if bus.stdout is not None:
            bus.stdout.close()
        log.close()


@pytest.fixture
def pdf(tmp_path: Path):
    """pdf.text(bytes), pdf.qr(bytes, page), pdf.pages(bytes), pdf.grouped(secret) -> regex."""
    from types import SimpleNamespace

    return SimpleNamespace(
        text=lambda data, layout=True: pdf_text(data, tmp_path, layout),
        qr=lambda data, page=1: decode_qr(data, tmp_path, page),
        pages=lambda data: pdf_pages(data, tmp_path),
        grouped=grouped,
    )


@pytest.fixture
def recap_cli(monkeypatch):
    """recap_cli(*args) -> (exit code, stdout, stderr), through a Typer app of its own."""
    import typer
    from typer.testing import CliRunner

    from provision.cli.recap import recap_command

    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.delenv("PLATEAU_VAULT_PASSWORD_FILE", raising=False)
    monkeypatch.delenv("PLATEAU_INVENTORY", raising=False)
    app = typer.Typer()
    app.command("recap")(recap_command)
    app.command("noop")(lambda: None)  # two commands: the sub-command name is then required

    def run(*args: str):
        result = CliRunner().invoke(app, ["recap", *map(str, args)])
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        return result.exit_code, result.stdout, result.stderr

    return run
