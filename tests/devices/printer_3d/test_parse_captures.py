"""Parsers on the real captures (tests/devices/printer_3d/captures) and on their variants:
CRLF, lowercase, extra whitespace, missing fields, other firmware spellings."""

from __future__ import annotations

import ast
import json

import pytest

from devices.errors import BadAnswer
from devices.printer_3d import moonraker, octoprint, prusalink
from devices.printer_3d.facts import FilamentSensor, PrinterState
from devices.printer_3d.marlin import build_facts as marlin_facts
from devices.printer_3d.parse import (
    parse_moonraker_info,
    parse_moonraker_objects_list,
    parse_moonraker_query,
    parse_octoprint_connection,
    parse_octoprint_job,
    parse_octoprint_printer,
    parse_prusalink_status,
)
from devices.printer_3d.parse_marlin import (
    parse_m27,
    parse_m105,
    parse_m115,
    parse_m119,
    parse_m412,
)
from devices.printer_3d.spoolman import parse_spoolman_spool, parse_spoolman_spools


# --------------------------------------------------------------------------- OctoPrint
def test_octoprint_connection_operational(captured):
    conn = parse_octoprint_connection(captured("octoprint/connection_operational_ender3pro"))
    assert (conn.state_text, conn.port, conn.connected) == ("Operational", "/dev/ttyACM0", True)


def test_octoprint_connection_closed_is_offline_not_error(captured):
    conn = parse_octoprint_connection(captured("octoprint/connection_closed_printer_powered_off"))
    facts = octoprint.build_facts(conn, None, None)
    assert conn.connected is False
    assert facts.state is PrinterState.OFFLINE and facts.connected is False
    assert facts.printing is False and facts.errors == ()


def test_octoprint_job_completion_is_a_percentage(captured):
    job = parse_octoprint_job(captured("octoprint/job_printing_completion_is_percent"))
    assert job.file == "3DBenchy_.25.gcode"
    assert job.progress_pct == pytest.approx(0.0278, abs=1e-4)  # not 2.78 %
    assert job.state_text == "Printing"


def test_octoprint_printing_facts_from_captures(captured):
    conn = parse_octoprint_connection(captured("octoprint/connection_operational_ender3pro"))
    job = parse_octoprint_job(captured("octoprint/job_printing_completion_is_percent"))
    facts = octoprint.build_facts(conn, None, job)
    assert facts.state is PrinterState.PRINTING  # the job state wins over the stale connection
    assert facts.printing is True and facts.job_file == "3DBenchy_.25.gcode"


@pytest.mark.parametrize(
    "text,state,connected",
    [
        ("Operational", PrinterState.IDLE, True),
        ("operational", PrinterState.IDLE, True),
        ("  Printing from SD ", PrinterState.PRINTING, True),
        ("Paused", PrinterState.PAUSED, True),
        ("Offline after error", PrinterState.ERROR, False),
        ("Error: Thermal Runaway", PrinterState.ERROR, False),
        ("Detecting baudrate", PrinterState.UNKNOWN, None),
        ("Offline", PrinterState.OFFLINE, False),
    ],
)
def test_octoprint_state_vocabulary(text, state, connected):
    body = json.dumps({"current": {"state": text, "port": None}})
    conn = parse_octoprint_connection(body)
    facts = octoprint.build_facts(conn, None, None)
    assert facts.state is state and conn.connected is connected


def test_legacy_job_with_null_job_and_progress_is_idle_not_bad_answer():
    job = parse_octoprint_job('{"state": "Operational", "job": null, "progress": null}')
    assert (job.state_text, job.file, job.progress_pct) == ("Operational", None, None)


def test_octoprint_idle_job_has_nulls():
    job = parse_octoprint_job(
        b'{"job": {"file": {"name": null}}, "progress": {"completion": null}, "state": "Operational"}'
    )
    assert job.file is None and job.progress_pct is None


