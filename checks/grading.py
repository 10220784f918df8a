"""Pure rules: facts from a driver → verdicts. Thresholds come from the inventory.

Every function here is table-tested; none does I/O. A fact that is ``None`` (not
reported) never grades OK.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any, Required, TypedDict

from checks.model import Status, Verdict


class _Common(TypedDict, total=False):
    """The keyword arguments of :func:`_v` that all verdicts of one grading function share."""

    measured_at: Required[dt.datetime]
    probe: Required[str]
    room: Required[str | None]
    facts: dict[str, Any] | None
    unit: str | None


def _v(device: str, check: str, status: Status, key: str, *, measured_at: dt.datetime, probe: str,
       room: str | None, value: Any = None, unit: str | None = None, facts: dict[str, Any] | None = None,
       blocking: bool = True, **params: Any) -> Verdict:  # fmt: skip
    return Verdict(device=device, check=check, status=status, key=key, params=params, value=value, unit=unit,
                   measured_at=measured_at, probe=probe, facts=facts or {}, room=room, blocking=blocking)


def battery(device: str, *, level_pct: float | None, charging: bool | None, min_pct: int,
            measured_at: dt.datetime, probe: str, room: str | None, facts: dict[str, Any] | None = None) -> Verdict:  # fmt: skip
    """≥ min: OK; below but charging: WARN (will be ready if left plugged); below: FAIL."""
    common = _Common(measured_at=measured_at, probe=probe, room=room, facts=facts, unit="%")
    if level_pct is not None:
        level_pct = round(level_pct)
    if level_pct is None:
        return _v(device, "battery", Status.UNKNOWN, "check.battery.unknown", value=None, **common)
    if level_pct >= min_pct:
        return _v(device, "battery", Status.OK, "check.battery.ok", value=level_pct, level_pct=level_pct,
                  min_pct=min_pct, **common)
    if charging:
        return _v(device, "battery", Status.WARN, "check.battery.charging", value=level_pct,
                  level_pct=level_pct, min_pct=min_pct, **common)
    return _v(device, "battery", Status.FAIL, "check.battery.low", value=level_pct, level_pct=level_pct,
              min_pct=min_pct, **common)


#: IPP printer-state-reasons suffixes (RFC 8011 §5.4.12): -error stops printing, -warning does not
def printer_state(device: str, *, state: str | None, reasons: Iterable[str], measured_at: dt.datetime,
                  probe: str, room: str | None, facts: dict[str, Any] | None = None) -> Verdict:  # fmt: skip
    reasons = [r for r in reasons if r and r != "none"]
    errors = [r for r in reasons if r.endswith("-error") or r in ("media-empty", "media-jam", "door-open",
                                                                 "marker-supply-empty", "offline")]
    common = _Common(measured_at=measured_at, probe=probe, room=room, facts=facts)
    if state is None:
        return _v(device, "printer_state", Status.UNKNOWN, "check.printer.state_unknown", **common)
    if state == "stopped" or errors:
        return _v(device, "printer_state", Status.FAIL, "check.printer.stopped", value=state,
                  reasons=errors or reasons or [state], **common)
    warnings = [r for r in reasons if r.endswith("-warning") or r.endswith("-report") or r.endswith("-low")]
    if warnings:
        return _v(device, "printer_state", Status.WARN, "check.printer.warning", value=state, reasons=warnings,
                  **common)
    return _v(device, "printer_state", Status.OK, "check.printer.ok", value=state, **common)


def supplies(device: str, *, supplies: list[dict[str, Any]], min_pct: int, measured_at: dt.datetime,
             probe: str, room: str | None) -> Verdict:  # fmt: skip
    """Each supply dict: name, level_pct (None = not reported), some_remaining."""
    common = _Common(measured_at=measured_at, probe=probe, room=room, facts={"supplies": supplies}, unit="%")
    consumable = [s for s in supplies if s.get("kind") not in ("waste-toner", "wasteToner", "waste-ink")]
    if not consumable:
        return _v(device, "consumables", Status.UNKNOWN, "check.supplies.unknown", **common)
    known = [s for s in consumable if s.get("level_pct") is not None]
    empty = [s["name"] for s in known if s["level_pct"] <= 0]
    low = [f"{s['name']} {s['level_pct']} %" for s in known if 0 < s["level_pct"] < min_pct]
    lowest = min((s["level_pct"] for s in known), default=None)
    if empty:
        return _v(device, "consumables", Status.FAIL, "check.supplies.empty", value=lowest, supplies_list=empty,
                  **common)
    if low:
        return _v(device, "consumables", Status.WARN, "check.supplies.low", value=lowest, supplies_list=low,
                  min_pct=min_pct, **common)
    if len(known) < len(consumable):
        unknown = [s["name"] for s in consumable if s.get("level_pct") is None and not s.get("some_remaining")]
        if unknown:
            return _v(device, "consumables", Status.WARN, "check.supplies.partly_unknown", value=lowest,
                      supplies_list=unknown, **common)
    return _v(device, "consumables", Status.OK, "check.supplies.ok", value=lowest, **common)


def scanner_state(device: str, *, state: str | None, adf_state: str | None, measured_at: dt.datetime,
                  probe: str, room: str | None, facts: dict[str, Any] | None = None) -> Verdict:  # fmt: skip
    common = _Common(measured_at=measured_at, probe=probe, room=room, facts=facts)
    if adf_state and ("Jam" in adf_state or "Open" in adf_state or "Fail" in adf_state or "Mispick" in adf_state):
        return _v(device, "scanner_state", Status.FAIL, "check.scanner.adf_fault", value=adf_state,
                  adf_state=adf_state, **common)
    if state is None:
        return _v(device, "scanner_state", Status.UNKNOWN, "check.scanner.state_unknown", **common)
    state = str(state)
    if state.lower() == "idle":
        return _v(device, "scanner_state", Status.OK, "check.scanner.ok", value=state, **common)
    if state.lower() in ("processing", "testing"):
        return _v(device, "scanner_state", Status.WARN, "check.scanner.busy", value=state, **common)
    return _v(device, "scanner_state", Status.FAIL, "check.scanner.stopped", value=state, **common)


def filament(device: str, *, sensor: str | None, remaining_g: float | None, min_g: int,
             needed_g: float | None, measured_at: dt.datetime, probe: str, room: str | None,
             facts: dict[str, Any] | None = None) -> Verdict:  # fmt: skip
    """Sensor says absent → FAIL; grams known: below the minimum (or the planned print) → FAIL;
    nothing measurable → UNKNOWN (blocking: someone must look at the spool)."""
    common = _Common(measured_at=measured_at, probe=probe, room=room, facts=facts, unit="g")
    if sensor == "absent":
        return _v(device, "filament", Status.FAIL, "check.filament.out", value=remaining_g, **common)
    need = max(min_g, needed_g or 0)
    if remaining_g is not None:
        if remaining_g < need:
            return _v(device, "filament", Status.FAIL, "check.filament.short", value=remaining_g,
                      remaining_g=round(remaining_g), need_g=round(need), **common)
        return _v(device, "filament", Status.OK, "check.filament.ok", value=remaining_g,
                  remaining_g=round(remaining_g), need_g=round(need), **common)
    if sensor == "present":
        return _v(device, "filament", Status.WARN, "check.filament.present_weight_unknown", value=None,
                  need_g=round(need), **common)
    return _v(device, "filament", Status.UNKNOWN, "check.filament.unknown", value=None, need_g=round(need),
              **common)


def printer_3d_state(device: str, *, connected: bool | None, state: str | None, errors: Iterable[str],
                     measured_at: dt.datetime, probe: str, room: str | None, facts: dict[str, Any] | None = None) -> Verdict:  # fmt: skip
    common = _Common(measured_at=measured_at, probe=probe, room=room, facts=facts)
    errors = list(errors)
    if connected is False or state == "offline":
        return _v(device, "printer_3d_state", Status.FAIL, "check.printer_3d.disconnected", value=state, **common)
    if state == "error" or errors:
        return _v(device, "printer_3d_state", Status.FAIL, "check.printer_3d.error", value=state,
                  errors=errors or [state], **common)
    if state in ("printing", "paused"):
        return _v(device, "printer_3d_state", Status.WARN, "check.printer_3d.busy", value=state, state=state,
                  **common)
    if state in (None, "unknown"):
        return _v(device, "printer_3d_state", Status.UNKNOWN, "check.printer_3d.state_unknown", **common)
    return _v(device, "printer_3d_state", Status.OK, "check.printer_3d.ok", value=state, **common)


#: Thymio II firmware's own battery gauge (aseba-target-thymio2, behavior.c): 3 LEDs above
#: 3.90 V, 2 above 3.60 V, 1 above 3.40 V. We grade on the same steps.
THYMIO_FULL_V, THYMIO_LOW_V = 3.90, 3.60


def battery_voltage(device: str, *, voltage_v: float | None, measured_at: dt.datetime, probe: str,
                    room: str | None, facts: dict[str, Any] | None = None) -> Verdict:  # fmt: skip
    common = _Common(measured_at=measured_at, probe=probe, room=room, facts=facts, unit="V")
    if voltage_v is None:
        return _v(device, "battery", Status.UNKNOWN, "check.battery.unknown", **common)
    volts = round(voltage_v, 2)
    if voltage_v >= THYMIO_FULL_V:
        return _v(device, "battery", Status.OK, "check.battery.volts_ok", value=volts, volts=volts, **common)
    if voltage_v >= THYMIO_LOW_V:
        return _v(device, "battery", Status.WARN, "check.battery.volts_mid", value=volts, volts=volts, **common)
    return _v(device, "battery", Status.FAIL, "check.battery.volts_low", value=volts, volts=volts, **common)
