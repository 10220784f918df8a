"""The only printer module touching the wire: HTTP (for IPP, and eSCL scanners) and SNMP.

* :func:`http_request` - one HTTP/1.1 exchange with a deadline on the whole exchange,
  not only on each socket operation (a device dripping bytes cannot hold us forever).
* :func:`snmp_collect` - SNMPv1/v2c GET of scalars + walk of subtrees (numeric OIDs, no
  MIB) with pysnmp's RFC 3413 command generators under asyncio, bounded by ``timeout_s``.

Library errors become :mod:`devices.errors` exceptions, chained with ``from``.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import socket
import threading
from collections.abc import Iterable
from typing import Any

from devices import http
from devices.errors import BadAnswer, Unreachable

MAX_BODY_BYTES = http.MAX_BODY_BYTES
HttpReply = http.Reply  # status, content_type, body (and headers)


def http_request(
    method: str,
    host: str,
    port: int,
    path: str,
    *,
    timeout_s: float,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    tls: bool = False,
    deadline: float | None = None,
) -> HttpReply:
    """One exchange with :func:`devices.http.request`: the whole reply within ``timeout_s``
    (and before ``deadline``, a ``time.monotonic()`` shared by several requests).

    The certificate of an ``ipps://`` / eSCL ``https`` device is not verified: printers and
    scanners ship self-signed ones, and we send them no credentials.
    """
    return http.request(
        method,
        host,
        port,
        path,
        timeout_s=timeout_s,
        deadline=deadline,
        body=body,
        headers=headers,
        tls=tls,
        verify_tls=False,
    )


# --------------------------------------------------------------------------- SNMP
#
# pysnmp's high-level API (pysnmp.hlapi.*) is not used. Importing it imports pysmi, and
# every request it builds goes through ObjectType.resolve_with_mib(), which (lookupMib=False
# or not) builds pysmi's MIB compiler - a lark grammar, ~0.8 s of CPU - for each new engine.
# We only speak numeric OIDs, so requests go straight to the RFC 3413 command generators.
#
# An SnmpEngine costs ~0.1 s of CPU to build (it loads its own MIB modules) and is not
# thread-safe; its transport dispatcher and UDP transport bind to the event loop running
# when the transport is added. Engines are therefore pooled for the whole process: a read
# borrows the engine of the running loop (coroutines of one loop share it) or an idle one,
# binds a UDP transport to that loop, and the last reader of the loop closes the transport
# and puts the engine back, ready for the next loop - snmp_collect runs one asyncio.run
# loop per call, in whatever worker thread. The pool grows to the peak number of loops
# reading SNMP at once (the sweep's worker threads), never one engine per request.

SNMP_MAX_REPETITIONS = 25
_MAX_TARGETS_PER_ENGINE = 512  # LCD target entries kept per engine before starting afresh
_NO_SUCH_NAME = 2  # SNMPv1 error-status: GET of a missing scalar, or GETNEXT past the end


def _python_value(value: Any) -> Any:
    """pysnmp value -> int / bytes / dotted str; None for noSuchObject & co."""
    from pysnmp.proto import rfc1902, rfc1905

    if isinstance(value, (rfc1905.NoSuchObject, rfc1905.NoSuchInstance, rfc1905.EndOfMibView)):
        return None
    if isinstance(value, rfc1902.IpAddress):
        return value.prettyPrint()
    if isinstance(value, rfc1902.OctetString):
        return bytes(value.asOctets())
    if isinstance(value, rfc1902.ObjectIdentifier):
        return str(value)
    if isinstance(
        value,
        rfc1902.Integer
        | rfc1902.Integer32
        | rfc1902.Counter32
        | rfc1902.Gauge32
        | rfc1902.TimeTicks
        | rfc1902.Unsigned32
        | rfc1902.Counter64,
    ):
        return int(value)
    return None


class _PooledEngine:
    """One pysnmp SnmpEngine and the LCD entries (communities, targets) added to it."""

    def __init__(self) -> None:
        from pysnmp.entity.engine import SnmpEngine

        self.engine = SnmpEngine()
        self.readers = 0  # coroutines of the bound loop using it now
        self._names = itertools.count(1)
        self._params: dict[tuple[str, int], str] = {}  # (community, mp model) -> params
        self._targets: dict[tuple[Any, ...], str] = {}  # (address, params, ticks, retries)

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        from pysnmp.carrier.asyncio.dgram import udp
        from pysnmp.entity import config

        transport = udp.UdpAsyncioTransport(loop=loop).open_client_mode()
        config.add_transport(self.engine, udp.DOMAIN_NAME, transport)

    def unbind(self) -> None:
        self.engine.close_dispatcher()  # closes the UDP transport, forgets the loop

    def target(self, address: tuple[str, int], community: str, mp_model: int, timeout_s: float, retries: int) -> str:
        """Name of the LCD target for this agent and community, added on first use."""
        from pysnmp.carrier.asyncio.dgram import udp
        from pysnmp.entity import config

        params = self._params.get((community, mp_model))
        if params is None:
            number = next(self._names)
            security = f"s{number}"  # never derived from the community (a credential)
            config.add_v1_system(self.engine, security, community, securityName=security)
            params = f"p{number}"
            config.add_target_parameters(self.engine, params, security, "noAuthNoPriv", mp_model)
            self._params[(community, mp_model)] = params
        ticks = max(1, round(timeout_s * 100))
        key = (address, params, ticks, retries)
        name = self._targets.get(key)
        if name is None:
            if len(self._targets) >= _MAX_TARGETS_PER_ENGINE:
                for old in self._targets.values():
                    config.delete_target_address(self.engine, old)
                self._targets.clear()
            name = f"a{next(self._names)}"
            config.add_target_address(self.engine, name, udp.DOMAIN_NAME, address, params, ticks, retries)
            self._targets[key] = name
        return name


_pool_lock = threading.Lock()
_idle_engines: list[_PooledEngine] = []
_engine_of_loop: dict[asyncio.AbstractEventLoop, _PooledEngine] = {}


def _acquire_engine(loop: asyncio.AbstractEventLoop) -> _PooledEngine:
    # Only the loop's own thread touches an engine while bound; the lock guards the pool.
    with _pool_lock:
        pooled = _engine_of_loop.get(loop) or (_idle_engines.pop() if _idle_engines else None)
    if pooled is None:
        pooled = _PooledEngine()  # outside the lock: other threads need not wait 0.1 s
    if pooled.readers == 0:
        pooled.bind(loop)  # on failure the engine is dropped: it may hold a half-made binding
        with _pool_lock:
            _engine_of_loop[loop] = pooled
    pooled.readers += 1
    return pooled


def _release_engine(loop: asyncio.AbstractEventLoop, pooled: _PooledEngine) -> None:
    pooled.readers -= 1
    if pooled.readers:
        return
    try:
        pooled.unbind()
        reusable = True
    except Exception:  # never hide the read's own outcome; just do not reuse this engine
        logging.getLogger(__name__).debug("SNMP engine not reusable", exc_info=True)
        reusable = False
    with _pool_lock:
        _engine_of_loop.pop(loop, None)
        if reusable:
            _idle_engines.append(pooled)


async def _send(pooled: _PooledEngine, target: str, kind: str, oids: Iterable[Any]) -> Any:
    """One GET / GETNEXT / GETBULK exchange -> (error indication, error status, var-binds)."""
    from pyasn1.type import univ
    from pysnmp.entity.rfc3413 import cmdgen
    from pysnmp.proto import rfc1902

    future = asyncio.get_running_loop().create_future()

    def on_response(
        _engine: Any,
        _handle: Any,
        error_indication: Any,
        error_status: Any,
        _error_index: Any,
        var_binds: Any,
        _ctx: Any,
    ) -> None:
        if not future.done():  # cancelled when the read ran out of time
            future.set_result((error_indication, error_status, var_binds))

    var_binds = [(rfc1902.ObjectName(oid), univ.Null("")) for oid in oids]
    engine = pooled.engine
    if kind == "get":
        cmdgen.GetCommandGenerator().send_varbinds(engine, target, None, b"", var_binds, on_response)
    elif kind == "next":
        cmdgen.NextCommandGeneratorSingleRun().send_varbinds(engine, target, None, b"", var_binds, on_response)
    else:
        cmdgen.BulkCommandGeneratorSingleRun().send_varbinds(
            engine, target, None, b"", 0, SNMP_MAX_REPETITIONS, var_binds, on_response
        )
    return await future


async def snmp_collect_async(
    host: str,
    port: int,
    *,
    community: str,
    scalars: Iterable[str],
    subtrees: Iterable[str],
    timeout_s: float,
    version: str = "2c",
) -> dict[str, Any]:
    """GET ``scalars`` and walk ``subtrees`` (GETBULK for v2c, GETNEXT for v1).

    OIDs are numeric (``"1.3.6.1.2.1.1.1.0"``); no MIB is loaded or resolved.
    """
    from pysnmp.proto import rfc1902

    if version not in ("1", "2c"):
        raise ValueError(f"SNMP version must be '1' or '2c', not {version!r}")
    try:
        scalars, subtrees = ([str(rfc1902.ObjectName(oid)) for oid in oids] for oids in (scalars, subtrees))
    except Exception as exc:  # pyasn1's error for "sysDescr.0" and the like
        raise ValueError("SNMP OIDs must be numeric, e.g. '1.3.6.1.2.1.1.1.0'") from exc
    where = f"snmp://{host}:{port}"
    results: dict[str, Any] = {}

    def check(error_indication: Any, error_status: Any, what: str) -> None:
        if error_indication:
            text = str(error_indication)
            if "timeout" in text.lower() or "no snmp response" in text.lower():
                raise Unreachable(f"{where}: no SNMP answer (host down or wrong community)")
            raise BadAnswer(f"{where}: SNMP {what} failed: {text}")
        if error_status and int(error_status) != 0:
            status = getattr(error_status, "prettyPrint", lambda: error_status)()
            raise BadAnswer(f"{where}: SNMP {what} error status {status}")

    async def walk(pooled: _PooledEngine, target: str, subtree: str) -> None:
        from pysnmp.proto import rfc1905

        root = current = rfc1902.ObjectName(subtree)
        while True:
            error_indication, error_status, var_binds = await _send(
                pooled, target, "next" if version == "1" else "bulk", [current]
            )
            if not error_indication and error_status and int(error_status) == _NO_SUCH_NAME:
                return  # SNMPv1 end of MIB view
            check(error_indication, error_status, "walk")
            if not var_binds:
                return
            for oid, value in var_binds:
                if isinstance(value, rfc1905.EndOfMibView) or len(oid) <= len(root) or not root.isPrefixOf(oid):
                    return  # left the subtree
                converted = _python_value(value)
                if converted is not None:
                    results[str(oid)] = converted
            last = rfc1902.ObjectName(var_binds[-1][0])
            if last <= current:
                raise BadAnswer(f"{where}: SNMP walk of {subtree} does not move forward")
            current = last

    async def run(pooled: _PooledEngine) -> None:
        loop = asyncio.get_running_loop()
        try:
            sockaddr = (
                await loop.getaddrinfo(
                    host, port, family=socket.AF_INET, type=socket.SOCK_DGRAM, proto=socket.IPPROTO_UDP
                )
            )[0][4]
            address = (str(sockaddr[0]), int(sockaddr[1]))
        except OSError as exc:
            raise Unreachable(f"{where}: cannot resolve or open UDP transport") from exc
        target = pooled.target(address, community, 0 if version == "1" else 1, max(0.2, timeout_s / 3), 1)
        scalar_list = list(scalars)
        if scalar_list:
            error_indication, error_status, var_binds = await _send(pooled, target, "get", scalar_list)
            # an SNMPv1 agent lacking one scalar answers noSuchName for the whole GET
            if error_indication or not error_status or int(error_status) != _NO_SUCH_NAME:
                check(error_indication, error_status, "get")
                for oid, value in var_binds:
                    converted = _python_value(value)
                    if converted is not None:
                        results[str(oid)] = converted
        for subtree in subtrees:
            await walk(pooled, target, subtree)

    loop = asyncio.get_running_loop()
    pooled = _acquire_engine(loop)
    try:
        await asyncio.wait_for(run(pooled), timeout=timeout_s)
    except TimeoutError as exc:
        raise Unreachable(f"{where}: SNMP answers not complete within {timeout_s:g} s") from exc
    finally:
        _release_engine(loop, pooled)
    return results


def snmp_collect(host: str, port: int, **kwargs: Any) -> dict[str, Any]:
    """Blocking twin of :func:`snmp_collect_async` (run it in a worker thread from asyncio)."""
    return asyncio.run(snmp_collect_async(host, port, **kwargs))
