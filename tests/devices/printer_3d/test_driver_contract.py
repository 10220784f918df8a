"""Contract of the driver registry: dispatch, signatures, facts shape, no escaping exception,
and the simulators' standalone entry points."""

from __future__ import annotations

import dataclasses
import inspect
import json
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from devices.errors import DeviceError
from devices.printer_3d import DRIVERS, Printer3DFacts, read_printer_3d
from devices.printer_3d.facts import SpoolFacts

ROOT = Path(__file__).resolve().parents[3]


def test_registry_names():
    assert set(DRIVERS) == {"octoprint", "moonraker", "prusalink", "marlin"}


def test_unknown_driver_lists_supported_ones():
    with pytest.raises(ValueError) as info:
        read_printer_3d("bambu", host="127.0.0.1")
    for name in DRIVERS:
        assert name in str(info.value)


@pytest.mark.parametrize("name", sorted(DRIVERS))
def test_driver_signature_is_explicit_keywords_with_timeout(name):
    params = inspect.signature(DRIVERS[name]).parameters
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in params.values())
    assert "timeout_s" in params
    assert inspect.signature(DRIVERS[name]).return_annotation in (Printer3DFacts, "Printer3DFacts")


@pytest.mark.parametrize("cls", [Printer3DFacts, SpoolFacts])
def test_facts_are_frozen_slotted_kw_only(cls):
    params = cls.__dataclass_params__
    assert params.frozen and hasattr(cls, "__slots__")
    assert all(f.kw_only for f in dataclasses.fields(cls))
    assert "measured_at" in {f.name for f in dataclasses.fields(cls)}


@pytest.mark.parametrize("api", ["octoprint", "moonraker", "prusalink"])
@pytest.mark.parametrize(
    "mode", ["ok", "printing", "filament_out", "disconnected", "error", "auth_fail", "dead", "garbage"]
)
def test_every_outcome_is_facts_or_device_error(api, mode, start_sim):
    sim = start_sim(api, mode=mode)
    try:
        facts = read_printer_3d(api, host="127.0.0.1", port=sim.port, timeout_s=0.5)
    except DeviceError:
        assert mode in ("auth_fail", "dead", "garbage")
        return
    assert mode not in ("auth_fail", "dead", "garbage")
    assert isinstance(facts, Printer3DFacts) and facts.driver == api
    assert facts.measured_at.utcoffset() is not None and facts.measured_at.utcoffset().seconds == 0
    assert isinstance(facts.errors, tuple)
    with pytest.raises(dataclasses.FrozenInstanceError):
        facts.state = "idle"  # type: ignore[misc]


def _start(module: str, *args: str) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", module, *args], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    line = proc.stdout.readline()  # type: ignore[union-attr]
    return proc, line


def test_http_simulator_runs_standalone():
    proc, line = _start("devices.lab.printer_3d", "--api", "spoolman", "--port", "0")
    try:
        assert "spoolman simulator on http://127.0.0.1:" in line, line
        url = line.split(" on ")[1].split()[0]
        with urllib.request.urlopen(url + "/api/v1/spool", timeout=5) as resp:
            assert json.load(resp)[0]["remaining_weight"] == 742.5
    finally:
        proc.terminate()
        proc.wait(timeout=5)


def test_marlin_simulator_runs_standalone():
    proc, line = _start("devices.lab.marlin", "--mode", "filament_out", "--port", "0")
    try:
        assert "marlin simulator on /dev/" in line, line
        device = line.split(" on ")[1].split()[0]
        facts = read_printer_3d("marlin", port=device, timeout_s=1.0, boot_wait_s=0.3)
        assert facts.filament_sensor == "absent"
    finally:
        proc.terminate()
        proc.wait(timeout=5)
