"""eSCL XML -> scanner facts, on real captures and on firmware-style variants."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from devices.errors import BadAnswer
from devices.scanner.parse import ScannerState, parse_capabilities, parse_status

NOW = datetime(2026, 3, 2, 7, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    "case, make, model, platen, adf, duplex",
    [
        ("adf_only_duplex_no_make", None, "DS-940DW", False, True, True),
        ("platen_only_manufacturer_element", "Canon", "TS5300 series", True, False, False),
        ("platen_and_adf_simplex", "HP", "Color Laser MFP 179fnw", True, True, False),
        ("platen_only_make_missing_from_model", "HP", "DeskJet 2700 All-in-One Printer series", True, False, False),
        ("platen_and_adf_make_in_model", "Kyocera", "ECOSYS M5521cdn", True, True, False),
    ],
)
def test_capabilities_of_real_scanners(capture, case, make, model, platen, adf, duplex) -> None:
    caps = parse_capabilities(capture(case))
    assert (caps.make, caps.model) == (make, model)
    assert (caps.has_platen, caps.has_adf, caps.adf_duplex) == (platen, adf, duplex)
    assert caps.escl_version == "2.63"  # pwg:Version, not the one inside Certifications
    assert caps.uuid


def test_status_processing_with_one_active_job(capture) -> None:
    status = parse_status(capture("status_processing_adf_empty_two_jobs"), measured_at=NOW)
    assert status.state is ScannerState.PROCESSING
    assert status.state_raw == "Processing"
    assert status.adf_state == "ScannerAdfEmpty" and not status.adf_fault
    assert status.active_jobs == 1  # the Aborted job does not count
    assert status.measured_at == NOW


def test_status_variant_lowercase_crlf_no_namespace_bom(capture) -> None:
    text = capture("status_processing_adf_empty_two_jobs").decode()
    text = (
        text.replace("pwg:", "")
        .replace("scan:", "")
        .replace("Processing", " processing ")
        .replace("ScannerAdfEmpty", "scanneradfjam")
        .replace("\n", "\r\n")
    )
    text = text.replace("xmlns:pwg=", "xmlns:a=").replace("xmlns:scan=", "xmlns:b=")
    status = parse_status(b"\xef\xbb\xbf\r\n  " + text.encode(), measured_at=NOW)
    assert status.state is ScannerState.PROCESSING
    assert status.adf_state == "ScannerAdfJam" and status.adf_fault


def test_status_with_default_namespace_and_missing_adf() -> None:
    xml = b"""<?xml version="1.0"?>
    <ScannerStatus xmlns="http://schemas.hp.com/imaging/escl/2011/05/03">
      <Version>2.0</Version><State>Stopped</State></ScannerStatus>"""
    status = parse_status(xml, measured_at=NOW)
    assert status.state is ScannerState.STOPPED
    assert status.adf_state is None and not status.adf_fault


@pytest.mark.parametrize(
    "raw, state",
    [
        ("Idle", ScannerState.IDLE),
        ("Testing", ScannerState.TESTING),
        ("Down", None),
        ("", None),
    ],
)
def test_state_values(raw, state) -> None:
    xml = (
        f"<scan:ScannerStatus xmlns:scan='s' xmlns:pwg='p'><pwg:State>{raw}</pwg:State>"
        f"<scan:AdfState>ScannerAdfSomethingNew</scan:AdfState></scan:ScannerStatus>"
    )
    status = parse_status(xml, measured_at=NOW)
    assert status.state is state
    assert status.adf_state == "ScannerAdfSomethingNew"  # unknown values are kept as sent


def test_capabilities_without_make_and_model() -> None:
    caps = parse_capabilities(b"<ScannerCapabilities><Platen/></ScannerCapabilities>")
    assert (caps.make_and_model, caps.make, caps.model) == (None, None, None)
    assert caps.has_platen and not caps.has_adf


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"   ",
        b"<html><body>Login</body></html>",
        b"<ScannerStatus>",
        b"\x00\xff\xfe",
        b"<?xml version='1.0'?><a/>",
        b'<!DOCTYPE x [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><ScannerStatus>&b;</ScannerStatus>',
    ],
)
def test_not_escl_is_a_bad_answer(body: bytes) -> None:
    with pytest.raises(BadAnswer):
        parse_status(body, measured_at=NOW)
    with pytest.raises(BadAnswer):
        parse_capabilities(body)


def test_capabilities_document_is_not_a_status(capture) -> None:
    with pytest.raises(BadAnswer, match="expected eSCL ScannerStatus"):
        parse_status(capture("platen_and_adf_simplex"), measured_at=NOW)


xml_text = st.one_of(
    st.binary(max_size=200),
    st.text(max_size=200).map(str.encode),
    st.builds(
        lambda state, adf: (
            f"<ScannerStatus><State>{state}</State><AdfState>{adf}</AdfState></ScannerStatus>"
        ).encode(),
        st.text(max_size=20),
        st.text(max_size=20),
    ),
)


@settings(max_examples=300, deadline=None)
@given(xml_text)
def test_garbage_never_crashes_nor_reads_idle(body: bytes) -> None:
    try:
        status = parse_status(body, measured_at=NOW)
    except BadAnswer:
        return
    if status.state is ScannerState.IDLE:
        assert (status.state_raw or "").lower() == "idle"


@settings(max_examples=200, deadline=None)
@given(xml_text)
def test_garbage_capabilities_never_crash(body: bytes) -> None:
    try:
        parse_capabilities(body)
    except BadAnswer:
        pass
