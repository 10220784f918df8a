"""OpenWrt / RouterOS parsers on real captures, variants, other vendors and garbage."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from devices.access_point.base import key_matches, validate_settings
from devices.access_point.parse_openwrt import (
    openwrt_security,
    parse_hostapd_clients,
    parse_iwinfo_assoclist,
    parse_openwrt_wireless,
    parse_ubus_list,
    parse_uci_show,
)
from devices.access_point.parse_routeros import (
    parse_count_only,
    parse_print,
    routeros_band,
    routeros_channel,
    routeros_key,
    routeros_security,
)
from devices.errors import BadAnswer

ROUTEROS_TERSE = (
    "routeros6_terse_hap_ac2_partial/mikrotik_routeros6_interface_wireless_print_terse_hap_ac2_ipq4019_partial.txt"
)
OTHER_VENDORS = [
    "other_vendors_must_be_rejected/ntc_cisco_wlc_show_wlan_summary.raw",
    "other_vendors_must_be_rejected/ntc_cisco_wlc_show_wlan_summary_pmipv6.raw",
    "other_vendors_must_be_rejected/ntc_huawei_ont_display_wifi_information.raw",
]


# --- RouterOS -------------------------------------------------------------------------------


def test_routeros_terse_capture(captures):
    [item] = parse_print((captures / ROUTEROS_TERSE).read_text())
    assert item.index == 0 and item.flags == {"R"}
    fields = item.fields
    assert (fields["name"], fields["ssid"], fields["mode"]) == ("wlan1", "TATAD", "ap-bridge")
    assert fields["area"] == "" and fields["secondary-frequency"] == ""
    assert fields["security-profile"] == "default"
    assert fields["supported-rates-a/g"].endswith("54Mbps")
    assert routeros_band(fields["band"]) == "2.4ghz"
    assert routeros_channel(fields["frequency"]) == "auto"


def test_routeros_capture_with_crlf_and_uppercase_flags_spacing(captures):
    text = (captures / ROUTEROS_TERSE).read_text().replace("0 R ", "  0   R  ").replace("\n", "\r\n")
    [item] = parse_print("Flags: X - disabled, R - running\r\n" + text)
    assert item.fields["ssid"] == "TATAD" and "R" in item.flags


DETAIL = """Flags: X - disabled, R - running
 0  R ;;; exam room
      name="wlan1" mtu=1500 l2mtu=1600 mac-address=4C:5E:0C:11:22:33 arp=enabled
      interface-type=Atheros AR9300 mode=ap-bridge ssid="Salle d'examen \\"1\\""
      area="" frequency=5180 band=5ghz-a/n/ac security-profile=exam
 1 X  name="wlan2" ssid="invites" frequency=2437 band=2ghz-b/g/n
