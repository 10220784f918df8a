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
:func:`_drive` steps them by hand against our deadline; its input thread blocks in
``recv`` until the socket closes, so we shut the socket down ourselves.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Coroutine
from datetime import UTC, datetime
from typing import Any

from devices.errors import BadAnswer, Unreachable
from devices.robot.facts import RobotBatteryFacts
from devices.robot.parse import parse_thymio_vbat

DEFAULT_TDM_PORT = 8596


class _Deadline(Exception):
    pass


def _drive(coroutine: Coroutine[Any, Any, Any], deadline: float) -> Any:
    """Run a tdmclient coroutine step by step (each step sleeps <= 0.1 s) until deadline."""
    try:
        while True:
            if time.monotonic() >= deadline:
                coroutine.close()
                raise _Deadline
            coroutine.send(None)
    except StopIteration as stop:
        return stop.value


_previous_excepthook = threading.excepthook


def _quiet_closing_tdm(args: Any) -> None:
    """tdmclient's input thread dies with an exception when we close its socket: expected, not
    worth a traceback on the technician's terminal."""
    if getattr(args.thread, "_plateau_closing", False):
        return
    if type(args.thread).__module__.startswith("tdmclient") and issubclass(args.exc_type, OSError):
        return  # the TDM went away mid-read: the probe already reports the robot unreachable
    _previous_excepthook(args)


threading.excepthook = _quiet_closing_tdm


def _close(client: Any) -> None:
    transport = getattr(client, "tdm", None)
    thread = getattr(transport, "input_thread", None)
    if thread is not None:
        thread._plateau_closing = True
    try:
        client.disconnect()
    finally:
        sock = getattr(getattr(transport, "io", None), "socket", None)
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)    # wakes tdmclient's input thread
            except OSError:
                pass


def read_thymio_tdm(host: str = "127.0.0.1", port: int = DEFAULT_TDM_PORT,
                    timeout_s: float = 5.0, *, node_name: str | None = None
                    ) -> RobotBatteryFacts:
    """Battery of the first Thymio (or the one named ``node_name``) the TDM knows."""
    deadline = time.monotonic() + timeout_s
    where = f"TDM {host}:{port}"
    try:
        # tdmclient connects without a timeout: prove the port answers first, bounded
        socket.create_connection((host, port), timeout=timeout_s).close()
    except OSError as exc:
        raise Unreachable(f"{where}: cannot connect ({exc}); is Thymio Suite (its device "
                          "manager) running on that machine?") from exc
    try:
        from tdmclient import ClientAsync
    except ImportError as exc:  # pragma: no cover - tdmclient is the 'robots' extra
        raise Unreachable(f"{where}: the tdmclient package is not installed") from exc
    try:
        client = ClientAsync(tdm_addr=host, tdm_port=port)
    except OSError as exc:
        raise Unreachable(f"{where}: cannot connect ({exc})") from exc
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
        _drive(read(), deadline)
    except _Deadline as exc:
        if "node" not in found:
            raise Unreachable(f"{where}: the device manager answered but no Thymio "
                              f"{node_name or ''} is connected to it".replace("  ", " ")
                              ) from exc
        raise Unreachable(f"{where}: the Thymio did not send its variables in time") from exc
    except (OSError, ConnectionError) as exc:
        raise Unreachable(f"{where}: connection lost ({exc})") from exc
    except Exception as exc:  # tdmclient's FlatBuffers decoder on a non-TDM peer
        raise BadAnswer(f"{where}: not a Thymio Device Manager answer "
                        f"({type(exc).__name__})") from exc
    finally:
        _close(client)
    now = datetime.now(UTC)
    if vbat is None:
        return RobotBatteryFacts(level_pct=None, source="tdm", reason="thymio.no_vbat_variable",
                                 raw=None, measured_at=now)
    volts = parse_thymio_vbat(tuple(vbat))
    return RobotBatteryFacts(level_pct=None, source="tdm", reason="thymio.voltage_only",
                             raw="_vbat=" + ",".join(map(str, vbat)), measured_at=now,
                             voltage_v=volts)
