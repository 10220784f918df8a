"""read_printer_ipp over real sockets: the lab simulator, and CUPS' ippeveprinter."""

from __future__ import annotations

import socket
import subprocess
import time
import urllib.request
from datetime import UTC, datetime, timedelta

import pytest

from devices.errors import BadAnswer, Unreachable
from devices.lab.printer import IppPrinterSim
from devices.printer import PrinterState, read_printer, read_printer_ipp

HOST = "127.0.0.1"


def test_ok_state(ipp_sim: IppPrinterSim) -> None:
    before = datetime.now(UTC)
    status = read_printer_ipp(HOST, port=ipp_sim.port, timeout_s=2)
    assert status.state is PrinterState.IDLE and status.reasons == ()
    assert (status.make, status.model) == ("Kyocera", "ECOSYS M2540dn")
    assert [(s.name, s.colour, s.level_pct) for s in status.supplies] == [("TK-1160 Black Toner", "black", 80)]
    assert status.uri == f"ipp://{HOST}:{ipp_sim.port}/ipp/print"
    assert status.location == "Salle 1"
    assert before <= status.measured_at <= datetime.now(UTC)
    assert status.measured_at.tzinfo is not None


@pytest.mark.parametrize(
    "state, expected_state, reasons, level",
    [
        ("toner_low", PrinterState.IDLE, ("toner-low-warning",), 4),
        ("paper_empty", PrinterState.STOPPED, ("media-empty-error",), 80),
        ("printing", PrinterState.PROCESSING, (), 80),
    ],
)
def test_simulated_states(ipp_sim, state, expected_state, reasons, level) -> None:
    ipp_sim.state = state
    status = read_printer_ipp(HOST, port=ipp_sim.port, timeout_s=2)
    assert status.state is expected_state
    assert status.reasons == reasons
    assert status.supplies[0].level_pct == level


def test_old_firmware_gets_an_ipp_1_1_retry(ipp_sim: IppPrinterSim) -> None:
    ipp_sim.state = "old_firmware"
    status = read_printer_ipp(HOST, port=ipp_sim.port, timeout_s=2)
    assert status.state is PrinterState.IDLE
    assert ipp_sim.requests == 2


def test_dead_printer_is_unreachable(ipp_sim: IppPrinterSim) -> None:
    ipp_sim.state = "dead"
    with pytest.raises(Unreachable):
        read_printer_ipp(HOST, port=ipp_sim.port, timeout_s=2)


def test_slow_printer_times_out_within_budget(ipp_sim: IppPrinterSim) -> None:
    ipp_sim.state = "slow"
    started = time.monotonic()
    with pytest.raises(Unreachable, match="within 0.3 s"):
        read_printer_ipp(HOST, port=ipp_sim.port, timeout_s=0.3)
    assert time.monotonic() - started < 1.5


def test_garbage_is_a_bad_answer(ipp_sim: IppPrinterSim) -> None:
    ipp_sim.state = "garbage"
    with pytest.raises(BadAnswer):
        read_printer_ipp(HOST, port=ipp_sim.port, timeout_s=2)


def test_wrong_path_is_a_bad_answer_naming_the_path(ipp_sim: IppPrinterSim) -> None:
    with pytest.raises(BadAnswer, match="check the path"):
        read_printer_ipp(HOST, port=ipp_sim.port, path="/printers/nope", timeout_s=2)


def test_closed_port_is_unreachable() -> None:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port = sock.getsockname()[1]
    with pytest.raises(Unreachable):
        read_printer_ipp(HOST, port=port, timeout_s=1)


def test_silent_tcp_peer_times_out() -> None:
    """A listener that never answers (firewalled / hung printer): bounded by timeout_s."""
    with socket.socket() as server:
        server.bind((HOST, 0))
        server.listen()
        started = time.monotonic()
        with pytest.raises(Unreachable):
            read_printer_ipp(HOST, port=server.getsockname()[1], timeout_s=0.3)
        assert time.monotonic() - started < 1.5


def test_state_can_be_changed_over_http_for_demos(ipp_sim: IppPrinterSim) -> None:
    with urllib.request.urlopen(f"http://{HOST}:{ipp_sim.port}/lab/state?set=paper_empty", timeout=2) as answer:
        assert answer.read() == b"paper_empty\n"
    assert read_printer_ipp(HOST, port=ipp_sim.port, timeout_s=2).state is PrinterState.STOPPED


def test_read_printer_keeps_ipp_supplies_and_skips_snmp(ipp_sim: IppPrinterSim) -> None:
    # an SNMP port nobody listens on: it must not even be asked, IPP has supplies
    status = read_printer(HOST, ipp_port=ipp_sim.port, snmp_port=9, timeout_s=1)
    assert status.source == "ipp" and status.supplies


def test_simulator_passes_cups_ipptool_conformance_test(ipp_sim: IppPrinterSim) -> None:
    """CUPS' own client checks our simulator speaks IPP (required attributes included)."""
    ipptool = __import__("shutil").which("ipptool")
    if ipptool is None:
        pytest.skip("ipptool not installed (apt-get install cups-ipp-utils)")
    result = subprocess.run(
        [ipptool, "-t", f"ipp://{HOST}:{ipp_sim.port}/ipp/print", "get-printer-attributes.test"],
        capture_output=True,
        text=True,
        timeout=20,
    )
    assert result.returncode == 0, result.stdout


# ------------------------------------------------------------------ real peer: ippeveprinter


def test_real_ippeveprinter_idle(ippeveprinter: int) -> None:
    status = read_printer_ipp(HOST, port=ippeveprinter, timeout_s=3)
    assert status.state is PrinterState.IDLE
    assert (status.make, status.model) == ("Acme", "Model 1")
    assert status.name == "Test Printer" and status.location == "Salle 2"
    assert status.uri == f"ipp://{HOST}:{ippeveprinter}/ipp/print"  # built from our Host header
    kinds = {s.kind for s in status.supplies}
    assert kinds == {"waste-toner", "toner"}  # from printer-supply: it has no marker-*
    assert datetime.now(UTC) - status.measured_at < timedelta(seconds=5)


def test_real_ippeveprinter_supply_levels_follow_its_web_form(ippeveprinter: int) -> None:
    """ippeveprinter's /supplies form changes its printer-supply levels: we must see them."""
    for black, reasons in ((7, ("toner-low-report",)), (63, ())):
        with urllib.request.urlopen(
            f"http://{HOST}:{ippeveprinter}/supplies?supply0=10&supply1={black}", timeout=3
        ) as answer:
            answer.read()
        status = read_printer_ipp(HOST, port=ippeveprinter, timeout_s=3)
        toner = next(s for s in status.supplies if s.kind == "toner")
        assert (toner.colour, toner.level_pct) == ("black", black)
        assert status.reasons == reasons  # ippeveprinter raises toner-low below 10 %
