"""Parsers on real captures (captures/<case>/), on variants of them, and on garbage."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from devices.android import parse
from devices.android.facts import BatteryHealth, BatteryStatus
from devices.errors import BadAnswer

ANDROID14 = "android14_ac_plugged_but_not_charging_extra_charging_state_lines"
PIXEL_C = "pixel_c_android7_ac_charging_minimal_fields"
SAMSUNG = "samsung_oneui_usb_full_oem_extra_fields_and_duplicate_keys"
AT = datetime(2025, 6, 2, 7, 30, tzinfo=UTC)

# ------------------------------------------------------------------ dumpsys battery


@pytest.mark.parametrize(
    ("case", "level", "status", "charging", "plugged", "temp_c", "health", "voltage"),
    [
        (ANDROID14, 80.0, BatteryStatus.NOT_CHARGING, False, {"ac"}, 18.0, BatteryHealth.OVERHEAT, 4200),
        (PIXEL_C, 19.0, BatteryStatus.CHARGING, True, {"ac"}, 27.5, BatteryHealth.GOOD, 3764),
        (SAMSUNG, 100.0, BatteryStatus.FULL, False, {"usb"}, 30.9, BatteryHealth.GOOD, 4312),
    ],
)
def test_battery_real_captures(capture, case, level, status, charging, plugged, temp_c, health, voltage):
    facts = parse.parse_battery(capture(case), measured_at=AT)
    assert facts.level_pct == level
    assert facts.status is status
    assert facts.charging is charging
    assert facts.plugged == frozenset(plugged)
    assert facts.powered is True
    assert facts.temperature_c == temp_c
    assert facts.health is health
    assert facts.voltage_mv == voltage
    assert facts.present is True
    assert facts.measured_at == AT


def test_battery_measured_at_defaults_to_aware_utc_now(capture):
    facts = parse.parse_battery(capture(PIXEL_C))
    assert facts.measured_at.tzinfo is not None
    assert abs((datetime.now(UTC) - facts.measured_at).total_seconds()) < 5


@pytest.mark.parametrize("case", [ANDROID14, PIXEL_C, SAMSUNG])
def test_battery_variants_crlf_lowercase_tabs_give_same_facts(capture, case):
    text = capture(case)
    reference = parse.parse_battery(text, measured_at=AT)
    variants = [
        text.replace("\n", "\r\n"),
        text.lower(),
        text.upper().replace("TRUE", "true").replace("FALSE", "false"),
        "\n".join("\t  " + line.replace(": ", " :   ") + "   " for line in text.splitlines()),
        "\n\n" + text + "\n\n",
    ]
    for variant in variants:
        assert parse.parse_battery(variant, measured_at=AT) == reference


def test_battery_missing_fields_are_none_not_invented(capture):
    kept = [
        line
        for line in capture(PIXEL_C).splitlines()
        if not line.strip().startswith(
            ("temperature", "health", "AC powered", "USB powered", "Wireless", "voltage", "present")
        )
    ]
    facts = parse.parse_battery("\n".join(kept))
    assert facts.level_pct == 19.0
    assert facts.temperature_c is None and facts.health is None and facts.voltage_mv is None
    assert facts.plugged is None and facts.powered is None and facts.present is None


def test_battery_on_battery_discharging_with_scale_and_negative_temperature():
    text = (
        "Current Battery Service state:\n  (UPDATES STOPPED -- use 'reset' to restart)\n"
        "  AC powered: false\n  USB powered: false\n  Wireless powered: false\n"
        "  status: 3\n  health: 7\n  level: 30\n  scale: 50\n  temperature: -52\n"
    )
    facts = parse.parse_battery(text)
    assert facts.level_pct == 60.0
    assert facts.plugged == frozenset() and facts.powered is False
    assert facts.status is BatteryStatus.DISCHARGING and facts.charging is False
    assert facts.health is BatteryHealth.COLD
    assert facts.temperature_c == -5.2


def test_battery_status_as_words_and_unknown_status():
    facts = parse.parse_battery("level: 50\nstatus: Charging\nhealth: Good\n")
    assert facts.status is BatteryStatus.CHARGING and facts.health is BatteryHealth.GOOD
    unknown = parse.parse_battery("level: 50\nstatus: 1\n")
    assert unknown.status is BatteryStatus.UNKNOWN and unknown.charging is None


@pytest.mark.parametrize(
    "text",
    [
        "",
        "\n\n",
        "Can't find service: battery\n",
        "/system/bin/sh: dumpsys: inaccessible or not found",
        "Charging state: 2\nCapacity level: 3\n",
        "level: 150\nscale: 100\n",
        "level: -3\n",
    ],
)
def test_battery_garbage_is_bad_answer(text):
    with pytest.raises(BadAnswer):
        parse.parse_battery(text)


# ------------------------------------------------------------------ pm list packages


def test_packages_plain_crlf_and_f_forms():
    text = "package:com.android.chrome\r\npackage:org.videolan.vlc\r\n\r\n"
    assert parse.parse_packages(text) == {"com.android.chrome", "org.videolan.vlc"}
    f_form = "package:/data/app/~~a==/com.x-1/base.apk=com.x\npackage:/system/app/Y/Y.apk=com.y  \n"
    assert parse.parse_packages(f_form) == {"com.x", "com.y"}
    assert parse.parse_packages("PACKAGE:com.z") == {"com.z"}


@pytest.mark.parametrize(
    "text",
    ["", "Error: Could not access the Package Manager.  Is the system running?", "package:\npackage: /not a name"],
)
def test_packages_error_is_bad_answer(text):
    with pytest.raises(BadAnswer):
        parse.parse_packages(text)


# ------------------------------------------------------------------ dumpsys account
# Modelled on AOSP AccountManagerService.dumpUser output (Account.toString()).

ACCOUNTS_TWO_USERS = """User UserInfo{0:Propriétaire:c13}:
  Accounts: 3
    Account {name=jean.dupont@gmail.com, type=com.google}
    Account {name=+33600000000, type=com.whatsapp}
    Account {name=salle1@gmail.com, type=com.google}

  Active Sessions: 0

  RegisteredServicesCache: 2 services
    ServiceInfo: AuthenticatorDescription {type=com.google}, ComponentInfo{com.google.android.gms/x}, uid 10146

