"""ADB over TCP with adb-shell 0.4.4: the only module of the family that touches the library.

A session is one ADB transport (TCP connection, CNXN/AUTH handshake) on which each ``shell:<cmd>``
opens a stream; ``push`` uses the ``sync:`` service (SEND/DATA/DONE). The RSA key pair lives in
``key_dir`` (``adbkey`` private, ``adbkey.pub`` public, adb's own file names) and is created on
first use: a tablet must accept it once ("Allow USB debugging?" -> "Always allow").

Library exceptions become :mod:`devices.errors`:
connection refused / timeout / closed -> Unreachable; no key accepted -> AuthenticationFailed;
non-ADB bytes, bad checksum, sync FAIL -> BadAnswer.
"""

from __future__ import annotations

import os
import socket
import struct
import threading
from pathlib import Path
from typing import Protocol

from adb_shell import exceptions as adb_exc
from adb_shell.adb_device import AdbDevice
from adb_shell.auth.keygen import keygen
from adb_shell.auth.sign_pythonrsa import PythonRSASigner
from adb_shell.transport.tcp_transport import TcpTransport

from devices.errors import AuthenticationFailed, BadAnswer, DeviceError, Unreachable

KEY_NAME = "adbkey"
_BANNER = "plateau"


class ShellSession(Protocol):
    """What the driver needs from a connected tablet (the simulator-backed tests use the real one)."""

    def shell(self, command: str) -> str: ...

    def push(self, local_path: Path, device_path: str) -> None: ...


_KEYGEN_LOCK = threading.Lock()


def load_signer(key_dir: Path) -> PythonRSASigner:
    """Load ``key_dir/adbkey`` (creating the pair, private key 0600, if absent)."""
    key_dir = Path(key_dir)
    private = key_dir / KEY_NAME
    try:
        with _KEYGEN_LOCK:  # concurrent probes must not read a half-written key
            if not private.exists():
                key_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
                old_umask = os.umask(0o077)  # the private key is never world-readable, even briefly
                try:
                    # written aside, then renamed: another process never sees half a key either
                    staging = key_dir / f".{KEY_NAME}.{os.getpid()}.tmp"
                    keygen(str(staging))
                    os.replace(f"{staging}.pub", f"{private}.pub")
                    os.replace(staging, private)
                finally:
                    os.umask(old_umask)
        return PythonRSASigner.FromRSAKeyPath(str(private))
    except (OSError, ValueError) as exc:
        raise DeviceError(f"cannot load or create the ADB key pair in {key_dir}: {type(exc).__name__}") from exc


def public_key(key_dir: Path) -> str:
    """Content of ``adbkey.pub`` (base64 Android RSAPublicKey, then `` user@host``)."""
    return (Path(key_dir) / f"{KEY_NAME}.pub").read_text().strip()


class _EofTcpTransport(TcpTransport):  # type: ignore[misc]  # adb-shell ships no type information
    """TcpTransport that reports a peer close at once (adb-shell would spin on ``recv() == b''``).

    It also disables Nagle: adb-shell writes each header and payload separately, and Nagle plus
    delayed ACKs would add about 40 ms to every command.
    """

    def connect(self, transport_timeout_s: float | None) -> None:
        super().connect(transport_timeout_s)
        self._connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def bulk_read(self, numbytes: int, transport_timeout_s: float | None) -> bytes:
        data: bytes = super().bulk_read(numbytes, transport_timeout_s)
        if not data:
            raise ConnectionResetError("connection closed by the device")
        return data


