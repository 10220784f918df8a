"""Simulated Android adbd speaking the real ADB wire protocol on 127.0.0.1 (TCP, like ``adb tcpip``).

Wire format (AOSP ``system/core/adb/protocol.txt``): each message is a 24-byte little-endian header
``command, arg0, arg1, data_length, data_check (byte sum), magic = command ^ 0xffffffff`` then
``data_length`` bytes. Messages: CNXN (version, max payload, ``device::<props>;features=...`` banner),
AUTH (1 token / 2 signature / 3 RSA public key), OPEN, OKAY, WRTE, CLSE. From protocol version
0x01000001 on, the data check is 0 and not verified (adbd computes it only for older peers such as
adb-shell, which announces 0x01000000). Services (``SERVICES.TXT``): ``shell:<cmd>``,
``shell,v2,raw:<cmd>`` (shell protocol: 5-byte ``id, length`` frames, 1 stdout, 2 stderr, 3 exit),
``exec:<cmd>`` and ``sync:`` (``SYNC.TXT``: STAT, SEND/DATA/DONE answered OKAY or FAIL, RECV,
QUIT). What the tablet prints lives in :mod:`devices.lab.android_shell`.

State (:class:`TabletState`, mutable while running): battery, packages, accounts, Wi-Fi, props,
settings, pushed files; ``auth_required`` / ``accept_new_keys`` / ``trusted_keys`` like
``ro.adb.secure`` and the "Allow USB debugging?" prompt; ``mode`` (:mod:`devices.lab.base`; also
``sim.mode``) ``healthy`` (``normal``), ``dead`` (close every connection), ``slow`` (answer after
``slow_s``), ``garbage`` (answer CNXN with non-ADB bytes); ``junk_output``
(every shell command prints junk); ``shell_overrides`` (command -> raw output, to replay captures).

Standalone: ``python -m devices.lab.android --port 5555 [--auth] [--level 15]``.
"""

from __future__ import annotations

import argparse
import base64
import os
import socket
import socketserver
import struct
from dataclasses import dataclass, field

from devices.lab.android_shell import KNOWN_DIRS, WRITABLE_DIRS, TabletState, run_shell
from devices.lab.base import HOST, Faults, LabServer, Simulator, wait_for_interrupt

__all__ = ["SimulatedTablet", "TabletState", "android_pubkey_numbers", "signature_matches"]

A_VERSION = 0x01000001
A_VERSION_SKIP_CHECKSUM = 0x01000001
MAX_PAYLOAD = 1024 * 1024
HEADER = struct.Struct("<6I")
TOKEN_SIZE = 20
# DigestInfo prefix of SHA-1 (RFC 8017 9.2): adb signs the 20-byte token as if it were a SHA-1 digest.
_SHA1_DIGEST_INFO = bytes.fromhex("3021300906052b0e03021a05000414")


def _cmd(name: bytes) -> int:
    return int(struct.unpack("<I", name)[0])


CNXN, AUTH, OPEN, OKAY, WRTE, CLSE = (_cmd(c) for c in (b"CNXN", b"AUTH", b"OPEN", b"OKAY", b"WRTE", b"CLSE"))


def android_pubkey_numbers(pubkey: str) -> tuple[int, int]:
    """(modulus, exponent) of an ``adbkey.pub`` body (AOSP ``android_pubkey`` RSAPublicKey struct)."""
    raw = base64.b64decode(pubkey.split()[0])
    words = struct.unpack_from("<I", raw)[0]
    modulus = int.from_bytes(raw[8 : 8 + 4 * words], "little")
    exponent = struct.unpack_from("<I", raw, 8 + 8 * words)[0]
    return modulus, exponent


def signature_matches(pubkey: str, token: bytes, signature: bytes) -> bool:
    """True if ``signature`` is the PKCS#1 v1.5 SHA-1 signature of ``token`` by ``pubkey``."""
    try:
        modulus, exponent = android_pubkey_numbers(pubkey)
    except (ValueError, struct.error):
        return False
    size = (modulus.bit_length() + 7) // 8
    clear = pow(int.from_bytes(signature, "big"), exponent, modulus).to_bytes(size, "big")
    tail = _SHA1_DIGEST_INFO + token
    return clear == b"\x00\x01" + b"\xff" * (size - len(tail) - 3) + b"\x00" + tail


class _Closed(Exception):
    pass


@dataclass
class _Stream:
    remote_id: int
    kind: str  # shell | sync
    out: list[bytes] = field(default_factory=list)
    awaiting_ack: bool = False
    close_when_sent: bool = False
    inbuf: bytearray = field(default_factory=bytearray)
    sending: tuple[str, bytearray] | None = None