User UserInfo{10:Travail:1030}:
  Accounts: 1
    Account {name=jean.dupont@gmail.com, type=com.google}
"""


def test_accounts_google_only_dedup_in_order():
    accounts = parse.parse_accounts(ACCOUNTS_TWO_USERS.replace("\n", "\r\n"))
    assert ("+33600000000", "com.whatsapp") in accounts
    assert parse.google_accounts(accounts) == ("jean.dupont@gmail.com", "salle1@gmail.com")


def test_accounts_variants_lowercase_user_field_and_zero():
    assert parse.parse_accounts("  accounts: 1\n  account {name=a@b.fr, user=0, type=COM.GOOGLE}\n") == (
        ("a@b.fr", "COM.GOOGLE"),
    )
    assert parse.google_accounts(parse.parse_accounts("account {name=a@b.fr, type=COM.GOOGLE}")) == ("a@b.fr",)
    assert parse.parse_accounts("User UserInfo{0:Owner:13}:\n  Accounts: 0\n\n  Active Sessions: 0\n") == ()


@pytest.mark.parametrize("text", ["", "Can't find service: account", "Permission Denial: can't dump"])
def test_accounts_without_marker_is_bad_answer(text):
    with pytest.raises(BadAnswer):
        parse.parse_accounts(text)


# ------------------------------------------------------------------ Wi-Fi
# cmd wifi status lines modelled on a public Android 14 output (ClientModeManager header, TransportInfo
# with a redacted <unknown ssid> that must be ignored); dumpsys lines on AOSP ClientModeImpl.dump.

CMD_CONNECTED = """Wifi is enabled
Wifi scanning is only available when wifi is enabled
==== ClientModeManager instance: ConcreteClientModeManager{id=408299759 iface=wlan0 role=ROLE_CLIENT_PRIMARY} ====
Wifi is connected to "CMCC_2.4G"
WifiInfo: SSID: "CMCC_2.4G", BSSID: 16:d8:64:f4:d5:19, MAC: 9a:01:93:78:be:46, Supplicant state: COMPLETED, RSSI: -26
NetworkCapabilities: [ Transports: WIFI TransportInfo: <SSID: <unknown ssid>, BSSID: 02:00:00:00:00:00> SSID: "CMCC_2.4G"]
"""
CMD_NOT_CONNECTED = """Wifi is enabled
Wifi scanning is only available when wifi is enabled
==== ClientModeManager instance: ConcreteClientModeManager{id=408299759 iface=wlan0 role=ROLE_CLIENT_PRIMARY} ====
Wifi is not connected
"""
DUMPSYS_ANDROID7_UNQUOTED = """Wi-Fi is enabled
Stay-awake conditions: 3
mWifiInfo SSID: AndroidWifi, BSSID: 02:00:00:00:01:00, MAC: 02:00:00:44:55:66, Supplicant state: COMPLETED, RSSI: -50
  ID: 0 SSID: "voisin" PROVIDER-NAME: null