# --------------------------------------------------------------------------- PrusaLink
def test_prusalink_v1_status_printing(captured):
    status = parse_prusalink_status(captured("prusalink/v1_status_buddy_printing"))
    facts = prusalink.build_facts(status)
    assert facts.state is PrinterState.PRINTING and facts.printing is True
    assert (facts.nozzle_c, facts.nozzle_target_c, facts.bed_c, facts.bed_target_c) == (225.0, 225.0, 60.0, 60.0)
    assert facts.progress_pct == 67.0 and status.storage == "usb"
    assert facts.filament_sensor is None  # PrusaLink does not report it: unknown, not "present"


def test_prusalink_v1_status_lowercase_state_crlf_and_missing_job(captured):
    raw = captured("prusalink/v1_status_buddy_printing").decode()
    variant = json.loads(raw)
    del variant["job"]
    variant["printer"]["state"] = "idle"
    status = parse_prusalink_status(json.dumps(variant, indent=4).replace("\n", "\r\n"))
    facts = prusalink.build_facts(status)
    assert facts.state is PrinterState.IDLE and facts.progress_pct is None


def test_prusalink_attention_is_not_ready():
    status = parse_prusalink_status({"printer": {"state": "ATTENTION", "temp_nozzle": 170}})
    facts = prusalink.build_facts(status)
    assert facts.state is PrinterState.ERROR and facts.errors


def test_prusalink_legacy_job_completion_is_a_fraction(captured):
    job = parse_octoprint_job(captured("prusalink/legacy_job_completion_is_fraction"), completion_is_fraction=True)
    assert job.progress_pct == pytest.approx(23.0)
    assert job.file == "1,75-Clip-Closed-Hole_0.15mm_PLA_MINI_8m.gcode"


def test_prusalink_legacy_printer_truncated_is_bad_answer(captured):
    raw = captured("prusalink/legacy_printer_truncated_body")
    with pytest.raises(BadAnswer):
        parse_octoprint_printer(raw)
    closed = raw.decode().rstrip().rstrip(",") + "}}}"  # the cut was inside state.flags
    printer = parse_octoprint_printer(closed)
    assert printer.state_text == "Operational" and printer.operational is True
    assert printer.error is False  # spelled "closedOnError" by PrusaLink
    assert (printer.nozzle_c, printer.bed_c) == (172.0, 55.4)
    facts = octoprint.build_facts(None, printer, None, driver="prusalink")
    assert facts.state is PrinterState.IDLE and facts.connected is True


def test_octoprint_printer_telemetry_fallback_when_temperature_missing():
    printer = parse_octoprint_printer(
        {
            "telemetry": {"temp-nozzle": "201.5", "temp-bed": 60},
            "state": {"text": "Printing", "flags": {"printing": True}},
        }
    )
    assert (printer.nozzle_c, printer.bed_c, printer.nozzle_target_c) == (201.5, 60.0, None)


# --------------------------------------------------------------------------- Moonraker
def _ha_log_query(raw: bytes) -> dict:
    """The HA debug line holds ``repr(result)`` cut after the 'mcu' object: close it."""
    text = raw.decode().strip()
    payload = text[text.index("{") :].rstrip().rstrip(",") + "}}"
    return ast.literal_eval(payload)


def test_moonraker_info_bare_payload(captured):
    info = parse_moonraker_info(captured("moonraker/printer_info_bare_payload_docs_example"))
    assert info.state == "ready" and info.software_version == "v0.12.0-85-gd785b396"


def test_moonraker_info_enveloped_and_uppercase():
    info = parse_moonraker_info(b'{"result": {"STATE": "Shutdown", "state_message": "MCU lost"}}')
    facts = moonraker.build_facts(info, None, None)
    assert info.state == "shutdown" and facts.state is PrinterState.ERROR
    assert facts.errors == ("MCU lost",)


