"""Moonraker's ``sensor_empty`` knob (idle, filament sensor empty), through the real probe."""

from __future__ import annotations

from pathlib import Path

from checks.model import Status
from checks.probes.common import ProbeContext
from checks.probes.printer_3d import probe_printer_3d
from devices.lab.printer_3d import MoonrakerSim
from devices.models import Printer3D
from devices.printer_3d.driver import read_printer_3d


def test_idle_with_the_filament_sensor_empty_is_never_ok(tmp_path: Path) -> None:
    with MoonrakerSim(slow_s=2.0) as sim:
        sim.set_mode("sensor_empty")
        status = sim._status()
        assert status["print_stats"]["state"] == "standby"
        assert status["filament_switch_sensor runout"]["filament_detected"] is False
        facts = read_printer_3d("moonraker", host=sim.host, port=sim.port, timeout_s=2)
        assert facts.filament_sensor is not None and facts.filament_sensor.value != "present"
        device = Printer3D(name="3d-01", driver="moonraker", ansible_host=sim.host, api_port=sim.port, room="fablab")
        verdicts = {v.check: v for v in probe_printer_3d(device, ProbeContext(timeout_s=2, key_dir=tmp_path))}
    # the printer itself is idle and linked (that line may be green); the device is not ready
    assert verdicts["filament"].status is Status.FAIL, verdicts["filament"]
    assert any(v.status is Status.FAIL for v in verdicts.values())


def test_existing_modes_still_work() -> None:
    with MoonrakerSim(slow_s=2.0) as sim:
        for mode in ("healthy", "printing", "filament_out", "error"):
            assert sim.set_mode(mode).mode == mode
        sim.set_mode("healthy")
        assert sim._status()["filament_switch_sensor runout"]["filament_detected"] is True
