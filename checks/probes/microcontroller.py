"""Microcontrollers on USB: detected by their USB serial, then a handshake on their serial port."""

from __future__ import annotations

from checks import grading as g
from checks.facts import jsonable
from checks.model import Status, Verdict, utcnow
from checks.probes.common import ProbeContext
from devices.errors import Unreachable
from devices.microcontroller.detect import find_board
from devices.microcontroller.handshake import handshake
from devices.models import Microcontroller


def probe_microcontroller(device: Microcontroller, ctx: ProbeContext) -> list[Verdict]:
    board = find_board(serial=device.usb_serial) if device.usb_serial else None
    if board is None:
        raise Unreachable("board not detected on USB")
    now = utcnow()
    protocol = device.handshake
    if protocol == "none":
        return [
            g._v(
                device.name,
                "board",
                Status.OK,
                "check.board.detected",
                measured_at=now,
                probe="usb",
                room=device.room,
                value=board.tty_path,
                tty=board.tty_path or "?",
                facts=jsonable(board),
            )
        ]
    if board.tty_path is None:  # udev gave the board no device node: there is no port to talk on
        raise Unreachable("board detected on USB but it has no serial port")
    facts = handshake(
        board.tty_path,
        "probe" if protocol == "custom" else protocol,
        timeout_s=ctx.timeout_s,
        probe=(device.probe_string or "").encode() or None,
        expect=device.expect,
    )
    if not facts.answered:
        return [
            g._v(
                device.name,
                "board",
                Status.FAIL,
                "check.board.silent",
                measured_at=facts.measured_at,
                probe=protocol,
                room=device.room,
                tty=board.tty_path,
                facts=jsonable(facts),
            )
        ]
    return [
        g._v(
            device.name,
            "board",
            Status.OK,
            "check.board.answers",
            measured_at=facts.measured_at,
            probe=protocol,
            room=device.room,
            value=facts.firmware,
            firmware=facts.firmware or "?",
            facts=jsonable(facts),
        )
    ]