def test_moonraker_query_klipper_socket_framing(captured):
    status = parse_moonraker_query(captured("moonraker/query_klipper_socket_framing_hall_sensor"))
    assert [(s.name, s.detected, s.enabled) for s in status.sensors] == [("hall_filament_width_sensor", True, True)]
    facts = moonraker.build_facts(parse_moonraker_info({"state": "ready"}), ("hall_filament_width_sensor",), status)
    assert facts.filament_sensor is FilamentSensor.PRESENT
    assert facts.runout_detection_enabled is True


def test_moonraker_query_printing_from_real_log(captured):
    status = parse_moonraker_query(_ha_log_query(captured("moonraker/query_printing_from_ha_debug_log")))
    assert status.print_state == "printing" and status.filename == "bird_2._PLA_24m.gcode"
    assert status.progress_pct == pytest.approx(16.0)
    info = parse_moonraker_info({"state": "ready"})
    objects = ("print_stats", "display_status", "toolhead", "mcu")
    facts = moonraker.build_facts(info, objects, status)
    assert facts.state is PrinterState.PRINTING and facts.printing is True
    assert facts.filament_sensor is FilamentSensor.NOT_FITTED  # no sensor object listed
    assert facts.nozzle_c is None  # extruder not in that query: unknown, not 0


def test_moonraker_switch_sensor_runout_and_disabled():
    objects = parse_moonraker_objects_list(
        {"result": {"objects": ["print_stats", "filament_switch_sensor runout", "filament_motion_sensor encoder", 42]}}
    )
    status = parse_moonraker_query(
        {
            "result": {
                "status": {
                    "print_stats": {"state": "paused"},
                    "filament_switch_sensor runout": {"filament_detected": False, "enabled": False},
                    "filament_motion_sensor encoder": {"filament_detected": True, "enabled": True},
                }
            }
        }
    )
    facts = moonraker.build_facts(parse_moonraker_info({"state": "ready"}), objects, status)
    assert facts.filament_sensor is FilamentSensor.ABSENT
    assert facts.runout_detection_enabled is False
    assert facts.state is PrinterState.PAUSED


def test_moonraker_error_envelope_is_bad_answer():
    with pytest.raises(BadAnswer):
        parse_moonraker_info(b'{"error": {"code": 500, "message": "boom"}}')


# --------------------------------------------------------------------------- Spoolman
def test_spoolman_spool_and_list():
    from devices.lab.spoolman import lab_spool

    spool = parse_spoolman_spool(json.dumps(lab_spool(3, remaining_g=120.0)))
    assert (spool.spool_id, spool.remaining_g, spool.material, spool.vendor) == (3, 120.0, "PLA", "Prusament")
    assert spool.used_g == 880.0
    spools = parse_spoolman_spools(json.dumps([lab_spool(1, remaining_g=1.0), lab_spool(2, remaining_g=2.0)]))
    assert [s.spool_id for s in spools] == [1, 2]


def test_spoolman_remaining_derived_from_initial_minus_used():
    spool = parse_spoolman_spool({"id": 1, "used_weight": 250, "filament": {"weight": 1000}})
    assert spool.remaining_g == 750.0 and spool.initial_g == 1000.0


def test_spoolman_not_a_spool():
    with pytest.raises(BadAnswer):
        parse_spoolman_spool({"message": "No spool with ID 5 found."})
    with pytest.raises(BadAnswer):
        parse_spoolman_spools({"id": 1})


# --------------------------------------------------------------------------- Marlin
def test_m105_dual_extruder_capture(captured):
    temps = parse_m105(captured("marlin/m105_dual_extruder_with_w_unknown"))
    assert (temps.nozzle_c, temps.nozzle_target_c, temps.bed_c, temps.bed_target_c) == (77.1, 205.0, 59.5, 60.0)


