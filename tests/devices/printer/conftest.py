"""Fixtures for the printer family: captures, the lab IPP simulator, ippeveprinter, snmpsim."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from devices.lab.printer import IppPrinterSim
from devices.lab.snmp import SnmpSim, find_responder

CAPTURES = Path(__file__).parent / "captures"


def _capture_path(case: str) -> Path:
    (path,) = [p for p in (CAPTURES / case).iterdir() if p.is_file()]
    return path


@pytest.fixture
def capture_path():
    """``capture_path(case)``: the single capture file in ``captures/<case>/``."""
    return _capture_path


@pytest.fixture
def ipp_sim() -> Iterator[IppPrinterSim]:
    # delay_s only needs to exceed the client timeouts the tests use (<= 0.5 s)
    with IppPrinterSim(delay_s=2.0) as sim:
        yield sim


@pytest.fixture(scope="session")
def snmpsim() -> Iterator[SnmpSim]:
    if find_responder() is None:
        pytest.skip("snmpsim-command-responder not installed (pip install snmpsim==1.2.2 pysmi==2.0.0)")
    with SnmpSim() as sim:
        yield sim


def _free_tcp_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def ippeveprinter(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """A real CUPS ippeveprinter on loopback; yields its port.

    It insists on initialising Avahi, which needs a D-Bus system bus: a private
    dbus-daemon is started and pointed to (no real bus, no mDNS traffic, -r off).
    With ``-n localhost`` it listens on 127.0.0.1 and ::1 only.
    """
    binary, dbus = shutil.which("ippeveprinter"), shutil.which("dbus-daemon")
    if binary is None:
        pytest.skip("ippeveprinter not installed (apt-get install cups-ipp-utils)")
    if dbus is None:
        pytest.skip("dbus-daemon not installed (ippeveprinter needs a bus for Avahi)")
    work = tmp_path_factory.mktemp("ippeve")
    bus = subprocess.Popen(
        [dbus, "--session", "--nofork", f"--address=unix:path={work}/bus"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    port = _free_tcp_port()
    log = open(work / "ippeveprinter.log", "wb")  # noqa: SIM115
    printer = None
    try:
        for _ in range(50):
            if (work / "bus").exists():
                break
            time.sleep(0.05)
        printer = subprocess.Popen(
            [
                binary,
                "-p",
                str(port),
                "-n",
                "localhost",
                "-M",
                "Acme",
                "-m",
                "Model 1",
                "-l",
                "Salle 2",
                "-r",
                "off",
                "-d",
                str(work),
                "Test Printer",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            env={"PATH": "/usr/bin:/bin", "DBUS_SYSTEM_BUS_ADDRESS": f"unix:path={work}/bus"},
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if printer.poll() is not None:
                pytest.fail("ippeveprinter exited: " + (work / "ippeveprinter.log").read_text(errors="replace"))
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        yield port
    finally:
        for proc in (printer, bus):
            if proc is not None:
                proc.terminate()
                try:
                    proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    proc.kill()
        log.close()
