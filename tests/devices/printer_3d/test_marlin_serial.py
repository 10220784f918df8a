"""Marlin driver over a real pty (pyserial opens the slave side) against the lab firmware."""

from __future__ import annotations

import os
import time

import pytest

from devices.errors import BadAnswer, Unreachable
from devices.printer_3d import read_printer_3d
from devices.printer_3d.facts import FilamentSensor, PrinterState

FAST = {"timeout_s": 0.5, "boot_wait_s": 0.3}


def read(sim, **params):
    return read_printer_3d("marlin", port=sim.device, **{**FAST, **params})


def test_ok_printer_with_filament(marlin_sim):
    sim = marlin_sim(nozzle_c=24.5, bed_c=23.0)
    facts = read(sim)
    assert facts.connected is True and facts.state is PrinterState.IDLE
    assert facts.printing is False  # M27: Not SD printing
    assert facts.filament_sensor is FilamentSensor.PRESENT
    assert facts.runout_detection_enabled is True
    assert (facts.nozzle_c, facts.bed_c) == (24.5, 23.0)
    assert facts.firmware and facts.firmware.startswith("Marlin 2.1.2.1")
    assert sim.commands == ["M115", "M105", "M119", "M412", "M27"]


def test_filament_out(marlin_sim):
    facts = read(marlin_sim(mode="filament_out"))
    assert facts.filament_sensor is FilamentSensor.ABSENT


def test_inverted_sensor_logic_parameter(marlin_sim):
    # Same wire answer ("filament: TRIGGERED"), a sensor wired the other way round.
    facts = read(marlin_sim(), triggered_means_present=False)
    assert facts.filament_sensor is FilamentSensor.ABSENT


def test_no_sensor_is_not_fitted_and_m412_skipped(marlin_sim):
    sim = marlin_sim(mode="no_sensor")
    facts = read(sim)
    assert facts.filament_sensor is FilamentSensor.NOT_FITTED
    assert facts.runout_detection_enabled is None
    assert "M412" not in sim.commands  # Cap:FILAMENT_RUNOUT:0


def test_busy_lines_extend_the_wait(marlin_sim):
    sim = marlin_sim(mode="busy", busy_lines=8)  # 8 x 50 ms of busy before each answer
    facts = read(sim, timeout_s=0.2)  # each answer takes twice the timeout
    assert facts.state is PrinterState.IDLE and facts.filament_sensor is FilamentSensor.PRESENT


def test_halted_printer_is_error_not_exception(marlin_sim):
    facts = read(marlin_sim(mode="error"))
    assert facts.state is PrinterState.ERROR
    assert "Printer halted. kill() called!" in facts.errors


def test_dead_firmware_is_unreachable_within_budget(marlin_sim):
    sim = marlin_sim(mode="dead")
    started = time.monotonic()
    with pytest.raises(Unreachable):
        read(sim)
    assert time.monotonic() - started < 3.0
    assert sim.commands == ["M115", "M115"]  # one retry for a board still booting


def test_garbage_is_bad_answer(marlin_sim):
    with pytest.raises(BadAnswer):
        read(marlin_sim(mode="garbage"))


def test_banner_is_drained_not_parsed(marlin_sim):
    sim = marlin_sim()
    facts = read(sim)
    assert facts.errors == ()
    assert read(sim).state is PrinterState.IDLE  # second open: no banner, still fine


def test_missing_port_is_unreachable(tmp_path):
    with pytest.raises(Unreachable):
        read_printer_3d("marlin", port=str(tmp_path / "ttyACM9"), **FAST)


def test_sim_device_is_a_tty(marlin_sim):
    sim = marlin_sim()
    fd = os.open(sim.device, os.O_RDWR | os.O_NOCTTY)
    try:
        assert os.isatty(fd)
    finally:
        os.close(fd)
