"""Educational robots: battery over BLE (Battery Service), over USB serial (Thymio II Aseba,
LEGO SPIKE raw REPL), or through the Thymio Device Manager (Thymio Suite)."""

from __future__ import annotations

from typing import Any

from checks import grading as g
from checks.facts import jsonable
from checks.model import Verdict
from checks.probes.common import ProbeContext
from devices.errors import Unreachable
from devices.microcontroller.detect import find_board
from devices.models import Robot
from devices.robot.ble import read_ble_battery
from devices.robot.tdm import read_thymio_tdm
from devices.robot.thymio import read_hub_battery, read_thymio_battery

#: USB vendor ids of robots that expose a serial port
ROBOT_USB_VENDORS = {"thymio": "0617", "spike": "0694"}


def probe_robot_ble(device: Robot, ctx: ProbeContext) -> list[Verdict]:
    if not device.ble_address:
        raise Unreachable("no ble_address")
    facts = read_ble_battery(device.ble_address, timeout_s=ctx.timeout_s)
    return _robot_verdict(device, facts, facts.source)


def probe_robot_serial(device: Robot, ctx: ProbeContext) -> list[Verdict]:
    """Thymio II (Aseba) or LEGO SPIKE hub (MicroPython raw REPL) on its USB serial port."""
    kind = device.kind
    if kind not in ROBOT_USB_VENDORS:
        raise Unreachable(f"no serial protocol known for robot kind {kind}")
    usb_serial = device.usb_serial
    board = find_board(serial=usb_serial) if usb_serial else find_board(vendor_id=ROBOT_USB_VENDORS[kind])
    if board is None:
        raise Unreachable("robot not detected on USB: plug it in and switch it on")
    if board.tty_path is None:  # udev gave the robot no device node: there is no port to talk on
        raise Unreachable("robot detected on USB but it has no serial port")
    reader = read_thymio_battery if kind == "thymio" else read_hub_battery
    return _robot_verdict(
        device, reader(board.tty_path, timeout_s=ctx.timeout_s), "aseba" if kind == "thymio" else "repl"
    )


def probe_robot_tdm(device: Robot, ctx: ProbeContext) -> list[Verdict]:
    """A Thymio seen through the Thymio Device Manager (Thymio Suite) on this machine or a PC."""
    facts = read_thymio_tdm(device.address or "127.0.0.1", device.tdm_port, timeout_s=ctx.timeout_s)
    return _robot_verdict(device, facts, "tdm")


def _robot_verdict(device: Robot, facts: Any, probe: str) -> list[Verdict]:
    if facts.level_pct is None and getattr(facts, "voltage_v", None) is not None:
        return [
            g.battery_voltage(
                device.name,
                voltage_v=facts.voltage_v,
                measured_at=facts.measured_at,
                probe=probe,
                room=device.room,
                facts=jsonable(facts),
            )
        ]
    return [
        g.battery(
            device.name,
            level_pct=facts.level_pct,
            charging=None,
            min_pct=device.min_battery_pct,
            measured_at=facts.measured_at,
            probe=probe,
            room=device.room,
            facts=jsonable(facts),
        )
    ]