class AdbSession:
    """A connected ADB transport to ``host:port``; use as a context manager.

    ``timeout_s`` bounds the TCP connect, every read and every command; ``auth_timeout_s`` bounds
    the wait for a technician to accept our key on the tablet's prompt.
    """

    def __init__(
        self, host: str, port: int = 5555, *, key_dir: Path, timeout_s: float = 10.0, auth_timeout_s: float = 10.0
    ) -> None:
        self.host, self.port, self.key_dir = host, port, Path(key_dir)
        self.timeout_s, self.auth_timeout_s = timeout_s, auth_timeout_s
        self._device: AdbDevice | None = None
        self.banner: str | None = None

    @property
    def _where(self) -> str:
        return f"{self.host}:{self.port}"

    def open(self) -> AdbSession:
        signer = load_signer(self.key_dir)
        device = AdbDevice(
            _EofTcpTransport(self.host, self.port), default_transport_timeout_s=self.timeout_s, banner=_BANNER
        )
        prompted: list[bool] = []
        try:
            device.connect(
                rsa_keys=[signer],
                transport_timeout_s=self.timeout_s,
                auth_timeout_s=self.auth_timeout_s,
                read_timeout_s=self.timeout_s,
                auth_callback=lambda _dev: prompted.append(True),
            )
        except Exception as exc:  # every library failure is mapped below
            device.close()
            if prompted and isinstance(exc, (adb_exc.TcpTimeoutException, adb_exc.AdbTimeoutError)):
                raise AuthenticationFailed(
                    f"{self._where}: our ADB key is not authorised; accept 'Allow USB debugging' on the tablet"
                ) from exc
            raise self._map(exc, "connect") from exc
        self._device = device
        return self

    def close(self) -> None:
        if self._device is not None:
            self._device.close()
            self._device = None

    def __enter__(self) -> AdbSession:
        return self.open()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _require(self) -> AdbDevice:
        if self._device is None:
            raise Unreachable(f"{self._where}: ADB session is not open")
        return self._device

    def shell(self, command: str) -> str:
        """Output of ``shell:<command>`` (stdout and stderr merged, as adbd's v1 shell sends them)."""
        device = self._require()
        try:
            output: str = device.shell(
                command,
                transport_timeout_s=self.timeout_s,
                read_timeout_s=self.timeout_s,
                timeout_s=self.timeout_s,
                decode=True,
            )
            return output
        except Exception as exc:
            raise self._map(exc, f"shell {command.split(' ')[0]}") from exc

    def push(self, local_path: Path, device_path: str) -> None:
        """``sync:`` SEND ``device_path,0644`` + DATA chunks + DONE, expecting OKAY."""
        device = self._require()
        try:
            device.push(
                str(local_path),
                device_path,
                st_mode=0o100644,
                transport_timeout_s=self.timeout_s,
                read_timeout_s=self.timeout_s,
            )
        except FileNotFoundError as exc:
            raise DeviceError(f"local file to push not found: {local_path}") from exc
        except Exception as exc:
            raise self._map(exc, "push") from exc

    def _map(self, exc: BaseException, doing: str) -> DeviceError:
        where = f"{self._where}: {doing}"
        if isinstance(exc, DeviceError):
            return exc
        if isinstance(exc, adb_exc.DeviceAuthError):
            return AuthenticationFailed(f"{where}: the device requires ADB authentication")
        if isinstance(exc, (adb_exc.TcpTimeoutException, adb_exc.AdbTimeoutError, socket.timeout)):
            return Unreachable(f"{where}: no answer within {self.timeout_s:g} s")
        if isinstance(exc, ConnectionRefusedError):
            return Unreachable(f"{where}: connection refused (is 'adb tcpip' / wireless debugging on?)")
        if isinstance(exc, (adb_exc.AdbConnectionError, ConnectionError)):
            return Unreachable(f"{where}: connection closed by the device")
        if isinstance(exc, OSError):
            return Unreachable(f"{where}: {exc.strerror or type(exc).__name__}")
        if isinstance(exc, (adb_exc.PushFailedError, adb_exc.AdbCommandFailureException)):
            return BadAnswer(f"{where}: the device refused: {exc}")
        if isinstance(
            exc,
            (
                adb_exc.InvalidCommandError,
                adb_exc.InvalidChecksumError,
                adb_exc.InvalidResponseError,
                ValueError,
                struct.error,
                KeyError,
                UnicodeError,
            ),
        ):
            return BadAnswer(f"{where}: not an ADB answer ({type(exc).__name__})")
        return BadAnswer(f"{where}: unexpected {type(exc).__name__}")
