"""PJLink projector simulator (class 1 / 2) on 127.0.0.1, for tests and ``plateau demo``.

Speaks the real wire protocol: ``PJLINK 0\\r`` or ``PJLINK 1 <random>\\r`` greeting, one
``%1CMND param\\r`` per line, ``%1CMND=value\\r`` answers, ERR1..ERR4, ``PJLINK ERRA\\r``
on a bad digest. Answers are modelled on real captures (lowercase replies like the one
in openHAB's log, Optoma's "Class 1", Panasonic's INF1/INF2 table).

Settable :class:`ProjectorState` (change ``sim.state.<field>`` while it runs):
power off/on/cooling/warming, lamps (None = laser, answers ERR1), ERST digits (e.g.
"020000" = lamp error), password, lowercase replies, class quirk, and ``mode``
(:mod:`devices.lab.base`; also ``sim.mode``): ``healthy`` (``ok``) | ``dead`` (closes every
connection) | ``slow`` (waits ``slow_s`` before the greeting) | ``garbage`` (answers junk).

Standalone: ``python -m devices.lab.projector --port 4352 [--password secret]``.
"""

from __future__ import annotations

import argparse
import hashlib
import secrets
import socketserver
import threading
import time
from dataclasses import dataclass, field

from devices.lab.base import HOST, Faults, LabServer, Simulator, wait_for_interrupt

_POWER_CODES = {"off": "0", "on": "1", "cooling": "2", "warming": "3"}


@dataclass
class ProjectorState:
    power: str = "off"  # off | on | cooling | warming
    input: str = "31"  # HDMI-like digital input
    lamps: list[tuple[int, bool]] | None = field(default_factory=lambda: [(1234, False)])
    errors: str = "000000"  # fan lamp temperature cover filter other
    name: str = "salle1-videoprojecteur"
    manufacturer: str = "Panasonic"
    model: str = "VX42Z"
    serial_number: str = "SH1234567"
    software_version: str = "1.05"
    pjlink_class: int = 1
    class_answer: str | None = None  # e.g. "Class 1" like the Optoma X351
    lowercase: bool = False  # answer "%1powr=0" like the projector in openHAB's log
    input_err3_in_standby: bool = False  # some models cannot report INPT in standby
    password: str | None = None
    mode: str = "healthy"  # healthy | dead | slow | garbage
    slow_s: float = 30.0
    warmup_s: float = 0.5
    _warming_until: float = 0.0

    def current_power(self) -> str:
        if self.power == "warming" and self._warming_until and time.monotonic() >= self._warming_until:
            self.power, self._warming_until = "on", 0.0
        return self.power


class _Handler(socketserver.StreamRequestHandler):
    server: LabServer[ProjectorSimulator]

    def handle(self) -> None:
        sim = self.server.sim
        state = sim.state
        if state.mode == "dead":
            return
        if state.mode == "slow" and sim.stopping.wait(state.slow_s):
            return
        if state.mode == "garbage":
            self.wfile.write(b"\xff\xfe<html>garbage \x00\x01\r\n" + secrets.token_bytes(40) + b"\r")
            return
        digest = None
        if state.password is not None:
            random = secrets.token_hex(4)
            digest = hashlib.md5((random + state.password).encode()).hexdigest()
            self.wfile.write(f"PJLINK 1 {random}\r".encode())
        else:
            self.wfile.write(b"PJLINK 0\r")
        buffer = b""
        while not sim.stopping.is_set():
            try:
                chunk = self.connection.recv(512)
            except OSError:
                return
            if not chunk:
                return
            buffer += chunk
            while b"\r" in buffer:
                raw, _, buffer = buffer.partition(b"\r")
                line = raw.decode("ascii", errors="replace").strip()
                sim.received.append(line)
                if digest is not None:
                    if line[:32].lower() != digest:
                        self.wfile.write(b"PJLINK ERRA\r")
                        return
                    line, digest = line[32:], None
                self.wfile.write(self._answer(state, line).encode("utf-8") + b"\r")

    @staticmethod
    def _answer(state: ProjectorState, line: str) -> str:
        if len(line) < 7 or line[0] != "%" or line[1] not in "12":
            return "%1" + line[2:6].upper() + "=ERR1" if line[:1] == "%" else "PJLINK ERR1"
        cls, cmd, param = line[1], line[2:6].upper(), line[7:].strip()
        head = f"%{cls}{cmd.lower() if state.lowercase else cmd}="
        if int(cls) > state.pjlink_class:
            return head + "ERR1"
        with state_lock:
            value = _Handler._value(state, cls, cmd, param)
        return head + value

    @staticmethod
    def _value(state: ProjectorState, cls: str, cmd: str, param: str) -> str:
        power = state.current_power()
        if cmd == "POWR" and param != "?":
            if param not in ("0", "1"):
                return "ERR2"
            if power in ("cooling", "warming"):
                return "ERR3"
            if param == "1" and power == "off":
                state.power, state._warming_until = "warming", time.monotonic() + state.warmup_s
            elif param == "0" and power == "on":
                state.power = "off"
            return "OK"
        if param != "?":
            return "ERR2"
        if cmd == "POWR":
            return _POWER_CODES[power]
        if cmd == "INPT":
            return "ERR3" if power != "on" and state.input_err3_in_standby else state.input
        if cmd == "LAMP":
            if state.lamps is None:
                return "ERR1"
            return " ".join(f"{hours} {int(on)}" for hours, on in state.lamps)
        if cmd == "ERST":
            return state.errors
        if cmd == "CLSS":
            return state.class_answer or str(state.pjlink_class)
        if cmd == "NAME":
            return state.name
        if cmd == "INF1":
            return state.manufacturer
        if cmd == "INF2":
            return state.model
        if cmd == "INF0":
            return state.software_version
        if cls == "2" and cmd == "SNUM":
            return state.serial_number
        if cls == "2" and cmd == "SVER":
            return state.software_version
        return "ERR1"


state_lock = threading.Lock()


class ProjectorSimulator(Simulator):
    """A PJLink projector on 127.0.0.1, bound (port 0 = ephemeral) once constructed."""

    def __init__(self, state: ProjectorState | None = None, port: int = 0, host: str = HOST) -> None:
        self.state = state or ProjectorState()
        super().__init__(host=host, mode=self.state.mode, slow_s=self.state.slow_s)
        self.received: list[str] = []  # command lines seen (digest stripped only if wrong)
        self.bind(_Handler, port)

    def faults(self) -> Faults:
        return self.state


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="PJLink projector simulator on 127.0.0.1")
    parser.add_argument("--port", type=int, default=4352)
    parser.add_argument("--password", default=None)
    parser.add_argument("--power", choices=list(_POWER_CODES), default="off")
    parser.add_argument("--pjlink-class", type=int, choices=(1, 2), default=1)
    parser.add_argument("--errors", default="000000", help="ERST digits, e.g. 020000 = lamp error")
    parser.add_argument("--mode", choices=(*ProjectorSimulator.modes, "ok"), default="healthy")
    args = parser.parse_args(argv)
    state = ProjectorState(
        power=args.power, pjlink_class=args.pjlink_class, errors=args.errors, password=args.password, mode=args.mode
    )
    sim = ProjectorSimulator(state, port=args.port).start()
    print(f"PJLink projector simulator listening on {sim.host}:{sim.port}", flush=True)
    wait_for_interrupt(sim)


if __name__ == "__main__":
    main()
