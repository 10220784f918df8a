"""The IPP simulator's toner-empty knobs, driven through the real printer probe over the wire."""

from __future__ import annotations

from pathlib import Path

import pytest

from checks.model import Status
from checks.probes.common import ProbeContext
from checks.probes.printer import probe_printer
from devices.lab.printer import IppPrinterSim
from devices.models import Printer
from devices.printer import PrinterState, read_printer_ipp


@pytest.mark.parametrize(
    "mode, state", [("toner_empty", PrinterState.IDLE), ("toner_empty_stopped", PrinterState.STOPPED)]
)
def test_toner_empty_is_never_ok_whatever_the_printer_state(tmp_path: Path, mode: str, state: PrinterState) -> None:
    with IppPrinterSim(slow_s=2.0) as sim:
        sim.set_mode(mode)
        assert sim.mode == mode
        status = read_printer_ipp(sim.host, port=sim.port, timeout_s=2)
        assert status.state is state and status.reasons == ("toner-empty-error",)
        assert [s.level_pct for s in status.supplies] == [0]
        device = Printer(name="imp-01", ansible_host=sim.host, ipp_port=sim.port, room="salle_a")
        verdicts = probe_printer(device, ProbeContext(timeout_s=2, key_dir=tmp_path))
    assert verdicts and all(v.status is not Status.OK for v in verdicts), [(v.check, v.status) for v in verdicts]
    assert {v.status for v in verdicts} == {Status.FAIL}


def test_existing_modes_still_work() -> None:
    with IppPrinterSim(slow_s=2.0) as sim:
        for mode in ("healthy", "toner_low", "paper_empty", "printing"):
            assert sim.set_mode(mode).mode == mode
        assert sim.set_mode("ok").mode == "healthy"
        with pytest.raises(ValueError):
            sim.set_mode("toner_gone")
