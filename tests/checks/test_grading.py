"""Verdict rules, table-tested: keys and params, and no path from missing facts to OK."""

from __future__ import annotations

import datetime as dt

import pytest

from checks import grading as g
from checks import grading_more as gm
from checks import grading_printing as gp
from checks.model import Status, worst
from devices.errors import AuthenticationFailed, BadAnswer, DeviceError, Unreachable

NOW = dt.datetime(2026, 12, 3, 6, 30, tzinfo=dt.UTC)
COMMON = dict(measured_at=NOW, probe="test", room="salle_a")


@pytest.mark.parametrize(
    ("level", "charging", "status", "key"),
    [(80, False, Status.OK, "check.battery.ok"), (100, None, Status.OK, "check.battery.ok"),
     (79, True, Status.WARN, "check.battery.charging"), (79, False, Status.FAIL, "check.battery.low"),
     (5, None, Status.FAIL, "check.battery.low"), (None, True, Status.UNKNOWN, "check.battery.unknown"),
     (79.6, False, Status.OK, "check.battery.ok")],
)  # fmt: skip
def test_battery(level, charging, status, key) -> None:
    verdict = g.battery("tab", level_pct=level, charging=charging, min_pct=80, **COMMON)
    assert (verdict.status, verdict.key) == (status, key)
    if level is not None:
        assert verdict.params["level_pct"] == round(level) and verdict.unit == "%"


@pytest.mark.parametrize(
    ("state", "reasons", "status"),
    [("idle", [], Status.OK), ("idle", ["none"], Status.OK), ("processing", [], Status.OK),
     ("idle", ["toner-low-warning"], Status.WARN), ("idle", ["toner-low-report"], Status.WARN),
     ("idle", ["media-empty-error"], Status.FAIL), ("stopped", [], Status.FAIL),
     ("processing", ["media-jam"], Status.FAIL), (None, [], Status.UNKNOWN)],
)  # fmt: skip
def test_printer_state(state, reasons, status) -> None:
    assert gp.printer_state("p", state=state, reasons=reasons, **COMMON).status is status


@pytest.mark.parametrize(
    ("levels", "status", "key"),
    [([50, 60], Status.OK, "check.supplies.ok"), ([50, 4], Status.WARN, "check.supplies.low"),
     ([0, 60], Status.FAIL, "check.supplies.empty"), ([None, 60], Status.WARN, "check.supplies.partly_unknown"),
     ([], Status.UNKNOWN, "check.supplies.unknown"), ([None], Status.UNKNOWN, "check.supplies.all_unknown")],
)  # fmt: skip
def test_supplies(levels, status, key) -> None:
    supplies = [{"name": f"s{i}", "level_pct": level, "kind": "toner", "some_remaining": False}
                for i, level in enumerate(levels)]  # fmt: skip
    verdict = gp.supplies("p", supplies=supplies, min_pct=10, **COMMON)
    assert (verdict.status, verdict.key) == (status, key)


def test_waste_toner_is_not_a_consumable_to_refill() -> None:
    supplies = [{"name": "waste", "level_pct": 0, "kind": "waste-toner"},
                {"name": "black", "level_pct": 70, "kind": "toner"}]  # fmt: skip
    assert gp.supplies("p", supplies=supplies, min_pct=10, **COMMON).status is Status.OK


@pytest.mark.parametrize(
    ("sensor", "grams", "needed", "status", "key"),
    [("absent", 900, None, Status.FAIL, "check.filament.out"), ("present", 500, None, Status.OK, "check.filament.ok"),
     (None, 80, None, Status.FAIL, "check.filament.short"), (None, 150, 200, Status.FAIL, "check.filament.short"),
     ("present", None, None, Status.WARN, "check.filament.present_weight_unknown"),
     ("not_fitted", None, None, Status.UNKNOWN, "check.filament.unknown"),
     (None, None, None, Status.UNKNOWN, "check.filament.unknown")],
)  # fmt: skip
def test_filament(sensor, grams, needed, status, key) -> None:
    verdict = g.filament("p3d", sensor=sensor, remaining_g=grams, min_g=100, needed_g=needed, **COMMON)
    assert (verdict.status, verdict.key) == (status, key)


@pytest.mark.parametrize(
    ("state", "adf", "status"),
    [("Idle", None, Status.OK), ("Idle", "ScannerAdfLoaded", Status.OK), ("Idle", "ScannerAdfJam", Status.FAIL),
     ("Processing", None, Status.WARN), ("Stopped", None, Status.FAIL), (None, None, Status.UNKNOWN)],
)  # fmt: skip
def test_scanner(state, adf, status) -> None:
    assert gp.scanner_state("s", state=state, adf_state=adf, **COMMON).status is status


@pytest.mark.parametrize(
    ("connected", "state", "errors", "status"),
    [(True, "idle", [], Status.OK), (False, "offline", [], Status.FAIL), (True, "error", ["MCU"], Status.FAIL),
     (True, "printing", [], Status.WARN), (None, "unknown", [], Status.UNKNOWN)],
)  # fmt: skip
def test_printer_3d_state(connected, state, errors, status) -> None:
    assert g.printer_3d_state("p", connected=connected, state=state, errors=errors, **COMMON).status is status


@pytest.mark.parametrize(
    "error",
    [TimeoutError(), Unreachable("refused"), AuthenticationFailed("401"), BadAnswer("junk"), DeviceError("x"),
     RuntimeError("bug in a driver"), KeyError("missing")],
)  # fmt: skip
def test_every_failure_mode_of_a_probe_is_unknown_never_ok(error) -> None:
    verdict = gm.probe_failed("dev", "battery", error, timeout_s=3, **COMMON)
    assert verdict.status is Status.UNKNOWN and verdict.blocking
    assert verdict.key.startswith("check.probe.")


def test_worst_of_nothing_is_unknown() -> None:
    assert worst([]) is Status.UNKNOWN
    assert worst([Status.OK, Status.UNKNOWN, Status.WARN]) is Status.UNKNOWN
    assert not Status.UNKNOWN.ready and Status.WARN.ready


def test_attestation_missing_expired_valid() -> None:
    from provision.state import Attestation

    def record(hours_ago: float) -> Attestation:
        at = NOW - dt.timedelta(hours=hours_ago)
        return Attestation(1, "salle_a", "markers", None, "Awa N.", at, at + dt.timedelta(hours=12), "")

    def grade(rec):
        return gm.attestation("salle:salle_a", item="markers", label="Feutres", record=rec, now=NOW,
                              room="salle_a", validity_h=12)  # fmt: skip

    assert grade(None).status is Status.FAIL and grade(None).key == "check.attestation.missing"
    assert grade(record(13)).key == "check.attestation.expired"
    ok = grade(record(1))
    assert ok.status is Status.OK and ok.params["by"] == "Awa N." and ok.measured_at == record(1).at


@pytest.mark.parametrize(
    ("volts", "status", "key"),
    [(4.1, Status.OK, "check.battery.volts_ok"), (3.9, Status.OK, "check.battery.volts_ok"),
     (3.86, Status.WARN, "check.battery.volts_mid"), (3.5, Status.FAIL, "check.battery.volts_low"),
     (None, Status.UNKNOWN, "check.battery.unknown")],
)  # fmt: skip
def test_thymio_battery_on_the_firmware_gauge(volts, status, key) -> None:
    verdict = g.battery_voltage("thymio", voltage_v=volts, **COMMON)
    assert (verdict.status, verdict.key) == (status, key)
