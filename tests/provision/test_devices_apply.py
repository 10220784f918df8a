"""Provisioning of the access point and Android tablets against the demo lab (real SSH, real ADB)."""

from __future__ import annotations

from pathlib import Path

from devices.lab.demo import DEMO_SSID, DEMO_WIFI_KEY, DemoLab
from provision.context import load_all
from provision.devices_apply import apply_devices, select_devices

ROOT = Path(__file__).resolve().parents[2]


def test_apply_sets_the_ap_and_the_tablet_then_is_idempotent(demo: Path, lab: DemoLab) -> None:
    ap, tablet = lab.running["access_point"].state, lab.running["tablet"].state
    ap.ssid, ap.key, ap.radio_disabled = "OpenWrt", "ancienne-cle-123", True
    loaded = load_all(demo)
    devices = select_devices(loaded, None)
    assert sorted(d.name for d in devices) == ["demo-ap", "demo-ipad", "demo-tablette"]
    first = {o.device: o for o in apply_devices(loaded, devices, timeout_s=5)}
    assert first["demo-ap"].status == "changed", first["demo-ap"]
    assert (ap.ssid, ap.key, ap.radio_disabled) == (DEMO_SSID, DEMO_WIFI_KEY, False)
    assert first["demo-tablette"].status == "changed", first["demo-tablette"]
    # D02 needs the magnifier: applied on the room's tablet
    assert tablet.settings["secure"]["accessibility_display_magnification_enabled"] == "1"
    # the demo iPad has no .ipa in ipa/: nothing to push, App Store titles are left to the manager
    assert first["demo-ipad"].status == "ok", first["demo-ipad"]
    second = {o.device: o.status for o in apply_devices(loaded, devices, timeout_s=5)}
    assert second == {"demo-ap": "ok", "demo-ipad": "ok", "demo-tablette": "ok"}


def test_a_dead_tablet_does_not_stop_the_access_point(demo: Path, lab: DemoLab) -> None:
    lab.running["tablet"].stop()
    lab.running["access_point"].state.ssid = "OpenWrt"
    loaded = load_all(demo)
    outcomes = {o.device: o for o in apply_devices(loaded, select_devices(loaded, None), timeout_s=2)}
    assert outcomes["demo-tablette"].status == "unreachable"
    assert outcomes["demo-ap"].status == "changed"


def test_limit_selects_rooms_and_hosts(demo: Path) -> None:
    loaded = load_all(demo)
    assert [d.name for d in select_devices(loaded, "demo-ap")] == ["demo-ap"]
    assert len(select_devices(loaded, "salle_demo")) == 3  # AP, tablet, iPad
    assert select_devices(loaded, "demo-pc-linux") == []


def test_a_failure_reason_is_in_words_never_a_class_name() -> None:
    from devices.errors import AuthenticationFailed, BadAnswer, DeviceError
    from provision.devices_apply import _reason

    reasons = [_reason(e) for e in (AuthenticationFailed("x"), BadAnswer("x"), ValueError("x"), DeviceError("x"))]
    assert len(set(reasons)) == 4
    for reason in reasons:
        assert "Error" not in reason and "Failed" not in reason and "Answer" not in reason and reason[0].islower()
