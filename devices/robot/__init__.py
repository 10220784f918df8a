"""Educational robots: battery over BLE (GATT Battery Service), BlueZ/UPower listings,
Thymio II over Aseba (serial), LEGO hubs over their MicroPython REPL (serial).

    read_ble_battery(address, timeout_s) -> RobotBatteryFacts
    read_thymio(tty_path, timeout_s) -> ThymioFacts
    read_ble_battery(address, timeout_s, backend="auto")   Linux: BlueZ Battery1 over D-Bus
    read_bluez_battery_async(address, timeout_s) -> RobotBatteryFacts
    read_thymio_battery(tty_path, timeout_s) -> RobotBatteryFacts   (voltage_v, level_pct None)
    read_thymio_tdm(host, port, timeout_s) -> RobotBatteryFacts      (through Thymio Suite's TDM)
    read_hub_battery(tty_path, timeout_s) -> RobotBatteryFacts      (raw REPL)
    parse_bluetoothctl_info / parse_upower / parse_busctl_battery1 / parse_battery_level
"""

from devices.robot.ble import (
    BleakTransport,
    BleTransport,
    CharacteristicNotFound,
    read_ble_battery,
    read_ble_battery_async,
)
from devices.robot.bluez import read_bluez_battery_async
from devices.robot.facts import BluezDeviceInfo, RobotBatteryFacts, ThymioFacts
from devices.robot.parse import (
    BATTERY_LEVEL_UUID,
    BATTERY_SERVICE_UUID,
    parse_battery_level,
    parse_bluetoothctl_info,
    parse_busctl_battery1,
    parse_repl_battery,
    parse_thymio_vbat,
    parse_upower,
)
from devices.robot.tdm import read_thymio_tdm
from devices.robot.thymio import read_hub_battery, read_thymio, read_thymio_battery

__all__ = [
    "BATTERY_LEVEL_UUID",
    "BATTERY_SERVICE_UUID",
    "BleTransport",
    "BleakTransport",
    "BluezDeviceInfo",
    "CharacteristicNotFound",
    "RobotBatteryFacts",
    "ThymioFacts",
    "parse_battery_level",
    "parse_bluetoothctl_info",
    "parse_busctl_battery1",
    "parse_repl_battery",
    "parse_thymio_vbat",
    "parse_upower",
    "read_ble_battery",
    "read_ble_battery_async",
    "read_bluez_battery_async",
    "read_hub_battery",
    "read_thymio",
    "read_thymio_battery",
    "read_thymio_tdm",
]
