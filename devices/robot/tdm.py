"""Thymio II battery through the Thymio Device Manager (TDM), with tdmclient's ClientAsync.

The TDM (Thymio Suite's device manager, TCP port 8596 by default; ``tdmclient.server``
is a dummy one) owns the robots' USB dongles and serial ports, so on a machine running
Thymio Suite the serial path (:mod:`devices.robot.thymio`) cannot open the port: ask the
TDM instead. Exchange (FlatBuffers messages of Mobsya's ``thymio.fbs``)::

    ConnectionHandshake  ->  ConnectionHandshake, NodesChanged, VariablesChanged...
    RequestNodeAsebaVMDescription(node)  ->  NodeAsebaVMDescription (variable names/sizes)
    WatchNode(node, variables)           ->  RequestCompleted, VariablesChanged

The node is only *watched*, never locked: a robot in use by Thymio Suite stays usable.
``_vbat`` becomes volts with the firmware's formula (:func:`parse_thymio_vbat`);
Mobsya documents no percentage, so ``level_pct`` stays None with reason
``thymio.voltage_only`` (a firmware without ``_vbat``: ``thymio.no_vbat_variable``).

tdmclient's coroutines sleep in blocking calls and several wait without a bound, so
:func:`_drive` steps them by hand against our deadline. tdmclient's own TCP transport is
not used: it connects without a timeout, and its non-daemon input thread spins on a closed
socket (``recv`` returning ``b""`` is taken for a timeout) or blocks forever inside a
packet whose length came from a peer's junk. :class:`_TdmLink` speaks the same framing
(4-byte little-endian length + packet) to ``ClientAsync(tdm_transport=...)``: a bounded
connect, one daemon reader that stops on end of stream, on an oversized length and on
close, and is joined when the probe ends - success, timeout or error.
"""

from __future__ import annotations

import queue
import select
import socket
import threading
import time
from collections.abc import Coroutine
from datetime import UTC, datetime
from typing import Any

from devices.errors import BadAnswer, DeviceError, Unreachable
from devices.robot.facts import RobotBatteryFacts
from devices.robot.parse import parse_thymio_vbat

DEFAULT_TDM_PORT = 8596
MAX_PACKET_BYTES = 1 << 20  # a TDM message is a few KiB; junk gives any length
MAX_QUEUED_PACKETS = 10_000  # a TDM sends a handful; a flood of empty ones is junk too
_POLL_S = 0.05


class _Deadline(Exception):
    pass


def _drive(coroutine: Coroutine[Any, Any, Any], deadline: float, link: _TdmLink) -> Any:
    """Run a tdmclient coroutine step by step (each step sleeps <= 0.1 s) until deadline,
    or until the link broke and every packet it had received was processed."""
    try:
        while True:
            if time.monotonic() >= deadline:
                coroutine.close()
                raise _Deadline
            if link.error is not None and link.packets.empty():
                coroutine.close()
                raise link.error
            coroutine.send(None)
    except StopIteration as stop:
        return stop.value


