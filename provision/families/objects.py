"""Connected objects: microcontrollers on USB and educational robots (BLE, serial, Thymio Suite)."""

from __future__ import annotations

from devices.models import Microcontroller, Robot
from provision.families.base import Family, ManualCheck, ProbeDecl, RecapRow, RowContext
from provision.messages import render


def _board_row(device: Microcontroller, ctx: RowContext) -> RecapRow:
    details: tuple[str, ...] = ()
    if device.attached_to:
        details = (render("recap.detail.attached_to", {"host": ctx.display_of(device.attached_to)}),)
    return RecapRow(kind=render(f"label.board.{device.board}"), details=details)


def _robot_row(device: Robot, ctx: RowContext) -> RecapRow:
    details = (render("recap.detail.robot_manual"),) if device.probe == "manual" else ()
    return RecapRow(kind=render("label.robot_kind", {"kind": render(f"label.robot.{device.kind}")}), details=details)


def _robot_probe(device: Robot) -> str | None:
    return None if device.probe == "manual" else device.probe


MICROCONTROLLER = Family(
    name="microcontroller",
    model=Microcontroller,
    recap_section="others",
    probes={
        "default": ProbeDecl(name="usb", checks=("board",), fn="checks.probes.microcontroller:probe_microcontroller")
    },
    recap_row=_board_row,
    simulator="devices.lab.serial_board:BoardSimulator",
)
ROBOT = Family(
    name="robot",
    model=Robot,
    recap_section="others",
    probes={
        "ble": ProbeDecl(name="ble", checks=("battery",), fn="checks.probes.robot:probe_robot_ble"),
        "serial": ProbeDecl(name="serial", checks=("battery",), fn="checks.probes.robot:probe_robot_serial"),
        "tdm": ProbeDecl(name="tdm", checks=("battery",), fn="checks.probes.robot:probe_robot_tdm"),
    },
    choose_probe=_robot_probe,
    manual=ManualCheck(item="batteries", validity_field="attestation_validity_h"),
    recap_row=_robot_row,
    simulator="devices.lab.thymio_tdm:TdmSimulator",
)
DECLARED = (MICROCONTROLLER, ROBOT)
