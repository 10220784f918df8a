"""Pure parsers for the JSON answers of OctoPrint, Moonraker, PrusaLink and Spoolman.

Each ``parse_*`` takes the raw body (``bytes``/``str``) or an already-decoded JSON value and
returns a small typed record; anything that does not follow the API raises
:class:`devices.errors.BadAnswer` and nothing else. Field names are matched exactly first,
then case-insensitively, so a firmware that changes the case of a key still parses.
Marlin G-code replies are parsed in :mod:`devices.printer_3d.parse_marlin`, Spoolman's
answers in :mod:`devices.printer_3d.spoolman`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from devices.errors import BadAnswer
from devices.printer_3d.facts import FilamentSensor, PrinterState

MAX_BODY_BYTES = 2_000_000


# --------------------------------------------------------------------------- helpers
def load_json(raw: bytes | str | Mapping[str, Any] | list[Any], what: str) -> Any:
    """Decode a JSON body; already-decoded values pass through."""
    if isinstance(raw, (Mapping, list)):
        return raw
    if isinstance(raw, (bytes, bytearray)):
        if len(raw) > MAX_BODY_BYTES:
            raise BadAnswer(f"{what}: body too large ({len(raw)} bytes)")
        try:
            raw = bytes(raw).decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise BadAnswer(f"{what}: body is not UTF-8") from exc
    if not isinstance(raw, str):
        raise BadAnswer(f"{what}: unexpected body type {type(raw).__name__}")
    try:
        return json.loads(raw.lstrip("\ufeff"))
    except (ValueError, RecursionError) as exc:
        raise BadAnswer(f"{what}: body is not valid JSON") from exc


def field(obj: Any, name: str, default: Any = None) -> Any:
    """``obj[name]`` with a case-insensitive fallback; ``default`` if absent or not a dict."""
    if not isinstance(obj, Mapping):
        return default
    if name in obj:
        return obj[name]
    lowered = name.lower()
    for key, value in obj.items():
        if isinstance(key, str) and key.lower() == lowered:
            return value
    return default


def require_object(value: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise BadAnswer(f"{what}: expected a JSON object, got {type(value).__name__}")
    return value


def number(value: Any) -> float | None:
    """A finite float from a JSON number or numeric string; None otherwise (bool is not a number)."""
    if isinstance(value, bool) or value is None:
        return None
    if not isinstance(value, (int, float, str)):
        return None
    try:
        result = float(value.strip() if isinstance(value, str) else value)
    except (ValueError, OverflowError):
        return None
    return result if math.isfinite(result) else None


def flag(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    return None


def text(value: Any) -> str | None:
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


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


# --------------------------------------------------------------------------- OctoPrint
@dataclass(frozen=True, slots=True)
class OctoConnection:
    state_text: str | None
    port: str | None
    connected: bool | None


@dataclass(frozen=True, slots=True)
class OctoPrinterStatus:
    state_text: str | None
    operational: bool | None
    printing: bool | None
    paused: bool | None
    error: bool | None
    error_text: str | None
    nozzle_c: float | None
    nozzle_target_c: float | None
    bed_c: float | None
    bed_target_c: float | None


@dataclass(frozen=True, slots=True)
class OctoJob:
    state_text: str | None
    file: str | None
    progress_pct: float | None


_CONNECTED_PREFIXES = (
    "operational",
    "printing",
    "paused",
    "pausing",
    "resuming",
    "cancelling",
    "finishing",
    "starting",
    "sending file",
    "transferring file",
)
_DISCONNECTED_PREFIXES = ("closed", "offline", "error")


def octoprint_state(state_text: str | None) -> PrinterState:
    """Map OctoPrint's state string (``current.state`` / ``state.text``) onto PrinterState."""
    s = (state_text or "").strip().lower()
    if not s:
        return PrinterState.UNKNOWN
    if "error" in s:  # "Error: ...", "Offline after error", "Closed with error"
        return PrinterState.ERROR
    if s.startswith(("operational", "ready")):
        return PrinterState.IDLE
    if s.startswith(("paused", "pausing", "resuming")):
        return PrinterState.PAUSED
    if s.startswith(("printing", "starting", "sending", "transferring", "finishing", "cancelling")):
        return PrinterState.PRINTING
    if s.startswith(("closed", "offline")):
        return PrinterState.OFFLINE
    return PrinterState.UNKNOWN


def octoprint_connected(state_text: str | None) -> bool | None:
    s = (state_text or "").strip().lower()
    if s.startswith(_CONNECTED_PREFIXES):
        return True
    if s.startswith(_DISCONNECTED_PREFIXES) or "error" in s:
        return False
    return None  # "Opening serial connection", "Detecting baudrate", "Connecting"...


def parse_octoprint_connection(raw: bytes | str | Mapping[str, Any]) -> OctoConnection:
    """``GET /api/connection`` -> ``{"current": {"state": "Operational", "port": ...}, ...}``."""
    data = require_object(load_json(raw, "/api/connection"), "/api/connection")
    current = field(data, "current")
    if not isinstance(current, Mapping):
        raise BadAnswer("/api/connection: no 'current' object")
    state_text = text(field(current, "state"))
    return OctoConnection(
        state_text=state_text,
        port=text(field(current, "port")),
        connected=octoprint_connected(state_text),
    )


