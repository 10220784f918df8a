"""Moonraker (Klipper) HTTP API driver.

Endpoints (optional header ``X-Api-Key``):
    GET /printer/info            Klippy state: ready | startup | shutdown | error
    GET /printer/objects/list    discovers ``filament_switch_sensor <name>`` /
                                 ``filament_motion_sensor <name>`` objects
    GET /printer/objects/query?print_stats&extruder&heater_bed&display_status&virtual_sdcard
        &filament_switch_sensor%20<name>...   (fields filament_detected, enabled)

When Klippy is not connected to Moonraker (HTTP 503 "Klippy Host not connected") the printer
is reported offline rather than raising: offline is a state, not an error. Klippy in state
``error`` with "mcu 'mcu': Unable to connect" (printer powered off) is offline too; "Lost
communication with MCU" (shutdown) is an error with ``connected=False``.
"""

from __future__ import annotations

import re
import time
import urllib.parse
from datetime import datetime

from devices.errors import BadAnswer
from devices.http import Reply
from devices.printer_3d.facts import FilamentSensor, Printer3DFacts, PrinterState, utc_now
from devices.printer_3d.parse import (
    KlipperStatus,
    KlippyInfo,
    combine_sensors,
    field,
    filament_sensor_objects,
    klipper_print_state,
    load_json,
    parse_moonraker_info,
    parse_moonraker_objects_list,
    parse_moonraker_query,
    text,
)
from devices.printer_3d.transport import base_url, http_get

DEFAULT_PORT = 7125
_LINK_LOST = re.compile(r"unable to connect|lost communication|serial connection closed", re.I)
_MCU_OFF = re.compile(r"unable to connect", re.I)
BASE_OBJECTS = ("print_stats", "extruder", "heater_bed", "display_status", "virtual_sdcard")


def query_path(objects: tuple[str, ...] | list[str]) -> str:
    """``/printer/objects/query?print_stats&...&filament_switch_sensor%20runout``."""
    return "/printer/objects/query?" + "&".join(urllib.parse.quote(o, safe="") for o in objects)


def build_facts(
    info: KlippyInfo | None,
    objects: tuple[str, ...] | None,
    status: KlipperStatus | None,
    *,
    offline_reason: str | None = None,
    measured_at: datetime | None = None,
) -> Printer3DFacts:
    """Combine the parsed answers; ``info is None`` means Klippy is disconnected."""
    measured_at = measured_at or utc_now()
    if info is None:
        return Printer3DFacts(
            driver="moonraker",
            connected=False,
            state=PrinterState.OFFLINE,
            printing=False,
            filament_sensor=None,
            errors=(offline_reason or "Klippy disconnected",),
            measured_at=measured_at,
        )
    errors: list[str] = []
    if info.state != "ready":
        state = PrinterState.UNKNOWN if info.state == "startup" else PrinterState.ERROR
        message = (info.state_message or "").strip()
        if message:  # the first line names the cause; the rest is advice
            errors.append(message.splitlines()[0][:300])
        connected = None
        # Klipper's own words when the board is off/unplugged or dropped off the USB bus.
        if _LINK_LOST.search(message):
            connected = False
            if _MCU_OFF.search(message):
                state = PrinterState.OFFLINE
    else:
        state = klipper_print_state(status.print_state if status else None)
        connected = True
    if status and status.print_state == "error" and status.print_message:
        errors.append(status.print_message[:300])
    sensors = status.sensors if status else ()
    filament: FilamentSensor | None
    if objects is not None and not filament_sensor_objects(objects) and not sensors:
        filament = FilamentSensor.NOT_FITTED
    else:
        filament = combine_sensors(sensors)
    enabled = [s.enabled for s in sensors]
    runout_enabled = None if not enabled or any(e is None for e in enabled) else all(enabled)
    in_job = state in (PrinterState.PRINTING, PrinterState.PAUSED)
    if in_job:
        printing: bool | None = True
    elif state is PrinterState.IDLE:
        printing = False
    else:
        printing = None
    return Printer3DFacts(
        driver="moonraker",
        connected=connected,
        state=state,
        printing=printing,
        filament_sensor=filament,
        runout_detection_enabled=runout_enabled,
        nozzle_c=status.nozzle_c if status else None,
        nozzle_target_c=status.nozzle_target_c if status else None,
        bed_c=status.bed_c if status else None,
        bed_target_c=status.bed_target_c if status else None,
        job_file=status.filename if status and in_job else None,
        progress_pct=status.progress_pct if status and in_job else None,
        firmware=f"Klipper {info.software_version}" if info.software_version else None,
        errors=tuple(errors),
        measured_at=measured_at,
    )


def _error_message(body: bytes) -> str | None:
    try:
        data = load_json(body, "error body")
    except BadAnswer:
        return None
    return text(field(field(data, "error"), "message")) or text(field(data, "error"))


def read_moonraker(
    *,
    host: str,
    port: int = DEFAULT_PORT,
    api_key: str | None = None,
    timeout_s: float = 5.0,
) -> Printer3DFacts:
    """Read ``/printer/info``, then ``/printer/objects/list`` and ``/printer/objects/query``,
    all within one ``timeout_s``."""
    url = base_url(host, port)
    measured_at = utc_now()
    deadline = time.monotonic() + timeout_s

    def get(path: str) -> Reply:
        return http_get(url, path, timeout_s=timeout_s, deadline=deadline, api_key=api_key)

    answer = get("/printer/info")
    if answer.status == 503 or (answer.status >= 500 and b"lippy" in answer.body):
        reason = _error_message(answer.body) or f"HTTP {answer.status}"
        return build_facts(None, None, None, offline_reason=reason[:200], measured_at=measured_at)
    if answer.status != 200:
        raise BadAnswer(f"GET /printer/info: HTTP {answer.status}")
    info = parse_moonraker_info(answer.body)
    if info.state != "ready":
        return build_facts(info, None, None, measured_at=measured_at)

    answer = get("/printer/objects/list")
    if answer.status != 200:
        raise BadAnswer(f"GET /printer/objects/list: HTTP {answer.status}")
    objects = parse_moonraker_objects_list(answer.body)
    wanted = [o for o in BASE_OBJECTS if o in objects] + list(filament_sensor_objects(objects))
    answer = get(query_path(wanted or list(BASE_OBJECTS[:3])))
    if answer.status != 200:
        raise BadAnswer(f"GET /printer/objects/query: HTTP {answer.status}")
    status = parse_moonraker_query(answer.body)
    return build_facts(info, objects, status, measured_at=measured_at)