"""


def test_routeros_print_detail_wrapped_and_quoted():
    first, second = parse_print(DETAIL)
    assert first.fields["interface-type"] == "Atheros AR9300"
    assert first.fields["ssid"] == 'Salle d\'examen "1"'
    assert routeros_band(first.fields["band"]) == "5ghz" and routeros_channel(first.fields["frequency"]) == "36"
    assert second.flags == {"X"} and routeros_channel(second.fields["frequency"]) == "6"


def test_routeros_detail_with_comment_lines():
    # RouterOS prints an item's comment on the numbered line, fields below it.
    [item] = parse_print('Flags: X - disabled\n 0 X ;;; salle 1\n      name="default" mode=none\n')
    assert item.flags == {"X"} and routeros_security(item.fields) == "open"
    [item] = parse_print('Flags: X - disabled\n 0   ;;; salle 1\n      name="default" mode=none\n')
    assert item.fields["name"] == "default"


@pytest.mark.parametrize(
    ("fields", "security", "key"),
    [
        ({"mode": "dynamic-keys", "authentication-types": "wpa2-psk", "wpa2-pre-shared-key": "k2"}, "wpa2-psk", "k2"),
        ({"mode": "dynamic-keys", "authentication-types": "wpa-psk", "wpa-pre-shared-key": "k1"}, "wpa-psk", "k1"),
        (
            {
                "mode": "dynamic-keys",
                "authentication-types": "wpa-psk,wpa2-psk",
                "wpa2-pre-shared-key": "k2",
                "wpa-pre-shared-key": "k1",
            },
            "wpa-wpa2-psk",
            "k2",
        ),
        ({"mode": "dynamic-keys", "authentication-types": "wpa2-eap"}, "wpa2-eap", None),
        ({"mode": "none", "authentication-types": ""}, "open", None),
        ({"mode": "static-keys-required"}, "wep", None),
        ({}, "unknown", None),
        ({"mode": "OPEN"}, "unknown:open", None),
        (
            {"mode": "dynamic-keys", "authentication-types": "wpa2-psk,foo", "wpa2-pre-shared-key": "k"},
            "unknown:foo,wpa2-psk",
            "k",
        ),
    ],
)
def test_routeros_security_profiles(fields, security, key):
    assert routeros_security(fields) == security
    assert routeros_key(fields) == key


def test_security_profile_terse_as_printed():
    text = (
        "0 * name=default mode=dynamic-keys authentication-types=wpa2-psk unicast-ciphers=aes-ccm "
        'wpa-pre-shared-key="a \\"b\\" \\$c" wpa2-pre-shared-key="a \\"b\\" \\$c" supplicant-identity=MikroTik '
        "mschapv2-username= management-protection-key="
    )
    [item] = parse_print(text)
    assert item.flags == {"*"} and routeros_key(item.fields) == 'a "b" $c'
    assert 'a \\"b' not in repr(item) and "$c" not in repr(item)  # the key stays out of repr


@pytest.mark.parametrize(("text", "count"), [("2", 2), ("  0\r\n", 0), ("\n17\n", 17)])
def test_count_only(text, count):
    assert parse_count_only(text) == count


@pytest.mark.parametrize("text", ["", "bad command name count-only (line 1 column 40)", "two", "-1"])
def test_count_only_errors(text):
    with pytest.raises(BadAnswer):
        parse_count_only(text)


@pytest.mark.parametrize(
    "text", ["bad command name wireless (line 1 column 12)", "syntax error (line 1 column 5)", "no such item"]
)
def test_routeros_errors_are_not_print_output(text):
    with pytest.raises(BadAnswer):
        parse_print(text)


def test_empty_print_means_no_items():
    assert parse_print("Flags: X - disabled, R - running\n") == []


@pytest.mark.parametrize("name", OTHER_VENDORS)
def test_other_vendors_are_rejected(captures, name):
    text = (captures / name).read_text()
    for parse in (parse_print, parse_uci_show, parse_count_only, parse_iwinfo_assoclist, parse_hostapd_clients):
        with pytest.raises(BadAnswer):
            parse(text)


# --- OpenWrt --------------------------------------------------------------------------------

UCI_NAMED = """wireless.radio0=wifi-device
wireless.radio0.type='mac80211'
wireless.radio0.path='platform/soc/a000000.wifi'
wireless.radio0.channel='36'
wireless.radio0.band='5g'
wireless.radio0.htmode='VHT80'
wireless.default_radio0=wifi-iface
wireless.default_radio0.device='radio0'
wireless.default_radio0.network='lan'
wireless.default_radio0.mode='ap'
wireless.default_radio0.ssid='Salle d'\\''examen'
wireless.default_radio0.encryption='psk2+ccmp'
wireless.default_radio0.key='Cle secrete'
"""

UCI_ANONYMOUS_OLD = """wireless.radio0=wifi-device
wireless.radio0.type='mac80211'
wireless.radio0.hwmode='11g'
wireless.radio0.channel='auto'
wireless.radio0.disabled='1'
wireless.@wifi-iface[0]=wifi-iface
wireless.@wifi-iface[0].device='radio0'
wireless.@wifi-iface[0].mode='ap'
wireless.@wifi-iface[0].ssid='OpenWrt'
wireless.@wifi-iface[0].ifname='wlan0'
wireless.@wifi-iface[1]=wifi-iface
wireless.@wifi-iface[1].device='radio0'
wireless.@wifi-iface[1].ssid='Invites'
wireless.@wifi-iface[1].encryption='sae'
wireless.@wifi-iface[1].disabled='1'
"""


def test_uci_named_sections():
    config = parse_openwrt_wireless(UCI_NAMED)
    assert config.iface_section == "default_radio0" and config.radio_section == "radio0"
    assert config.ssid == "Salle d'examen" and config.key == "Cle secrete"
    assert openwrt_security(config.encryption) == "wpa2-psk"
    assert (config.band, config.channel, config.radio_disabled) == ("5ghz", "36", False)
    assert "Cle secrete" not in repr(config)


def test_uci_crlf_and_trailing_spaces():
    config = parse_openwrt_wireless(UCI_NAMED.replace("\n", "  \r\n"))
    assert config.ssid == "Salle d'examen" and config.channel == "36"


def test_uci_anonymous_sections_old_hwmode_and_second_iface():
    first = parse_openwrt_wireless(UCI_ANONYMOUS_OLD)
    assert first.iface_section == "@wifi-iface[0]" and first.ifname == "wlan0"
    assert first.radio_disabled and first.band == "2.4ghz" and first.channel == "auto"
    assert first.encryption is None and openwrt_security(first.encryption) == "open"
    second = parse_openwrt_wireless(UCI_ANONYMOUS_OLD, iface_index=1)
    assert second.ssid == "Invites" and second.iface_disabled and openwrt_security(second.encryption) == "wpa3-sae"
    with pytest.raises(BadAnswer, match="number 2"):
        parse_openwrt_wireless(UCI_ANONYMOUS_OLD, iface_index=2)


def test_uci_extended_names():
    text = UCI_NAMED.replace("default_radio0", "cfg033579")
    assert parse_openwrt_wireless(text).iface_section == "cfg033579"


@pytest.mark.parametrize(
    ("encryption", "security"),
    [
        ("psk2", "wpa2-psk"),
        ("PSK2+CCMP", "wpa2-psk"),
        ("sae", "wpa3-sae"),
        ("sae-mixed", "wpa2-wpa3"),
        ("psk-mixed+tkip+ccmp", "wpa-wpa2-psk"),
        ("none", "open"),
        ("owe", "owe"),
        ("wpa2", "wpa2-eap"),
        ("wep-open", "wep"),
        ("future-thing", "unknown:future-thing"),
        ("open", "unknown:open"),
    ],
)
def test_openwrt_security_names(encryption, security):
    assert openwrt_security(encryption) == security


@pytest.mark.parametrize("text", ["uci: Entry not found", "", "-ash: uci: not found", "wireless.radio0.channel='1'"])
def test_uci_errors(text):
    with pytest.raises(BadAnswer):
        parse_uci_show(text)


def test_hostapd_get_clients_captures(captures):
    one = captures / "hostapd_get_clients_one_client" / "ubus_call_hostapd_wlan1_get_clients_one_client.json"
    empty = captures / "hostapd_get_clients_empty" / "ubus_call_hostapd_wl1-ap0_get_clients_empty.json"
    assert parse_hostapd_clients(one.read_text()) == 1
    assert parse_hostapd_clients(empty.read_text()) == 0
    assert parse_hostapd_clients(one.read_text().replace("\n", "\r\n")) == 1


@pytest.mark.parametrize("text", ["Command failed: Not found", "{}", '{"clients": []}', "{"])
def test_hostapd_get_clients_errors(text):
    with pytest.raises(BadAnswer):
        parse_hostapd_clients(text)


def test_ubus_list():
    assert parse_ubus_list("hostapd.phy0-ap0\nhostapd.phy1-ap0\n") == ["hostapd.phy0-ap0", "hostapd.phy1-ap0"]
    assert parse_ubus_list("") == []
    with pytest.raises(BadAnswer):
        parse_ubus_list("-ash: ubus: not found")


ASSOCLIST = """A4:C3:F0:11:22:33  -52 dBm / -95 dBm (SNR 43)  10 ms ago
\tRX: 144.4 MBit/s, HT20, MCS 15                 1893 Pkts.
\tTX: 130.0 MBit/s, HT20, MCS 15, short GI        412 Pkts.