"""
DUMPSYS_DISCONNECTED = """Wi-Fi is enabled
mWifiInfo SSID: <unknown ssid>, BSSID: <none>, MAC: 02:00:00:00:00:00, Supplicant state: DISCONNECTED, RSSI: -127
  ID: 0 SSID: "salle-examen" PROVIDER-NAME: null
"""
DUMPSYS_OLD_NETWORKINFO = (
    "Wi-Fi is enabled\nmNetworkInfo [type: WIFI[], state: CONNECTED/CONNECTED, "
    'reason: (unspecified), extra: "Ecole-Num", failover: false, available: true]\n'
)


@pytest.mark.parametrize(
    ("text", "enabled", "connected", "ssid"),
    [
        (CMD_CONNECTED, True, True, "CMCC_2.4G"),
        (CMD_NOT_CONNECTED, True, False, None),
        ("Wifi is disabled\nWifi scanning is always available\n", False, False, None),
        (DUMPSYS_ANDROID7_UNQUOTED, True, True, "AndroidWifi"),
        (DUMPSYS_DISCONNECTED, True, False, None),
        (DUMPSYS_OLD_NETWORKINFO, True, True, "Ecole-Num"),
        (
            'mWifiInfo SSID: "Salle 2, étage 1", BSSID: aa:bb:cc:dd:ee:ff, Supplicant state: COMPLETED',
            True,
            True,
            "Salle 2, étage 1",
        ),
        ("Wifi is not connected  (annotated by hand)\n", None, False, None),
    ],
)
def test_wifi_sources(text, enabled, connected, ssid):
    for variant in (text, text.replace("\n", "\r\n"), "  " + text.replace("\n", "  \n  ")):
        facts = parse.parse_wifi(variant, measured_at=AT)
        assert (facts.enabled, facts.connected, facts.ssid) == (enabled, connected, ssid)


@pytest.mark.parametrize("text", ["", "Unknown command: status", "cmd: Can't find service: wifi", "SSID: x"])
def test_wifi_unknown_command_is_bad_answer(text):
    with pytest.raises(BadAnswer):
        parse.parse_wifi(text)


# ------------------------------------------------------------------ getprop / settings / pm install


def test_getprop_and_settings_values():
    assert parse.parse_getprop("Pixel C\r\n") == "Pixel C"
    assert parse.parse_getprop("\n") is None
    assert parse.parse_setting("null\n") is None
    assert parse.parse_setting(" 600000 \r\n") == "600000"
    assert parse.parse_screen_off_timeout_s("600000") == 600.0
    assert parse.parse_screen_off_timeout_s(None) is None


@pytest.mark.parametrize(
    "text",
    [
        "/system/bin/sh: getprop: inaccessible or not found",
        "a\nb",
        "Exception occurred while executing 'get':",
        "\x1b[0mjunk",
    ],
)
def test_getprop_and_settings_errors(text):
    with pytest.raises(BadAnswer):
        parse.parse_getprop(text)
    with pytest.raises(BadAnswer):
        parse.parse_setting(text)


def test_accessibility_values():
    facts = parse.accessibility_facts(
        "1",
        None,
        "com.google.android.marvin.talkback/com.google.android.marvin.talkback.TalkBackService:com.x/.Svc",
        measured_at=AT,
    )
    assert facts.magnification_enabled is True and facts.high_contrast_text_enabled is None
    assert facts.talkback_enabled is True and len(facts.enabled_services) == 2
    samsung = parse.accessibility_facts(
        "0", "1", "com.samsung.android.accessibility.talkback/com.samsung.android.marvin.talkback.TalkBackService"
    )
    assert samsung.talkback_enabled is True and samsung.magnification_enabled is False
    assert parse.accessibility_facts(None, None, None).talkback_enabled is False
    with pytest.raises(BadAnswer):
        parse.parse_flag("yes please")
    with pytest.raises(BadAnswer):
        parse.parse_services("notacomponent")
    with pytest.raises(BadAnswer):
        parse.parse_screen_off_timeout_s("forever")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Success\n", (True, None)),
        ("\tpkg: /data/local/tmp/app.apk\r\nSuccess\r\n", (True, None)),
        ("Failure [INSTALL_FAILED_VERSION_DOWNGRADE]\n", (False, "INSTALL_FAILED_VERSION_DOWNGRADE")),
        (
            "Failure [INSTALL_PARSE_FAILED_NOT_APK: Failed parse during installPackageLI]",
            (False, "INSTALL_PARSE_FAILED_NOT_APK"),
        ),
    ],
)
def test_pm_install(text, expected):
    assert parse.parse_pm_install(text) == expected


def test_pm_install_garbage():
    with pytest.raises(BadAnswer):
        parse.parse_pm_install("Segmentation fault")


# ------------------------------------------------------------------ garbage never crashes, never invents

PARSERS = [
    parse.parse_battery,
    parse.parse_packages,
    parse.parse_accounts,
    parse.parse_wifi,
    parse.parse_getprop,
    parse.parse_setting,
    parse.parse_pm_install,
    parse.parse_screen_off_timeout_s,
    parse.parse_flag,
    parse.parse_services,
]
CAPTURE_LINES = sorted(
    {line for text in (CMD_CONNECTED, DUMPSYS_DISCONNECTED, ACCOUNTS_TWO_USERS) for line in text.splitlines()}
    | {"  level: 80", "  status: 2", "  scale: 0", "  scale: -1", "  temperature: 99999999999999999999", "package:"}
)


@settings(max_examples=150, deadline=None, database=None)
@given(
    text=st.one_of(
        st.text(),
        st.lists(st.sampled_from(CAPTURE_LINES)).map("\n".join),
        st.binary().map(lambda b: b.decode("latin-1")),
    )
)
def test_garbage_only_raises_bad_answer(text):
    for parser in PARSERS:
        try:
            parser(text)
        except BadAnswer:
            pass


@settings(max_examples=150, deadline=None, database=None)
@given(text=st.text(alphabet=st.characters(blacklist_characters=":")))
def test_text_without_key_value_lines_never_yields_battery_facts(text):
    with pytest.raises(BadAnswer):
        parse.parse_battery(text)