class _Connection:
    """One adb host connected to the simulated adbd (runs in the handler thread)."""

    def __init__(self, sock: socket.socket, sim: SimulatedTablet) -> None:
        self.sock, self.sim, self.state = sock, sim, sim.state
        self.version = 0x01000000
        self.max_payload = 4096
        self.online = False
        self.token = b""
        self.streams: dict[int, _Stream] = {}
        self.next_id = 1

    def read_exact(self, size: int) -> bytes:
        buf = bytearray()
        while len(buf) < size:
            chunk = self.sock.recv(size - len(buf))
            if not chunk:
                raise _Closed
            buf += chunk
        return bytes(buf)

    def send(self, command: int, arg0: int, arg1: int, data: bytes = b"") -> None:
        check = sum(data) & 0xFFFFFFFF if self.version < A_VERSION_SKIP_CHECKSUM else 0
        self.sock.sendall(HEADER.pack(command, arg0, arg1, len(data), check, command ^ 0xFFFFFFFF) + data)

    def run(self) -> None:
        while True:
            command, arg0, arg1, length, check, magic = HEADER.unpack(self.read_exact(HEADER.size))
            if magic != command ^ 0xFFFFFFFF or length > MAX_PAYLOAD:
                return  # adbd drops a transport that sends a corrupt header
            data = self.read_exact(length)
            if self.version < A_VERSION_SKIP_CHECKSUM and self.online and check != sum(data) & 0xFFFFFFFF:
                return
            if command == CNXN:
                self.on_connect(arg0, arg1)
            elif command == AUTH:
                self.on_auth(arg0, data)
            elif not self.online:
                continue  # adbd ignores stream traffic before the transport is online
            elif command == OPEN:
                self.on_open(arg0, data.rstrip(b"\0").decode("utf-8", "replace"))
            elif command == OKAY and arg1 in self.streams:
                self.streams[arg1].awaiting_ack = False
                self.pump(arg1)
            elif command == WRTE and arg1 in self.streams:
                self.send(OKAY, arg1, arg0)
                self.on_write(arg1, data)
            elif command == CLSE and arg1 in self.streams:
                stream = self.streams.pop(arg1)
                self.send(CLSE, arg1, stream.remote_id)

    def on_connect(self, version: int, max_payload: int) -> None:
        self.version = min(version, A_VERSION)
        self.max_payload = max(256, min(max_payload, MAX_PAYLOAD))
        if self.state.mode == "garbage":
            self.sock.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n" + b"\x00" * 24)
            raise _Closed
        if not self.sim.pause():
            raise _Closed
        if self.state.auth_required:
            self.send_token()
        else:
            self.send_banner()

    def send_token(self) -> None:
        self.token = os.urandom(TOKEN_SIZE)
        self.send(AUTH, 1, 0, self.token)

    def send_banner(self) -> None:
        props = self.state.props
        banner = (
            f"device::ro.product.name={props.get('ro.product.name', '')};"
            f"ro.product.model={props.get('ro.product.model', '')};"
            f"ro.product.device={props.get('ro.product.device', '')};features=shell_v2,cmd"
        )
        self.online = True
        self.send(CNXN, A_VERSION, self.max_payload, banner.encode())

    def on_auth(self, kind: int, data: bytes) -> None:
        if kind == 2 and self.token:
            if any(signature_matches(key, self.token, data) for key in list(self.state.trusted_keys)):
                self.send_banner()
            else:
                self.send_token()
        elif kind == 3:
            key = data.rstrip(b"\0").decode("ascii", "replace").split(" ")[0]
            if self.state.accept_new_keys:  # the technician tapped "Allow" on the prompt
                self.state.trusted_keys.add(key)
                self.send_banner()
            # otherwise the prompt stays unanswered: the host waits, like on a real tablet

    def on_open(self, remote_id: int, service: str) -> None:
        self.state.services.append(service)
        local_id, self.next_id = self.next_id, self.next_id + 1
        name, _, command = service.partition(":")
        if name == "sync":
            self.streams[local_id] = _Stream(remote_id, "sync")
            self.send(OKAY, local_id, remote_id)
            return
        if name.split(",")[0] not in ("shell", "exec"):
            self.send(CLSE, 0, remote_id)  # unknown service: the OPEN fails
            return
        self.streams[local_id] = stream = _Stream(remote_id, "shell", close_when_sent=True)
        self.send(OKAY, local_id, remote_id)
        if not self.sim.pause():
            raise _Closed
        out, err, code = run_shell(self.state, command)
        if "v2" in name.split(",")[1:]:
            payload = _frame(1, out) + (_frame(2, err) if err else b"") + _frame(3, bytes([code & 0xFF]))
        else:
            payload = out + err
        stream.out = [payload[i : i + self.max_payload] for i in range(0, len(payload), self.max_payload)]
        self.pump(local_id)

    def pump(self, local_id: int) -> None:
        stream = self.streams.get(local_id)
        if stream is None or stream.awaiting_ack:
            return
        if stream.out:
            stream.awaiting_ack = True
            self.send(WRTE, local_id, stream.remote_id, stream.out.pop(0))
        elif stream.close_when_sent:
            del self.streams[local_id]
            self.send(CLSE, local_id, stream.remote_id)

    def on_write(self, local_id: int, data: bytes) -> None:
        stream = self.streams[local_id]
        if stream.kind != "sync":
            return  # shell stdin / window-size frames are accepted and ignored
        stream.inbuf += data
        reply = bytearray()
        while len(stream.inbuf) >= 8:
            ident, size = struct.unpack_from("<4sI", stream.inbuf)
            body_size = 0 if ident in (b"DONE", b"QUIT") else size
            if len(stream.inbuf) < 8 + body_size:
                break
            body = bytes(stream.inbuf[8 : 8 + body_size])
            del stream.inbuf[: 8 + body_size]
            if ident == b"QUIT":
                stream.close_when_sent = True
                break
            reply += self.sync_request(stream, ident, body, size)
        if reply:
            stream.out += [bytes(reply[i : i + self.max_payload]) for i in range(0, len(reply), self.max_payload)]
        self.pump(local_id)

    def sync_request(self, stream: _Stream, ident: bytes, body: bytes, size: int) -> bytes:
        files = self.state.files
        if ident == b"STAT":
            path = body.decode("utf-8", "replace").rstrip("/") or "/"
            if path in files:
                return b"STAT" + struct.pack("<3I", 0o100644, len(files[path]), 1_700_000_000)
            if path in KNOWN_DIRS:
                return b"STAT" + struct.pack("<3I", 0o40771, 4096, 1_700_000_000)
            return b"STAT" + struct.pack("<3I", 0, 0, 0)
        if ident == b"SEND":
            stream.sending = (body.decode("utf-8", "replace").rsplit(",", 1)[0], bytearray())
            return b""
        if ident == b"DATA" and stream.sending is not None:
            stream.sending[1].extend(body)
            return b""
        if ident == b"DONE" and stream.sending is not None:
            path, content = stream.sending
            stream.sending = None
            if not path.startswith(WRITABLE_DIRS):
                return _sync_fail(f"couldn't create file: Permission denied ({path})")
            files[path] = bytes(content)
            return b"OKAY" + struct.pack("<I", 0)
        if ident == b"RECV":
            stored = files.get(body.decode("utf-8", "replace"))
            if stored is None:
                return _sync_fail("No such file or directory")
            chunks = [stored[i : i + 65536] for i in range(0, len(stored), 65536)]
            return b"".join(b"DATA" + struct.pack("<I", len(c)) + c for c in chunks) + b"DONE\0\0\0\0"
        stream.close_when_sent = True
        return _sync_fail(f"unknown sync request {ident!r}")