@pytest.mark.parametrize(
    "reply,expected",
    [
        ("ok T:210.0 /210.0 B:60.0 /60.0 @:0 B@:0\n", (210.0, 210.0, 60.0, 60.0)),
        ("Recv: ok t:21.50 /0.00 b:20.90 /0.00 @:0 b@:0\r\n", (21.5, 0.0, 20.9, 0.0)),
        ("ok T:  22.1  B:  21.0\r\n", (22.1, None, 21.0, None)),  # no targets (old firmware)
        (
            "ok T:210.0 /210.0 B:60.0 /60.0 T0:210.0 /210.0 @:0 B@:0 P:0.0 A:32.5\n",
            (210.0, 210.0, 60.0, 60.0),
        ),  # Prusa-Firmware
        ("echo:busy: processing\nok T:-15.00 /0.00 @:0\n", (-15.0, 0.0, None, None)),  # no bed
        ("ok B:22.0 /0.0 T0:21.9 /0.0\n", (21.9, 0.0, 22.0, 0.0)),  # Klipper's M105
        ("T:20.25 /0 B:19.13 /0 B@:0 @:0 T0:20.25 /0 @0:0\nok\n", (20.25, 0.0, 19.13, 0.0)),
    ],
)
def test_m105_variants(reply, expected):
    t = parse_m105(reply)
    assert (t.nozzle_c, t.nozzle_target_c, t.bed_c, t.bed_target_c) == expected


def test_m115_prusa_capture(captured):
    info = parse_m115(captured("marlin/m115_prusa_firmware_no_runout_cap"))
    assert info.name == "Prusa-Firmware 3.10.1 based on Marlin"
    assert info.machine_type == "Prusa i3 MK3S" and info.extruder_count == 1
    assert info.capability("PRUSA_MMU2") is True
    assert info.capability("FILAMENT_RUNOUT") is None


def test_m115_lowercase_crlf_and_echo_prefix():
    info = parse_m115(
        "echo:firmware_name:Marlin 2.0.9.3 (Feb 1 2022) source_code_url:github.com"
        " PROTOCOL_VERSION:1.0 MACHINE_TYPE:Ender-3\r\ncap:FILAMENT_RUNOUT:0\r\nok\r\n"
    )
    assert info.name == "Marlin 2.0.9.3 (Feb 1 2022)"
    assert info.capability("filament_runout") is False


def test_m119_filament_triggered_capture(captured):
    report = parse_m119(captured("marlin/m119_filament_triggered_advanced_ok"))
    assert report.endstops == {"x_min": False, "y_min": False, "z_min": True}
    assert report.filament_sensor() is FilamentSensor.PRESENT
    assert report.filament_sensor(triggered_means_present=False) is FilamentSensor.ABSENT


def test_m119_no_filament_line_capture_means_not_fitted(captured):
    raw = captured("marlin/m119_no_filament_line_old_marlin")
    assert parse_m119(raw).filament_sensor() is None
    facts = marlin_facts(None, "ok T:20 /0 B:20 /0", raw.decode(), None, None)
    assert facts.filament_sensor is FilamentSensor.NOT_FITTED


def test_m119_prusa_firmware_without_line_is_unknown(captured):
    firmware = parse_m115(captured("marlin/m115_prusa_firmware_no_runout_cap"))
    raw = captured("marlin/m119_no_filament_line_old_marlin").decode()
    facts = marlin_facts(firmware, "ok T:20 /0 B:20 /0", raw, None, None)
    assert facts.filament_sensor is None  # Prusa's own sensor is not in M119


@pytest.mark.parametrize(
    "reply,expected",
    [
        ("Reporting endstop status\r\nx_min: open\r\nFILAMENT: open\r\nok\r\n", FilamentSensor.ABSENT),
        ("Reporting endstop status\nfilament: TRIGGERED\nfilament 2: open\nok\n", FilamentSensor.ABSENT),
        ("  x_min :  open \n  filament  :  triggered \nok P15 B3\n", FilamentSensor.PRESENT),
        ("Send: M119\nRecv: Reporting endstop status\nRecv: filament: TRIGGERED\nRecv: ok\n", FilamentSensor.PRESENT),
        ("echo:Reporting endstop status\necho:filament: open\nok\n", FilamentSensor.ABSENT),
    ],
)
def test_m119_variants(reply, expected):
    assert parse_m119(reply).filament_sensor() is expected


