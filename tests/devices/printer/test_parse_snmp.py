"""Printer-MIB / Host-Resources-MIB values -> PrinterStatus, on the real .snmprec captures."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from devices.errors import BadAnswer
from devices.lab.snmp import read_snmprec
from devices.printer.models import PrinterState
from devices.printer.parse import error_state_reasons, parse_snmp_values

NOW = datetime(2026, 3, 2, 7, 30, tzinfo=UTC)


def test_sharp_low_toner_bit_and_real_levels(capture_path) -> None:
    status = parse_snmp_values(
        read_snmprec(capture_path("snmp_sharp_low_toner_error_bit")), measured_at=NOW, host="10.0.0.5"
    )
    assert status.source == "snmp" and status.host == "10.0.0.5"
    assert status.reasons == ("toner-low",)  # hrPrinterDetectedErrorState 0x2000
    assert status.state is None  # no hrPrinterStatus row: not reported, not "idle"
    assert (status.make, status.model) == ("SHARP", "MX-3570N")
    assert len(status.supplies) == 14
    toners = {s.name: (s.colour, s.kind, s.level_pct) for s in status.supplies[:4]}
    assert toners == {
        "Cyan Toner": ("cyan", "toner", 55),
        "Magenta Toner": ("magenta", "toner", 19),
        "Yellow Toner": ("yellow", "toner", 40),
        "Black Toner": ("black", "toner", 34),
    }
    waste = status.supplies[4]
    assert (waste.name, waste.kind, waste.max_capacity, waste.raw_level, waste.level_pct) == (
        "Waste Toner",
        "waste-toner",
        -2,
        100,
        None,
    )  # capacity unknown: no percentage
    fuser = status.supplies[13]
    assert (fuser.kind, fuser.raw_level, fuser.level_pct) == ("fuser", -2, None)


def test_xerox_without_host_resources_uses_sysdescr_and_page_capacities(capture_path) -> None:
    status = parse_snmp_values(
        read_snmprec(capture_path("snmp_xerox_no_host_resources_capacity_in_pages")), measured_at=NOW
    )
    assert (status.make, status.model) == ("Xerox", "AltaLink C8045")
    assert status.state is None and status.reasons == ()
    black = status.supplies[0]
    assert black.name.startswith("Black Toner")
    assert (black.colour, black.raw_level, black.max_capacity, black.level_pct) == ("black", 1060, 5300, 20)
    assert [s.level_pct for s in status.supplies[1:4]] == [66, 72, 60]
    assert status.supplies[9].level_pct == 5  # waste toner container: 5 % space left


def test_epson_model_comes_from_hrdevicedescr_not_sysdescr(capture_path) -> None:
    status = parse_snmp_values(read_snmprec(capture_path("snmp_epson_inkjet_no_hrprinterstatus")), measured_at=NOW)
    assert status.info == "EPSON Built-in"
    assert (status.make, status.model) == ("EPSON", "WF-C5790BA")
    assert status.reasons == ()  # empty error-state octets
    assert [(s.colour, s.kind, s.level_pct) for s in status.supplies] == [
        ("black", "ink", 1),
        ("cyan", "ink", 1),
        ("magenta", "ink", 1),
        ("yellow", "ink", 1),
    ]


def test_hr_printer_status_and_device_down() -> None:
    base = {
        "1.3.6.1.2.1.25.3.2.1.2.1": "1.3.6.1.2.1.25.3.1.5",
        "1.3.6.1.2.1.25.3.2.1.3.1": b"Brother HL-L2350DW series",
        "1.3.6.1.2.1.25.3.5.1.1.1": 4,
    }
    printing = parse_snmp_values(base, measured_at=NOW)
    assert printing.state is PrinterState.PROCESSING
    assert (printing.make, printing.model) == ("Brother", "HL-L2350DW series")
    down = parse_snmp_values({**base, "1.3.6.1.2.1.25.3.2.1.5.1": 5}, measured_at=NOW)
    assert down.state is PrinterState.STOPPED
    idle = parse_snmp_values({**base, "1.3.6.1.2.1.25.3.5.1.1.1": 3}, measured_at=NOW)
    assert idle.state is PrinterState.IDLE
    other = parse_snmp_values({**base, "1.3.6.1.2.1.25.3.5.1.1.1": 1}, measured_at=NOW)
    assert other.state is None


def test_colorant_table_names_the_colour_and_some_remaining() -> None:
    values = {
        ".1.3.6.1.2.1.43.11.1.1.3.1.1": 2,
        "1.3.6.1.2.1.43.11.1.1.6.1.1": b"TN-2420",
        "1.3.6.1.2.1.43.11.1.1.8.1.1": 3000,
        "1.3.6.1.2.1.43.11.1.1.9.1.1": -3,
        "1.3.6.1.2.1.43.12.1.1.4.1.2": b"black",
    }
    (supply,) = parse_snmp_values(values, measured_at=NOW).supplies
    assert (supply.colour, supply.level_pct, supply.some_remaining) == ("black", None, True)


@pytest.mark.parametrize(
    "octets, reasons",
    [
        (b"", ()),
        (b"\x00\x00", ()),
        (b"\x40", ("media-empty",)),
        (b"\x24", ("toner-low", "media-jam")),
        (b"\x01\x80", ("service-requested", "input-tray-missing")),
        (b"\x00\x02", ("overdue-preventive-maintenance",)),
        (7, ()),
    ],
)
def test_detected_error_state_bits(octets, reasons) -> None:
    assert error_state_reasons(octets) == reasons


def test_not_a_printer_is_a_bad_answer() -> None:
    with pytest.raises(BadAnswer):
        parse_snmp_values({"1.3.6.1.2.1.1.1.0": b"Linux router 6.1"}, measured_at=NOW)


oids = st.sampled_from(
    [
        "1.3.6.1.2.1.1.1.0",
        "1.3.6.1.2.1.25.3.2.1.2.1",
        "1.3.6.1.2.1.25.3.2.1.3.1",
        "1.3.6.1.2.1.25.3.2.1.5.1",
        "1.3.6.1.2.1.25.3.5.1.1.1",
        "1.3.6.1.2.1.25.3.5.1.2.1",
        "1.3.6.1.2.1.43.11.1.1.3.1.1",
        "1.3.6.1.2.1.43.11.1.1.5.1.1",
        "1.3.6.1.2.1.43.11.1.1.6.1.1",
        "1.3.6.1.2.1.43.11.1.1.8.1.1",
        "1.3.6.1.2.1.43.11.1.1.9.1.1",
        "1.3.6.1.2.1.43.11.1.1.9.x.y",
        "1.3.6.1.2.1.43.11.1.1.6.1.²",
        "1.3.6.1.2.1.43.12.1.1.4.1.1",
        "garbage",
    ]
)
snmp_values = st.one_of(
    st.integers(-(2**63), 2**64), st.binary(max_size=20), st.text(max_size=20), st.none(), st.floats()
)


@settings(max_examples=400, deadline=None)
@given(st.dictionaries(oids, snmp_values, max_size=10))
def test_garbage_values_never_crash(values) -> None:
    try:
        status = parse_snmp_values(values, measured_at=NOW)
    except BadAnswer:
        return
    for supply in status.supplies:
        assert supply.level_pct is None or 0 <= supply.level_pct <= 100
    raw = values.get("1.3.6.1.2.1.25.3.5.1.1.1")
    said_idle = isinstance(raw, (int, str)) and str(raw).strip() in ("3", "03", "003")
    if not said_idle:
        assert status.state is not PrinterState.IDLE
