"""Pure parsers for Moonraker's answers about Klipper.

``GET /printer/info``, ``GET /printer/objects/list``, ``GET /printer/objects/query``, over
HTTP or the Klipper socket; see :mod:`devices.printer_3d.parse` for the rules every parser
follows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from devices.errors import BadAnswer
from devices.printer_3d.facts import FilamentSensor, PrinterState
from devices.printer_3d.parse_json import field, flag, load_json, number, require_object, text


def unwrap_result(data: Any, what: str) -> Mapping[str, Any]:
    """Moonraker wraps payloads in ``{"result": ...}`` (HTTP) or ``{"id": n, "result": ...}``
    (Klipper socket); documentation examples show the bare payload. Accept all three."""
    obj = require_object(data, what)
    if "error" in obj and "result" not in obj:
        err = field(obj, "error")
        message = text(field(err, "message")) or text(err) or "error"
        raise BadAnswer(f"{what}: the server answered an error: {message[:200]}")
    inner = field(obj, "result", obj)
    return require_object(inner, what)


@dataclass(frozen=True, slots=True)
class KlippyInfo:
    state: str | None  # ready | startup | shutdown | error
    state_message: str | None
    software_version: str | None


@dataclass(frozen=True, slots=True)
class FilamentReading:
    name: str
    detected: bool | None
    enabled: bool | None


@dataclass(frozen=True, slots=True)
class KlipperStatus:
    print_state: str | None  # standby | printing | paused | complete | cancelled | error
    print_message: str | None
    filename: str | None
    progress_pct: float | None
    nozzle_c: float | None
    nozzle_target_c: float | None
    bed_c: float | None
    bed_target_c: float | None
    sensors: tuple[FilamentReading, ...]


FILAMENT_OBJECT_PREFIXES = ("filament_switch_sensor ", "filament_motion_sensor ")
FILAMENT_OBJECTS_BARE = ("hall_filament_width_sensor", "tsl1401cl_filament_width_sensor")


def parse_moonraker_info(raw: bytes | str | Mapping[str, Any]) -> KlippyInfo:
    """``GET /printer/info`` -> ``{"result": {"state": "ready", "software_version": ...}}``."""
    data = unwrap_result(load_json(raw, "/printer/info"), "/printer/info")
    state = text(field(data, "state"))
    if state is None:
        raise BadAnswer("/printer/info: no 'state'")
    return KlippyInfo(
        state=state.lower(),
        state_message=text(field(data, "state_message")),
        software_version=text(field(data, "software_version")),
    )


def parse_moonraker_objects_list(raw: bytes | str | Mapping[str, Any]) -> tuple[str, ...]:
    """``GET /printer/objects/list`` -> ``{"result": {"objects": ["webhooks", ...]}}``."""
    data = unwrap_result(load_json(raw, "/printer/objects/list"), "/printer/objects/list")
    objects = field(data, "objects")
    if not isinstance(objects, list):
        raise BadAnswer("/printer/objects/list: no 'objects' list")
    return tuple(o for o in objects if isinstance(o, str))


def filament_sensor_objects(objects: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """The Klipper objects that report ``filament_detected``."""
    return tuple(
        o for o in objects if o.lower().startswith(FILAMENT_OBJECT_PREFIXES) or o.lower() in FILAMENT_OBJECTS_BARE
    )


def parse_moonraker_query(raw: bytes | str | Mapping[str, Any]) -> KlipperStatus:
    """``GET /printer/objects/query?print_stats&extruder&heater_bed&...`` ->
    ``{"result": {"eventtime": ..., "status": {"print_stats": {...}, ...}}}``."""
    data = unwrap_result(load_json(raw, "/printer/objects/query"), "/printer/objects/query")
    status = field(data, "status")
    if not isinstance(status, Mapping):
        raise BadAnswer("/printer/objects/query: no 'status' object")
    stats = field(status, "print_stats")
    extruder = field(status, "extruder")
    bed = field(status, "heater_bed")
    progress = number(field(field(status, "display_status"), "progress"))
    if progress is None:
        progress = number(field(field(status, "virtual_sdcard"), "progress"))
    sensors = []
    for name, value in status.items():
        if (
            isinstance(name, str)
            and isinstance(value, Mapping)
            and (name.lower().startswith(FILAMENT_OBJECT_PREFIXES) or name.lower() in FILAMENT_OBJECTS_BARE)
        ):
            sensors.append(
                FilamentReading(
                    name=name,
                    detected=flag(field(value, "filament_detected")),
                    enabled=flag(field(value, "enabled")),
                )
            )
    print_state = text(field(stats, "state"))
    return KlipperStatus(
        print_state=print_state.lower() if print_state else None,
        print_message=text(field(stats, "message")),
        filename=text(field(stats, "filename")),
        progress_pct=None if progress is None else min(max(progress * 100.0, 0.0), 100.0),
        nozzle_c=number(field(extruder, "temperature")),
        nozzle_target_c=number(field(extruder, "target")),
        bed_c=number(field(bed, "temperature")),
        bed_target_c=number(field(bed, "target")),
        sensors=tuple(sensors),
    )


def klipper_print_state(print_state: str | None) -> PrinterState:
    return {
        "standby": PrinterState.IDLE,
        "complete": PrinterState.IDLE,
        "cancelled": PrinterState.IDLE,
        "printing": PrinterState.PRINTING,
        "paused": PrinterState.PAUSED,
        "error": PrinterState.ERROR,
    }.get((print_state or "").lower(), PrinterState.UNKNOWN)


def combine_sensors(readings: tuple[FilamentReading, ...]) -> FilamentSensor | None:
    """Any sensor without filament wins (absent); all with filament -> present."""
    detected = [r.detected for r in readings]
    if any(d is False for d in detected):
        return FilamentSensor.ABSENT
    if detected and all(d is True for d in detected):
        return FilamentSensor.PRESENT
    return None
