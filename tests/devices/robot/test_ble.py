"""BLE battery: parse + error mapping behind the transport interface, and the real bleak
stack on this machine (no adapter, no BlueZ)."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from devices.errors import AuthenticationFailed, BadAnswer, Unreachable
from devices.robot import BATTERY_LEVEL_UUID, CharacteristicNotFound, read_ble_battery
from devices.robot.ble import BleakTransport


class FakeTransport:
    def __init__(self, value: bytes | None = None, error: BaseException | None = None, delay_s: float = 0.0) -> None:
        self.value, self.error, self.delay_s = value, error, delay_s
        self.calls: list[tuple[str, str]] = []

    async def read_characteristic(self, address: str, uuid: str, timeout_s: float) -> bytes:
        import asyncio

        self.calls.append((address, uuid))
        await asyncio.sleep(self.delay_s)
        if self.error is not None:
            raise self.error
        assert self.value is not None
        return self.value


def test_level_read_from_battery_level_characteristic() -> None:
    transport = FakeTransport(b"\x2a")
    facts = read_ble_battery("AA:BB:CC:DD:EE:01", 2.0, transport=transport)
    assert (facts.level_pct, facts.source, facts.reason, facts.raw) == (42, "ble", None, "2a")
    assert transport.calls == [("AA:BB:CC:DD:EE:01", BATTERY_LEVEL_UUID)]
    assert facts.measured_at.tzinfo is not None


def test_no_battery_service_is_none_with_reason() -> None:
    facts = read_ble_battery("AA", 1.0, transport=FakeTransport(error=CharacteristicNotFound("x")))
    assert facts.level_pct is None and facts.reason == "ble.no_battery_service"


def test_bad_value_is_bad_answer() -> None:
    with pytest.raises(BadAnswer):
        read_ble_battery("AA", 1.0, transport=FakeTransport(b"\xff"))


def test_slow_device_times_out_as_unreachable() -> None:
    with pytest.raises(Unreachable, match="timeout"):
        read_ble_battery("AA", 0.2, transport=FakeTransport(b"\x10", delay_s=5))


def test_bleak_errors_are_mapped() -> None:
    from bleak.exc import BleakDBusError, BleakDeviceNotFoundError, BleakError

    cases = [
        (BleakDeviceNotFoundError("AA"), Unreachable),
        (BleakError("Bluetooth adapter not found"), Unreachable),
        (BleakDBusError("org.bluez.Error.NotReady", ["Resource Not Ready"]), Unreachable),
        (BleakDBusError("org.bluez.Error.AuthenticationFailed", []), AuthenticationFailed),
        (FileNotFoundError(2, "No such file or directory"), Unreachable),
    ]
    for error, expected in cases:
        with pytest.raises(expected) as info:
            read_ble_battery("AA", 1.0, transport=FakeTransport(error=error))
        assert info.value.__cause__ is error


def test_real_bleak_without_system_bus(monkeypatch, tmp_path) -> None:
    """No D-Bus system bus here: bleak raises FileNotFoundError -> Unreachable."""
    monkeypatch.setenv("DBUS_SYSTEM_BUS_ADDRESS", f"unix:path={tmp_path}/no-bus")
    with pytest.raises(Unreachable, match="D-Bus") as info:
        read_ble_battery("AA:BB:CC:DD:EE:FF", 3.0, transport=BleakTransport())
    assert isinstance(info.value.__cause__, OSError)


@pytest.mark.skipif(shutil.which("dbus-daemon") is None, reason="dbus-daemon not installed")
def test_real_bleak_with_bus_but_no_bluez(monkeypatch, tmp_path) -> None:
    """A real dbus-daemon with no org.bluez on it: BleakDBusError ServiceUnknown -> Unreachable."""
    from bleak.exc import BleakDBusError

    socket_path = tmp_path / "bus"
    daemon = subprocess.Popen(
        ["dbus-daemon", "--session", "--nofork", "--print-address=1", f"--address=unix:path={socket_path}"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        daemon.stdout.readline()  # printed once the bus is listening
        monkeypatch.setenv("DBUS_SYSTEM_BUS_ADDRESS", f"unix:path={socket_path}")
        with pytest.raises(Unreachable, match="org.freedesktop.DBus.Error.ServiceUnknown") as info:
            read_ble_battery("AA:BB:CC:DD:EE:FF", 5.0, transport=BleakTransport())
        assert isinstance(info.value.__cause__, BleakDBusError)
    finally:
        daemon.terminate()
        daemon.wait(timeout=5)
