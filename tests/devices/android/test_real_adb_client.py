"""Prove the simulated adbd faithful: Debian's real ``adb`` client talks to it.

Each test runs a private adb server (``adb -P <free port>``) with HOME / ADB_VENDOR_KEYS in a temp
dir (no key leaks into ~/.android) and kills that server at the end.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from devices.android import BatteryStatus, parse
from devices.lab.android import SimulatedTablet, TabletState

ADB = shutil.which("adb")
pytestmark = pytest.mark.skipif(ADB is None, reason="Debian's adb client is not installed (apt-get install adb)")


class AdbClient:
    def __init__(self, home: Path, server_port: int) -> None:
        self.home, self.server_port = home, server_port
        self.env = {
            **os.environ,
            "HOME": str(home),
            "ADB_VENDOR_KEYS": str(home / ".android"),
            "ANDROID_ADB_SERVER_PORT": str(server_port),
        }
        self.env.pop("ANDROID_SERIAL", None)

    def __call__(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [ADB, "-P", str(self.server_port), *args], env=self.env, capture_output=True, text=True, timeout=20
        )
        if check and result.returncode != 0:
            raise AssertionError(f"adb {' '.join(args)} -> {result.returncode}: {result.stderr}")
        return result

    def wait_state(self, serial: str, wanted: str, timeout_s: float = 60) -> str:
        deadline, state = time.monotonic() + timeout_s, ""
        while time.monotonic() < deadline:
            line = next((text for text in self("devices").stdout.splitlines() if text.startswith(serial)), "")
            state = line.split()[1] if line.split()[1:] else ""
            if state == wanted:
                break
            time.sleep(0.1)
        return state


@pytest.fixture
def adb(tmp_path: Path, free_port) -> Iterator[AdbClient]:
    (tmp_path / ".android").mkdir()
    client = AdbClient(tmp_path, free_port())
    client("start-server")
    try:
        yield client
    finally:
        client("kill-server", check=False)


def test_real_adb_shell_dumpsys_battery_and_exit_codes(adb):
    state = TabletState(level=23, status=3, usb_powered=False, ac_powered=False)
    with SimulatedTablet(state) as sim:
        assert "connected to" in adb("connect", sim.serial).stdout
        assert adb.wait_state(sim.serial, "device") == "device"
        out = adb("-s", sim.serial, "shell", "dumpsys", "battery").stdout
        battery = parse.parse_battery(out)
        assert battery.level_pct == 23.0 and battery.status is BatteryStatus.DISCHARGING
        assert battery.plugged == frozenset()
        assert adb("-s", sim.serial, "shell", "getprop", "ro.product.model").stdout.strip() == "Pixel Tablet"
        missing = adb("-s", sim.serial, "shell", "nosuchtool", check=False)
        assert missing.returncode == 127 and "inaccessible or not found" in missing.stderr
        listing = adb("devices", "-l").stdout
        assert "model:Pixel_Tablet" in listing and "device:tangorpro" in listing
    # the client insists on the shell protocol when the banner advertises shell_v2
    assert any(s.startswith("shell,v2,") and s.endswith(":dumpsys battery") for s in state.services)


def test_real_adb_push_pull_large_file_across_many_packets(adb, tmp_path):
    payload = os.urandom(700_000)
    (tmp_path / "big.bin").write_bytes(payload)
    with SimulatedTablet() as sim:
        adb("connect", sim.serial)
        assert adb.wait_state(sim.serial, "device") == "device"
        adb("-s", sim.serial, "push", str(tmp_path / "big.bin"), "/data/local/tmp/big.bin")
        assert sim.state.files["/data/local/tmp/big.bin"] == payload
        adb("-s", sim.serial, "pull", "/data/local/tmp/big.bin", str(tmp_path / "back.bin"))
        assert (tmp_path / "back.bin").read_bytes() == payload
        refused = adb("-s", sim.serial, "push", str(tmp_path / "big.bin"), "/system/big.bin", check=False)
        assert refused.returncode != 0 and "Permission denied" in refused.stderr + refused.stdout


def test_real_adb_auth_prompt_then_signature_then_unauthorized(adb):
    state = TabletState(auth_required=True, accept_new_keys=True)
    with SimulatedTablet(state) as sim:
        adb("connect", sim.serial, check=False)  # prints "failed to authenticate" while the prompt shows
        assert adb.wait_state(sim.serial, "device") == "device"
        client_key = (adb.home / ".android" / "adbkey.pub").read_text().split()[0]
        assert state.trusted_keys == {client_key}
        adb("disconnect", sim.serial)

        state.accept_new_keys = False  # the key is known: the signature alone must get in
        adb("connect", sim.serial)
        assert adb.wait_state(sim.serial, "device") == "device"
        assert adb("-s", sim.serial, "shell", "echo", "signed").stdout.strip() == "signed"
        adb("disconnect", sim.serial)

        state.trusted_keys.clear()  # key revoked, nobody at the tablet
        adb("connect", sim.serial, check=False)
        assert adb.wait_state(sim.serial, "unauthorized") == "unauthorized"
