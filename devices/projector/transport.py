"""PJLink over TCP (port 4352): the only module of the family touching sockets.

One :class:`PJLinkSession` is one TCP connection: read the greeting, then send commands
``%1CMND param\\r`` and read one ``\\r``-terminated answer each. With authentication,
the first command is prefixed by ``md5(random + password)`` in lowercase hex (PJLink
spec 4.2); the projector answers ``PJLINK ERRA`` if the digest is wrong.
Every read and write is bounded by one overall deadline of ``timeout_s``.
"""

from __future__ import annotations

import hashlib
import socket
import time
from types import TracebackType

from devices.errors import AuthenticationFailed, BadAnswer, Unreachable
from devices.projector.parse import Reply, parse_greeting, parse_reply

MAX_LINE_BYTES = 1024  # the spec caps a line at 136 bytes; be lenient, but bounded


class PJLinkSession:
    """A connected PJLink session. Use as a context manager."""

    def __init__(self, host: str, port: int, *, password: str | None, timeout_s: float) -> None:
        self._host = host
        self._port = port
        self._password = password
        self._deadline = time.monotonic() + timeout_s
        self._buffer = b""
        self._digest: str | None = None
        try:
            self._sock = socket.create_connection((host, port), timeout=timeout_s)
        except OSError as exc:  # refused, timeout, no route
            raise Unreachable(f"PJLink {host}:{port}: cannot connect ({type(exc).__name__})") from exc
        try:
            greeting = parse_greeting(self._read_line())
            if greeting.auth_required:
                if password is None:
                    raise AuthenticationFailed(f"PJLink {host}:{port} requires a password")
                self._digest = hashlib.md5(((greeting.random or "") + password).encode()).hexdigest()
        except BaseException:
            self.close()
            raise

    def __enter__(self) -> PJLinkSession:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        try:
            self._sock.close()
        except OSError:
            pass

    def _remaining_s(self) -> float:
        remaining = self._deadline - time.monotonic()
        if remaining <= 0:
            raise Unreachable(f"PJLink {self._host}:{self._port}: timed out")
        return remaining

    def _read_line(self) -> bytes:
        while b"\r" not in self._buffer:
            if len(self._buffer) > MAX_LINE_BYTES:
                raise BadAnswer(f"PJLink {self._host}:{self._port}: line too long, not PJLink")
            self._sock.settimeout(self._remaining_s())
            try:
                chunk = self._sock.recv(512)
            except TimeoutError as exc:
                raise Unreachable(f"PJLink {self._host}:{self._port}: timed out") from exc
            except OSError as exc:
                raise Unreachable(f"PJLink {self._host}:{self._port}: connection lost") from exc
            if not chunk:
                raise Unreachable(f"PJLink {self._host}:{self._port}: connection closed by projector")
            self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\r")
        if self._buffer.startswith(b"\n"):  # tolerate CRLF
            self._buffer = self._buffer[1:]
        return line

    def command(self, command: str, parameter: str = "?", *, pjlink_class: int = 1) -> Reply:
        """Send ``%<class><COMMAND> <parameter>\\r`` and parse the answer line."""
        line = f"%{pjlink_class}{command} {parameter}\r"
        if self._digest is not None:
            line = self._digest + line  # only the first command of a session carries it
            self._digest = None
        self._sock.settimeout(self._remaining_s())
        try:
            self._sock.sendall(line.encode("ascii"))
        except OSError as exc:
            raise Unreachable(f"PJLink {self._host}:{self._port}: connection lost") from exc
        return parse_reply(self._read_line(), command)
