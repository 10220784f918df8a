"""OpenWrt and RouterOS drivers end to end over real SSH, against the lab simulator."""

from __future__ import annotations

import inspect
import logging
import os
import socket
import subprocess
import sys
import time
from datetime import UTC

import pytest

from devices.access_point import PLATFORMS, AccessPoint, access_point_for, apply_access_point, read_access_point
from devices.access_point.openwrt import OpenWrtAccessPoint
from devices.access_point.routeros import RouterOsAccessPoint
from devices.errors import AuthenticationFailed, BadAnswer, Unreachable

PASSWORD = "lab-admin"
KEY = "Cle-Wifi-2024"  # the simulators' default key
TIMEOUT_S = 3.0


def ap(sim, **kwargs):
    return access_point_for(
        sim.state.platform,
        sim.host,
        port=sim.port,
        username=sim.state.username,
        password=PASSWORD,
        timeout_s=kwargs.pop("timeout_s", TIMEOUT_S),
        **kwargs,
    )


# --- OpenWrt ---------------------------------------------------------------------------------


def test_openwrt_read(openwrt):
    facts = ap(openwrt).read(expected_key=KEY)
    assert (facts.platform, facts.ssid, facts.security) == ("openwrt", "EXAMEN-SALLE1", "wpa2-psk")
    assert facts.key_matches is True and facts.radio_enabled is True and facts.clients_count == 2
    assert (facts.band, facts.channel) == ("2.4ghz", "1")
    assert facts.measured_at.tzinfo is UTC and facts.unanswered == {}
    assert "uci show wireless" in openwrt.received
    assert "ubus call hostapd.phy0-ap0 get_clients" in openwrt.received


def test_openwrt_wrong_key_is_reported_never_returned(openwrt):
    openwrt.state.key = "someone-changed-it"
    facts = ap(openwrt).read(expected_key=KEY)
    assert facts.key_matches is False
    assert "someone-changed-it" not in repr(facts) and KEY not in repr(facts)
    assert ap(openwrt).read().key_matches is None  # nothing expected, nothing said


def test_openwrt_radio_off(openwrt):
    openwrt.state.radio_disabled = True
    facts = ap(openwrt).read(expected_key=KEY)
    assert facts.radio_enabled is False and facts.clients_count == 0


def test_openwrt_without_ubus_falls_back_to_iwinfo(openwrt):
    openwrt.state.ubus = False
    openwrt.state.clients = ["a4:c3:f0:11:22:33", "3c:22:fb:44:55:66", "00:11:22:33:44:55"]
    facts = ap(openwrt).read()
    assert facts.clients_count == 3
    assert "iwinfo wlan0 assoclist" in openwrt.received


def test_openwrt_apply_then_read_back(openwrt):
    new_key = "N0uv3lle 'cle' $HOME ?"
    result = ap(openwrt).apply(ssid="Salle d'examen n°2", key=new_key, security="wpa3-sae")
    assert result.changed == ("ssid", "security", "key")
    assert (openwrt.state.commits, openwrt.state.reloads) == (1, 1)
    assert openwrt.state.key == new_key and openwrt.state.encryption == "sae"
    facts = ap(openwrt).read(expected_key=new_key)
    assert (facts.ssid, facts.security, facts.key_matches) == ("Salle d'examen n°2", "wpa3-sae", True)
    again = ap(openwrt).apply(ssid="Salle d'examen n°2", key=new_key, security="wpa3-sae")
    assert again.changed == () and openwrt.state.commits == 1  # idempotent: no commit, no reload


def test_openwrt_apply_turns_radio_on(openwrt):
    openwrt.state.radio_disabled = True
    result = ap(openwrt).apply(ssid="EXAMEN-SALLE1", key=KEY)
    assert result.changed == ("radio_enabled",) and not openwrt.state.radio_disabled
    assert ap(openwrt).read().radio_enabled is True


