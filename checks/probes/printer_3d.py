"""3D printers: OctoPrint, Moonraker, PrusaLink over HTTP, Marlin over serial; spool weight
from Spoolman when the inventory names one."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from checks import grading as g
from checks.facts import jsonable
from checks.model import Verdict
from checks.probes.common import ProbeContext, secret
from devices.models import Printer3D
from devices.printer_3d.driver import read_printer_3d


def probe_printer_3d(device: Printer3D, ctx: ProbeContext) -> list[Verdict]:
    params: dict[str, Any] = {"timeout_s": ctx.timeout_s}
    if device.driver == "marlin":
        params.update(port=device.serial_port, baudrate=device.baudrate)
    else:
        params.update(host=device.address, api_key=secret(device, "api_key"))
        if device.api_port:
            params["port"] = device.api_port
        if device.driver == "prusalink" and secret(device, "api_password"):
            params.update(username=device.api_user or "maker", password=secret(device, "api_password"))
    if device.spoolman_url:
        url = urlsplit(device.spoolman_url)
        params.update(spoolman_host=url.hostname, spoolman_port=url.port or 7912, spool_id=device.spool_id)
    facts = read_printer_3d(device.driver, **params)
    data = jsonable(facts)
    now, probe = facts.measured_at, device.driver
    sensor = facts.filament_sensor.value if facts.filament_sensor else None
    errors = [e for e in facts.errors if not e.startswith("spoolman:")]
    return [
        g.printer_3d_state(
            device.name,
            connected=facts.connected,
            state=facts.state.value,
            errors=errors,
            measured_at=now,
            probe=probe,
            room=device.room,
            facts=data,
        ),
        g.filament(
            device.name,
            sensor=sensor,
            remaining_g=facts.remaining_g,
            min_g=device.min_filament_g,
            needed_g=None,
            measured_at=now,
            probe=probe,
            room=device.room,
            facts=data,
        ),
    ]
