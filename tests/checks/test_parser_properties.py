"""Property tests, parser + grading rule together: random or half-valid answers (cut JSON/XML,
wrong types, missing keys, out-of-range numbers) raise nothing but ``devices.errors`` and never
grade OK unless the answer is well formed and healthy. Each oracle is written from the protocol
(what a real device prints), not from the parser it checks."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from checks import grading as g
from checks import grading_more as gm
from checks import grading_printing as gp
from checks import grading_workstation as gw
from checks.model import Status
from checks.probes.workstation import WEAK_SIGNAL_PCT
from devices.access_point.base import AccessPointFacts, key_matches
from devices.access_point.parse_openwrt import openwrt_security, parse_openwrt_wireless
from devices.access_point.parse_routeros import parse_print, routeros_key, routeros_security
from devices.errors import DeviceError
from devices.ipad.parse import parse_cfgutil_json, parse_ideviceinfo, to_bool, to_pct
from devices.printer_3d import moonraker, octoprint, prusalink
from devices.printer_3d import parse as p3d
from devices.robot import parse as robot
from devices.scanner.parse import ADF_FAULTS, ADF_READY, parse_status
from devices.workstation import parse as ws
from devices.workstation.nmcli import parse_nmcli_wifi

NOW = dt.datetime(2026, 12, 3, 6, 30, tzinfo=dt.UTC)
C: dict[str, Any] = dict(measured_at=NOW, probe="test", room="salle_a")
SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])

#: JSON-ish values of the wrong type, for any field
JUNK = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=8),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)


def cut(text: str, data: st.DataObject) -> str:
    """The answer, or the answer cut anywhere (a dropped connection, a full buffer)."""
    if data.draw(st.booleans()):
        return text
    return text[: data.draw(st.integers(0, max(len(text) - 1, 0)))]


def never_crashes(call: Any, *args: Any, **kwargs: Any) -> Any:
    """The parser's answer, or None when it raised one of devices.errors (anything else fails)."""
    try:
        return call(*args, **kwargs)
    except DeviceError:
        return None


# =========================================================================== access point: OpenWrt
SSID, KEY = "exam-salle-a", "correct horse battery"
UCI_TRUE = ("1", "true")  # what netifd reads as true (libuci blob.c, BLOBMSG_TYPE_BOOL)
DISABLED = st.one_of(st.none(), st.sampled_from(["0", "1", "true", "false", "yes", "no", "on", "off", "enabled"]))
ENCRYPTIONS = st.one_of(
    st.none(),
    st.sampled_from(["psk2", "psk2+ccmp", "psk2+tkip+ccmp", "psk", "psk-mixed", "sae", "sae-mixed", "none", "wep"]),
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz+-2", max_size=10),
)


def _uci(value: str) -> str:
    return "'" + value.replace("'", "'\\''") + "'"


