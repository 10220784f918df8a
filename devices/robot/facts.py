"""Facts returned by the robot drivers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class RobotBatteryFacts:
    level_pct: int | None  # 0-100; None = not measured (see reason)
    source: str  # "ble" | "bluez" | "upower" | "aseba" | "tdm" | "repl"
    reason: str | None  # message key when level_pct is None, e.g. "ble.no_battery_service"
    raw: str | None  # the raw reading kept for diagnostics, e.g. "_vbat=800,800"
    measured_at: datetime
    voltage_v: float | None = None  # Thymio: battery volts from _vbat (firmware's formula)


@dataclass(frozen=True, slots=True, kw_only=True)
class ThymioFacts:
    node_id: int
    node_name: str | None  # "thymio-II"
    protocol_version: int | None  # Aseba protocol version of the node
    firmware_version: int | None  # _fwversion[0]
    vbat_raw: tuple[int, ...] | None  # _vbat, firmware ADC units (no documented conversion)
    measured_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class BluezDeviceInfo:
    """``bluetoothctl info <address>``."""

    available: bool  # False: "Device XX:XX:... not available" (unknown to BlueZ)
    address: str | None
    name: str | None
    connected: bool | None
    battery_pct: int | None  # "Battery Percentage: 0x64 (100)"; None = line absent