def test_openwrt_apply_open_network(openwrt):
    assert ap(openwrt).apply(ssid="Libre", key=None, security="open").changed == ("ssid", "security")
    facts = ap(openwrt).read(expected_key=KEY)
    assert facts.security == "open" and facts.key_matches is False


@pytest.mark.parametrize(
    ("ssid", "key", "security"),
    [
        ("É" * 17, KEY, "wpa2-psk"),
        ("ok", "short", "wpa2-psk"),
        ("ok", "k" * 64, "wpa2-psk"),
        ("ok", KEY, "wep"),
        ("bad\nssid", KEY, "wpa2-psk"),
    ],
)
def test_invalid_settings_never_touch_the_device(openwrt, ssid, key, security):
    with pytest.raises(ValueError):
        ap(openwrt).apply(ssid=ssid, key=key, security=security)
    assert openwrt.logins == [] and openwrt.received == []


# --- RouterOS --------------------------------------------------------------------------------


def test_routeros_read(routeros):
    facts = ap(routeros).read(expected_key=KEY)
    assert (facts.platform, facts.ssid, facts.security, facts.key_matches) == (
        "routeros",
        "EXAMEN-SALLE1",
        "wpa2-psk",
        True,
    )
    assert facts.radio_enabled is True and facts.clients_count == 2
    assert (facts.band, facts.channel) == ("2.4ghz", "1")
    # netmiko logs in as admin+ct511w4098h (no colours, no paging): the simulator saw it.
    assert routeros.logins == ["admin+ct511w4098h"]


def test_routeros_radio_off_and_wrong_key(routeros):
    routeros.state.radio_disabled = True
    routeros.state.key = "another-key-123"
    facts = ap(routeros).read(expected_key=KEY)
    assert facts.radio_enabled is False and facts.clients_count == 0 and facts.key_matches is False


def test_routeros_apply_then_read_back(routeros):
    new_key = 'Exam "2025" $x ?\\'
    routeros.state.radio_disabled = True
    result = ap(routeros).apply(ssid="Salle 2 ?", key=new_key)
    assert result.changed == ("ssid", "radio_enabled", "key")
    assert routeros.state.key == new_key and routeros.state.ssid == "Salle 2 ?"
    facts = ap(routeros).read(expected_key=new_key)
    assert (facts.ssid, facts.key_matches, facts.radio_enabled) == ("Salle 2 ?", True, True)
    assert ap(routeros).apply(ssid="Salle 2 ?", key=new_key).changed == ()


def test_routeros_apply_open(routeros):
    assert ap(routeros).apply(ssid="EXAMEN-SALLE1", key=None, security="open").changed == ("security",)
    assert ap(routeros).read().security == "open"


def test_routeros_refuses_wpa3_before_connecting(routeros):
    with pytest.raises(ValueError, match="supported: open, wpa2-psk, wpa-wpa2-psk"):
        ap(routeros).apply(ssid="x", key=KEY, security="wpa3-sae")
    assert routeros.logins == []


# --- failures --------------------------------------------------------------------------------


@pytest.mark.parametrize("platform", ["openwrt", "routeros"])
def test_bad_password(openwrt, routeros, platform):
    sim = openwrt if platform == "openwrt" else routeros
    with pytest.raises(AuthenticationFailed) as info:
        access_point_for(
            platform,
            sim.host,
            port=sim.port,
            username=sim.state.username,
            password="Wrong-Passw0rd",
            timeout_s=TIMEOUT_S,
        ).read()
    assert "Wrong-Passw0rd" not in str(info.value)


def test_dead_ap_is_unreachable(openwrt):
    openwrt.state.mode = "dead"
    with pytest.raises(Unreachable):
        ap(openwrt).read()


def test_closed_port_is_unreachable():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(Unreachable):
        read_access_point("openwrt", "127.0.0.1", port=port, password=PASSWORD, timeout_s=1)


