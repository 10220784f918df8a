"""PrusaLink driver (Prusa MINI/MK4/XL built-in web API, or Prusa-Link on a Raspberry Pi).

Authentication: HTTP Digest (user ``maker`` + the password shown on the printer) or the
``X-Api-Key`` header of older firmware.

Endpoints:
    GET /api/v1/status   printer.{state,temp_nozzle,target_nozzle,temp_bed,target_bed},
                         job.{id,progress}, storage
    GET /api/v1/job      file.display_name of the current job (204 when none)
    GET /api/version     firmware version (best effort)
    GET /api/printer, /api/job   OctoPrint-compatible legacy endpoints, used when
                         /api/v1/status does not exist (404); their completion is a fraction.

PrusaLink reports neither the filament sensor state nor the spool weight: those stay None.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime

from devices.errors import BadAnswer, DeviceError
from devices.http import Reply
from devices.printer_3d import octoprint
from devices.printer_3d.facts import Printer3DFacts, PrinterState, utc_now
from devices.printer_3d.parse import (
    PrusaStatus,
    parse_octoprint_job,
    parse_octoprint_printer,
    parse_prusalink_job_file,
    parse_prusalink_status,
    parse_prusalink_version,
    prusalink_state,
)
from devices.printer_3d.transport import base_url, http_get

DEFAULT_PORT = 80
DEFAULT_USERNAME = "maker"


def build_facts(
    status: PrusaStatus,
    *,
    job_file: str | None = None,
    firmware: str | None = None,
    measured_at: datetime | None = None,
) -> Printer3DFacts:
    state = prusalink_state(status.state)
    errors: list[str] = []
    if status.state == "ATTENTION":
        errors.append("PrusaLink state ATTENTION: the printer waits for the user")
    elif status.state == "ERROR":
        errors.append("PrusaLink state ERROR")
    in_job = state in (PrinterState.PRINTING, PrinterState.PAUSED) or (
        status.state == "ATTENTION" and status.job_id is not None
    )
    if in_job:
        printing: bool | None = True
    elif state is PrinterState.UNKNOWN and status.state != "BUSY":
        printing = None
    else:
        printing = False
    return Printer3DFacts(
        driver="prusalink",
        # The web server lives in the printer (Buddy) or talks to it over USB (Prusa-Link):
        # an answer with a known state proves the link, except in ERROR where it may be lost.
        connected=None if status.state in (None, "ERROR") else True,
        state=state,
        printing=printing,
        filament_sensor=None,
        nozzle_c=status.nozzle_c,
        nozzle_target_c=status.nozzle_target_c,
        bed_c=status.bed_c,
        bed_target_c=status.bed_target_c,
        job_file=job_file if in_job else None,
        progress_pct=status.progress_pct if in_job else None,
        firmware=firmware,
        errors=tuple(errors),
        measured_at=measured_at or utc_now(),
    )


def read_prusalink(
    *,
    host: str,
    port: int = DEFAULT_PORT,
    username: str | None = DEFAULT_USERNAME,
    password: str | None = None,
    api_key: str | None = None,
    timeout_s: float = 5.0,
) -> Printer3DFacts:
    """Read ``/api/v1/status`` (+ ``/api/v1/job``, ``/api/version``), or the legacy
    ``/api/printer`` + ``/api/job`` when the v1 API is absent; all within one ``timeout_s``."""
    url = base_url(host, port)
    measured_at = utc_now()
    use_digest = password is not None
    deadline = time.monotonic() + timeout_s

    def get(path: str) -> Reply:
        return http_get(
            url,
            path,
            timeout_s=timeout_s,
            deadline=deadline,
            api_key=api_key,
            username=username if use_digest else None,
            password=password if use_digest else None,
        )

    answer = get("/api/v1/status")
    if answer.status == 404:
        return _read_legacy(get, measured_at)
    if answer.status == 503:  # Prusa-Link up, but its USB link to the printer is down
        return Printer3DFacts(
            driver="prusalink",
            connected=False,
            state=PrinterState.OFFLINE,
            printing=False,
            filament_sensor=None,
            errors=("PrusaLink: printer not connected (HTTP 503)",),
            measured_at=measured_at,
        )
    if answer.status != 200:
        raise BadAnswer(f"GET /api/v1/status: HTTP {answer.status}")
    status = parse_prusalink_status(answer.body)

    job_file = None
    if status.job_id is not None:
        answer = get("/api/v1/job")
        if answer.status == 200:
            job_file = parse_prusalink_job_file(answer.body)
    firmware = None
    try:
        answer = get("/api/version")
        if answer.status == 200:
            firmware = parse_prusalink_version(answer.body)
    except DeviceError:  # the version is a nice-to-have; the status above was measured
        firmware = None
    return build_facts(status, job_file=job_file, firmware=firmware, measured_at=measured_at)


def _read_legacy(get: Callable[[str], Reply], measured_at: datetime) -> Printer3DFacts:
    answer = get("/api/printer")
    if answer.status != 200:
        raise BadAnswer(f"GET /api/printer: HTTP {answer.status}")
    printer = parse_octoprint_printer(answer.body)
    job = None
    answer = get("/api/job")
    if answer.status == 200:
        job = parse_octoprint_job(answer.body, completion_is_fraction=True)
    return octoprint.build_facts(None, printer, job, driver="prusalink", measured_at=measured_at)
