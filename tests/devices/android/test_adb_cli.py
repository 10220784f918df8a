"""USB tablets go through the host's adb server: proven with Debian's real adb client talking
to the simulated adbd (the server sees it exactly as it would see a tablet on USB: a serial)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from devices.android.adb_cli import AdbCliSession
from devices.android.driver import apply_on, collect_facts
from devices.errors import DeviceError, Unreachable
from devices.lab.android import SimulatedTablet, TabletState

ADB = shutil.which("adb")
pytestmark = pytest.mark.skipif(ADB is None, reason="Debian's adb client is not installed (apt-get install adb)")


@pytest.fixture
def adb_server(tmp_path: Path, free_port):
    (tmp_path / ".android").mkdir()
    port = free_port()
    env = {**os.environ, "HOME": str(tmp_path), "ADB_VENDOR_KEYS": str(tmp_path / ".android")}
    env.pop("ANDROID_SERIAL", None)

    def adb(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([ADB, "-P", str(port), *args], env=env, capture_output=True, text=True, timeout=20)

    adb("start-server")
    try:
        yield port, env, adb
    finally:
        adb("kill-server")


def test_facts_and_settings_through_the_adb_client(adb_server) -> None:
    port, env, adb = adb_server
    with SimulatedTablet(TabletState(level=42, status=3, usb_powered=False, ac_powered=False)) as tablet:
        assert "connected" in adb("connect", tablet.serial).stdout
        with AdbCliSession(tablet.serial, server_port=port, env=env, timeout_s=10) as session:
            facts = collect_facts(session)
            assert facts.battery is not None and facts.battery.level_pct == 42 and not facts.battery.charging
            assert "com.android.chrome" in (facts.packages or set())
            changes, _ = apply_on(session, screen_off_timeout_s=600, magnification=True)
        assert tablet.state.settings["system"]["screen_off_timeout"] == "600000"
        assert {c.key for c in changes} >= {"screen_off_timeout", "accessibility_display_magnification_enabled"}


def test_unknown_serial_is_unreachable(adb_server) -> None:
    port, env, _ = adb_server
    with pytest.raises(Unreachable):
        with AdbCliSession("R52T80NOTHERE", server_port=port, env=env, timeout_s=5):
            pass


def test_missing_adb_client_is_unreachable_with_a_hint() -> None:
    with pytest.raises(DeviceError, match="adb client is not installed"):
        with AdbCliSession("X", adb="/nonexistent/adb", timeout_s=2):
            pass
