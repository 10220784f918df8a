"""OctoPrint REST API driver.

Endpoints (header ``X-Api-Key``):
    GET /api/connection   link between OctoPrint and the printer (``current.state``)
    GET /api/printer      temperatures and state flags; 409 when the printer is not operational
    GET /api/job          current file and completion (percent)

OctoPrint does not know the filament sensor (a plugin would) nor the spool weight: those
facts stay None unless Spoolman is asked (see :mod:`devices.printer_3d.driver`).
"""

from __future__ import annotations

import time
from datetime import datetime

from devices.errors import BadAnswer
from devices.http import Reply
from devices.printer_3d.facts import Printer3DFacts, PrinterState, utc_now
from devices.printer_3d.parse import (
    OctoConnection,
    OctoJob,
    OctoPrinterStatus,
    octoprint_state,
    parse_octoprint_connection,
    parse_octoprint_job,
    parse_octoprint_printer,
)
from devices.printer_3d.transport import base_url, http_get

DEFAULT_PORT = 80


def build_facts(
    connection: OctoConnection | None,
    printer: OctoPrinterStatus | None,
    job: OctoJob | None,
    *,
    driver: str = "octoprint",
    measured_at: datetime | None = None,
) -> Printer3DFacts:
    """Combine the three parsed answers (any may be None when not available)."""
    # /api/printer and /api/job carry the same fresh state string; /api/connection is the
    # fallback (and the only one left when the printer is not operational).
    state_text = (
        (printer.state_text if printer else None)
        or (job.state_text if job else None)
        or (connection.state_text if connection else None)
    )
    state = octoprint_state(state_text)
    texts = [x.state_text for x in (printer, job, connection) if x is not None and x.state_text]
    if any(octoprint_state(t) is PrinterState.ERROR for t in texts):
        state_text = next(t for t in texts if octoprint_state(t) is PrinterState.ERROR)
        state = PrinterState.ERROR  # the endpoints disagree: never hide an error
    errors: list[str] = []
    if printer is not None:
        if printer.error:
            state = PrinterState.ERROR
        elif printer.paused:
            state = PrinterState.PAUSED
        elif printer.printing:
            state = PrinterState.PRINTING
        if printer.error_text:
            errors.append(printer.error_text)
    if state is PrinterState.ERROR and not errors and state_text:
        errors.append(state_text)
    connected = connection.connected if connection else None
    if connected is None and printer is not None and printer.operational is not None:
        connected = printer.operational
    if state is PrinterState.OFFLINE:
        connected = False
    printing: bool | None
    if state in (PrinterState.PRINTING, PrinterState.PAUSED):
        printing = True  # a paused job is still a job in progress
    elif printer is not None and printer.printing is not None:
        printing = printer.printing
    elif state in (PrinterState.IDLE, PrinterState.OFFLINE, PrinterState.ERROR):
        printing = False
    else:
        printing = None
    has_job = job is not None and state in (PrinterState.PRINTING, PrinterState.PAUSED)
    return Printer3DFacts(
        driver=driver,
        connected=connected,
        state=state,
        printing=printing,
        filament_sensor=None,
        nozzle_c=printer.nozzle_c if printer else None,
        nozzle_target_c=printer.nozzle_target_c if printer else None,
        bed_c=printer.bed_c if printer else None,
        bed_target_c=printer.bed_target_c if printer else None,
        job_file=job.file if has_job and job is not None else None,
        progress_pct=job.progress_pct if has_job and job is not None else None,
        errors=tuple(errors),
        measured_at=measured_at or utc_now(),
    )


def read_octoprint(
    *,
    host: str,
    port: int = DEFAULT_PORT,
    api_key: str | None = None,
    timeout_s: float = 5.0,
) -> Printer3DFacts:
    """Read ``/api/connection``, ``/api/printer`` (409 = not operational) and ``/api/job``,
    all within one ``timeout_s``."""
    url = base_url(host, port)
    measured_at = utc_now()
    deadline = time.monotonic() + timeout_s

    def get(path: str) -> Reply:
        return http_get(url, path, timeout_s=timeout_s, deadline=deadline, api_key=api_key)

    answer = get("/api/connection")
    if answer.status != 200:
        raise BadAnswer(f"GET /api/connection: HTTP {answer.status}")
    connection = parse_octoprint_connection(answer.body)

    printer = None
    answer = get("/api/printer")
    if answer.status == 200:
        printer = parse_octoprint_printer(answer.body)
    elif answer.status != 409:  # 409 CONFLICT: "Printer is not operational"
        raise BadAnswer(f"GET /api/printer: HTTP {answer.status}")

    job = None
    answer = get("/api/job")
    if answer.status == 200:
        job = parse_octoprint_job(answer.body)
    return build_facts(connection, printer, job, measured_at=measured_at)
