"""Pure parsers for PrusaLink's own API (``/api/v1/...``, ``/api/version``).

Its OctoPrint-compatible endpoints are parsed in :mod:`devices.printer_3d.parse_octoprint`;
see :mod:`devices.printer_3d.parse` for the rules every parser follows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from devices.errors import BadAnswer
from devices.printer_3d.facts import PrinterState
from devices.printer_3d.parse_json import field, load_json, number, require_object, text


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
