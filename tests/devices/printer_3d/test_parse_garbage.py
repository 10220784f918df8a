"""Property tests: garbage never crashes a parser other than with BadAnswer, and never
turns into a reassuring fact (filament present, printer idle and linked)."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from devices.errors import BadAnswer
from devices.printer_3d import moonraker, octoprint, prusalink, spoolman
from devices.printer_3d import parse as p
from devices.printer_3d import parse_marlin as pm
from devices.printer_3d.facts import FilamentSensor
from devices.printer_3d.marlin import build_facts as marlin_facts

KEYS = st.sampled_from(
    [
        "current",
        "state",
        "port",
        "temperature",
        "tool0",
        "bed",
        "actual",
        "target",
        "flags",
        "printing",
        "paused",
        "error",
        "closedOrError",
        "job",
        "file",
        "name",
        "display",
        "progress",
        "completion",
        "result",
        "status",
        "print_stats",
        "extruder",
        "heater_bed",
        "objects",
        "filament_switch_sensor runout",
        "filament_detected",
        "enabled",
        "printer",
        "temp_nozzle",
        "id",
        "remaining_weight",
        "used_weight",
        "filament",
        "material",
        "telemetry",
        "message",
    ]
) | st.text(max_size=8)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True)
    | st.text(max_size=12)
    | st.sampled_from(["Operational", "PRINTING", "ready", "nan"])
)
JSONISH = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(KEYS, children, max_size=5),
    max_leaves=25,
)

JSON_PARSERS = [
    p.parse_octoprint_connection,
    p.parse_octoprint_printer,
    p.parse_octoprint_job,
    p.parse_moonraker_info,
    p.parse_moonraker_objects_list,
    p.parse_moonraker_query,
    p.parse_prusalink_status,
    p.parse_prusalink_job_file,
    p.parse_prusalink_version,
    spoolman.parse_spoolman_spool,
    spoolman.parse_spoolman_spools,
]
MARLIN_PARSERS = [pm.parse_m105, pm.parse_m115, pm.parse_m119, pm.parse_m412, pm.parse_m27, pm.error_lines]
MARLIN_WORDS = st.sampled_from(
    [
        "ok",
        "T:",
        "B:",
        "/",
        "210.0",
        "-",
        "filament",
        ":",
        "open",
        "TRIGGERED",
        "Cap:",
        "FIRMWARE_NAME:",
        "echo:",
        "busy",
        "Error:",
        "\r\n",
        "\n",
        " ",
        "Filament runout",
        "ON",
        "SD printing byte",
        "99999999999999",
        "x_min",
    ]
)
MARLIN_TEXT = st.lists(MARLIN_WORDS | st.text(max_size=6), max_size=30).map("".join)


def _call(parser, raw):
    try:
        return parser(raw)
    except BadAnswer:
        return None


@settings(max_examples=150, deadline=None)
@given(raw=st.binary(max_size=300) | st.text(max_size=300))
def test_json_parsers_survive_raw_bytes(raw):
    for parser in JSON_PARSERS:
        _call(parser, raw)


@settings(max_examples=200, deadline=None)
@given(value=JSONISH)
def test_json_parsers_survive_any_json_shape(value):
    body = json.dumps(value).encode()
    for parser in JSON_PARSERS:
        _call(parser, body)
        _call(parser, value)


@settings(max_examples=150, deadline=None)
@given(value=JSONISH)
def test_garbage_json_never_reports_filament_present_without_a_detection(value):
    status = _call(p.parse_moonraker_query, {"result": {"status": value}})
    info = p.parse_moonraker_info({"state": "ready"})
    if status is None:
        return
    facts = moonraker.build_facts(info, (), status)
    if facts.filament_sensor is FilamentSensor.PRESENT:
        assert status.sensors and all(s.detected is True for s in status.sensors)


@settings(max_examples=150, deadline=None)
@given(conn=JSONISH, printer=JSONISH, job=JSONISH, status=JSONISH)
def test_fact_builders_survive_garbage(conn, printer, job, status):
    c = _call(p.parse_octoprint_connection, conn)
    pr = _call(p.parse_octoprint_printer, printer)
    j = _call(p.parse_octoprint_job, job)
    facts = octoprint.build_facts(c, pr, j)
    assert facts.filament_sensor is None  # OctoPrint can never claim a filament sensor
    s = _call(p.parse_prusalink_status, status)
    if s is not None:
        prusalink.build_facts(s)


@settings(max_examples=200, deadline=None)
@given(text=MARLIN_TEXT | st.text(max_size=200), raw=st.binary(max_size=200))
def test_marlin_parsers_survive_garbage(text, raw):
    for parser in MARLIN_PARSERS:
        _call(parser, text)
        _call(parser, raw)
    try:
        facts = marlin_facts(None, text, text, text, text)
    except BadAnswer:
        return
    if facts.filament_sensor is FilamentSensor.PRESENT:
        assert "filament" in text.lower() and "triggered" in text.lower()