@pytest.mark.parametrize(
    "reply,expected",
    [
        ("echo:Filament runout ON\nok\n", True),
        ("echo:Filament runout OFF ; Distance 7.00mm ; Host handling OFF\r\nok\r\n", False),
        ("echo:filament runout on\nok\n", True),
        ('echo:Unknown command: "M412"\nok\n', None),
        ("ok\n", None),
    ],
)
def test_m412_variants(reply, expected):
    assert parse_m412(reply) is expected


@pytest.mark.parametrize(
    "reply,expected",
    [
        ("Not SD printing\nok\n", (False, None)),
        ("SD printing byte 500/1000\nok\n", (True, 50.0)),
        ("ok\n", (None, None)),
    ],
)
def test_m27_variants(reply, expected):
    assert parse_m27(reply) == expected


def test_marlin_fatal_error_lines_make_error_state():
    facts = marlin_facts(None, "ok T:20 /0 B:20 /0", None, None, None, errors=("Printer halted. kill() called!",))
    assert facts.state is PrinterState.ERROR


# --------------------------------------------------------------------------- OctoPrint 1.11.8 (recorded here)
def test_real_octoprint_1_11_printing(captured):
    case = "octoprint/real_1.11.8_virtual_printing"
    facts = octoprint.build_facts(
        parse_octoprint_connection(captured(case, "api_connection_printing.json")),
        parse_octoprint_printer(captured(case, "api_printer_printing.json")),
        parse_octoprint_job(captured(case, "api_job_printing.json")),
    )
    assert facts.state is PrinterState.PRINTING and facts.connected is True
    assert facts.job_file == "lab.gcode" and facts.progress_pct == pytest.approx(16.0955, abs=1e-3)
    assert (facts.nozzle_target_c, facts.bed_target_c) == (200.0, 60.0)


def test_real_octoprint_1_11_closed_409(captured):
    case = "octoprint/real_1.11.8_virtual_closed_409"
    conn = parse_octoprint_connection(captured(case, "api_connection_closed.json"))
    job = parse_octoprint_job(captured(case, "api_job_offline.json"))
    with pytest.raises(BadAnswer):  # the 409 body is an error object, not a printer status
        parse_octoprint_printer(captured(case, "api_printer_409_not_operational.json"))
    facts = octoprint.build_facts(conn, None, job)
    assert facts.state is PrinterState.OFFLINE and facts.connected is False
    assert facts.job_file is None


@pytest.mark.parametrize(
    "state,message,expected,connected",
    [
        (
            "error",
            "mcu 'mcu': Unable to connect\nOnce the underlying issue is corrected...",
            PrinterState.OFFLINE,
            False,
        ),
        ("shutdown", "Lost communication with MCU 'mcu'\nOnce the underlying issue...", PrinterState.ERROR, False),
        ("shutdown", "MCU 'mcu' shutdown: Thermocouple reader fault", PrinterState.ERROR, None),
        ("startup", "Printer is not ready", PrinterState.UNKNOWN, None),
    ],
)
def test_moonraker_klippy_not_ready(state, message, expected, connected):
    info = parse_moonraker_info({"result": {"state": state, "state_message": message}})
    facts = moonraker.build_facts(info, None, None)
    assert facts.state is expected and facts.connected is connected
    assert facts.errors == (message.splitlines()[0],)


def test_every_capture_case_says_where_it_comes_from():
    from pathlib import Path

    root = Path(__file__).parent / "captures"
    cases = [d for d in root.glob("*/*") if d.is_dir()]
    assert len(cases) >= 15
    for case in cases:
        readme = (case / "README.md").read_text()
        assert "shared/captures/" in readme or "Recorded" in readme, case
