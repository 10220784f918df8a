"""The eSCL simulator's ``stopped`` knob (Stopped without any ADF jam), through the real probe."""

from __future__ import annotations

from pathlib import Path

from checks.model import Status
from checks.probes.common import ProbeContext
from checks.probes.scanner import probe_scanner
from devices.lab.scanner import EsclScannerSim
from devices.models import Scanner


def _probe(sim: EsclScannerSim, tmp_path: Path) -> list:
    device = Scanner(name="scan-01", ansible_host=sim.host, escl_port=sim.port, room="salle_a")
    return probe_scanner(device, ProbeContext(timeout_s=2, key_dir=tmp_path))


def test_stopped_without_a_jam_is_never_ok(tmp_path: Path) -> None:
    with EsclScannerSim(slow_s=2.0) as sim:
        assert [v.status for v in _probe(sim, tmp_path)] == [Status.OK]  # the same wire, healthy
        sim.set_mode("stopped")
        (verdict,) = _probe(sim, tmp_path)
    assert verdict.status is Status.FAIL
    assert verdict.facts["status"]["adf_state"] == "ScannerAdfEmpty"


def test_existing_modes_still_work() -> None:
    with EsclScannerSim(slow_s=2.0) as sim:
        for mode in ("jam", "adf_loaded", "processing"):
            assert sim.set_mode(mode).mode == mode
        assert sim.set_mode("idle").mode == "healthy"
