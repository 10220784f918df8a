"""The IPP codec: requests we send, real replies we decode, garbage we refuse."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from devices.errors import BadAnswer
from devices.printer import ipp
from devices.printer.ipp import Attribute


def test_request_layout_matches_rfc8010() -> None:
    body = ipp.get_printer_attributes_request(
        "ipp://127.0.0.1:631/ipp/print", ("printer-state", "marker-levels"), request_id=7
    )
    assert body[:8] == bytes([2, 0, 0x00, 0x0B, 0, 0, 0, 7])
    assert body[8] == ipp.OPERATION_GROUP
    # the first attribute must be attributes-charset, then natural-language (RFC 8011 §4.1.4)
    assert body[9:12] == b"\x47\x00\x12" and body[12:30] == b"attributes-charset"
    assert body.endswith(b"\x44\x00\x00\x00\x0dmarker-levels\x03")
    decoded = ipp.decode_message(body)
    operation = decoded.group(ipp.OPERATION_GROUP)
    assert operation["printer-uri"] == ["ipp://127.0.0.1:631/ipp/print"]
    assert operation["requested-attributes"] == ["printer-state", "marker-levels"]
    assert decoded.code == ipp.GET_PRINTER_ATTRIBUTES and decoded.request_id == 7


def test_round_trip_of_every_value_kind_and_nested_collection() -> None:
    media = {
        "media-size": (
            ipp.BEG_COLLECTION,
            ({"x-dimension": (ipp.INTEGER, (21000,)), "y-dimension": (ipp.INTEGER, (29700,))},),
        ),
        "media-source": (ipp.KEYWORD, ("main", "manual")),
    }
    attrs = [
        Attribute(name="marker-levels", tag=ipp.INTEGER, values=(-3, 0, 100)),
        Attribute(name="printer-state", tag=ipp.ENUM, values=(5,)),
        Attribute(name="printer-is-accepting-jobs", tag=ipp.BOOLEAN, values=(False,)),
        Attribute(name="copies-supported", tag=ipp.RANGE_OF_INTEGER, values=((1, 99),)),
        Attribute(name="printer-resolution-default", tag=ipp.RESOLUTION, values=((600, 600, 3),)),
        Attribute(name="printer-info", tag=ipp.TEXT_WITH_LANGUAGE, values=(("fr", "Salle 1 é"),)),
        Attribute(name="media-col-default", tag=ipp.BEG_COLLECTION, values=(media,)),
        Attribute(name="printer-alert", tag=ipp.NO_VALUE, values=(None,)),
    ]
    body = ipp.encode_message(code=0, request_id=3, groups=[(ipp.PRINTER_GROUP, attrs)])
    printer = ipp.decode_message(body).group(ipp.PRINTER_GROUP)
    assert printer["marker-levels"] == [-3, 0, 100]
    assert printer["printer-state"] == [5]
    assert printer["printer-is-accepting-jobs"] == [False]
    assert printer["copies-supported"] == [(1, 99)]
    assert printer["printer-resolution-default"] == [(600, 600, 3)]
    assert printer["printer-info"] == ["Salle 1 é"]
    assert printer["media-col-default"] == [
        {"media-size": [{"x-dimension": [21000], "y-dimension": [29700]}], "media-source": ["main", "manual"]}
    ]
    assert printer["printer-alert"] == [None]


def test_decodes_real_epson_reply_with_collections(capture_path) -> None:
    message = ipp.decode_message(capture_path("ipp_epson_xp6000_ink_low_warning").read_bytes())
    assert message.version == (2, 0) and message.code == 0
    printer = message.group(ipp.PRINTER_GROUP)
    assert len(printer) > 100
    default = printer["media-col-default"]
    assert default[0]["media-size"] == [{"x-dimension": [21590], "y-dimension": [27940]}]
    assert default[0]["media-source"] == ["main"]
    assert all(isinstance(entry, dict) for entry in printer["media-col-ready"])


def test_unsupported_group_is_kept_apart(capture_path) -> None:
    message = ipp.decode_message(capture_path("ipp_kyocera_no_markers_reasons_unsupported").read_bytes())
    assert [tag for tag, _ in message.groups] == [1, 5, 4]
    assert "printer-state-reasons" not in message.group(ipp.PRINTER_GROUP)
    assert message.status_name == "successful-ok-ignored-or-substituted-attributes"


def test_extension_tag_carries_its_real_type() -> None:
    value = struct.pack(">I", ipp.INTEGER) + struct.pack(">i", 42)
    body = (
        bytes([1, 1, 0, 0, 0, 0, 0, 1, ipp.PRINTER_GROUP, ipp.EXTENSION, 0, 1])
        + b"x"
        + struct.pack(">H", len(value))
        + value
        + b"\x03"
    )
    assert ipp.decode_message(body).group(ipp.PRINTER_GROUP)["x"] == [42]


@pytest.mark.parametrize(
    "body, why",
    [
        (b"", "empty"),
        (b"HTTP/1.1 200 OK\r\n", "text"),
        (bytes([2, 0, 0, 0, 0, 0, 0, 1, 4]), "no end tag"),
        (bytes([2, 0, 0, 0, 0, 0, 0, 1, 4, 0x21, 0, 1]) + b"a" + b"\x00\x04\x00", "truncated value"),
        (bytes([2, 0, 0, 0, 0, 0, 0, 1, 4, 0x21, 0, 1]) + b"a" + b"\x00\x02\x00\x00\x03", "2-byte integer"),
        (bytes([2, 0, 0, 0, 0, 0, 0, 1, 0x21, 0, 1]) + b"a\x00\x04\x00\x00\x00\x01\x03", "attribute before any group"),
        (bytes([2, 0, 0, 0, 0, 0, 0, 1, 4, 0x34, 0, 1]) + b"c\x00\x00\x03", "open collection"),
    ],
)
def test_malformed_messages_are_bad_answers(body: bytes, why: str) -> None:
    with pytest.raises(BadAnswer):
        ipp.decode_message(body)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_garbage_never_crashes_the_decoder(body: bytes) -> None:
    try:
        ipp.decode_message(body)
    except BadAnswer:
        pass


EPSON = (
    Path(__file__).parent
    / "captures"
    / "ipp_epson_xp6000_ink_low_warning"
    / "pyipp_get-printer-attributes_epsonxp6000.bin"
)


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=9182), st.binary(min_size=1, max_size=4))
def test_corrupted_real_reply_never_crashes_the_decoder(offset: int, junk: bytes) -> None:
    body = bytearray(EPSON.read_bytes())
    body[offset : offset + len(junk)] = junk
    try:
        ipp.decode_message(bytes(body))
    except BadAnswer:
        pass
