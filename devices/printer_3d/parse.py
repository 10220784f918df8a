"""Pure parsers for the JSON answers of OctoPrint, Moonraker and PrusaLink.

Each ``parse_*`` takes the raw body (``bytes``/``str``) or an already-decoded JSON value and
returns a small typed record; anything that does not follow the API raises
:class:`devices.errors.BadAnswer` and nothing else. Field names are matched exactly first,
then case-insensitively, so a firmware that changes the case of a key still parses.

One module per API, every name re-exported here: :mod:`~devices.printer_3d.parse_octoprint`,
:mod:`~devices.printer_3d.parse_moonraker`, :mod:`~devices.printer_3d.parse_prusalink`, and
the JSON helpers they share in :mod:`~devices.printer_3d.parse_json`. Marlin G-code replies
are parsed in :mod:`devices.printer_3d.parse_marlin`, Spoolman's answers in
:mod:`devices.printer_3d.spoolman`.
"""

from __future__ import annotations

from devices.printer_3d.parse_json import MAX_BODY_BYTES, field, flag, load_json, number, require_object, text
from devices.printer_3d.parse_moonraker import (
    FILAMENT_OBJECT_PREFIXES,
    FILAMENT_OBJECTS_BARE,
    FilamentReading,
    KlipperStatus,
    KlippyInfo,
    combine_sensors,
    filament_sensor_objects,
    klipper_print_state,
    parse_moonraker_info,
    parse_moonraker_objects_list,
    parse_moonraker_query,
    unwrap_result,
)
from devices.printer_3d.parse_octoprint import (
    OctoConnection,
    OctoJob,
    OctoPrinterStatus,
    octoprint_connected,
    octoprint_state,
    parse_octoprint_connection,
    parse_octoprint_job,
    parse_octoprint_printer,
)
from devices.printer_3d.parse_prusalink import (
    PrusaStatus,
    parse_prusalink_job_file,
    parse_prusalink_status,
    parse_prusalink_version,
    prusalink_state,
)

__all__ = [
    "FILAMENT_OBJECTS_BARE",
    "FILAMENT_OBJECT_PREFIXES",
    "FilamentReading",
    "KlipperStatus",
    "KlippyInfo",
    "MAX_BODY_BYTES",
    "OctoConnection",
    "OctoJob",
    "OctoPrinterStatus",
    "PrusaStatus",
    "combine_sensors",
    "field",
    "filament_sensor_objects",
    "flag",
    "klipper_print_state",
    "load_json",
    "number",
    "octoprint_connected",
    "octoprint_state",
    "parse_moonraker_info",
    "parse_moonraker_objects_list",
    "parse_moonraker_query",
    "parse_octoprint_connection",
    "parse_octoprint_job",
    "parse_octoprint_printer",
    "parse_prusalink_job_file",
    "parse_prusalink_status",
    "parse_prusalink_version",
    "prusalink_state",
    "require_object",
    "text",
    "unwrap_result",
]