@pytest.mark.parametrize("platform", ["openwrt", "routeros"])
def test_slow_ap_times_out_within_budget(openwrt, routeros, platform):
    sim = openwrt if platform == "openwrt" else routeros
    sim.state.mode = "slow"
    start = time.monotonic()
    with pytest.raises(Unreachable):
        ap(sim, timeout_s=1.0).read()
    assert time.monotonic() - start < 6


@pytest.mark.parametrize("platform", ["openwrt", "routeros"])
def test_garbage_is_bad_answer(openwrt, routeros, platform):
    sim = openwrt if platform == "openwrt" else routeros
    sim.state.mode = "garbage"
    with pytest.raises(BadAnswer):
        ap(sim).read(expected_key=KEY)
    with pytest.raises(BadAnswer):
        ap(sim).apply(ssid="EXAMEN", key=KEY)


# --- secrets ---------------------------------------------------------------------------------


def test_keys_never_reach_logs_or_session_files(openwrt, caplog, tmp_path, monkeypatch):
    """netmiko logs channel data at DEBUG; prove it would leak, then that it does not."""
    monkeypatch.chdir(tmp_path)
    netmiko_log = logging.getLogger("netmiko")
    ours = [f for f in netmiko_log.filters if type(f).__name__ == "_DropChannelData"]
    assert len(ours) == 1
    caplog.set_level(logging.DEBUG)
    with monkeypatch.context() as m:  # without our filter, the key is in the DEBUG log
        m.setattr(netmiko_log, "filters", [])
        ap(openwrt).read()
    assert KEY in caplog.text
    caplog.clear()
    new_key = "Tres-Secret-Key-42"
    ap(openwrt).apply(ssid="EXAMEN-SALLE1", key=new_key)
    ap(openwrt).read(expected_key=new_key)
    assert openwrt.state.key == new_key
    assert "paramiko.transport" in {r.name for r in caplog.records}  # DEBUG capture was on
    assert new_key not in caplog.text and KEY not in caplog.text
    assert list(tmp_path.iterdir()) == []  # no session log written


# --- dispatch and contract -------------------------------------------------------------------


def test_unknown_platform_lists_supported():
    with pytest.raises(ValueError, match="supported: mikrotik, openwrt, routeros"):
        access_point_for("cisco_wlc", "127.0.0.1", password="x")


def test_platform_names_are_case_insensitive():
    assert isinstance(access_point_for(" OpenWrt ", "h", password="x"), OpenWrtAccessPoint)
    assert isinstance(access_point_for("MikroTik", "h", password="x", interface="wlan2"), RouterOsAccessPoint)


@pytest.mark.parametrize("platform", sorted(PLATFORMS))
def test_every_driver_follows_the_protocol(platform):
    driver = access_point_for(platform, "192.0.2.1", password="s3cr3t-pass")
    assert driver.platform in ("openwrt", "routeros")
    for name in ("read", "apply"):
        expected = inspect.signature(getattr(AccessPoint, name))
        got = inspect.signature(getattr(type(driver), name))
        assert list(got.parameters) == list(expected.parameters)
        assert all(got.parameters[p].kind is expected.parameters[p].kind for p in expected.parameters)
    assert "s3cr3t-pass" not in repr(driver)


def test_apply_access_point_facade(openwrt):
    result = apply_access_point(
        "openwrt", openwrt.host, port=openwrt.port, password=PASSWORD, ssid="Via-facade", key=KEY, timeout_s=TIMEOUT_S
    )
    assert result.changed == ("ssid",) and openwrt.state.ssid == "Via-facade"


def test_standalone_simulator_serves():
    proc = subprocess.Popen(
        [sys.executable, "-m", "devices.lab.access_point", "--port", "0", "--platform", "routeros", "--radio-off"],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        port = int(proc.stdout.readline().rsplit(":", 1)[1])
        facts = read_access_point("routeros", "127.0.0.1", port=port, password=PASSWORD, timeout_s=TIMEOUT_S)
        assert facts.radio_enabled is False and facts.ssid == "EXAMEN-SALLE1"
    finally:
        proc.terminate()
        proc.wait(timeout=5)
