"""Serial transport (pyserial): the only module of the family that touches a port.

Also used by :mod:`devices.robot` (Thymio over Aseba, LEGO hub REPL), which speak over
the same kind of USB CDC-ACM port.
"""

from __future__ import annotations

import errno
import time
from collections.abc import Callable
from types import TracebackType

import serial

from devices.errors import Unreachable

DEFAULT_BAUDRATE = 115200


def _is_busy(exc: BaseException) -> bool:
    """pyserial's 'Could not exclusively lock port' (flock EAGAIN) or EBUSY (TIOCEXCL)."""
    codes = {errno.EBUSY, errno.EAGAIN, errno.EWOULDBLOCK}
    seen: BaseException | None = exc
    while seen is not None:
        if getattr(seen, "errno", None) in codes or "exclusively lock" in str(seen):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


class SerialLink:
    """An open serial port with deadline-bounded reads.

    ``SerialLink(path, timeout_s=...)`` opens the port (Unreachable when it is missing,
    busy or not a tty). Every read is bounded by the link's overall deadline.
    """

    def __init__(
        self, tty_path: str, *, timeout_s: float, baudrate: int = DEFAULT_BAUDRATE, dtr: bool | None = None
    ) -> None:
        self.tty_path = tty_path
        self.timeout_s = timeout_s
        self._deadline = time.monotonic() + timeout_s
        try:
            self._port = serial.Serial()
            self._port.port = tty_path
            self._port.baudrate = baudrate
            self._port.timeout = 0.05
            self._port.write_timeout = timeout_s
            # flock the port like mpremote, Thonny and pyserial tools do: we neither
            # interleave bytes with another program nor get interleaved
            self._port.exclusive = True
            if dtr is not None:
                self._port.dtr = dtr
            self._port.open()
        except (serial.SerialException, OSError, ValueError) as exc:
            if _is_busy(exc):
                raise Unreachable(
                    f"serial port {tty_path} is busy: another program holds it (Thonny, "
                    "mpremote, Arduino IDE, Thymio Suite, a serial console, ModemManager); "
                    f"close it and probe again ({exc})"
                ) from exc
            raise Unreachable(f"cannot open serial port {tty_path}: {exc}") from exc

    def __enter__(self) -> SerialLink:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        try:
            self._port.close()
        except (serial.SerialException, OSError):
            pass  # closing a port that vanished (board unplugged) is not an error

    def remaining_s(self) -> float:
        return max(0.0, self._deadline - time.monotonic())

    def write(self, data: bytes) -> None:
        try:
            self._port.write(data)
            self._port.flush()
        except (serial.SerialException, OSError) as exc:
            raise Unreachable(f"write to {self.tty_path} failed: {exc}") from exc

    def drain(self) -> bytes:
        """Read whatever is already buffered (without waiting)."""
        try:
            waiting = self._port.in_waiting
            return self._port.read(waiting) if waiting else b""
        except (serial.SerialException, OSError) as exc:
            raise Unreachable(f"read from {self.tty_path} failed: {exc}") from exc

    def read_until(self, done: Callable[[bytes], bool], *, max_s: float | None = None, limit: int = 65536) -> bytes:
        """Accumulate bytes until ``done(buffer)`` or the deadline; returns what was read.

        Never raises on silence: the caller decides what a short answer means.
        """
        stop = self._deadline if max_s is None else min(self._deadline, time.monotonic() + max_s)
        buffer = bytearray()
        while time.monotonic() < stop and len(buffer) < limit:
            try:
                chunk = self._port.read(max(1, self._port.in_waiting))
            except (serial.SerialException, OSError) as exc:
                raise Unreachable(f"read from {self.tty_path} failed: {exc}") from exc
            if chunk:
                buffer += chunk
                if done(bytes(buffer)):
                    break
        return bytes(buffer)