class _TdmLink:
    """The TDM's TCP framing, for ``ClientAsync(tdm_transport=...)``: tdmclient calls only
    ``send_packet``, ``receive_packet`` and ``request_shutdown`` on its transport."""

    def __init__(self, host: str, port: int, deadline: float, where: str) -> None:
        self.where = where
        self.packets: queue.Queue[bytes] = queue.Queue()
        self.error: DeviceError | None = None
        self._stop = threading.Event()
        self._send_lock = threading.Lock()
        self._sock = socket.create_connection((host, port), timeout=max(deadline - time.monotonic(), 0.01))
        self._sock.settimeout(max(deadline - time.monotonic(), 0.01))  # bounds sendall
        self._reader = threading.Thread(target=self._read_loop, daemon=True, name=f"plateau-tdm-reader {host}:{port}")
        self._reader.start()

    def send_packet(self, packet: bytes) -> None:
        with self._send_lock:
            self._sock.sendall(len(packet).to_bytes(4, "little") + bytes(packet))

    def receive_packet(self) -> bytes | None:
        try:
            return self.packets.get_nowait()
        except queue.Empty:
            return None

    def request_shutdown(self, on_terminated: Any = None) -> None:
        self.close()
        if on_terminated is not None:
            on_terminated()

    def close(self) -> None:
        """Stop and join the reader, then close the socket (idempotent)."""
        self._stop.set()
        try:
            self._sock.shutdown(socket.SHUT_RDWR)  # wakes the reader's select at once
        except OSError:
            pass
        if self._reader is not threading.current_thread():
            self._reader.join(timeout=1.0)
        self._sock.close()

    def _read_loop(self) -> None:
        buffer = bytearray()
        while not self._stop.is_set():
            try:
                readable, _, _ = select.select([self._sock], [], [], _POLL_S)
                if not readable:
                    continue
                data = self._sock.recv(65536)
            except (BlockingIOError, InterruptedError, TimeoutError):
                continue
            except (OSError, ValueError) as exc:  # reset, or closed under us
                self._fail(Unreachable(f"{self.where}: connection lost ({exc})"))
                return
            if not data:
                self._fail(Unreachable(f"{self.where}: the device manager closed the connection"))
                return
            buffer += data
            while len(buffer) >= 4:
                size = int.from_bytes(buffer[:4], "little")
                if size > MAX_PACKET_BYTES:
                    self._fail(
                        BadAnswer(
                            f"{self.where}: not a Thymio Device Manager answer (packet of {size} bytes announced)"
                        )
                    )
                    return
                if len(buffer) < 4 + size:
                    break
                if self.packets.qsize() >= MAX_QUEUED_PACKETS:
                    self._fail(BadAnswer(f"{self.where}: not a Thymio Device Manager answer (a flood of packets)"))
                    return
                self.packets.put(bytes(buffer[4 : 4 + size]))
                del buffer[: 4 + size]

    def _fail(self, error: DeviceError) -> None:
        if not self._stop.is_set():
            self.error = error


def read_thymio_tdm(
    host: str = "127.0.0.1", port: int = DEFAULT_TDM_PORT, timeout_s: float = 5.0, *, node_name: str | None = None
) -> RobotBatteryFacts:
    """Battery of the first Thymio (or the one named ``node_name``) the TDM knows."""
    deadline = time.monotonic() + timeout_s
    where = f"TDM {host}:{port}"
    try:
        from tdmclient import ClientAsync
    except ImportError as exc:  # pragma: no cover - tdmclient is the 'robots' extra
        raise Unreachable(f"{where}: the tdmclient package is not installed") from exc
    try:
        link = _TdmLink(host, port, deadline, where)
    except OSError as exc:
        raise Unreachable(
            f"{where}: cannot connect ({exc}); is Thymio Suite (its device manager) running on that machine?"
        ) from exc
    try:
        client = ClientAsync(tdm_transport=link)  # sends the handshake
    except OSError as exc:
        link.close()
        raise Unreachable(f"{where}: cannot connect ({exc})") from exc
    except BaseException:
        link.close()
        raise
    vbat: list[int] | None = None
    found: dict[str, Any] = {}

    async def read() -> None:
        nonlocal vbat
        kwargs = {"node_name": node_name} if node_name else {}
        node = await client.wait_for_node(**kwargs)
        found["node"] = node
        variables = await node.var_description()
        if "_vbat" not in variables:
            return
        await node.watch(variables=True)
        await node.wait_for_variables({"_vbat"})
        vbat = list(node.var["_vbat"])

    try:
        _drive(read(), deadline, link)
    except _Deadline as exc:
        if "node" not in found:
            raise Unreachable(
                f"{where}: the device manager answered but no Thymio {node_name or ''} is connected to it".replace(
                    "  ", " "
                )
            ) from exc
        raise Unreachable(f"{where}: the Thymio did not send its variables in time") from exc
    except DeviceError:
        raise
    except (OSError, ConnectionError) as exc:
        raise Unreachable(f"{where}: connection lost ({exc})") from exc
    except Exception as exc:  # tdmclient's FlatBuffers decoder on a non-TDM peer
        raise BadAnswer(f"{where}: not a Thymio Device Manager answer ({type(exc).__name__})") from exc
    finally:
        client.disconnect()  # -> link.request_shutdown()
        link.close()
    now = datetime.now(UTC)
    if vbat is None:
        return RobotBatteryFacts(
            level_pct=None, source="tdm", reason="thymio.no_vbat_variable", raw=None, measured_at=now
        )
    volts = parse_thymio_vbat(tuple(vbat))
    return RobotBatteryFacts(
        level_pct=None,
        source="tdm",
        reason="thymio.voltage_only",
        raw="_vbat=" + ",".join(map(str, vbat)),
        measured_at=now,
        voltage_v=volts,
    )
