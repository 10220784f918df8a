"""Pty simulators of USB-serial boards and robots, speaking their real wire protocols.

    with BoardSimulator("micropython") as sim:     # also "microbit", "spike", "firmata", "thymio"
        handshake(sim.tty_path, "micropython", timeout_s=1.0)
        sim.mode = "dead"                           # "healthy" | "dead" | "slow" | "garbage"

The driver gets the pty *slave* path (``/dev/pts/N``); the simulator reads and answers on
the master side in a background thread. Modes (:mod:`devices.lab.base`; ``state`` is their
older name, ``ok`` that of ``healthy``): ``dead`` never answers; ``slow`` answers after
``slow_s`` (beyond a client's timeout); ``garbage`` answers junk bytes to anything.

The MicroPython personalities speak the friendly and the raw REPL
(:mod:`devices.lab.micropython_repl`), enough for the real ``mpremote`` to ``exec``.

Answers are modelled on real boards: the MicroPython banner is the one a Raspberry Pi
Pico prints ("MicroPython v1.14 on 2021-02-05; Raspberry Pi Pico with RP2040", from a
public README transcript); StandardFirmata 2.5 answers REPORT_VERSION with ``F9 02 05``
and REPORT_FIRMWARE with the sysex name "StandardFirmata.ino"; the Thymio II answers the
Aseba messages (little-endian ``length, source, type, payload``) with the variable layout
of its firmware (``_fwversion`` at 34, ``_vbat`` at 88).
"""

from __future__ import annotations

import os
import select
import struct
import time
import tty
from pathlib import Path

from devices.lab.base import HEALTHY, Simulator
from devices.lab.micropython_repl import MiniMicroPython, ReplSession

BANNERS = {
    "micropython": "MicroPython v1.14 on 2021-02-05; Raspberry Pi Pico with RP2040",
    "microbit": "MicroPython v1.0.1 on 2018-12-13; micro:bit v1.0.1 with nRF51822",
    "spike": "MicroPython v1.12-1033-g97d7f7273 on 2020-09-18; LEGO Technic Large Hub with STM32F413xx",
}
MODES = ("healthy", "dead", "slow", "garbage")
STATES = MODES  # older name
PERSONALITIES = ("micropython", "microbit", "spike", "firmata", "thymio")
JUNK = b"\xa5Z\xc3(\x8e\x00@@#\xfe\xfdjunk\x81\r\n"

# Aseba message types (thymiodirect / aseba msg.h)
NODE_PRESENT, DESCRIPTION, NAMED_VARIABLE_DESCRIPTION = 0x900C, 0x9000, 0x9001
LOCAL_EVENT_DESCRIPTION, VARIABLES, EXECUTION_STATE_CHANGED = 0x9002, 0x9005, 0x900A
GET_VARIABLES, GET_NODE_DESCRIPTION, LIST_NODES = 0xA00B, 0xA010, 0xA011

# Thymio II named variables, in firmware order (aseba_target_thymio2/skel-usb-user.c)
THYMIO_VARIABLES: tuple[tuple[str, int], ...] = (
    ("_id", 1),
    ("event.source", 1),
    ("event.args", 32),
    ("_fwversion", 2),
    ("_productId", 1),
    ("buttons._raw", 5),
    ("button.backward", 1),
    ("button.left", 1),
    ("button.center", 1),
    ("button.forward", 1),
    ("button.right", 1),
    ("buttons._mean", 5),
    ("buttons._noise", 5),
    ("prox.horizontal", 7),
    ("prox.comm.rx._payloads", 7),
    ("prox.comm.rx._intensities", 7),
    ("prox.comm.rx", 1),
    ("prox.comm.tx", 1),
    ("prox.ground.ambiant", 2),
    ("prox.ground.reflected", 2),
    ("prox.ground.delta", 2),
    ("motor.left.target", 1),
    ("motor.right.target", 1),
    ("_vbat", 2),
    ("_imot", 2),
    ("motor.left.speed", 1),
    ("motor.right.speed", 1),
    ("motor.left.pwm", 1),
    ("motor.right.pwm", 1),
    ("_integrator", 2),
    ("acc", 3),
    ("leds.top", 3),
    ("leds.bottom.left", 3),
    ("leds.bottom.right", 3),
    ("leds.circle", 8),
    ("temperature", 1),
    ("rc5.address", 1),
    ("rc5.command", 1),
    ("mic.intensity", 1),
    ("mic.threshold", 1),
    ("mic._mean", 1),
    ("timer.period", 2),
    ("acc._tap", 1),
    ("sd.present", 1),
)
THYMIO_EVENTS = (
    "button.backward",
    "button.left",
    "button.center",
    "button.forward",
    "button.right",
    "buttons",
    "prox",
    "prox.comm",
    "tap",
    "acc",
    "mic",
    "sound.finished",
    "temperature",
    "rc5",
    "motor",
    "timer0",
    "timer1",
)


