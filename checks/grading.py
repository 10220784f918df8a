"""Pure rules: facts from a driver → verdicts. Thresholds come from the inventory.

Every function here is table-tested; none does I/O. A fact that is ``None`` (not
reported) never grades OK.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
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
    return Verdict(
        device=device,
        check=check,
        status=status,
        key=key,
        params=params,
        value=value,
        unit=unit,
        measured_at=measured_at,
        probe=probe,
        facts=facts or {},
        room=room,
        blocking=blocking,
    )


def battery(device: str, *, level_pct: float | None, charging: bool | None, min_pct: int,
            measured_at: dt.datetime, probe: str, room: str | None, facts: dict[str, Any] | None = None,
            plugged: bool | None = None, status: str | None = None, present: bool | None = None) -> Verdict:  # fmt: skip
    """No battery detected (``present: false``): FAIL; ≥ min: OK; below but charging: WARN (will be
    ready if left plugged); below, plugged in but not charging (status "not charging", or a power
    source while discharging): FAIL, with the charger to check; below: FAIL (plug it in)."""
    common = _Common(measured_at=measured_at, probe=probe, room=room, facts=facts, unit="%")
    if level_pct is not None:
        level_pct = round(level_pct) if 0 <= level_pct <= 100 else None
    if present is False:
        return _v(device, "battery", Status.FAIL, "check.battery.not_present", value=level_pct, **common)
    if level_pct is None:
        return _v(device, "battery", Status.UNKNOWN, "check.battery.unknown", value=None, **common)
    if level_pct >= min_pct:
        return _v(
            device,
            "battery",
            Status.OK,
            "check.battery.ok",
            value=level_pct,
            level_pct=level_pct,
            min_pct=min_pct,
            **common,
        )
    if charging:
        return _v(
            device,
            "battery",
            Status.WARN,
            "check.battery.charging",
            value=level_pct,
            level_pct=level_pct,
            min_pct=min_pct,
            **common,
        )
    if status == "not_charging" or plugged:
        return _v(
            device,
            "battery",
            Status.FAIL,
            "check.battery.plugged_not_charging",
            value=level_pct,
            level_pct=level_pct,
            min_pct=min_pct,
            **common,
        )
    return _v(
        device,
        "battery",
        Status.FAIL,
        "check.battery.low",
        value=level_pct,
        level_pct=level_pct,
        min_pct=min_pct,
        **common,
    )


# --------------------------------------------------------------------------- nested messages
def _msg(key: str, **params: Any) -> dict[str, Any]:
    """A message inside a message's params (``provision.messages`` renders it in the reader's language)."""
    return {"key": key, "params": params}


def _joined(items: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Several nested messages as one, « a, b, c » (the renderer joins lists with ``str``, not messages)."""
    unique = [dict(i) for i in {repr(i): i for i in items}.values()]
    if not unique:
        return _msg("check.nothing")
    if len(unique) == 1:
        return unique[0]
    return _msg("check.join", first=unique[0], rest=_joined(unique[1:]))


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
            return _v(
                device,
                "filament",
                Status.FAIL,
                "check.filament.short",
                value=remaining_g,
                remaining_g=round(remaining_g),
                need_g=round(need),
                **common,
            )
        return _v(
            device,
            "filament",
            Status.OK,
            "check.filament.ok",
            value=remaining_g,
            remaining_g=round(remaining_g),
            need_g=round(need),
            **common,
        )
    if sensor == "present":
        return _v(
            device,
            "filament",
            Status.WARN,
            "check.filament.present_weight_unknown",
            value=None,
            need_g=round(need),
            **common,
        )
    return _v(device, "filament", Status.UNKNOWN, "check.filament.unknown", value=None, need_g=round(need), **common)


def printer_3d_state(device: str, *, connected: bool | None, state: str | None, errors: Iterable[str],
                     measured_at: dt.datetime, probe: str, room: str | None, facts: dict[str, Any] | None = None) -> Verdict:  # fmt: skip
    common = _Common(measured_at=measured_at, probe=probe, room=room, facts=facts)
    errors = list(errors)
    if connected is False or state == "offline":
        return _v(device, "printer_3d_state", Status.FAIL, "check.printer_3d.disconnected", value=state, **common)
    if state == "error" or errors:
        return _v(
            device,
            "printer_3d_state",
            Status.FAIL,
            "check.printer_3d.error",
            value=state,
            errors=errors or _msg("check.printer_3d.no_detail"),
            **common,
        )
    if state in ("printing", "paused"):
        return _v(
            device,
            "printer_3d_state",
            Status.WARN,
            "check.printer_3d.busy",
            value=state,
            state=_msg(f"check.printer_3d.state_name.{state}"),
            **common,
        )
    if state != "idle":  # None, "unknown", or a state this rule does not know
        return _v(device, "printer_3d_state", Status.UNKNOWN, "check.printer_3d.state_unknown", value=state, **common)
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