@SETTINGS
@given(
    st.one_of(st.none(), st.just(SSID), st.just(SSID + " "), st.just("Exam-Salle-A"), st.text(max_size=12)),
    ENCRYPTIONS,
    st.one_of(st.none(), st.just(KEY), st.text(max_size=12)),
    DISABLED,
    DISABLED,
    st.data(),
)
def test_openwrt_config_is_ok_only_with_the_expected_network_and_radio_on(
    ssid: str | None, encryption: str | None, key: str | None, radio_off: str | None, iface_off: str | None,
    data: st.DataObject,
) -> None:  # fmt: skip
    lines = ["wireless.radio0=wifi-device", "wireless.radio0.type='mac80211'", "wireless.radio0.band='5g'"]
    lines += [] if radio_off is None else [f"wireless.radio0.disabled='{radio_off}'"]
    lines += ["wireless.default_radio0=wifi-iface", "wireless.default_radio0.device='radio0'"]
    lines += [] if ssid is None else [f"wireless.default_radio0.ssid={_uci(ssid)}"]
    lines += [] if encryption is None else [f"wireless.default_radio0.encryption={_uci(encryption)}"]
    lines += [] if key is None else [f"wireless.default_radio0.key={_uci(key)}"]
    lines += [] if iface_off is None else [f"wireless.default_radio0.disabled='{iface_off}'"]
    text = cut("\n".join(lines) + "\n", data)
    config = never_crashes(parse_openwrt_wireless, text)
    if config is None:
        return
    radio_enabled = not (config.radio_disabled or config.iface_disabled)  # as OpenWrtAccessPoint.read
    security = openwrt_security(config.encryption)
    facts = AccessPointFacts(platform="openwrt", ssid=config.ssid, security=security,
                             key_matches=key_matches(config.key, KEY, security), radio_enabled=radio_enabled,
                             clients_count=0, band=config.band, channel=config.channel, measured_at=NOW)  # fmt: skip
    radio, wifi = gm.access_point("ap", facts=facts, expected_ssid=SSID, expected_security="wpa2-psk",
                                  facts_dict={}, **C)  # fmt: skip
    # what the text really says (a cut text says only what it still holds)
    said = dict(re.findall(r"^wireless\.(\S+?)=(.*)$", text, re.M))
    if radio.status is Status.OK:
        for section in ("radio0", "default_radio0"):
            assert said.get(f"{section}.disabled", "'0'").strip("'") not in UCI_TRUE
    if wifi.status is Status.OK:
        assert said.get("default_radio0.ssid") == _uci(SSID)
        assert said.get("default_radio0.encryption", "").strip("'").split("+")[0] == "psk2"
        assert said.get("default_radio0.key") == _uci(KEY)


