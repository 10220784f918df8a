"""Prove a board answers on its serial port.

Protocols:

``micropython``  send Ctrl-C Ctrl-C (interrupt), then Ctrl-B (leave raw REPL: reprints
                 the banner ``MicroPython v1.x on <date>; <board>`` and ``>>> ``).
``firmata``      send REPORT_VERSION ``F9`` and REPORT_FIRMWARE ``F0 79 F7``; StandardFirmata
                 answers ``F9 02 05`` and ``F0 79 02 05 S.t.a.n... F7``.
``probe``        send a configured probe string, match a configured regex.

Outcomes: the port cannot be opened -> :class:`Unreachable`; the port opens but nothing
comes back within ``timeout_s`` -> ``answered=False`` (a state: board plugged in, but not
running the expected firmware, or hung); bytes come back that are not the protocol ->
:class:`BadAnswer`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from devices.microcontroller.parse import (
    REPORT_FIRMWARE,
    REPORT_VERSION,
    SYSEX_END,
    SYSEX_START,
    parse_firmata_answer,
    parse_probe_answer,
    parse_repl_answer,
)
from devices.microcontroller.transport import DEFAULT_BAUDRATE, SerialLink

Protocol = Literal["micropython", "firmata", "probe"]
PROTOCOLS: tuple[str, ...] = ("micropython", "firmata", "probe")
CTRL_C, CTRL_B = b"\x03", b"\x02"


@dataclass(frozen=True, slots=True, kw_only=True)
class HandshakeFacts:
    answered: bool
    protocol: str
    firmware: str | None  # "MicroPython v1.14 on 2021-02-05; Raspberry Pi Pico with RP2040"
    reason: str | None  # why answered is False, e.g. "silent"
    measured_at: datetime


def _micropython(link: SerialLink) -> str | None:
    link.write(b"\r" + CTRL_C + CTRL_C)
    first = link.read_until(lambda b: b.rstrip().endswith(b">>>"), max_s=min(1.0, link.remaining_s()))
    link.write(CTRL_B)
    data = first + link.read_until(lambda b: b"information" in b and b.rstrip().endswith(b">>>"))
    if not data:
        return None
    answer = parse_repl_answer(data)
    return answer.banner or "MicroPython REPL (no banner)"


def _firmata(link: SerialLink) -> str | None:
    link.write(bytes([REPORT_VERSION, SYSEX_START, REPORT_FIRMWARE, SYSEX_END]))

    def complete(buffer: bytes) -> bool:
        start = buffer.find(bytes([SYSEX_START, REPORT_FIRMWARE]))
        return start >= 0 and buffer.find(bytes([SYSEX_END]), start) > 0

    data = link.read_until(complete)
    if not data:
        return None
    return parse_firmata_answer(data).firmware


def _probe(link: SerialLink, probe: bytes, expect: str) -> str | None:
    link.write(probe)
    pattern = re.compile(expect)
    data = link.read_until(lambda b: bool(pattern.search(b.decode("utf-8", "replace"))))
    if not data:
        return None
    return parse_probe_answer(data, expect)


def handshake(
    tty_path: str,
    protocol: Protocol,
    timeout_s: float = 3.0,
    *,
    baudrate: int = DEFAULT_BAUDRATE,
    probe: bytes | None = None,
    expect: str | None = None,
) -> HandshakeFacts:
    """Open ``tty_path``, run the protocol's hello, say whether and what the board answered."""
    if protocol not in PROTOCOLS:
        raise ValueError(f"unknown protocol {protocol!r}; supported: {', '.join(PROTOCOLS)}")
    if protocol == "probe" and (probe is None or expect is None):
        raise ValueError("protocol 'probe' needs probe= bytes and expect= regex")
    with SerialLink(tty_path, timeout_s=timeout_s, baudrate=baudrate) as link:
        link.drain()  # boot chatter of a board that just reset on open (DTR) is not an answer
        if protocol == "micropython":
            firmware = _micropython(link)
        elif protocol == "firmata":
            firmware = _firmata(link)
        else:
            assert probe is not None and expect is not None
            firmware = _probe(link, probe, expect)
    now = datetime.now(UTC)
    if firmware is None:
        return HandshakeFacts(answered=False, protocol=protocol, firmware=None, reason="silent", measured_at=now)
    return HandshakeFacts(answered=True, protocol=protocol, firmware=firmware, reason=None, measured_at=now)


__all__ = ["PROTOCOLS", "HandshakeFacts", "Protocol", "handshake"]
