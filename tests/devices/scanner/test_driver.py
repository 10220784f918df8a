"""read_scanner over real sockets against the lab eSCL simulator."""

from __future__ import annotations

import socket
import time
import urllib.request

import pytest

from devices.errors import BadAnswer, Unreachable
from devices.lab.scanner import EsclScannerSim
from devices.scanner import ScannerState, read_scanner, read_scanner_status

HOST = "127.0.0.1"


def test_idle_scanner(escl_sim: EsclScannerSim) -> None:
    facts = read_scanner(HOST, port=escl_sim.port, timeout_s=2)
    caps = facts.capabilities
    assert (caps.make, caps.model) == ("HP", "Color Laser MFP 179fnw")
    assert caps.has_platen and caps.has_adf
    assert facts.status.state is ScannerState.IDLE
    assert facts.status.adf_state == "ScannerAdfEmpty"
    assert facts.measured_at.tzinfo is not None and facts.host == HOST


@pytest.mark.parametrize(
    "state, expected, adf, fault, jobs",
    [
        ("adf_loaded", ScannerState.IDLE, "ScannerAdfLoaded", False, 0),
        ("processing", ScannerState.PROCESSING, "ScannerAdfProcessing", False, 1),
        ("jam", ScannerState.STOPPED, "ScannerAdfJam", True, 0),
    ],
)
def test_simulated_states(escl_sim, state, expected, adf, fault, jobs) -> None:
    escl_sim.state = state
    status = read_scanner_status(HOST, port=escl_sim.port, timeout_s=2)
    assert (status.state, status.adf_state, status.adf_fault, status.active_jobs) == (expected, adf, fault, jobs)


def test_dead_scanner_is_unreachable(escl_sim: EsclScannerSim) -> None:
    escl_sim.state = "dead"
    with pytest.raises(Unreachable):
        read_scanner(HOST, port=escl_sim.port, timeout_s=2)


def test_slow_scanner_times_out_within_budget(escl_sim: EsclScannerSim) -> None:
    escl_sim.state = "slow"
    started = time.monotonic()
    with pytest.raises(Unreachable):
        read_scanner_status(HOST, port=escl_sim.port, timeout_s=0.3)
    assert time.monotonic() - started < 1.5


def test_garbage_is_a_bad_answer(escl_sim: EsclScannerSim) -> None:
    escl_sim.state = "garbage"
    with pytest.raises(BadAnswer):
        read_scanner(HOST, port=escl_sim.port, timeout_s=2)


def test_wrong_base_path_is_a_bad_answer(escl_sim: EsclScannerSim) -> None:
    with pytest.raises(BadAnswer, match="base path"):
        read_scanner(HOST, port=escl_sim.port, base_path="/scan", timeout_s=2)


def test_base_path_with_trailing_slash(escl_sim: EsclScannerSim) -> None:
    status = read_scanner_status(HOST, port=escl_sim.port, base_path="eSCL/", timeout_s=2)
    assert status.state is ScannerState.IDLE


def test_closed_port_is_unreachable() -> None:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port = sock.getsockname()[1]
    with pytest.raises(Unreachable):
        read_scanner(HOST, port=port, timeout_s=1)


def test_state_can_be_changed_over_http(escl_sim: EsclScannerSim) -> None:
    with urllib.request.urlopen(f"http://{HOST}:{escl_sim.port}/lab/state?set=jam", timeout=2) as answer:
        assert answer.read() == b"jam\n"
    assert read_scanner_status(HOST, port=escl_sim.port, timeout_s=2).adf_fault
    with pytest.raises(ValueError, match="unknown state"):
        escl_sim.state = "on fire"
