from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from devices.errors import BadAnswer
from devices.ipad.parse import (
    bundle_ids_from_cfgutil,
    parse_cfgutil_json,
    parse_ideviceinfo,
    parse_installer_list,
    to_bool,
    to_pct,
)

VARIANTS = ["as_captured", "crlf", "trailing_spaces", "lowercase", "no_final_newline"]


@pytest.mark.parametrize("variant", VARIANTS)
def test_ideviceinfo_ipad2(capture, variants, variant: str) -> None:
    info = parse_ideviceinfo(variants(capture("ideviceinfo_ipad2_ios9_nested_nvram_no_serial"))[variant])
    assert info["producttype"].lower() == "ipad2,1"
    assert info["productversion"] == "9.3.5"
    assert info["devicename"].lower() == "ipad"
    assert "serialnumber" not in info  # partial capture: absent, not invented
    assert "auto-boot" not in info and info["partitiontype"] == ""  # nested dict skipped
    assert info["regioninfo"].lower() == "nf/a"


@pytest.mark.parametrize("variant", VARIANTS)
def test_battery_domain(capture, variants, variant: str) -> None:
    info = parse_ideviceinfo(variants(capture("battery_charging_70pct"))[variant])
    assert to_pct(info["batterycurrentcapacity"]) == 70
    assert to_bool(info["batteryischarging"]) is True
    assert to_bool(info["externalconnected"]) is True
    assert to_bool(info["fullycharged"]) is False


@pytest.mark.parametrize("variant", ["as_captured", "crlf", "trailing_spaces", "no_final_newline"])
def test_installer_legacy(capture, variants, variant: str) -> None:
    apps = parse_installer_list(variants(capture("installer_legacy_total_2_apps"))[variant])
    assert apps == {"uk.co.bbc.titan.IPAddress", "uk.co.bbc.iplayer"}


@pytest.mark.parametrize("variant", ["as_captured", "crlf", "trailing_spaces", "no_final_newline"])
def test_installer_csv(capture, variants, variant: str) -> None:
    apps = parse_installer_list(variants(capture("installer_csv_format_doc_example"))[variant])
    assert apps == {"sg.vp.UnCrackable1.QH868V5764", "org.owasp.mastestapp.MASTestApp", "com.apple.TestFlight"}


def test_installer_lowercase_headers(capture) -> None:
    assert len(parse_installer_list(capture("installer_legacy_total_2_apps").lower())) == 2
    assert len(parse_installer_list(capture("installer_csv_format_doc_example").lower())) == 3


def test_installer_edge_cases() -> None:
    assert parse_installer_list("Total: 0 apps\n") == frozenset()
    assert parse_installer_list("CFBundleIdentifier, CFBundleVersion, CFBundleDisplayName\n") == frozenset()
    with pytest.raises(BadAnswer, match="announced 3"):
        parse_installer_list("Total: 3 apps\norg.a - A 1\norg.b - B 2\n")  # cut output
    with pytest.raises(BadAnswer):
        parse_installer_list("")
    with pytest.raises(BadAnswer):
        parse_installer_list("ERROR: Could not connect to lockdownd\n")


def test_cfgutil_real_output_with_errors_block(capture) -> None:
    props = parse_cfgutil_json(capture("cfgutil_get_ipad6_7_with_errors_block"), "0x970E80428AC26")
    assert props["deviceType"] == "iPad6,7" and props["serialNumber"] == "DLXQK7WRGMLD"
    # ECID given without 0x / in lowercase, or not given for the only device
    assert (
        parse_cfgutil_json(capture("cfgutil_get_ipad6_7_with_errors_block"), "970e80428ac26")["deviceType"] == "iPad6,7"
    )
    assert parse_cfgutil_json(capture("cfgutil_get_ipad6_7_with_errors_block"), None)["deviceType"] == "iPad6,7"
    with pytest.raises(LookupError):
        parse_cfgutil_json(capture("cfgutil_get_ipad6_7_with_errors_block"), "0xDEAD")


def test_cfgutil_error_and_garbage() -> None:
    with pytest.raises(LookupError, match="No devices"):
        parse_cfgutil_json(json.dumps({"Type": "Error", "Message": "No devices attached"}), "0x1")
    for bad in ("[]", "{}", "not json", json.dumps({"Type": "CommandOutput", "Output": []})):
        with pytest.raises(BadAnswer):
            parse_cfgutil_json(bad, "0x1")


def test_cfgutil_installed_apps_shapes() -> None:
    assert bundle_ids_from_cfgutil([{"bundleIdentifier": "com.a.b", "displayName": "B"}]) == {"com.a.b"}
    assert bundle_ids_from_cfgutil(["com.a.b", "org.c"]) == {"com.a.b", "org.c"}
    assert bundle_ids_from_cfgutil(None) == frozenset()
    with pytest.raises(BadAnswer):
        bundle_ids_from_cfgutil({"com.a.b": 1})
    with pytest.raises(BadAnswer):
        bundle_ids_from_cfgutil([{"displayName": "nameless"}])


def test_to_pct_bounds() -> None:
    assert to_pct(None) is None and to_pct("") is None and to_pct(" 55 ") == 55
    for bad in ("101", "-1", "abc", True):
        with pytest.raises(BadAnswer):
            to_pct(bad)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400))
def test_garbage_only_bad_answer(text: str) -> None:
    for parser in (parse_ideviceinfo, parse_installer_list):
        try:
            parser(text)
        except BadAnswer:
            pass
    try:
        parse_cfgutil_json(text, None)
    except (BadAnswer, LookupError):
        pass


@settings(max_examples=200, deadline=None)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=10),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
        max_leaves=20,
    )
)
def test_json_garbage_only_bad_answer(value) -> None:
    try:
        parse_cfgutil_json(json.dumps(value), "0x1")
    except (BadAnswer, LookupError):
        pass
    try:
        bundle_ids_from_cfgutil(value)
    except BadAnswer:
        pass