def aseba_frame(msg_type: int, source: int, payload: bytes) -> bytes:
    return struct.pack("<HHH", len(payload), source, msg_type) + payload


def aseba_string(text: str) -> bytes:
    raw = text.encode("utf-8")
    return bytes([len(raw)]) + raw


class BoardSimulator(Simulator):
    """One board on a pty; ``tty_path`` (also ``address``) is the slave path, set by ``start()``.

    ``state`` is the older name of ``mode`` (:mod:`devices.lab.base`).
    """

    def __init__(
        self,
        personality: str = "micropython",
        state: str = HEALTHY,
        slow_s: float = 5.0,
        battery_pct: int = 87,  # SPIKE: hub.battery.capacity_left()
        spike_battery_api: bool = True,  # False: firmware without hub.battery
        thymio_node_id: int = 1,
        thymio_vbat_raw: tuple[int, int] = (800, 800),  # 4.02 V (sum * 10 / 3978)
        thymio_fwversion: tuple[int, int] = (14, 0),
        thymio_chatter: bool = True,  # interleave unrelated Aseba messages
        *,
        mode: str | None = None,
    ) -> None:
        if personality not in PERSONALITIES:
            raise ValueError(f"personality must be one of {PERSONALITIES}")
        super().__init__(mode=mode or state, slow_s=slow_s)
        self.personality = personality
        self.battery_pct = battery_pct
        self.spike_battery_api = spike_battery_api
        self.thymio_node_id = thymio_node_id
        self.thymio_vbat_raw = thymio_vbat_raw
        self.thymio_fwversion = thymio_fwversion
        self.thymio_chatter = thymio_chatter
        self.received = bytearray()
        self.tty_path = ""
        self._session: ReplSession | None = None
        self._aseba_buffer = bytearray()
        self._delayed: list[tuple[float, bytes]] = []
        self._master = self._slave = -1

    @property
    def state(self) -> str:
        return self.mode

    @state.setter
    def state(self, value: str) -> None:
        self.mode = value

    @property
    def address(self) -> str:
        return self.tty_path

    @property
    def port(self) -> int:
        raise RuntimeError("a pty simulator has no port: open sim.tty_path")

    def umockdev_record(
        self, serial: str, *, vendor_id: str = "2e8a", product_id: str = "0005", usb_port: str = "1-3"
    ) -> str:
        """A umockdev description (``umockdev-run -d``) of this board as a USB CDC-ACM device whose
        tty node is this simulator's pty: ``devices.microcontroller.detect`` finds it by ``serial``
        and gets ``tty_path`` (after ``start()``). Defaults: a Raspberry Pi Pico running MicroPython.

        No ``N:`` line and no device number: umockdev must not create an emulated node of its own.
        Caveat (umockdev 0.17): under ``umockdev-run`` the FIONREAD ioctl on a pty fails (ENOTTY),
        so pyserial's ``in_waiting``, hence a handshake, cannot run in the same process.
        """
        if not self.tty_path:
            raise RuntimeError("BoardSimulator not started: no tty path yet")
        usb = f"/devices/pci0000:00/0000:00:14.0/usb1/{usb_port}"
        return (
            f"P: {usb}\nE: DEVTYPE=usb_device\nE: DRIVER=usb\nE: ID_BUS=usb\nE: ID_VENDOR_ID={vendor_id}\n"
            f"E: ID_MODEL_ID={product_id}\nE: ID_SERIAL_SHORT={serial}\nE: SUBSYSTEM=usb\n"
            f"A: idVendor={vendor_id}\nA: idProduct={product_id}\nA: serial={serial}\n\n"
            f"P: {usb}/{usb_port}:1.0\nE: DEVTYPE=usb_interface\nE: DRIVER=cdc_acm\nE: SUBSYSTEM=usb\n"
            "A: bInterfaceClass=02\n\n"
            f"P: {usb}/{usb_port}:1.0/tty/{Path(self.tty_path).name}\nE: DEVNAME={self.tty_path}\n"
            "E: ID_USB_DRIVER=cdc_acm\nE: SUBSYSTEM=tty\n"
        )

    # lifecycle -----------------------------------------------------------------------
    def _open(self) -> None:
        self._master, self._slave = os.openpty()
        tty.setraw(self._slave)  # a USB CDC port: no echo, no line discipline
        self.tty_path = os.ttyname(self._slave)
        self.run_in_thread(self._run, f"sim-{self.personality}")

    def _close(self) -> None:
        for fd in (self._master, self._slave):
            if fd >= 0:
                os.close(fd)
        self._master = self._slave = -1

    # I/O loop ------------------------------------------------------------------------
    def _run(self) -> None:
        while not self.stopping.is_set():
            now = time.monotonic()
            for due in [d for d in self._delayed if d[0] <= now]:
                self._delayed.remove(due)
                self._send(due[1])
            ready, _, _ = select.select([self._master], [], [], 0.02)
            if not ready:
                continue
            try:
                data = os.read(self._master, 4096)
            except OSError:
                continue  # EIO while no process holds the slave: keep serving
            if not data:
                continue
            self.received += data
            mode = self.mode
            if mode == "dead":
                continue
            if mode == "garbage":
                self._send(JUNK)
                continue
            reply = self._answer(data)
            if reply and mode == "slow":
                self._delayed.append((time.monotonic() + self.slow_s, reply))
            elif reply:
                self._send(reply)

    def _send(self, data: bytes) -> None:
        try:
            os.write(self._master, data)
        except OSError:
            pass  # the client went away mid-answer

    def send_unsolicited(self, data: bytes) -> None:
        """Push bytes the board would print on its own (boot messages, prints)."""
        self._send(data)

    # personalities -------------------------------------------------------------------
    def _answer(self, data: bytes) -> bytes:
        if self.personality == "firmata":
            return self._firmata(data)
        if self.personality == "thymio":
            return self._thymio(data)
        return self._repl(data)

    def _repl(self, data: bytes) -> bytes:
        if self._session is None:
            interpreter = MiniMicroPython(self.personality, lambda: self.battery_pct, lambda: self.spike_battery_api)
            self._session = ReplSession(interpreter, BANNERS[self.personality])
        return self._session.feed(data)

    def _firmata(self, data: bytes) -> bytes:
        out = bytearray()
        if 0xF9 in data:
            out += bytes([0xF9, 2, 5])
        if bytes([0xF0, 0x79]) in data:
            out += bytes([0xF0, 0x79, 2, 5])
            for char in b"StandardFirmata.ino":
                out += bytes([char & 0x7F, char >> 7])
            out += bytes([0xF7])
        return bytes(out)

    def _thymio_memory(self) -> list[int]:
        words: list[int] = []
        for name, size in THYMIO_VARIABLES:
            value = {
                "_id": [self.thymio_node_id],
                "_fwversion": list(self.thymio_fwversion),
                "_productId": [8],
                "_vbat": list(self.thymio_vbat_raw),
                "temperature": [231],
            }.get(name, [0] * size)
            words += value
        return words

    def _thymio(self, data: bytes) -> bytes:
        self._aseba_buffer += data
        out = bytearray()
        node = self.thymio_node_id
        while len(self._aseba_buffer) >= 6:
            length, _source, msg_type = struct.unpack_from("<HHH", self._aseba_buffer)
            if len(self._aseba_buffer) < 6 + length:
                break
            payload = bytes(self._aseba_buffer[6 : 6 + length])
            del self._aseba_buffer[: 6 + length]
            if self.thymio_chatter:
                out += aseba_frame(EXECUTION_STATE_CHANGED, node, struct.pack("<HH", 0, 0))
            if msg_type == LIST_NODES:
                out += aseba_frame(NODE_PRESENT, node, struct.pack("<H", 9))
            elif (
                msg_type == GET_NODE_DESCRIPTION and len(payload) >= 2 and struct.unpack_from("<H", payload)[0] == node
            ):
                out += aseba_frame(
                    DESCRIPTION,
                    node,
                    aseba_string("thymio-II")
                    + struct.pack("<7H", 9, 1534, 32, 620, len(THYMIO_VARIABLES), len(THYMIO_EVENTS), 0),
                )
                for name, size in THYMIO_VARIABLES:
                    out += aseba_frame(NAMED_VARIABLE_DESCRIPTION, node, struct.pack("<H", size) + aseba_string(name))
                for name in THYMIO_EVENTS:
                    out += aseba_frame(LOCAL_EVENT_DESCRIPTION, node, aseba_string(name) + aseba_string(""))
            elif msg_type == GET_VARIABLES and len(payload) >= 6:
                dest, offset, count = struct.unpack_from("<3H", payload)
                memory = self._thymio_memory()
                if dest == node and offset + count <= len(memory):
                    words = memory[offset : offset + count]
                    out += aseba_frame(VARIABLES, node, struct.pack(f"<{1 + count}H", offset, *words))
        return bytes(out)
