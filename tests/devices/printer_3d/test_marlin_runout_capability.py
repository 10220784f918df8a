"""Marlin's M115 names the runout sensor ``Cap:RUNOUT`` (Marlin/src/gcode/host/M115.cpp:
``cap_line(F("RUNOUT"), ENABLED(FILAMENT_RUNOUT_SENSOR))``); the driver asks for FILAMENT_RUNOUT."""

from __future__ import annotations

from devices.printer_3d.facts import FilamentSensor
from devices.printer_3d.marlin import build_facts
from devices.printer_3d.parse_marlin import parse_m115

# An M115 answer in the format Marlin 2.1's M115.cpp prints (FIRMWARE_NAME line, one Cap: line each).
M115 = ("FIRMWARE_NAME:Marlin 2.1.2.1 (Jul  2 2023 12:00:00) SOURCE_CODE_URL:github.com/MarlinFirmware/Marlin "
        "PROTOCOL_VERSION:1.0 MACHINE_TYPE:Ender-3 Pro EXTRUDER_COUNT:1\n"
        "Cap:SERIAL_XON_XOFF:0\nCap:AUTOLEVEL:1\nCap:RUNOUT:{runout}\nCap:Z_PROBE:1\nok\n")  # fmt: skip
M105 = "ok T:21.8 /0.0 B:21.5 /0.0 @:0 B@:0\n"


def test_real_runout_name_is_the_runout_capability() -> None:
    assert parse_m115(M115.format(runout=0)).capability("FILAMENT_RUNOUT") is False
    assert parse_m115(M115.format(runout=1)).capability("FILAMENT_RUNOUT") is True


def test_firmware_without_runout_sensor_is_not_fitted_even_without_m119() -> None:
    facts = build_facts(parse_m115(M115.format(runout=0)), M105, None, None, None)
    assert facts.filament_sensor is FilamentSensor.NOT_FITTED


def test_both_names_printed_the_real_one_wins() -> None:
    both = M115.format(runout=1).replace("ok\n", "Cap:FILAMENT_RUNOUT:0\nok\n")
    assert parse_m115(both).capability("FILAMENT_RUNOUT") is True