def _frame(ident: int, data: bytes) -> bytes:
    return struct.pack("<BI", ident, len(data)) + data


def _sync_fail(message: str) -> bytes:
    return b"FAIL" + struct.pack("<I", len(message)) + message.encode()


# ------------------------------------------------------------------ server


class _Handler(socketserver.BaseRequestHandler):
    server: LabServer[SimulatedTablet]

    def handle(self) -> None:
        sim = self.server.sim
        if sim.state.mode == "dead":
            return  # the connection is closed at once
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            _Connection(self.request, sim).run()
        except (_Closed, OSError):
            pass


class SimulatedTablet(Simulator):
    """A simulated adbd on 127.0.0.1; ``port`` is the bound (ephemeral by default) port."""

    def __init__(self, state: TabletState | None = None, *, port: int = 0, host: str = HOST) -> None:
        self.state = state or TabletState()
        super().__init__(host=host, mode=self.state.mode, slow_s=self.state.slow_s)
        self._requested_port = port

    def faults(self) -> Faults:
        return self.state

    def _open(self) -> None:
        self.bind(_Handler, self._requested_port)

    @property
    def serial(self) -> str:
        return f"{self.host}:{self.port}"

    def pause(self) -> bool:
        """Wait ``slow_s`` in slow mode; False if the simulator is stopping meanwhile."""
        if self.state.mode == "slow":
            return not self.wait_slow()
        return not self.stopping.is_set()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Simulated Android tablet (adbd over TCP) on 127.0.0.1")
    parser.add_argument("--port", type=int, default=5555)
    parser.add_argument("--auth", action="store_true", help="require RSA auth (new keys accepted)")
    parser.add_argument("--level", type=int, default=87, help="battery level in percent")
    parser.add_argument("--mode", choices=(*SimulatedTablet.modes, "normal"), default="healthy")
    args = parser.parse_args(argv)
    sim = SimulatedTablet(
        TabletState(auth_required=args.auth, level=args.level, mode=args.mode), port=args.port
    ).start()
    print(f"adbd simulator listening on {sim.serial} (adb connect {sim.serial})", flush=True)
    wait_for_interrupt(sim)


if __name__ == "__main__":
    main()
