from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from devices.errors import BadAnswer
from devices.robot import (
    parse_battery_level,
    parse_bluetoothctl_info,
    parse_busctl_battery1,
    parse_repl_battery,
    parse_thymio_vbat,
    parse_upower,
)
from devices.robot.bluez import find_device, parse_battery1

VARIANTS = ["as_captured", "crlf", "trailing_spaces", "lowercase", "no_final_newline"]


@pytest.mark.parametrize("variant", VARIANTS)
def test_bluetoothctl_battery_line(capture, variants, variant: str) -> None:
    info = parse_bluetoothctl_info(variants(capture("bluetoothctl_battery_line_only_tab"))[variant])
    assert info.battery_pct == 100 and info.available


@pytest.mark.parametrize("variant", VARIANTS)
def test_bluetoothctl_without_battery_line_is_none(capture, variants, variant: str) -> None:
    info = parse_bluetoothctl_info(variants(capture("bluetoothctl_ds4_connected_no_battery"))[variant])
    assert info.battery_pct is None
    assert info.connected is True
    assert info.address == "4C:B9:9B:E3:1A:C4"
    assert info.name is not None and info.name.lower() == "wireless controller"


def test_bluetoothctl_other_forms() -> None:
    assert parse_bluetoothctl_info("\tBattery Percentage: 0x1e\n").battery_pct == 30
    assert parse_bluetoothctl_info("Battery Percentage: (7)").battery_pct == 7
    gone = parse_bluetoothctl_info("Device AA:BB:CC:DD:EE:FF not available\n")
    assert gone.available is False and gone.battery_pct is None
    with pytest.raises(BadAnswer):
        parse_bluetoothctl_info("\tBattery Percentage: 0xc8 (200)\n")
    with pytest.raises(BadAnswer):
        parse_bluetoothctl_info("\tBattery Percentage: lots\n")
    with pytest.raises(BadAnswer):
        parse_bluetoothctl_info("bash: bluetoothctl: command not found\n")


@pytest.mark.parametrize("variant", VARIANTS)
def test_upower_and_busctl(capture, variants, variant: str) -> None:
    text = variants(capture("upower_and_busctl_wh1000xm3_100pct"))[variant]
    assert parse_upower(text) == 100
    assert parse_busctl_battery1(text) == 100


def test_upower_variants() -> None:
    assert parse_upower("  native-path: /org/bluez/hci0/dev_X\n  percentage:  42,5%\n") == 42
    assert parse_upower("  model: Thing\n  power supply: no\n") is None
    assert parse_upower("  model: Thing\n  percentage: 0% (should be ignored)\n") is None
    with pytest.raises(BadAnswer):
        parse_upower("  model: x\n  percentage: 140%\n")
    with pytest.raises(BadAnswer):
        parse_upower("failed to connect to system bus")
    assert parse_busctl_battery1("org.bluez.Device1 interface - - -\n") is None


def test_battery_level_characteristic() -> None:
    assert parse_battery_level(b"\x64") == 100
    assert parse_battery_level(bytearray([0])) == 0
    for bad in (b"", b"\x65", b"\x10\x00", "7"):
        with pytest.raises(BadAnswer):
            parse_battery_level(bad)  # type: ignore[arg-type]


def test_repl_battery() -> None:
    echo = "import hub; print('BAT=%d' % hub.battery.capacity_left())\r\n"
    assert parse_repl_battery(echo + "BAT=87\r\n>>> ") == 87
    assert (
        parse_repl_battery(
            echo + "Traceback (most recent call last):\r\n"
            "AttributeError: 'module' object has no attribute 'battery'\r\n"
        )
        is None
    )
    with pytest.raises(BadAnswer):
        parse_repl_battery(echo + ">>> ")  # the echo alone is not an answer
    with pytest.raises(BadAnswer):
        parse_repl_battery("BAT=250\r\n")


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400))
def test_text_garbage_only_bad_answer(text: str) -> None:
    for parser in (parse_bluetoothctl_info, parse_upower, parse_busctl_battery1, parse_repl_battery):
        try:
            result = parser(text)
        except BadAnswer:
            continue
        level = getattr(result, "battery_pct", result)
        assert level is None or 0 <= level <= 100


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=8))
def test_characteristic_garbage_only_bad_answer(value: bytes) -> None:
    try:
        assert 0 <= parse_battery_level(value) <= 100
    except BadAnswer:
        pass


def test_thymio_vbat_volts_use_the_firmware_formula() -> None:
    # behavior.c: centivolts = (vbat[0] + vbat[1]) * 1000 / 3978; 390 = three LEDs
    assert parse_thymio_vbat((776, 776)) == 3.9
    assert parse_thymio_vbat([800, 800]) == 4.02
    for bad in ((0, 0), (812,), (1, 2, 3), (-1, 900), (40000, 40000), "800,800", (True, 800)):
        with pytest.raises(BadAnswer):
            parse_thymio_vbat(bad)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(min_value=-70000, max_value=70000), max_size=3))
def test_thymio_vbat_garbage_only_bad_answer(words: list[int]) -> None:
    try:
        assert 0 < parse_thymio_vbat(tuple(words)) <= 6
    except BadAnswer:
        pass


def test_bluez_objects() -> None:
    objects = {
        "/org/bluez/hci1/dev_AA_BB_CC_DD_EE_01": {
            "org.bluez.Device1": {"Address": "AA:BB:CC:DD:EE:01"},
            "org.bluez.Battery1": {"Percentage": 42},
        },
        "/org/bluez/hci1": {},
    }
    path, interfaces = find_device(objects, "aa:bb:cc:dd:ee:01")
    assert path.startswith("/org/bluez/hci1/") and parse_battery1(interfaces) == 42
    assert find_device(objects, "AA:BB:CC:DD:EE:02") is None
    assert parse_battery1({"org.bluez.Device1": {}}) is None
    for bad in (101, -1, "42", None, True):
        with pytest.raises(BadAnswer):
            parse_battery1({"org.bluez.Battery1": {"Percentage": bad}})
