"""Robot battery from BlueZ over the D-Bus system bus (Linux), with dbus-fast.

BlueZ claims the GATT Battery Service (0x180F) for itself and hides it from GATT
clients such as bleak; it republishes the level as ``org.bluez.Battery1.Percentage``
(byte, 0-100) on the device object ``/org/bluez/hciX/dev_AA_BB_CC_DD_EE_FF``. Calls::

    org.freedesktop.DBus.ObjectManager.GetManagedObjects   on org.bluez /
        -> find the object whose org.bluez.Device1.Address is the robot's address
           (whatever hciX adapter it hangs under)
    org.bluez.Device1.Connect                              when not connected, then poll
        GetManagedObjects until Battery1 appears, services are resolved, or the deadline
    org.bluez.Device1.Disconnect                           if we connected it ourselves

Outcomes: no system bus / BlueZ not running / robot unknown to BlueZ (never paired nor
seen) / Connect refused (robot off, out of range) -> :class:`Unreachable`;
``org.bluez.Error.AuthenticationFailed`` -> :class:`AuthenticationFailed`; device known
but no Battery1 -> ``level_pct=None``, reason ``ble.no_battery_service``.
Equivalent shell: ``busctl get-property org.bluez <path> org.bluez.Battery1 Percentage``.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from devices.errors import AuthenticationFailed, BadAnswer, Unreachable
from devices.robot.facts import RobotBatteryFacts

BLUEZ = "org.bluez"
DEVICE1, BATTERY1 = "org.bluez.Device1", "org.bluez.Battery1"
POLL_S = 0.2


def device_path(address: str, adapter: str = "hci0") -> str:
    """``AA:BB:CC:DD:EE:FF`` -> ``/org/bluez/hci0/dev_AA_BB_CC_DD_EE_FF`` (BlueZ's naming)."""
    return f"/org/bluez/{adapter}/dev_{address.strip().upper().replace(':', '_')}"


def find_device(
    objects: dict[str, dict[str, dict[str, Any]]], address: str
) -> tuple[str, dict[str, dict[str, Any]]] | None:
    """The (path, interfaces) of the BlueZ device with this address, from GetManagedObjects."""
    wanted = address.strip().upper()
    for path, interfaces in sorted(objects.items()):
        device = interfaces.get(DEVICE1)
        if device is None:
            continue
        value = device.get("Address")
        value = getattr(value, "value", value)  # dbus-fast Variant or plain
        if isinstance(value, str) and value.upper() == wanted:
            return path, interfaces
    return None


def _prop(interfaces: dict[str, dict[str, Any]], interface: str, name: str) -> Any:
    value = interfaces.get(interface, {}).get(name)
    return getattr(value, "value", value)


def parse_battery1(interfaces: dict[str, dict[str, Any]]) -> int | None:
    """Battery1.Percentage of one object's interfaces; None when it has no Battery1."""
    if BATTERY1 not in interfaces:
        return None
    value = _prop(interfaces, BATTERY1, "Percentage")
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 100:
        raise BadAnswer(f"Battery1.Percentage is {value!r}, not a percentage")
    return value


class _Bus:
    """The few calls we make, as raw messages (no introspection round-trips)."""

    def __init__(self, bus: Any) -> None:
        self.bus = bus

    async def call(
        self, path: str, interface: str, member: str, signature: str = "", body: list[Any] | None = None
    ) -> list[Any]:
        from dbus_fast import Message, MessageType
        from dbus_fast.errors import DBusError

        reply = await self.bus.call(
            Message(
                destination=BLUEZ, path=path, interface=interface, member=member, signature=signature, body=body or []
            )
        )
        if reply.message_type == MessageType.ERROR:
            raise DBusError(reply.error_name or "unknown", str(reply.body[0] if reply.body else ""), reply)
        return list(reply.body)

    async def objects(self) -> dict[str, dict[str, dict[str, Any]]]:
        (objects,) = await self.call("/", "org.freedesktop.DBus.ObjectManager", "GetManagedObjects")
        managed: dict[str, dict[str, dict[str, Any]]] = objects
        return managed


def _map_dbus_error(exc: BaseException, address: str) -> Exception:
    name = getattr(exc, "type", "") or ""
    if name.endswith("AuthenticationFailed") or name.endswith("AuthenticationRejected"):
        return AuthenticationFailed(f"BLE {address}: pairing refused ({name})")
    if name in ("org.freedesktop.DBus.Error.ServiceUnknown", "org.freedesktop.DBus.Error.NameHasNoOwner"):
        return Unreachable(
            f"BLE {address}: BlueZ is not running on the system bus ({name}); start it with 'systemctl start bluetooth'"
        )
    if name:
        return Unreachable(f"BLE {address}: BlueZ error {name}: {getattr(exc, 'text', '')}")
    if isinstance(exc, (FileNotFoundError, ConnectionRefusedError, PermissionError)):
        return Unreachable(
            f"BLE {address}: no D-Bus system bus ({exc}); is this Linux with BlueZ (bluetoothd) running?"
        )
    return Unreachable(f"BLE {address}: {type(exc).__name__}: {exc}")


async def _read(bus: _Bus, address: str, deadline: float) -> RobotBatteryFacts:
    loop = asyncio.get_running_loop()
    found = find_device(await bus.objects(), address)
    if found is None:
        raise Unreachable(
            f"BLE {address}: unknown to BlueZ (never paired nor seen): switch "
            f"the robot on and pair it once ('bluetoothctl pair {address}')"
        )
    path, interfaces = found
    connected_by_us = False
    if BATTERY1 not in interfaces and not _prop(interfaces, DEVICE1, "Connected"):
        await bus.call(path, DEVICE1, "Connect")
        connected_by_us = True
    resolved_polls = 0
    try:
        # BlueZ adds Battery1 while it resolves the GATT services after a connection
        while BATTERY1 not in interfaces and loop.time() < deadline:
            if _prop(interfaces, DEVICE1, "ServicesResolved"):
                resolved_polls += 1
                if resolved_polls > 1:
                    break  # resolved, looked once more: the robot has no 0x180F
            await asyncio.sleep(min(POLL_S, max(0.0, deadline - loop.time())))
            found = find_device(await bus.objects(), address)
            if found is None:
                raise Unreachable(f"BLE {address}: the robot vanished from BlueZ")
            path, interfaces = found
        level = parse_battery1(interfaces)
    finally:
        if connected_by_us:
            try:
                await bus.call(path, DEVICE1, "Disconnect")
            except Exception:  # best effort: leave the robot as we found it  # noqa: BLE001
                pass
    now = datetime.now(UTC)
    if level is None:
        resolved = bool(_prop(interfaces, DEVICE1, "ServicesResolved"))
        return RobotBatteryFacts(
            level_pct=None,
            source="bluez",
            reason="ble.no_battery_service" if resolved else "bluez.services_not_resolved",
            raw=f"{path}: no {BATTERY1}",
            measured_at=now,
        )
    return RobotBatteryFacts(
        level_pct=level, source="bluez", reason=None, raw=f"{path} {BATTERY1}.Percentage={level}", measured_at=now
    )


async def read_bluez_battery_async(address: str, timeout_s: float = 10.0) -> RobotBatteryFacts:
    """Battery1.Percentage of the robot at ``address``, bounded by ``timeout_s``."""
    from dbus_fast import BusType
    from dbus_fast.aio import MessageBus

    loop = asyncio.get_running_loop()
    deadline = loop.time() + 0.8 * timeout_s  # leave time to disconnect and answer
    bus = None
    try:
        async with asyncio.timeout(timeout_s):
            bus = await MessageBus(bus_type=BusType.SYSTEM).connect()
            return await _read(_Bus(bus), address, deadline)
    except (Unreachable, AuthenticationFailed, BadAnswer):
        raise
    except TimeoutError as exc:
        raise Unreachable(f"BLE {address}: no answer from BlueZ or the robot (timeout)") from exc
    except Exception as exc:  # dbus-fast DBusError, OSError, AuthError...
        raise _map_dbus_error(exc, address) from exc
    finally:
        if bus is not None:
            bus.disconnect()
