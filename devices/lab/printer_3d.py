"""HTTP simulators of OctoPrint, Moonraker and PrusaLink on 127.0.0.1 (Spoolman: :mod:`devices.lab.spoolman`).

Each binds port 0 (``sim.port`` after ``start()``), serves from a background thread, and
answers with bodies modelled on the real captures (OctoPrint 1.x ``/api/connection`` of an
Ender 3 Pro and ``/api/job`` of a 3DBenchy print, OctoPrint 1.11's virtual printer, Moonraker's
``{"result": ...}`` envelope, a Prusa Buddy ``/api/v1/status``, a MINI+ legacy ``/api/job``).

Settable while running: ``sim.mode`` (see :data:`MODES`), ``sim.api_key`` (when set, a request
without the right ``X-Api-Key`` gets 401/403), ``sim.slow_s``; PrusaLink also checks HTTP
Digest (``sim.username``/``sim.password``); Moonraker's ``sim.sensors`` lists its filament
sensors; Spoolman's ``sim.spools`` holds its spools.

Modes (:mod:`devices.lab.base`): healthy (idle; ``ok`` is its older name) | printing |
filament_out | disconnected (printer link lost) | error | auth_fail (every credential refused) |
dead (hangs up) | slow (answers after ``slow_s``) | garbage (200 with junk); Moonraker also has
sensor_empty (idle, print_stats standby, while every filament sensor reports no filament).
The modes, the garbage body and what each firmware reports in a mode live in
:mod:`devices.lab.printer_3d_state` (``MODES``, ``GARBAGE`` and ``Answer`` re-exported here); this
module routes the requests and checks the credentials.

Standalone: ``python -m devices.lab.printer_3d --api moonraker --port 7125 [--mode printing]
[--api-key KEY] [--password PW (prusalink)]``; it prints the URL it serves.
"""

from __future__ import annotations

import argparse
import hashlib
import secrets
import urllib.request
from typing import Any

from devices.lab.base import HEALTHY, wait_for_interrupt
from devices.lab.printer_3d_state import GARBAGE as GARBAGE  # re-exported
from devices.lab.printer_3d_state import MODES as MODES  # re-exported
from devices.lab.printer_3d_state import (
    MOONRAKER_OBJECTS,
    moonraker_info,
    moonraker_status,
    octoprint_state_text,
    prusalink_state,
)
from devices.lab.printer_3d_state import Answer as Answer  # re-exported
from devices.lab.spoolman import SpoolmanSim
from devices.lab.web import LabHttpServer, Request


# --------------------------------------------------------------------------- OctoPrint
class OctoPrintSim(LabHttpServer):
    api_name = "octoprint"
    auth_status = 403  # OctoPrint 1.11 answers 403 FORBIDDEN to a wrong key
    modes, garbage, garbage_type = MODES, GARBAGE, "application/json"

    def answer(self, path: str, query: dict[str, list[str]]) -> Answer:
        state = octoprint_state_text(self.mode)
        linked = state not in ("Closed", "Offline after error")
        if path == "/api/connection":
            return 200, {
                "current": {
                    "baudrate": 115200 if linked else None,
                    "port": "/dev/ttyACM0" if linked else None,
                    "printerProfile": "_default",
                    "state": state,
                },
                "options": {
                    "baudratePreference": 115200,
                    "baudrates": [250000, 115200],
                    "portPreference": None,
                    "ports": ["/dev/ttyACM0"] if linked else [],
                    "printerProfilePreference": "_default",
                    "printerProfiles": [{"id": "_default", "name": "Ender 3 Pro"}],
                },
            }
        if path == "/api/printer":
            if not linked:
                return 409, {"error": "Printer is not operational"}
            in_job = self.mode in ("printing", "filament_out")
            return 200, {
                "sd": {"ready": True},
                "state": {
                    "error": "",
                    "text": state,
                    "flags": {
                        "cancelling": False,
                        "closedOrError": False,
                        "error": False,
                        "finishing": False,
                        "operational": True,
                        "paused": self.mode == "filament_out",
                        "pausing": False,
                        "printing": self.mode == "printing",
                        "ready": not in_job,
                        "resuming": False,
                        "sdReady": True,
                    },
                },
                "temperature": {
                    "bed": {"actual": 59.8 if in_job else 21.3, "offset": 0, "target": 60.0 if in_job else 0.0},
                    "tool0": {"actual": 209.6 if in_job else 21.3, "offset": 0, "target": 210.0 if in_job else 0.0},
                },
            }
        if path == "/api/job":
            if self.mode in ("printing", "filament_out"):
                return 200, {
                    "job": {
                        "averagePrintTime": None,
                        "estimatedPrintTime": 4855.38,
                        "filament": {"tool0": {"length": 1736.35, "volume": 0.0}},
                        "file": {
                            "date": 1508423977,
                            "display": "3DBenchy_.25.gcode",
                            "name": "3DBenchy_.25.gcode",
                            "origin": "local",
                            "path": "test/3DBenchy_.25.gcode",
                            "size": 2978760,
                        },
                        "lastPrintTime": None,
                    },
                    "progress": {
                        "completion": 42.5,
                        "filepos": 1265973,
                        "printTime": 2063,
                        "printTimeLeft": 2790,
                        "printTimeLeftOrigin": "analysis",
                    },
                    "state": state,
                }
            return 200, {
                "job": {
                    "estimatedPrintTime": None,
                    "filament": {"length": None, "volume": None},
                    "file": {"date": None, "name": None, "origin": None, "path": None, "size": None},
                    "lastPrintTime": None,
                    "user": None,
                },
                "progress": {
                    "completion": None,
                    "filepos": None,
                    "printTime": None,
                    "printTimeLeft": None,
                    "printTimeLeftOrigin": None,
                },
                "state": {"Closed": "Offline"}.get(state, state),
            }  # as OctoPrint 1.11 does
        return 404, {"error": "Not found"}