3c:22:fb:44:55:66  -60 dBm / -95 dBm (SNR 35)  1200 ms ago
\tRX: 6.0 MBit/s                                    12 Pkts.
"""


def test_iwinfo_assoclist():
    assert parse_iwinfo_assoclist(ASSOCLIST) == 2
    assert parse_iwinfo_assoclist("No station connected\r\n") == 0
    with pytest.raises(BadAnswer):
        parse_iwinfo_assoclist("No such wireless device: wlan9")


# --- validation and key comparison ---------------------------------------------------------

SUPPORTED = ("open", "wpa2-psk", "wpa3-sae")


@pytest.mark.parametrize(
    ("ssid", "key", "security"),
    [
        ("E" * 32, "k" * 8, "wpa2-psk"),
        ("é" * 16, "k" * 63, "wpa3-sae"),
        ("Salle 1", None, "open"),
        ("x", " ~!\"$'\\?", "wpa2-psk"),
    ],
)
def test_valid_settings(ssid, key, security):
    validate_settings(ssid=ssid, key=key, security=security, supported=SUPPORTED)


@pytest.mark.parametrize(
    ("ssid", "key", "security", "match"),
    [
        ("E" * 33, "k" * 8, "wpa2-psk", "33 bytes"),
        ("é" * 17, "k" * 8, "wpa2-psk", "34 bytes"),
        ("", "k" * 8, "wpa2-psk", "non-empty"),
        ("a\nb", "k" * 8, "wpa2-psk", "control"),
        ("ok", "k" * 7, "wpa2-psk", "8 to 63"),
        ("ok", "k" * 64, "wpa2-psk", "8 to 63"),
        ("ok", "clé-secrète", "wpa2-psk", "ASCII"),
        ("ok", None, "wpa2-psk", "8 to 63"),
        ("ok", "k" * 8, "open", "no key"),
        ("ok", "k" * 8, "wep", "supported: open, wpa2-psk, wpa3-sae"),
    ],
)
def test_invalid_settings(ssid, key, security, match):
    with pytest.raises(ValueError, match=match) as info:
        validate_settings(ssid=ssid, key=key, security=security, supported=SUPPORTED)
    if key:
        assert key not in str(info.value)


def test_key_matches():
    assert key_matches("abcdefgh", "abcdefgh", "wpa2-psk") is True
    assert key_matches("abcdefgh", "abcdefgX", "wpa2-psk") is False
    assert key_matches("abcdefgh", None, "wpa2-psk") is None
    assert key_matches(None, "abcdefgh", "open") is False
    assert key_matches(None, "abcdefgh", "wpa2-psk") is None


# --- garbage --------------------------------------------------------------------------------

TEXT = st.one_of(
    st.text(max_size=300),
    st.lists(
        st.sampled_from(
            [
                "wireless.",
                "radio0",
                "=",
                "'",
                "\\",
                "@wifi-iface[0]",
                ".ssid",
                "\n",
                " ",
                "0",
                "R",
                "name=",
                '"',
                "Flags:",
                ";;;",
                "{",
                "}",
                '"clients"',
                ":",
                "wifi-iface",
            ]
        ),
        max_size=60,
    ).map("".join),
)
PARSERS = [
    parse_uci_show,
    parse_openwrt_wireless,
    parse_ubus_list,
    parse_hostapd_clients,
    parse_iwinfo_assoclist,
    parse_print,
    parse_count_only,
]


@settings(max_examples=400, deadline=None)
@given(TEXT)
def test_garbage_never_crashes_a_parser(text):
    for parse in PARSERS:
        try:
            parse(text)
        except BadAnswer:
            pass


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from(["mode", "authentication-types", "wpa2-pre-shared-key"]), st.text(max_size=20)))
def test_garbage_security_profile_is_never_secure_by_accident(fields):
    security = routeros_security(fields)
    types = {t.strip() for t in fields.get("authentication-types", "").lower().split(",") if t.strip()}
    if security == "wpa2-psk":
        assert fields["mode"].lower() == "dynamic-keys" and types == {"wpa2-psk"}
    if security == "open":
        assert fields["mode"].lower() == "none"
