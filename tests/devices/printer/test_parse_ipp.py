"""IPP Get-Printer-Attributes replies -> PrinterStatus, on real captures and variants."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from devices.errors import AuthenticationFailed, BadAnswer
from devices.printer import ipp
from devices.printer.ipp import Attribute
from devices.printer.models import PrinterState
from devices.printer.parse import parse_ipp_response

NOW = datetime(2026, 3, 2, 7, 30, tzinfo=UTC)


def reply(*attrs: Attribute, code: int = 0) -> bytes:
    operation = [Attribute(name="attributes-charset", tag=ipp.CHARSET, values=("utf-8",))]
    groups = [(ipp.OPERATION_GROUP, operation)]
    if attrs:
        groups.append((ipp.PRINTER_GROUP, list(attrs)))
    return ipp.encode_message(code=code, request_id=1, groups=groups)


def test_epson_inkjet_with_one_low_ink(capture_path) -> None:
    status = parse_ipp_response(
        capture_path("ipp_epson_xp6000_ink_low_warning").read_bytes(), measured_at=NOW, host="192.168.1.92"
    )
    assert status.source == "ipp" and status.host == "192.168.1.92"
    assert status.state is PrinterState.IDLE
    assert status.reasons == ("marker-supply-low-warning",)
    assert (status.make, status.model) == ("EPSON", "XP-6000 Series")
    assert status.make_and_model == "EPSON XP-6000 Series"
    assert status.uri == "ipp://192.168.1.92:631/ipp/print"
    assert status.firmware == "20.44.NU25M7"
    assert status.location is None  # sent as an empty string
    assert [(s.name, s.colour, s.level_pct) for s in status.supplies] == [
        ("Photo Black ink", "black", 27),
        ("Cyan ink", "cyan", 99),
        ("Magenta ink", "magenta", 83),
        ("Yellow ink", "yellow", 6),
        ("Black ink", "black", 64),
    ]
    assert {s.kind for s in status.supplies} == {"ink-cartridge"}
    assert {s.low_level_pct for s in status.supplies} == {15}
    assert status.measured_at == NOW


def test_kyocera_without_markers_nor_reasons(capture_path) -> None:
    status = parse_ipp_response(
        capture_path("ipp_kyocera_no_markers_reasons_unsupported").read_bytes(), measured_at=NOW
    )
    assert status.state is PrinterState.IDLE
    assert status.reasons == ()
    assert status.supplies == ()  # not reported: checks must say unknown, not full
    assert (status.make, status.model) == ("Kyocera", "ECOSYS M2540dn")
    assert status.state_message == "Sleeping..."
    assert status.uri == "ipp://10.104.12.95:631/ipp/print"
    assert (status.info, status.location) == ("mfu00-0365", "8409")


def test_version_not_supported_error_is_a_bad_answer(capture_path) -> None:
    with pytest.raises(BadAnswer, match="version-not-supported"):
        parse_ipp_response(capture_path("ipp_error_version_not_supported").read_bytes(), measured_at=NOW)


@pytest.mark.parametrize("code", [0x0401, 0x0402, 0x0403])
def test_ipp_authentication_statuses(code: int) -> None:
    with pytest.raises(AuthenticationFailed):
        parse_ipp_response(reply(code=code), measured_at=NOW)


def test_success_without_printer_group_is_a_bad_answer() -> None:
    with pytest.raises(BadAnswer, match="no printer attributes"):
        parse_ipp_response(reply(), measured_at=NOW)


def test_stopped_paper_empty_and_level_codes() -> None:
    status = parse_ipp_response(
        reply(
            Attribute(name="printer-state", tag=ipp.ENUM, values=(5,)),
            Attribute(
                name="printer-state-reasons",
                tag=ipp.KEYWORD,
                values=("MEDIA-EMPTY-ERROR ", "none", "media-empty-error"),
            ),
            Attribute(name="marker-names", tag=ipp.NAME, values=("Black", "Cyan", "Waste", "Fuser")),
            Attribute(name="marker-levels", tag=ipp.INTEGER, values=(-3, -2, -1, 250)),
            Attribute(name="marker-colors", tag=ipp.NAME, values=("#000000", "#00FFFF", "none")),
            Attribute(name="printer-make-and-model", tag=ipp.TEXT, values=("  HP   LaserJet Pro M404dn \r\n",)),
        ),
        measured_at=NOW,
    )
    assert status.state is PrinterState.STOPPED
    assert status.reasons == ("media-empty-error",)  # lower-cased, stripped, deduplicated
    black, cyan, waste, fuser = status.supplies
    assert (black.level_pct, black.raw_level, black.some_remaining) == (None, -3, True)
    assert (cyan.level_pct, cyan.raw_level, cyan.some_remaining) == (None, -2, False)
    assert (waste.level_pct, waste.colour) == (None, None)
    assert (fuser.level_pct, fuser.raw_level, fuser.colour) == (None, 250, None)
    assert (status.make, status.model) == ("HP", "LaserJet Pro M404dn")


def test_unknown_state_value_and_ragged_marker_arrays() -> None:
    status = parse_ipp_response(
        reply(
            Attribute(name="printer-state", tag=ipp.ENUM, values=(9,)),
            Attribute(name="marker-levels", tag=ipp.INTEGER, values=(40, 50)),
            Attribute(name="marker-names", tag=ipp.NAME, values=("Yellow toner",)),
        ),
        measured_at=NOW,
    )
    assert status.state is None
    assert [(s.name, s.colour, s.level_pct) for s in status.supplies] == [
        ("Yellow toner", "yellow", 40),
        ("marker 2", None, 50),
    ]


def test_printer_supply_is_used_when_there_are_no_markers() -> None:
    status = parse_ipp_response(
        reply(
            Attribute(name="printer-state", tag=ipp.ENUM, values=(3,)),
            Attribute(
                name="printer-supply",
                tag=ipp.OCTET_STRING,
                values=(
                    b"index=1;class=receptacleThatIsFilled;type=wasteToner;unit=percent;"
                    b"maxcapacity=100;level=4;colorantname=unknown;",
                    b"index=2;class=supplyThatIsConsumed;type=toner;unit=percent;maxcapacity=200;"
                    b"level=50;colorantname=black;",
                ),
            ),
            Attribute(name="printer-supply-description", tag=ipp.TEXT, values=("Toner Waste Tank", "Black Toner")),
        ),
        measured_at=NOW,
    )
    assert [(s.name, s.kind, s.colour, s.level_pct, s.max_capacity) for s in status.supplies] == [
        ("Toner Waste Tank", "waste-toner", None, 4, 100),
        ("Black Toner", "toner", "black", 25, 200),
    ]


def test_device_id_wins_over_make_and_model() -> None:
    status = parse_ipp_response(
        reply(
            Attribute(name="printer-make-and-model", tag=ipp.TEXT, values=("ECOSYS M2540dn",)),
            Attribute(
                name="printer-device-id", tag=ipp.TEXT, values=("manufacturer:KYOCERA;model:ECOSYS M2540dn;CMD:PCLXL;",)
            ),
        ),
        measured_at=NOW,
    )
    assert (status.make, status.model) == ("KYOCERA", "ECOSYS M2540dn")


names = st.sampled_from(
    [
        "printer-state",
        "printer-state-reasons",
        "marker-levels",
        "marker-names",
        "marker-colors",
        "printer-make-and-model",
        "printer-device-id",
        "printer-supply",
        "printer-uri-supported",
    ]
)
tags = st.sampled_from(
    [ipp.INTEGER, ipp.ENUM, ipp.BOOLEAN, ipp.TEXT, ipp.KEYWORD, ipp.OCTET_STRING, ipp.NO_VALUE, ipp.URI]
)


@st.composite
def attribute(draw: st.DrawFn) -> Attribute:
    tag = draw(tags)
    if tag in (ipp.INTEGER, ipp.ENUM):
        values = draw(st.lists(st.integers(-(2**31), 2**31 - 1), min_size=1, max_size=4))
    elif tag == ipp.BOOLEAN:
        values = draw(st.lists(st.booleans(), min_size=1, max_size=3))
    elif tag == ipp.OCTET_STRING:
        values = draw(st.lists(st.binary(max_size=40), min_size=1, max_size=3))
    elif tag == ipp.NO_VALUE:
        values = [None]
    else:
        values = draw(st.lists(st.text(max_size=30), min_size=1, max_size=4))
    return Attribute(name=draw(names), tag=tag, values=tuple(values))


@settings(max_examples=300, deadline=None)
@given(st.lists(attribute(), max_size=8), st.integers(0, 0x0600))
def test_well_formed_but_odd_replies_never_crash(attrs: list[Attribute], code: int) -> None:
    """Any attribute with any type: facts or a DeviceError, never a crash nor a false idle."""
    try:
        status = parse_ipp_response(reply(*attrs, code=code), measured_at=NOW)
    except (BadAnswer, AuthenticationFailed):
        return
    if not any(a.name == "printer-state" and a.tag in (ipp.ENUM, ipp.INTEGER) and 3 in a.values for a in attrs):
        assert status.state is not PrinterState.IDLE
    for supply in status.supplies:
        assert supply.level_pct is None or 0 <= supply.level_pct <= 100


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_garbage_is_only_ever_a_bad_answer(body: bytes) -> None:
    try:
        parse_ipp_response(body, measured_at=NOW)
    except (BadAnswer, AuthenticationFailed):
        pass
