"""Pure parsers for OctoPrint's REST answers (and PrusaLink's OctoPrint-compatible copies).

``GET /api/connection``, ``GET /api/printer``, ``GET /api/job``; see
:mod:`devices.printer_3d.parse` for the rules every parser follows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from devices.errors import BadAnswer
from devices.printer_3d.facts import PrinterState
from devices.printer_3d.parse_json import field, flag, load_json, number, require_object, text


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
