"""Robot battery over Bluetooth Low Energy: GATT Battery Service 0x180F, Battery Level 0x2A19.

:func:`read_ble_battery` picks the path: on Linux, BlueZ hides 0x180F from GATT clients
and publishes ``org.bluez.Battery1.Percentage`` instead, so the default there is the
D-Bus path (:mod:`devices.robot.bluez`); elsewhere (macOS CoreBluetooth, Windows WinRT)
the GATT read below. ``backend="gatt"`` / ``"bluez"`` forces one; passing a
``transport`` means the GATT path.

The BLE stack sits behind :class:`BleTransport` (one coroutine, read a characteristic) so
the parse and the error mapping are tested without an adapter; :class:`BleakTransport`
is the real one (bleak -> BlueZ over the D-Bus system bus on Linux).

Error mapping (bleak 3.x on Linux): no D-Bus system bus (``FileNotFoundError`` /
``ConnectionRefusedError``), BlueZ not running (``BleakDBusError``
``org.freedesktop.DBus.Error.ServiceUnknown``), no adapter
(``BleakBluetoothNotAvailableError``), robot not advertising
(``BleakDeviceNotFoundError``), timeout -> :class:`Unreachable`; pairing refused
(``org.bluez.Error.AuthenticationFailed``) -> :class:`AuthenticationFailed`; the robot
has no Battery Level characteristic -> ``level_pct=None``, reason ``ble.no_battery_service``.
"""

from __future__ import annotations

import asyncio
import sys
from datetime import UTC, datetime
from typing import Literal, Protocol

from devices.errors import AuthenticationFailed, Unreachable
from devices.robot.facts import RobotBatteryFacts
from devices.robot.parse import BATTERY_LEVEL_UUID, parse_battery_level


class CharacteristicNotFound(Exception):
    """Raised by a transport when the device lacks the requested characteristic."""


class BleTransport(Protocol):
    async def read_characteristic(self, address: str, uuid: str, timeout_s: float) -> bytes:
        """Connect to ``address`` and read characteristic ``uuid``; bounded by timeout_s."""
        ...


class BleakTransport:
    """``BleakClient(address).read_gatt_char(uuid)``."""

    async def read_characteristic(self, address: str, uuid: str, timeout_s: float) -> bytes:
        from bleak import BleakClient
        from bleak.exc import BleakCharacteristicNotFoundError

        try:
            async with BleakClient(address, timeout=timeout_s) as client:
                return bytes(await client.read_gatt_char(uuid))
        except BleakCharacteristicNotFoundError as exc:
            raise CharacteristicNotFound(uuid) from exc


def _map_error(exc: BaseException, address: str) -> Exception:
    """The project's exception for a BLE failure (never includes secrets: none involved)."""
    from bleak.exc import BleakDBusError  # bleak is a dependency (pyproject.toml)

    if isinstance(exc, BleakDBusError) and "AuthenticationFailed" in str(exc.dbus_error):
        return AuthenticationFailed(f"BLE {address}: pairing refused ({exc.dbus_error})")
    if isinstance(exc, (TimeoutError, asyncio.TimeoutError)):
        return Unreachable(f"BLE {address}: no answer (timeout)")
    if isinstance(exc, (FileNotFoundError, ConnectionRefusedError)):
        return Unreachable(f"BLE {address}: no D-Bus system bus; is BlueZ (bluetoothd) running on this machine?")
    if isinstance(exc, BleakDBusError):
        return Unreachable(f"BLE {address}: BlueZ error {exc.dbus_error}")
    return Unreachable(f"BLE {address}: {type(exc).__name__}: {exc}")


async def read_ble_battery_async(
    address: str, timeout_s: float = 10.0, *, transport: BleTransport | None = None
) -> RobotBatteryFacts:
    transport = transport if transport is not None else BleakTransport()
    try:
        async with asyncio.timeout(timeout_s):
            value = await transport.read_characteristic(address, BATTERY_LEVEL_UUID, timeout_s)
    except CharacteristicNotFound:
        return RobotBatteryFacts(
            level_pct=None, source="ble", reason="ble.no_battery_service", raw=None, measured_at=datetime.now(UTC)
        )
    except Exception as exc:  # bleak raises BleakError, OSError, dbus-fast errors...
        raise _map_error(exc, address) from exc
    level = parse_battery_level(value)
    return RobotBatteryFacts(level_pct=level, source="ble", reason=None, raw=value.hex(), measured_at=datetime.now(UTC))


Backend = Literal["auto", "bluez", "gatt"]


def default_backend(platform: str | None = None) -> Literal["bluez", "gatt"]:
    """``bluez`` on Linux (BlueZ owns 0x180F there), ``gatt`` anywhere else."""
    return "bluez" if (platform or sys.platform).startswith("linux") else "gatt"


def read_ble_battery(
    address: str, timeout_s: float = 10.0, *, transport: BleTransport | None = None, backend: Backend = "auto"
) -> RobotBatteryFacts:
    """Blocking form, for the sweep's thread pool (runs its own event loop).

    ``backend="auto"``: the GATT path when a ``transport`` is given, else
    :func:`default_backend` (BlueZ's Battery1 over D-Bus on Linux).
    """
    chosen = backend if backend != "auto" else ("gatt" if transport is not None else default_backend())
    if chosen == "bluez":
        from devices.robot.bluez import read_bluez_battery_async

        return asyncio.run(read_bluez_battery_async(address, timeout_s))
    return asyncio.run(read_ble_battery_async(address, timeout_s, transport=transport))