def parse_octoprint_printer(raw: bytes | str | Mapping[str, Any]) -> OctoPrinterStatus:
    """``GET /api/printer`` -> temperature.tool0/bed {actual,target} and state {text, flags}.

    PrusaLink's OctoPrint-compatible copy of this endpoint spells ``closedOnError`` and adds a
    ``telemetry`` object; both are accepted.
    """
    data = require_object(load_json(raw, "/api/printer"), "/api/printer")
    temps = field(data, "temperature")
    state = field(data, "state")
    if not isinstance(temps, Mapping) and not isinstance(state, Mapping):
        raise BadAnswer("/api/printer: neither 'temperature' nor 'state' object")
    tool = field(temps, "tool0")
    bed = field(temps, "bed")
    telemetry = field(data, "telemetry")
    flags = field(state, "flags")
    closed_or_error = flag(field(flags, "closedOrError"))
    if closed_or_error is None:
        closed_or_error = flag(field(flags, "closedOnError"))
    error = flag(field(flags, "error"))
    nozzle_c = number(field(tool, "actual"))
    bed_c = number(field(bed, "actual"))
    return OctoPrinterStatus(
        state_text=text(field(state, "text")),
        operational=flag(field(flags, "operational")),
        printing=flag(field(flags, "printing")),
        paused=flag(field(flags, "paused")),
        error=(error or closed_or_error) if (error is not None or closed_or_error is not None) else None,
        error_text=text(field(state, "error")),
        nozzle_c=nozzle_c if nozzle_c is not None else number(field(telemetry, "temp-nozzle")),
        nozzle_target_c=number(field(tool, "target")),
        bed_c=bed_c if bed_c is not None else number(field(telemetry, "temp-bed")),
        bed_target_c=number(field(bed, "target")),
    )


def parse_octoprint_job(raw: bytes | str | Mapping[str, Any], *, completion_is_fraction: bool = False) -> OctoJob:
    """``GET /api/job`` -> job.file.{display,name,path}, progress.completion, state.

    OctoPrint's ``completion`` is a percentage (0-100); PrusaLink's legacy copy sends a
    fraction (0-1), hence ``completion_is_fraction``.
    """
    data = require_object(load_json(raw, "/api/job"), "/api/job")
    job = field(data, "job")
    progress = field(data, "progress")
    if not isinstance(job, Mapping) and not isinstance(progress, Mapping) and text(field(data, "state")) is None:
        raise BadAnswer("/api/job: no 'job', 'progress' or 'state'")
    file = field(job, "file")
    name = text(field(file, "display")) or text(field(file, "name")) or text(field(file, "path"))
    completion = number(field(progress, "completion"))
    if completion is not None and completion_is_fraction:
        completion *= 100.0
    if completion is not None:
        completion = min(max(completion, 0.0), 100.0)
    return OctoJob(state_text=text(field(data, "state")), file=name, progress_pct=completion)


# --------------------------------------------------------------------------- Moonraker
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


# --------------------------------------------------------------------------- PrusaLink
@dataclass(frozen=True, slots=True)
class PrusaStatus:
    state: str | None  # IDLE BUSY PRINTING PAUSED FINISHED STOPPED ERROR ATTENTION READY
    nozzle_c: float | None
    nozzle_target_c: float | None
    bed_c: float | None
    bed_target_c: float | None
    job_id: int | None
    progress_pct: float | None
    storage: str | None


def parse_prusalink_status(raw: bytes | str | Mapping[str, Any]) -> PrusaStatus:
    """``GET /api/v1/status`` -> printer.{state,temp_nozzle,...}, job.{id,progress}, storage."""
    data = require_object(load_json(raw, "/api/v1/status"), "/api/v1/status")
    printer = field(data, "printer")
    if not isinstance(printer, Mapping):
        raise BadAnswer("/api/v1/status: no 'printer' object")
    job = field(data, "job")
    state = text(field(printer, "state"))
    job_id = number(field(job, "id"))
    progress = number(field(job, "progress"))
    return PrusaStatus(
        state=state.upper() if state else None,
        nozzle_c=number(field(printer, "temp_nozzle")),
        nozzle_target_c=number(field(printer, "target_nozzle")),
        bed_c=number(field(printer, "temp_bed")),
        bed_target_c=number(field(printer, "target_bed")),
        job_id=int(job_id) if job_id is not None else None,
        progress_pct=None if progress is None else min(max(progress, 0.0), 100.0),
        storage=text(field(field(data, "storage"), "name")),
    )


def prusalink_state(state: str | None) -> PrinterState:
    return {
        "IDLE": PrinterState.IDLE,
        "READY": PrinterState.IDLE,
        "FINISHED": PrinterState.IDLE,
        "STOPPED": PrinterState.IDLE,
        "PRINTING": PrinterState.PRINTING,
        "PAUSED": PrinterState.PAUSED,
        "ERROR": PrinterState.ERROR,
        # ATTENTION: the printer waits for a human (filament runout, crash, MMU...).
        "ATTENTION": PrinterState.ERROR,
    }.get((state or "").upper(), PrinterState.UNKNOWN)


def parse_prusalink_job_file(raw: bytes | str | Mapping[str, Any]) -> str | None:
    """``GET /api/v1/job`` -> file.{display_name,name}; 204/empty body means no job."""
    if isinstance(raw, (bytes, str)) and not raw.strip():
        return None
    data = require_object(load_json(raw, "/api/v1/job"), "/api/v1/job")
    file = field(data, "file")
    return text(field(file, "display_name")) or text(field(file, "name"))


def parse_prusalink_version(raw: bytes | str | Mapping[str, Any]) -> str | None:
    """``GET /api/version`` -> ``{"api": ..., "server": ..., "text": "PrusaLink", "firmware": ...}``."""
    data = require_object(load_json(raw, "/api/version"), "/api/version")
    return text(field(data, "firmware"))
