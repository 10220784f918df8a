"""BLE battery over BlueZ's D-Bus API, against python-dbusmock's ``bluez5`` template: a real
D-Bus peer (dbus-daemon + a process owning org.bluez) on a private bus that stands in for
the system bus through ``DBUS_SYSTEM_BUS_ADDRESS``."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

from devices.errors import Unreachable
from devices.robot import read_ble_battery
from devices.robot.bluez import device_path

dbus = pytest.importorskip("dbus", reason="dbus-python (python-dbusmock's dependency) missing")
pytest.importorskip("dbusmock", reason="python-dbusmock not installed (test extra)")
pytestmark = pytest.mark.skipif(
    shutil.which("dbus-daemon") is None, reason="dbus-daemon not installed (apt: dbus-daemon)"
)

ROBOT = "AA:BB:CC:DD:EE:01"
MOCK_IFACE = "org.freedesktop.DBus.Mock"


class BluezMock:
    def __init__(self, address: str) -> None:
        self.bus = dbus.bus.BusConnection(address)

    def obj(self, path: str, interface: str):
        return dbus.Interface(self.bus.get_object("org.bluez", path), interface)

    def add_robot(self, address: str = ROBOT, *, battery_pct: int | None = None, connected: bool = False) -> str:
        mock = self.obj("/org/bluez", "org.bluez.Mock")
        path = str(mock.AddDevice("hci0", address, "Thymio"))
        if connected:
            mock.ConnectDevice("hci0", address)
        if battery_pct is not None:
            self.obj(path, MOCK_IFACE).AddProperties("org.bluez.Battery1", {"Percentage": dbus.Byte(battery_pct)})
        return path

    def calls(self, path: str) -> list[str]:
        return [str(call[1]) for call in self.obj(path, MOCK_IFACE).GetCalls()]


@pytest.fixture
def bluez(tmp_path, monkeypatch) -> Iterator[BluezMock]:
    socket_path = tmp_path / "system_bus"
    address = f"unix:path={socket_path}"
    daemon = subprocess.Popen(
        ["dbus-daemon", "--session", "--nofork", "--print-address=1", f"--address={address}"],
        stdout=subprocess.PIPE,
        text=True,
    )
    mock = None
    try:
        assert daemon.stdout is not None
        daemon.stdout.readline()  # printed once the bus listens
        env = {**os.environ, "DBUS_SYSTEM_BUS_ADDRESS": address}
        mock = subprocess.Popen(
            [sys.executable, "-m", "dbusmock", "--system", "--template", "bluez5"], env=env, stdout=subprocess.DEVNULL
        )
        bus = dbus.bus.BusConnection(address)
        deadline = time.monotonic() + 60  # generous: dbusmock starts slowly on a loaded machine
        while not bus.name_has_owner("org.bluez"):
            assert mock.poll() is None and time.monotonic() < deadline, "dbusmock did not start"
            time.sleep(0.05)
        bus.close()
        monkeypatch.setenv("DBUS_SYSTEM_BUS_ADDRESS", address)
        helper = BluezMock(address)
        helper.obj("/org/bluez", "org.bluez.Mock").AddAdapter("hci0", "salle1-poste-jury")
        yield helper
    finally:
        for process in (mock, daemon):
            if process is not None:
                process.terminate()
                process.wait(timeout=5)
        if daemon.stdout is not None:
            daemon.stdout.close()


def test_battery1_percentage_read_over_dbus(bluez) -> None:
    path = bluez.add_robot(battery_pct=42, connected=True)
    assert path == device_path(ROBOT)
    facts = read_ble_battery(ROBOT.lower(), timeout_s=3.0)  # the default path on Linux
    assert (facts.level_pct, facts.source, facts.reason) == (42, "bluez", None)
    assert facts.raw == f"{path} org.bluez.Battery1.Percentage=42"
    assert facts.measured_at.tzinfo is not None
    assert "Connect" not in bluez.calls(path)  # already connected: left alone


def test_device_absent_is_unreachable_with_hint(bluez) -> None:
    bluez.add_robot("AA:BB:CC:DD:EE:99", battery_pct=80)
    started = time.monotonic()
    with pytest.raises(Unreachable, match="bluetoothctl pair"):
        read_ble_battery(ROBOT, timeout_s=3.0, backend="bluez")
    assert time.monotonic() - started < 2


def test_connected_without_battery1_is_none_with_reason(bluez) -> None:
    path = bluez.add_robot(connected=True)
    bluez.obj(path, MOCK_IFACE).UpdateProperties("org.bluez.Device1", {"ServicesResolved": dbus.Boolean(True)})
    started = time.monotonic()
    facts = read_ble_battery(ROBOT, timeout_s=3.0)
    assert facts.level_pct is None and facts.reason == "ble.no_battery_service"
    assert time.monotonic() - started < 1.5  # resolved services: no need to wait


def test_disconnected_robot_is_connected_then_released(bluez) -> None:
    path = bluez.add_robot()
    facts = read_ble_battery(ROBOT, timeout_s=1.0)
    # the mock never resolves services nor adds Battery1: unknown, with why
    assert facts.level_pct is None and facts.reason == "bluez.services_not_resolved"
    assert bluez.calls(path)[-2:] == ["Connect", "Disconnect"]


def test_bluez_not_running_is_unreachable(tmp_path, monkeypatch) -> None:
    socket_path = tmp_path / "bus"
    daemon = subprocess.Popen(
        ["dbus-daemon", "--session", "--nofork", "--print-address=1", f"--address=unix:path={socket_path}"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert daemon.stdout is not None
        daemon.stdout.readline()
        monkeypatch.setenv("DBUS_SYSTEM_BUS_ADDRESS", f"unix:path={socket_path}")
        with pytest.raises(Unreachable, match="BlueZ is not running"):
            read_ble_battery(ROBOT, timeout_s=3.0)
    finally:
        daemon.terminate()
        daemon.wait(timeout=5)
        daemon.stdout.close()


def test_no_system_bus_is_unreachable(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("DBUS_SYSTEM_BUS_ADDRESS", f"unix:path={tmp_path}/none")
    with pytest.raises(Unreachable, match="no D-Bus system bus"):
        read_ble_battery(ROBOT, timeout_s=2.0)
