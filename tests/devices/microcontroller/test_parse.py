from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from devices.errors import BadAnswer
from devices.microcontroller.boards import load_board_table, lookup, normalize_usb_id
from devices.microcontroller.parse import (
    encode_firmata_firmware,
    parse_firmata_answer,
    parse_probe_answer,
    parse_repl_answer,
    parse_usb_identity,
)

USB_CASES = {
    "dmesg_uno_r4_wifi_no_udev": ("2341", "1002", "F09E9E7B1E90", "arduino_uno_r4"),
    "macos_microbit_v1_spaces": ("0d28", "0204", "9900000031864e45001d1007000000680000000097969901", "microbit"),
    "macos_tiny2040_circuitpython_tabs": ("16d0", "08c7", "FD964D61FC47F353", "rp2040_circuitpython"),
}


@pytest.mark.parametrize("case", sorted(USB_CASES))
@pytest.mark.parametrize("variant", ["as_captured", "crlf", "trailing_spaces", "lowercase", "no_final_newline"])
def test_usb_identity_from_real_listings(capture, variants, case: str, variant: str) -> None:
    vendor, product, serial, kind = USB_CASES[case]
    identity = parse_usb_identity(variants(capture(case))[variant])
    assert (identity.vendor_id, identity.product_id) == (vendor, product)
    assert identity.serial is not None and identity.serial.lower() == serial.lower()
    spec = lookup(identity.vendor_id, identity.product_id)
    assert spec is not None and spec.kind == kind


@pytest.mark.parametrize("variant", ["as_captured", "crlf", "lowercase"])
def test_udevadm_cut_before_vendor_id(capture, variants, variant: str) -> None:
    # the capture stops before E: ID_VENDOR_ID: the product id alone must not be guessed
    identity = parse_usb_identity(variants(capture("udevadm_uno_r3_cut_before_vendor_from_db"))[variant])
    assert identity.vendor_id is None and identity.product_id == "0043"
    assert identity.serial == "75533343136351712150"
    assert lookup(identity.vendor_id, identity.product_id) is None


def test_usb_identity_names(capture) -> None:
    assert parse_usb_identity(capture("dmesg_uno_r4_wifi_no_udev")).product_name == "UNO WiFi R4 CMSIS-DAP"
    assert parse_usb_identity(capture("macos_microbit_v1_spaces")).manufacturer == "ARM"
    assert parse_usb_identity(capture("udevadm_uno_r3_cut_before_vendor_from_db")).product_name == "Uno R3 (CDC ACM)"


def test_board_table_ids_and_ambiguity() -> None:
    table = load_board_table()
    assert table[("0d28", "0204")].kind == "microbit"
    assert table[("2e8a", "0005")].protocol == "micropython"
    assert table[("0617", "000a")].kind == "thymio2"
    assert table[("10c4", "ea60")].ambiguous and table[("1a86", "7523")].ambiguous
    assert not table[("2341", "0043")].ambiguous
    assert normalize_usb_id("0x0D28") == "0d28" and normalize_usb_id(0x2E8A) == "2e8a"
    assert normalize_usb_id("zz") is None and normalize_usb_id(70000) is None


def test_centre_table_extends_and_overrides(tmp_path) -> None:
    extra = tmp_path / "boards.yml"
    extra.write_text(
        "boards:\n"
        "  - {vendor_id: '0x1234', product_id: 'ABCD', kind: calliope_mini,"
        " model_name: Calliope mini, protocol: micropython}\n"
        "  - {vendor_id: '1a86', product_id: '7523', kind: esp32_salle2,"
        " model_name: ESP32 de la salle 2}\n"
    )
    table = load_board_table(extra)
    assert table[("1234", "abcd")].kind == "calliope_mini"
    assert table[("1a86", "7523")].kind == "esp32_salle2"
    assert not table[("1a86", "7523")].ambiguous
    assert table[("0d28", "0204")].kind == "microbit"  # shipped rows still there


@pytest.mark.parametrize(
    "text",
    [
        "boards: 3\n",
        "- a\n",
        "boards:\n  - {vendor_id: 12345}\n",
        "boards:\n  - {vendor_id: '1', product_id: '2', kind: k, model_name: m, protocol: telnet}\n",
        "boards: [\n",
    ],
)
def test_bad_centre_table_is_reported(tmp_path, text: str) -> None:
    extra = tmp_path / "boards.yml"
    extra.write_text(text)
    with pytest.raises(BadAnswer):
        load_board_table(extra)


@pytest.mark.parametrize("variant", ["as_captured", "crlf", "trailing_spaces", "lowercase"])
def test_repl_banner_real(capture, variants, variant: str) -> None:
    text = variants(capture("repl_banner_pico_v1.14"))[variant]
    answer = parse_repl_answer(text.encode())
    assert answer.prompt_seen
    assert answer.banner is not None
    assert answer.banner.lower() == "micropython v1.14 on 2021-02-05; raspberry pi pico with rp2040"


def test_repl_variants() -> None:
    circuit = b"\r\nAdafruit CircuitPython 8.2.0 on 2023-07-05; Raspberry Pi Pico with rp2040\r\n>>> "
    assert parse_repl_answer(circuit).banner.startswith("Adafruit CircuitPython 8.2.0")
    only_prompt = parse_repl_answer(b"\r\n>>> ")
    assert only_prompt.prompt_seen and only_prompt.banner is None
    with pytest.raises(BadAnswer):
        parse_repl_answer(b"Hello from my sketch\r\n")


def test_firmata_standard_answer() -> None:
    data = bytes([0xF9, 2, 5]) + encode_firmata_firmware("StandardFirmata.ino", 2, 5)
    answer = parse_firmata_answer(data)
    assert answer.protocol_version == "2.5"
    assert answer.firmware == "StandardFirmata.ino 2.5"
    assert parse_firmata_answer(bytes([0x00, 0xF9, 2, 3])).firmware == "Firmata protocol 2.3"
    with pytest.raises(BadAnswer):
        parse_firmata_answer(bytes([0xF9, 0x92, 0x05]))  # not 7-bit: not a version
    with pytest.raises(BadAnswer):
        parse_firmata_answer(b"temperature=21.5\r\n")


def test_probe_answer() -> None:
    assert parse_probe_answer(b"OK fw=1.2.3\r\n", r"fw=(\S+)") == "1.2.3"
    with pytest.raises(BadAnswer):
        parse_probe_answer(b"ERR\r\n", r"fw=(\S+)")


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_garbage_bytes_only_bad_answer(data: bytes) -> None:
    for parser in (parse_repl_answer, parse_firmata_answer):
        try:
            parser(data)
        except BadAnswer:
            pass


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400))
def test_garbage_listing_only_bad_answer(text: str) -> None:
    try:
        identity = parse_usb_identity(text)
    except BadAnswer:
        return
    assert identity.vendor_id is not None or identity.product_id is not None
    assert all(len(i) == 4 for i in (identity.vendor_id, identity.product_id) if i)