# --------------------------------------------------------------------------- Moonraker
class MoonrakerSim(LabHttpServer):
    api_name = "moonraker"
    auth_status = 401
    modes, garbage, garbage_type = (*MODES, "sensor_empty"), GARBAGE, "application/json"

    def __init__(self, *, sensors: list[str] | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.sensors = ["filament_switch_sensor runout"] if sensors is None else sensors

    def _status(self) -> dict[str, dict[str, Any]]:
        return moonraker_status(self.mode, self.sensors)

    def answer(self, path: str, query: dict[str, list[str]]) -> Answer:
        if self.mode == "disconnected":
            return 503, {
                "error": {
                    "code": 503,
                    "message": "Klippy Host not connected",
                    "traceback": "Traceback (most recent call last):\n ...",
                }
            }
        if path == "/printer/info":
            return 200, {"result": moonraker_info(self.mode)}
        if path == "/printer/objects/list":
            return 200, {"result": {"objects": [*MOONRAKER_OBJECTS, *self.sensors]}}
        if path == "/printer/objects/query":
            status = self._status()
            wanted = {name: status[name] for name in query if name in status}
            return 200, {"result": {"eventtime": 1521.632183165, "status": wanted}}
        return 404, {"error": {"code": 404, "message": "Not Found", "traceback": None}}


# --------------------------------------------------------------------------- PrusaLink
class PrusaLinkSim(LabHttpServer):
    api_name = "prusalink"
    auth_status = 401
    modes, garbage, garbage_type = MODES, GARBAGE, "application/json"
    realm = "Printer API"

    def __init__(
        self, *, username: str = "maker", password: str | None = None, legacy_only: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.username = username
        self.password = password
        self.legacy_only = legacy_only  # firmware without /api/v1 (404): OctoPrint-style only
        self._nonce = secrets.token_hex(16)

    def challenge(self) -> dict[str, str]:
        if self.password is None:
            return {}
        return {"WWW-Authenticate": f'Digest realm="{self.realm}", nonce="{self._nonce}", qop="auth", algorithm=MD5'}

    def authorized(self, request: Request) -> bool:
        if self.mode == "auth_fail":
            return False
        if self.api_key is not None and request.headers.get("X-Api-Key") == self.api_key:
            return True
        if self.password is None:
            return self.api_key is None
        return self._digest_ok(request.headers.get("Authorization", ""), request.method)

    def _digest_ok(self, header: str, method: str) -> bool:
        if not header.lower().startswith("digest "):
            return False
        try:
            parts = urllib.request.parse_keqv_list(urllib.request.parse_http_list(header[7:]))
        except ValueError:
            return False

        def md5(text: str) -> str:  # RFC 2617 MD5
            return hashlib.md5(text.encode()).hexdigest()

        ha1 = md5(f"{self.username}:{self.realm}:{self.password}")
        ha2 = md5(f"{method}:{parts.get('uri', '')}")
        if parts.get("qop"):
            expected = md5(
                f"{ha1}:{parts.get('nonce')}:{parts.get('nc')}:{parts.get('cnonce')}:{parts.get('qop')}:{ha2}"
            )
        else:
            expected = md5(f"{ha1}:{parts.get('nonce')}:{ha2}")
        return (
            parts.get("username") == self.username
            and parts.get("nonce") == self._nonce
            and secrets.compare_digest(expected, parts.get("response", ""))
        )

    def answer(self, path: str, query: dict[str, list[str]]) -> Answer:
        in_job = self.mode in ("printing", "filament_out")
        if path.startswith("/api/v1/") and self.legacy_only:
            return 404, {"title": "Not Found"}
        if self.mode == "disconnected":  # Prusa-Link host up, printer USB link lost
            return 503, {"title": "Service Unavailable", "message": "Printer not connected"}
        if path == "/api/v1/status":
            body: dict[str, Any] = {
                "storage": {"path": "/usb/", "name": "usb", "read_only": False},
                "printer": {
                    "state": prusalink_state(self.mode),
                    "temp_bed": 60 if in_job else 23.1,
                    "target_bed": 60 if in_job else 0,
                    "temp_nozzle": 225 if in_job else 24.5,
                    "target_nozzle": 225 if in_job else 0,
                    "axis_z": 68.4,
                    "flow": 100,
                    "speed": 100,
                    "fan_hotend": 3558,
                    "fan_print": 5023,
                },
            }
            if in_job:
                body["job"] = {"id": 14, "progress": 67, "time_remaining": 3960, "time_printing": 8546}
            return 200, body
        if path == "/api/v1/job":
            if not in_job:
                return 204, None
            return 200, {
                "id": 14,
                "state": prusalink_state(self.mode),
                "progress": 67,
                "file": {
                    "name": "1_75-C~1.GCO",
                    "path": "/usb",
                    "display_name": "1,75-Clip-Closed-Hole_0.15mm_PLA_MINI_8m.gcode",
                },
            }
        if path == "/api/version":
            return 200, {
                "api": "2.0.0",
                "server": "2.1.2",
                "nozzle_diameter": 0.4,
                "text": "PrusaLink",
                "hostname": "prusa-mk4",
                "firmware": "6.1.3+7898",
            }
        if path == "/api/printer":
            text = {"printing": "Printing", "filament_out": "Paused", "error": "Error"}.get(self.mode, "Operational")
            return 200, {
                "telemetry": {
                    "temp-bed": 55.4,
                    "temp-nozzle": 172.0,
                    "print-speed": 100,
                    "z-height": 34.1,
                    "material": "PLA",
                },
                "temperature": {
                    "tool0": {"actual": 172.0, "target": 0.0, "display": 0.0, "offset": 0},
                    "bed": {"actual": 55.4, "target": 0.0, "offset": 0},
                },
                "state": {
                    "text": text,
                    "flags": {
                        "operational": True,
                        "paused": self.mode == "filament_out",
                        "printing": self.mode == "printing",
                        "cancelling": False,
                        "pausing": False,
                        "sdReady": False,
                        "error": self.mode == "error",
                        "closedOnError": False,
                        "ready": not in_job,
                        "busy": in_job,
                    },
                },
            }
        if path == "/api/job":
            return 200, {
                "state": "Printing" if in_job else "Operational",
                "job": {
                    "estimatedPrintTime": 650,
                    "file": {
                        "name": "1,75-Clip-Closed-Hole_0.15mm_PLA_MINI_8m.gcode",
                        "path": "/usb/1_75-C~1.GCO",
                        "display": "1,75-Clip-Closed-Hole_0.15mm_PLA_MINI_8m.gcode",
                    }
                    if in_job
                    else {},
                },
                "progress": {"completion": 0.23 if in_job else None, "printTime": 290, "printTimeLeft": 360},
            }
        return 404, {"title": "Not Found"}


SIMULATORS: dict[str, type[LabHttpServer]] = {
    "octoprint": OctoPrintSim,
    "moonraker": MoonrakerSim,
    "prusalink": PrusaLinkSim,
    "spoolman": SpoolmanSim,
}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="3D-printer API simulator on 127.0.0.1")
    parser.add_argument("--api", choices=sorted(SIMULATORS), default="octoprint")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--mode", choices=(*MODES, "ok"), default=HEALTHY)
    parser.add_argument("--api-key", default=None)
    parser.add_argument("--password", default=None, help="PrusaLink digest password (user maker)")
    args = parser.parse_args(argv)
    extra = {"password": args.password} if args.api == "prusalink" else {}
    sim = SIMULATORS[args.api](mode=args.mode, api_key=args.api_key, port=args.port, **extra).start()
    print(f"{args.api} simulator on {sim.url} (mode {args.mode})", flush=True)
    wait_for_interrupt(sim)


if __name__ == "__main__":
    main()
