"""Driver + adb-shell transport against the simulated adbd over real TCP sockets."""

from __future__ import annotations

import io
import socket
import stat
import struct
import subprocess
import sys
import threading
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from devices.android import TALKBACK_SERVICE, BatteryStatus, driver, parse
from devices.android.transport import AdbSession, load_signer, public_key
from devices.errors import AuthenticationFailed, BadAnswer, DeviceError, Unreachable
from devices.lab.android import SimulatedTablet, TabletState, android_pubkey_numbers

PIXEL_C = "pixel_c_android7_ac_charging_minimal_fields"
SAMSUNG = "samsung_oneui_usb_full_oem_extra_fields_and_duplicate_keys"


def lab_apk(path: Path, package: str, padding: int = 0) -> Path:
    """A zip with a clear-text manifest (the simulator's APK convention)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as apk:
        apk.writestr("AndroidManifest.xml", f'<manifest package="{package}"/>')
        apk.writestr("classes.dex", bytes(range(256)) * (padding // 256))
    path.write_bytes(buf.getvalue())
    return path


# ------------------------------------------------------------------ reading facts


def test_read_android_reports_the_simulated_state(tablet, key_dir):
    tablet.state.level, tablet.state.status, tablet.state.wifi_ssid = 42, 3, "Salle 2, étage 1"
    tablet.state.usb_powered = False
    facts = driver.read_android(tablet.host, tablet.port, key_dir=key_dir, timeout_s=3)
    assert facts.errors == ()
    assert (facts.model, facts.manufacturer, facts.serial, facts.android_version) == (
        "Pixel Tablet",
        "Google",
        "LAB0ANDROID01",
        "14",
    )
    assert facts.battery.level_pct == 42.0 and facts.battery.status is BatteryStatus.DISCHARGING
    assert facts.battery.plugged == frozenset() and facts.battery.charging is False
    assert "com.google.android.marvin.talkback" in facts.packages
    assert facts.google_accounts == ("jury.salle1@gmail.com",)
    assert facts.wifi_ssid == "Salle 2, étage 1" and facts.wifi.connected is True
    assert facts.screen_off_timeout_s == 30.0
    assert facts.accessibility.magnification_enabled is False and not facts.accessibility.talkback_enabled
    assert facts.measured_at.tzinfo is not None


@pytest.mark.parametrize("case", [PIXEL_C, SAMSUNG])
def test_real_capture_replayed_through_the_wire(tablet, key_dir, capture, case):
    tablet.state.shell_overrides["dumpsys battery"] = capture(case)
    with AdbSession(tablet.host, tablet.port, key_dir=key_dir, timeout_s=3) as session:
        measured = driver.read_battery(session)
    assert measured == parse.parse_battery(capture(case), measured_at=measured.measured_at)
    assert measured.level_pct in (19.0, 100.0)


def test_android7_has_no_cmd_wifi_status_and_falls_back_to_dumpsys(tablet, key_dir):
    tablet.state.props["ro.build.version.sdk"] = "24"
    tablet.state.props["ro.build.version.release"] = "7.0"
    facts = driver.read_android(tablet.host, tablet.port, key_dir=key_dir, timeout_s=3)
    assert facts.wifi_ssid == "plateau-examen" and facts.android_version == "7.0"
    assert tablet.state.commands.count("cmd wifi status") == 1 and "dumpsys wifi" in tablet.state.commands


def test_wifi_disconnected_and_no_google_account(tablet, key_dir):
    tablet.state.wifi_ssid = None
    tablet.state.accounts = []
    facts = driver.read_android(tablet.host, tablet.port, key_dir=key_dir, timeout_s=3)
    assert facts.wifi.connected is False and facts.wifi_ssid is None
    assert facts.google_accounts == ()


def test_junk_output_gives_unknown_facts_with_reasons_never_values(tablet, key_dir):
    tablet.state.junk_output = True
    facts = driver.read_android(tablet.host, tablet.port, key_dir=key_dir, timeout_s=3)
    assert facts.model is None and facts.battery is None and facts.packages is None and facts.wifi is None
    assert facts.google_accounts is None and facts.screen_off_timeout_s is None and facts.accessibility is None
    assert len(facts.errors) == 10


# ------------------------------------------------------------------ authentication


def test_auth_prompt_accepted_then_signature_only(tablet, key_dir):
    tablet.state.auth_required = True
    driver.read_android(tablet.host, tablet.port, key_dir=key_dir, timeout_s=3)
    assert tablet.state.trusted_keys == {public_key(key_dir).split()[0]}
    tablet.state.accept_new_keys = False  # from now on only a valid signature gets in
    assert driver.read_android(tablet.host, tablet.port, key_dir=key_dir, timeout_s=3).model == "Pixel Tablet"


def test_auth_unknown_key_and_unanswered_prompt_is_authentication_failed(tablet, key_dir):
    tablet.state.auth_required, tablet.state.accept_new_keys = True, False
    started = time.monotonic()
    with pytest.raises(AuthenticationFailed) as info:
        driver.read_android(tablet.host, tablet.port, key_dir=key_dir, timeout_s=3, auth_timeout_s=0.5)
    assert time.monotonic() - started < 3
    assert "Allow USB debugging" in str(info.value)
    assert tablet.state.trusted_keys == set()


def test_other_key_pair_is_rejected_by_signature(tablet, key_dir, tmp_path):
    tablet.state.auth_required, tablet.state.accept_new_keys = True, False
    tablet.state.trusted_keys.add(public_key(key_dir).split()[0])
    with pytest.raises(AuthenticationFailed):
        driver.read_android(tablet.host, tablet.port, key_dir=tmp_path / "other", auth_timeout_s=0.5)
    assert driver.read_android(tablet.host, tablet.port, key_dir=key_dir).serial == "LAB0ANDROID01"


def test_key_pair_is_private_and_in_adb_format(tmp_path):
    load_signer(tmp_path / "keys")
    private = tmp_path / "keys" / "adbkey"
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    modulus, exponent = android_pubkey_numbers(public_key(tmp_path / "keys"))
    assert modulus.bit_length() == 2048 and exponent == 65537


# ------------------------------------------------------------------ failure modes


def test_refused_is_unreachable(free_port, key_dir):
    with pytest.raises(Unreachable):
        driver.read_android("127.0.0.1", free_port(), key_dir=key_dir, timeout_s=1)


def test_dead_device_is_unreachable_at_once(tablet, key_dir):
    tablet.state.mode = "dead"
    started = time.monotonic()
    with pytest.raises(Unreachable):
        driver.read_android(tablet.host, tablet.port, key_dir=key_dir, timeout_s=5)
    assert time.monotonic() - started < 1


def test_slow_device_is_unreachable_within_timeout(tablet, key_dir):
    tablet.state.mode, tablet.state.slow_s = "slow", 3
    started = time.monotonic()
    with pytest.raises(Unreachable) as info:
        driver.read_android(tablet.host, tablet.port, key_dir=key_dir, timeout_s=0.4)
    assert time.monotonic() - started < 2
    assert "0.4 s" in str(info.value)


def test_slow_command_after_connect_is_unreachable(tablet, key_dir):
    with AdbSession(tablet.host, tablet.port, key_dir=key_dir, timeout_s=0.4) as session:
        tablet.state.mode, tablet.state.slow_s = "slow", 3
        with pytest.raises(Unreachable):
            session.shell("dumpsys battery")


def test_garbage_speaker_is_bad_answer(tablet, key_dir):
    tablet.state.mode = "garbage"
    with pytest.raises(BadAnswer):
        driver.read_android(tablet.host, tablet.port, key_dir=key_dir, timeout_s=2)


def test_device_vanishing_mid_session_is_unreachable(key_dir):
    sim = SimulatedTablet(TabletState()).start()
    with AdbSession(sim.host, sim.port, key_dir=key_dir, timeout_s=2) as session:
        assert session.shell("getprop ro.serialno").strip() == "LAB0ANDROID01"
        sim.stop()
        with pytest.raises(Unreachable):
            session.shell("getprop ro.serialno")


class _JunkDevice:
    """A TCP peer that answers any connection with ``payload`` then closes (not the simulator)."""

    def __init__(self) -> None:
        self.payload = b""
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            with conn:
                try:
                    conn.recv(4096)
                    conn.sendall(self.payload)
                except OSError:
                    pass


@pytest.fixture(scope="module")
def junk_device() -> Iterator[_JunkDevice]:
    device = _JunkDevice()
    yield device
    device.listener.close()


CNXN_HEADER = struct.pack("<6I", 0x4E584E43, 0x01000000, 4096, 0, 0, 0x4E584E43 ^ 0xFFFFFFFF)


@settings(max_examples=40, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    payload=st.one_of(
        st.binary(max_size=200),
        st.binary(max_size=60).map(lambda b: CNXN_HEADER[:20] + b),
        st.binary(min_size=24, max_size=24).map(lambda b: CNXN_HEADER + b),
    )
)
def test_any_bytes_from_the_peer_end_as_device_error_only(junk_device, key_dir, payload):
    junk_device.payload = payload
    started = time.monotonic()
    try:
        with AdbSession("127.0.0.1", junk_device.port, key_dir=key_dir, timeout_s=0.3) as session:
            session.shell("getprop ro.serialno")
    except DeviceError:
        pass
    assert time.monotonic() - started < 3


# ------------------------------------------------------------------ actions


def test_screen_timeout_change_reported_once(tablet, key_dir):
    with AdbSession(tablet.host, tablet.port, key_dir=key_dir, timeout_s=3) as session:
        (change,) = driver.set_screen_off_timeout(session, 600)
        assert (change.namespace, change.key, change.before, change.after) == (
            "system",
            "screen_off_timeout",
            "30000",
            "600000",
        )
        assert driver.set_screen_off_timeout(session, 600) == ()
    assert tablet.state.settings["system"]["screen_off_timeout"] == "600000"


def test_enable_accessibility_keeps_other_services(tablet, key_dir):
    tablet.state.settings["secure"]["enabled_accessibility_services"] = "com.x/.Switch"
    changes, installs = driver.apply_android(
        tablet.host, tablet.port, key_dir=key_dir, magnification=True, high_contrast_text=True, talkback=True
    )
    assert installs == ()
    assert {c.key for c in changes} == {
        "accessibility_display_magnification_enabled",
        "high_text_contrast_enabled",
        "enabled_accessibility_services",
        "accessibility_enabled",
    }
    secure = tablet.state.settings["secure"]
    assert secure["enabled_accessibility_services"] == f"com.x/.Switch:{TALKBACK_SERVICE}"
    assert secure["high_text_contrast_enabled"] == "1" and secure["accessibility_enabled"] == "1"
    facts = driver.read_android(tablet.host, tablet.port, key_dir=key_dir)
    assert facts.accessibility.talkback_enabled and facts.accessibility.high_contrast_text_enabled
    again, _ = driver.apply_android(
        tablet.host, tablet.port, key_dir=key_dir, magnification=True, high_contrast_text=True, talkback=True
    )
    assert again == ()


def test_talkback_requires_its_package(tablet, key_dir):
    tablet.state.packages.discard("com.google.android.marvin.talkback")
    with AdbSession(tablet.host, tablet.port, key_dir=key_dir) as session, pytest.raises(BadAnswer):
        driver.enable_accessibility(session, magnification=False, high_contrast_text=False, talkback=True)


def test_setting_that_does_not_stick_is_bad_answer(tablet, key_dir):
    tablet.state.shell_overrides["settings get system screen_off_timeout"] = "30000\n"
    with AdbSession(tablet.host, tablet.port, key_dir=key_dir) as session, pytest.raises(BadAnswer):
        driver.set_screen_off_timeout(session, 120)


def test_install_apk_new_then_update_and_temp_file_removed(tablet, key_dir, tmp_path):
    apk = lab_apk(tmp_path / "Exam Browser.apk", "org.plateau.exambrowser", padding=300_000)
    with AdbSession(tablet.host, tablet.port, key_dir=key_dir, timeout_s=5) as session:
        first = driver.install_apk(session, apk, package="org.plateau.exambrowser")
        assert first.success and first.newly_installed is True and first.failure_reason is None
        second = driver.install_apk(session, apk, package="org.plateau.exambrowser")
        assert second.success and second.newly_installed is False
    assert "org.plateau.exambrowser" in tablet.state.packages
    assert tablet.state.files == {}  # pushed to /data/local/tmp, then rm -f
    assert any(c.startswith("pm install -r /data/local/tmp/plateau-Exam_Browser.apk") for c in tablet.state.commands)


def test_install_pushes_exact_bytes(tablet, key_dir, tmp_path):
    apk = lab_apk(tmp_path / "a.apk", "org.a", padding=200_000)
    with AdbSession(tablet.host, tablet.port, key_dir=key_dir, timeout_s=5) as session:
        session.push(apk, "/data/local/tmp/copy.apk")
    assert tablet.state.files["/data/local/tmp/copy.apk"] == apk.read_bytes()


def test_install_of_a_non_apk_reports_the_failure(tablet, key_dir, tmp_path):
    bogus = tmp_path / "bogus.apk"
    bogus.write_bytes(b"not a zip")
    with AdbSession(tablet.host, tablet.port, key_dir=key_dir) as session:
        result = driver.install_apk(session, bogus)
    assert not result.success and result.failure_reason == "INSTALL_PARSE_FAILED_NOT_APK"
    assert result.newly_installed is None


def test_push_refused_by_device_is_bad_answer_and_missing_file_is_device_error(tablet, key_dir, tmp_path):
    apk = lab_apk(tmp_path / "a.apk", "org.a")
    with AdbSession(tablet.host, tablet.port, key_dir=key_dir) as session:
        with pytest.raises(BadAnswer):
            session.push(apk, "/system/app/a.apk")
        with pytest.raises(DeviceError):
            driver.install_apk(session, tmp_path / "absent.apk")


# ------------------------------------------------------------------ standalone simulator


def test_simulator_runs_standalone(free_port, key_dir):
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "devices.lab.android", "--port", str(port), "--level", "12"],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[3],
    )
    try:
        assert f"127.0.0.1:{port}" in proc.stdout.readline()
        facts = driver.read_android("127.0.0.1", port, key_dir=key_dir, timeout_s=3)
        assert facts.battery.level_pct == 12.0
    finally:
        proc.terminate()
        proc.wait(timeout=5)
        proc.stdout.close()
