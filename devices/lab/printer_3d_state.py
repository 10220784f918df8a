"""What the 3D-printer simulators of :mod:`devices.lab.printer_3d` report in each mode.

The fault modes they share (:data:`MODES`), the junk body of ``garbage`` mode, and per firmware
the state a mode shows: OctoPrint's state text, Moonraker's Klipper printer objects and
``/printer/info``, PrusaLink's printer state. Pure functions of the mode (values modelled on the
real captures); the simulators themselves route requests and check credentials.
"""

from __future__ import annotations

from typing import Any

MODES = ("healthy", "printing", "filament_out", "disconnected", "error", "auth_fail", "dead", "slow", "garbage")
GARBAGE = b'\x00\xff<html>502 Bad Gateway</htm\xfe{"state": [unterminated'
Answer = tuple[int, object]  # (status, JSON-able body | bytes | None for an empty body)

# Klipper printer objects a Moonraker host lists, before its filament sensors.
MOONRAKER_OBJECTS = (
    "webhooks",
    "configfile",
    "mcu",
    "gcode_move",
    "print_stats",
    "virtual_sdcard",
    "pause_resume",
    "display_status",
    "heaters",
    "heater_bed",
    "extruder",
    "toolhead",
    "system_stats",
)


def octoprint_state_text(mode: str) -> str:
    """OctoPrint's connection state text (``current.state``, ``state.text``)."""
    return {
        "healthy": "Operational",
        "printing": "Printing",
        "filament_out": "Paused",
        "disconnected": "Closed",
        "error": "Offline after error",
    }.get(mode, "Operational")


def moonraker_status(mode: str, sensors: list[str]) -> dict[str, dict[str, Any]]:
    """Every Klipper object ``/printer/objects/query`` can answer, with one entry per filament sensor."""
    in_job = mode in ("printing", "filament_out")
    status: dict[str, dict[str, Any]] = {
        "print_stats": {
            "state": {"printing": "printing", "filament_out": "paused", "error": "error"}.get(mode, "standby"),
            "message": "",
            "filename": "bird_2._PLA_24m.gcode" if in_job else "",
            "total_duration": 388.35 if in_job else 0.0,
            "print_duration": 255.06 if in_job else 0.0,
            "filament_used": 113.6 if in_job else 0.0,
            "info": {"total_layer": None, "current_layer": None},
        },
        "display_status": {"message": None, "progress": 0.16 if in_job else 0.0},
        "virtual_sdcard": {"progress": 0.16 if in_job else 0.0, "is_active": in_job},
        "extruder": {"temperature": 214.8 if in_job else 22.4, "target": 215.0 if in_job else 0.0, "power": 0.41},
        "heater_bed": {"temperature": 60.1 if in_job else 22.1, "target": 60.0 if in_job else 0.0, "power": 0.2},
    }
    for name in sensors:
        status[name] = {"filament_detected": mode not in ("filament_out", "sensor_empty"), "enabled": True}
    return status


def moonraker_info(mode: str) -> dict[str, Any]:
    """The ``result`` of Moonraker's ``/printer/info``: Klipper shut down in ``error`` mode."""
    shutdown = mode == "error"
    return {
        "state": "shutdown" if shutdown else "ready",
        "state_message": (
            "Lost communication with MCU 'mcu'\nOnce the underlying issue"
            ' is corrected, use the "FIRMWARE_RESTART" command to reset'
            " the firmware, reload the config, and restart the host"
            " software.\nPrinter is shutdown\n"
        )
        if shutdown
        else "Printer is ready",
        "hostname": "lab-klipper",
        "klipper_path": "/home/pi/klipper",
        "python_path": "/home/pi/klipper/venv/bin/python",
        "process_id": 275124,
        "user_id": 1000,
        "group_id": 1000,
        "log_file": "/home/pi/printer_data/logs/klippy.log",
        "config_file": "/home/pi/printer_data/config/printer.cfg",
        "software_version": "v0.12.0-85-gd785b396",
        "cpu_info": "4 core ?",
    }


def prusalink_state(mode: str) -> str:
    """PrusaLink's printer state (``/api/v1/status`` ``printer.state``, ``/api/v1/job`` ``state``)."""
    return {"printing": "PRINTING", "filament_out": "ATTENTION", "error": "ERROR"}.get(mode, "IDLE")