# =========================================================================== access point: RouterOS
ROS_VALUE = st.one_of(st.sampled_from(["yes", "no", "wpa2-psk", "wpa-psk,wpa2-psk", "dynamic-keys", "none"]),
                      st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-,", max_size=10))  # fmt: skip


@SETTINGS
@given(
    st.sampled_from(["", "X ", "R ", "X R "]),
    st.one_of(st.none(), st.sampled_from(["yes", "no"]), ROS_VALUE),
    st.one_of(st.none(), st.just(SSID), st.text(alphabet="abcdefghijklmnopqrstuvwxyz-", max_size=12)),
    st.one_of(st.none(), st.sampled_from(["dynamic-keys", "none", "static-keys-required"]), ROS_VALUE),
    st.one_of(st.none(), st.sampled_from(["wpa2-psk", "wpa-psk,wpa2-psk", "wpa-psk", "wpa2-eap"]), ROS_VALUE),
    st.one_of(st.none(), st.just(KEY), st.text(alphabet="abcdefgh ", max_size=8)),
    st.data(),
)
def test_routeros_config_is_ok_only_with_the_expected_network_and_radio_on(
    flags: str, disabled: str | None, ssid: str | None, mode: str | None, types: str | None, key: str | None,
    data: st.DataObject,
) -> None:  # fmt: skip
    def pairs(**fields: str | None) -> str:
        return " ".join(f'{k.replace("_", "-")}="{v}"' for k, v in fields.items() if v is not None)

    wlan_text = cut(f" 0 {flags}" + pairs(name="wlan1", ssid=ssid, disabled=disabled, security_profile="exam") + "\n",
                    data)  # fmt: skip
    profile_text = cut(" 0 " + pairs(name="exam", mode=mode, authentication_types=types,
                                     wpa2_pre_shared_key=key) + "\n", data)  # fmt: skip
    wlans, profiles = never_crashes(parse_print, wlan_text), never_crashes(parse_print, profile_text)
    if not wlans or not profiles:
        return
    wlan, profile = wlans[0], profiles[0]
    if "ssid" not in wlan.fields or profile.fields.get("name") != "exam":
        return  # RouterOsAccessPoint._read_config: BadAnswer
    radio_enabled = "X" not in wlan.flags and wlan.fields.get("disabled", "no") != "yes"  # as RouterOsAccessPoint.read
    security = routeros_security(profile.fields)
    facts = AccessPointFacts(platform="routeros", ssid=wlan.fields.get("ssid"), security=security,
                             key_matches=key_matches(routeros_key(profile.fields), KEY, security),
                             radio_enabled=radio_enabled, clients_count=0, band=None, channel=None,
                             measured_at=NOW)  # fmt: skip
    radio, wifi = gm.access_point("ap", facts=facts, expected_ssid=SSID, expected_security="wpa2-psk",
                                  facts_dict={}, **C)  # fmt: skip
    if radio.status is Status.OK:
        assert "X" not in flags and f'disabled="{disabled}"' not in wlan_text or disabled != "yes"
    if wifi.status is Status.OK:
        assert f'ssid="{SSID}"' in wlan_text
        assert 'mode="dynamic-keys"' in profile_text and 'authentication-types="wpa2-psk"' in profile_text
        assert f'wpa2-pre-shared-key="{KEY}"' in profile_text


# =========================================================================== 3D printers
KLIPPER_STATES = st.one_of(st.sampled_from(["standby", "printing", "paused", "complete", "cancelled", "error",
                                            "Standby", "ready"]), JUNK)  # fmt: skip
DETECTED = st.one_of(st.booleans(), st.sampled_from(["true", "false", 0, 1, 2, None, "yes"]))


@SETTINGS
@given(
    st.one_of(st.sampled_from(["ready", "startup", "shutdown", "error"]), JUNK),
    KLIPPER_STATES,
    st.lists(DETECTED, max_size=3),
    st.booleans(),
    st.data(),
)
def test_moonraker_is_ready_only_when_klippy_ready_and_idle_and_never_sure_of_the_grams(
    klippy: Any, print_state: Any, sensors: list[Any], wrap: bool, data: st.DataObject
) -> None:
    status: dict[str, Any] = {"print_stats": {"state": print_state, "message": ""}, "extruder": {"temperature": 21}}
    for i, detected in enumerate(sensors):
        status[f"filament_switch_sensor s{i}"] = {"filament_detected": detected, "enabled": True}
    info_body = {"state": klippy, "state_message": "x"}
    query_body = {"eventtime": 1.0, "status": status}
    info_text = cut(json.dumps({"result": info_body} if wrap else info_body), data)
    query_text = cut(json.dumps({"result": query_body} if wrap else query_body), data)
    info = never_crashes(p3d.parse_moonraker_info, info_text.encode())
    query = never_crashes(p3d.parse_moonraker_query, query_text.encode())
    if info is None or query is None:
        return
    objects = tuple(k for k in status if k.startswith("filament_switch_sensor"))
    facts = moonraker.build_facts(info, ("print_stats", *objects), query, measured_at=NOW)
    sensor = facts.filament_sensor.value if facts.filament_sensor else None
    state = g.printer_3d_state("3d", connected=facts.connected, state=facts.state.value, errors=list(facts.errors),
                               **C)  # fmt: skip
    filament = g.filament("3d", sensor=sensor, remaining_g=facts.remaining_g, min_g=100, needed_g=None, **C)
    if state.status is Status.OK:
        assert klippy == "ready" and isinstance(print_state, str)
        assert print_state.lower() in ("standby", "complete", "cancelled")
    assert filament.status is not Status.OK  # Moonraker alone never says how many grams are left
    if any(d is False or d == "false" or d == 0 for d in sensors):
        assert filament.status is Status.FAIL


OCTO_TEXTS = st.one_of(st.sampled_from(["Operational", "Printing", "Paused", "Offline after error", "Closed",
                                        "Error: MINTEMP", "Ready", "Connecting", ""]), JUNK)  # fmt: skip
FLAGS = st.fixed_dictionaries(
    {}, optional=dict.fromkeys(("operational", "printing", "paused", "error", "closedOrError", "ready"), DETECTED)
)


@SETTINGS
@given(OCTO_TEXTS, OCTO_TEXTS, FLAGS, st.one_of(st.none(), OCTO_TEXTS), st.data())
def test_octoprint_is_ready_only_when_every_endpoint_says_operational(
    connection_state: Any, printer_state: Any, flags: dict[str, Any], job_state: Any, data: st.DataObject
) -> None:
    connection = never_crashes(p3d.parse_octoprint_connection,
                               cut(json.dumps({"current": {"state": connection_state}}), data))  # fmt: skip
    printer = never_crashes(p3d.parse_octoprint_printer,
                            cut(json.dumps({"state": {"text": printer_state, "flags": flags}}), data))  # fmt: skip
    job = None if job_state is None else never_crashes(p3d.parse_octoprint_job, cut(json.dumps({"state": job_state}),
                                                                                     data))  # fmt: skip
    facts = octoprint.build_facts(connection, printer, job, measured_at=NOW)
    state = g.printer_3d_state("3d", connected=facts.connected, state=facts.state.value, errors=list(facts.errors),
                               **C)  # fmt: skip
    if state.status is Status.OK:
        # /api/printer is the freshest (then /api/job, then /api/connection): a job that ended between two
        # requests may still read "Printing" on an older endpoint; none may say error, closed or offline
        said = [s.strip().lower() for s in (printer and printer_state, job and job_state, connection and connection_state)
                if isinstance(s, str) and s.strip()]  # fmt: skip
        assert said and said[0].startswith(("operational", "ready"))
        assert not any("error" in s or s.startswith(("closed", "offline")) for s in said)
        if printer is not None:
            assert flags.get("error") not in (True, "true", 1) and flags.get("closedOrError") not in (True, "true", 1)
            assert flags.get("printing") not in (True, "true", 1) and flags.get("paused") not in (True, "true", 1)


@SETTINGS
@given(st.one_of(st.sampled_from(["IDLE", "READY", "FINISHED", "STOPPED", "PRINTING", "PAUSED", "ERROR",
                                  "ATTENTION", "BUSY", "idle"]), JUNK), st.one_of(st.none(), JUNK), st.data())  # fmt: skip
def test_prusalink_is_ready_only_in_an_idle_state(state: Any, job_id: Any, data: st.DataObject) -> None:
    body: dict[str, Any] = {"printer": {"state": state, "temp_nozzle": 24.5}}
    if job_id is not None:
        body["job"] = {"id": job_id, "progress": 50}
    status = never_crashes(p3d.parse_prusalink_status, cut(json.dumps(body), data).encode())
    if status is None:
        return
    facts = prusalink.build_facts(status, measured_at=NOW)
    verdict = g.printer_3d_state("3d", connected=facts.connected, state=facts.state.value, errors=list(facts.errors),
                                 **C)  # fmt: skip
    if verdict.status is Status.OK:
        assert isinstance(state, str) and state.strip().upper() in ("IDLE", "READY", "FINISHED", "STOPPED")


# =========================================================================== iPad
LEVELS = st.one_of(st.integers(-20, 150).map(str), st.sampled_from(["", "70%", "abc", "1e2", "55.5", " 90"]))


@SETTINGS
@given(st.one_of(st.none(), LEVELS), st.one_of(st.none(), st.sampled_from(["true", "false", "maybe"])),
       st.integers(20, 95), st.data())  # fmt: skip
def test_ideviceinfo_battery_is_ok_only_with_a_real_level_above_the_minimum(
    level: str | None, charging: str | None, min_pct: int, data: st.DataObject
) -> None:
    lines = ["ExternalChargeCapable: true", "HasBattery: true"]
    lines += [] if level is None else [f"BatteryCurrentCapacity: {level}"]
    lines += [] if charging is None else [f"BatteryIsCharging: {charging}"]
    text = cut("\n".join(data.draw(st.permutations(lines))) + "\n", data)
    values = never_crashes(parse_ideviceinfo, text)
    pct = None if values is None else never_crashes(to_pct, values.get("batterycurrentcapacity"))
    if values is None:
        return
    verdict = g.battery("ipad", level_pct=pct, charging=to_bool(values.get("batteryischarging")), min_pct=min_pct,
                        **C)  # fmt: skip
    if verdict.status is Status.OK:
        said = re.search(r"^BatteryCurrentCapacity: ?(.*)$", text, re.M)
        assert said is not None
        assert 0 <= float(said.group(1)) <= 100 and round(float(said.group(1))) >= min_pct


@SETTINGS
@given(st.one_of(st.none(), JUNK, st.integers(-10, 120)), st.one_of(st.none(), JUNK), st.integers(20, 95),
       st.sampled_from(["0x1A2B", "0x1a2b", "0xFFFF"]), st.data())  # fmt: skip
def test_cfgutil_battery_is_ok_only_with_a_real_level_above_the_minimum(
    level: Any, charging: Any, min_pct: int, ecid: str, data: st.DataObject
) -> None:
    props = {} if level is None else {"batteryCurrentCapacity": level}
    if charging is not None:
        props["batteryIsCharging"] = charging
    text = cut(json.dumps({"Command": "get", "Type": "CommandOutput", "Output": {ecid: props}}), data)
    try:
        found = parse_cfgutil_json(text, "0x1A2B")
    except (DeviceError, LookupError):  # LookupError: the driver's "not attached" (Unreachable)
        return
    pct = never_crashes(to_pct, found.get("batteryCurrentCapacity"))
    verdict = g.battery("ipad", level_pct=pct, charging=to_bool(found.get("batteryIsCharging")), min_pct=min_pct,
                        **C)  # fmt: skip
    if verdict.status is Status.OK:
        assert ecid.lower() == "0x1a2b"
        assert isinstance(level, (int, float)) and not isinstance(level, bool) or isinstance(level, str)
        assert 0 <= float(level) <= 100 and round(float(level)) >= min_pct


# =========================================================================== robots
def _robot_ok(pct: int | None, min_pct: int) -> bool:
    return g.battery("bot", level_pct=pct, charging=None, min_pct=min_pct, **C).status is Status.OK


@SETTINGS
@given(st.binary(max_size=3), st.integers(20, 95))
def test_gatt_battery_level_is_ok_only_for_one_byte_up_to_100(value: bytes, min_pct: int) -> None:
    pct = never_crashes(robot.parse_battery_level, value)
    if _robot_ok(pct, min_pct):
        assert len(value) == 1 and min_pct <= value[0] <= 100


PCT_TEXT = st.one_of(st.integers(-5, 300).map(str), st.sampled_from(["", "x", "55.5", "1e3", "0x64"]))


@SETTINGS
@given(st.one_of(st.none(), PCT_TEXT), st.sampled_from(["", "0x64 ", "0x0a "]), st.booleans(), st.integers(20, 95),
       st.data())  # fmt: skip
def test_bluetoothctl_battery_is_ok_only_for_a_percentage(
    pct: str | None, hex_part: str, header: bool, min_pct: int, data: st.DataObject
) -> None:
    lines = (["Device 4C:B9:9B:E3:1A:C4 (public)"] if header else []) + ["\tName: Thymio", "\tConnected: yes"]
    lines += [] if pct is None else [f"\tBattery Percentage: {hex_part}({pct})"]
    text = cut("\n".join(lines) + "\n", data)
    info = never_crashes(robot.parse_bluetoothctl_info, text)
    if info is not None and _robot_ok(info.battery_pct, min_pct):
        said = re.search(r"Battery Percentage: (?:0x([0-9a-fA-F]{1,2}))? ?(?:\((\d+)\))?[ \t]*$", text, re.M)
        assert said is not None and (said.group(1) or said.group(2))  # "0x64 (100)", or older BlueZ's "0x64"
        value = int(said.group(2)) if said.group(2) else int(said.group(1), 16)
        assert min_pct <= value <= 100


@SETTINGS
@given(PCT_TEXT, st.booleans(), st.integers(20, 95), st.data())
def test_upower_busctl_and_repl_batteries_are_ok_only_for_a_percentage(
    pct: str, ignored: bool, min_pct: int, data: st.DataObject
) -> None:
    def real(value: str) -> bool:
        return bool(re.fullmatch(r"\d+(\.\d+)?", value)) and min_pct <= round(float(value)) <= 100

    upower = cut(f"  native-path: hid-1\n  percentage: {pct}%{' (should be ignored)' if ignored else ''}\n", data)
    if _robot_ok(never_crashes(robot.parse_upower, upower), min_pct):
        assert real(pct) and re.search(rf"^  percentage: {re.escape(pct)}%[ \t]*$", upower, re.M)  # a whole line
    busctl = cut(f"org.bluez.Battery1 interface - - -\n.Percentage property y {pct} emits-change\n", data)
    if _robot_ok(never_crashes(robot.parse_busctl_battery1, busctl), min_pct):
        assert real(pct)
    repl = cut(f">>> print('BAT=%d' % hub.battery.capacity())\nBAT={pct}\n>>> ", data)
    if _robot_ok(never_crashes(robot.parse_repl_battery, repl), min_pct):
        assert real(pct)


@SETTINGS
@given(st.one_of(st.lists(st.integers(-10, 0x1FFFF), min_size=0, max_size=3), JUNK))
def test_thymio_vbat_is_ok_only_for_two_words_of_a_full_cell(words: Any) -> None:
    volts = never_crashes(robot.parse_thymio_vbat, words)
    verdict = g.battery_voltage("thymio", voltage_v=volts, **C)
    if verdict.status is Status.OK:
        assert isinstance(words, list) and len(words) == 2 and all(0 <= w <= 0xFFFF for w in words)
        assert g.THYMIO_FULL_V <= (words[0] + words[1]) * 10 / 3978 <= 6.01


# =========================================================================== eSCL ScannerStatus
PWG = 'xmlns:pwg="http://www.pwg.org/schemas/2010/12/sm" xmlns:scan="http://schemas.hp.com/imaging/escl/2011/05/03"'


@SETTINGS
@given(
    st.one_of(st.none(), st.sampled_from(["Idle", "idle", "Processing", "Testing", "Stopped", "Down", ""]),
              st.text(alphabet="abcdefIdlStopp <&", max_size=8)),
    st.one_of(st.none(), st.sampled_from(sorted(ADF_FAULTS | ADF_READY)), st.text(alphabet="ScanerAdfJm", max_size=12)),
    st.sampled_from(["pwg:State", "scan:State", "State"]),
    st.data(),
)  # fmt: skip
def test_escl_status_is_ok_only_idle_with_a_fine_feeder(
    state: str | None, adf: str | None, state_tag: str, data: st.DataObject
) -> None:
    body = "" if state is None else f"<{state_tag}>{state}</{state_tag}>"
    body += "" if adf is None else f"<scan:AdfState>{adf}</scan:AdfState>"
    xml = cut(f'<?xml version="1.0" encoding="UTF-8"?>\n<scan:ScannerStatus {PWG}>{body}</scan:ScannerStatus>', data)
    status = never_crashes(parse_status, xml, measured_at=NOW)
    if status is None:
        return
    verdict = gp.scanner_state("s", state=status.state.value if status.state else None, adf_state=status.adf_state,
                              **C)  # fmt: skip
    if adf in ADF_FAULTS and xml.endswith("</scan:ScannerStatus>"):
        assert verdict.status is Status.FAIL
    if verdict.status is Status.OK:
        assert xml.endswith("</scan:ScannerStatus>") and state is not None and state.strip().lower() == "idle"
        assert adf is None or not adf.strip() or adf in ADF_READY


# =========================================================================== nmcli
NMCLI_LINE = st.one_of(
    st.tuples(
        st.sampled_from([SSID, "eduroam", "", "exam\\:salle"]),
        st.one_of(st.integers(-5, 400).map(str), st.sampled_from(["", "x", " 70"])),
    ).map(lambda t: f"{t[0]}:{t[1]}"),  # fmt: skip
    st.text(alphabet="ab:\\12 ", max_size=8),
)


def _wifi_seen_ok(heard: list[Any]) -> bool:
    """The wifi_seen rule of checks.probes.workstation: the SSID heard with a signal >= WEAK_SIGNAL_PCT."""
    match = [n for n in heard if n.ssid == SSID]
    return bool(match) and max((n.signal_pct or 0) for n in match) >= WEAK_SIGNAL_PCT


@SETTINGS
@given(st.lists(NMCLI_LINE, max_size=5), st.data())
@example([f"{SSID}:250"], None)  # nmcli SIGNAL is a 0-100 percentage: 250 is not a reading
def test_nmcli_sees_the_room_network_only_with_a_real_signal(lines: list[str], data: st.DataObject | None) -> None:
    text = "\n".join(lines) + "\n"
    if data is not None:
        text = cut(text, data)
    heard = never_crashes(parse_nmcli_wifi, text)
    if heard is not None and _wifi_seen_ok(heard):
        signals = [int(m) for m in re.findall(rf"^{re.escape(SSID)}:[ \t]*(\d+)[ \t]*$", text, re.M)]
        assert signals and all(s <= 100 for s in signals) and max(signals) >= WEAK_SIGNAL_PCT


# =========================================================================== workstation script
DF_NUMBER = st.one_of(st.integers(-5, 10**9).map(str), st.sampled_from(["", "-", "1e9", "x"]))


@SETTINGS
@given(st.booleans(), DF_NUMBER, DF_NUMBER, DF_NUMBER, st.sampled_from(["/", "/home", ""]), st.data())
def test_df_is_ok_only_for_a_posix_line_with_room_left(
    header: bool, total: str, used: str, available: str, mount: str, data: st.DataObject
) -> None:
    text = ("Filesystem 1024-blocks Used Available Capacity Mounted on\n" if header else "") + (
        f"/dev/sda1 {total} {used} {available} 42% {mount}\n"
    )
    text = cut(text, data)
    disk = never_crashes(ws.parse_df, text)
    verdict = gw.disk_space("pc", disk, **C)
    if verdict.status is Status.OK:
        assert header and total.isdigit() and available.isdigit() and used.isdigit()
        assert int(available) <= int(total) and int(available) / 1024 / 1024 >= gw.DISK_WARN_GIB - 0.05


TARGETS = ("https://exam.example.org/", "https://cyclades.education.gouv.fr/")
INTERNET_LINE = st.tuples(
    st.one_of(st.sampled_from(TARGETS), st.just("https://elsewhere.example/")),
    st.one_of(st.sampled_from(["0", "6", "7", "28", "8", "4"]), st.sampled_from(["x", "-1", ""])),
    st.one_of(st.sampled_from(["200", "204", "301", "403", "500", "503", "000", ""]), st.text("0123", max_size=3)),
    st.sampled_from(["curl", "wget", "none", ""]),
).map("\t".join)


def _reached_ok(line: str) -> bool:
    url, rc, code, tool = line.split("\t")
    if tool == "curl":
        return rc == "0" and code.isdigit() and code != "000" and int(code) < 500
    return tool == "wget" and rc in ("0", "8")


@SETTINGS
@given(st.lists(INTERNET_LINE, max_size=4), st.data())
@example([TARGETS[0] + "\t0\t200\tcurl", TARGETS[0] + "\t0\t200\tcurl"], None)  # one target twice, one never tried
def test_internet_is_ok_only_when_every_target_answered(lines: list[str], data: st.DataObject | None) -> None:
    text = "\n".join(lines) + "\n"
    if data is not None:
        text = cut(text, data)
    reached = never_crashes(ws.parse_internet, text)
    verdict = gw.internet_from("pc", reached, targets=TARGETS, **C)
    if verdict.status is Status.OK:
        complete = [line for line in text.splitlines() if line.count("\t") == 3]
        for target in TARGETS:
            assert any(line.split("\t")[0] == target and _reached_ok(line) for line in complete), target
        assert all(_reached_ok(line) for line in complete)


@SETTINGS
@given(st.lists(st.tuples(st.sampled_from(["vlc", "geogebra", "Bad Name", ""]),
                          st.one_of(st.sampled_from(["ii", "hi", "rc", "iU", "iF", "ii R", "un"]), st.text(max_size=3)),
                          st.sampled_from(["amd64", "all"])).map("\t".join), max_size=4), st.data())  # fmt: skip
def test_dpkg_counts_only_configured_packages_as_installed(lines: list[str], data: st.DataObject) -> None:
    text = cut("\n".join(lines) + "\n", data)
    packages = never_crashes(ws.parse_dpkg, text)
    for package in packages or ():
        if package.installed:
            assert package.status in ("ii", "hi")


# =========================================================================== crashes the properties found
@pytest.mark.parametrize(
    "call, text",
    [
        (ws.parse_df, "Filesystem 1024-blocks Used Available Capacity Mounted on\n/dev/sda1 ² 1 1 1% /\n"),
        (ws.parse_internet, "https://exam.example.org/\t²\t200\tcurl\n"),
        (ws.parse_windows_disk, "not json"),
    ],
)
def test_non_ascii_digits_and_broken_json_are_bad_answers(call: Any, text: str) -> None:
    never_crashes(call, text)
