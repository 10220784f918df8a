"""The only printer module touching the wire: HTTP (for IPP, and eSCL scanners) and SNMP.

* :func:`http_request` - one HTTP/1.1 exchange with a deadline on the whole exchange,
  not only on each socket operation (a device dripping bytes cannot hold us forever).
* :func:`snmp_collect` - SNMPv1/v2c GET of scalars + walk of subtrees with pysnmp's
  asyncio API, bounded by ``timeout_s``.

Library errors become :mod:`devices.errors` exceptions, chained with ``from``.
"""

from __future__ import annotations

import asyncio
import http.client
import socket
import ssl
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from devices.errors import BadAnswer, Unreachable

MAX_BODY_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class HttpReply:
    status: int
    content_type: str
    body: bytes


def _tls_context() -> ssl.SSLContext:
    # Printers and scanners ship self-signed certificates; we only read public status
    # and send no credentials, so the certificate is not verified.
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


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
) -> HttpReply:
    """Send one request and read the whole reply within ``timeout_s`` seconds."""
    deadline = time.monotonic() + timeout_s
    where = f"{'https' if tls else 'http'}://{host}:{port}{path}"
    if tls:
        conn: http.client.HTTPConnection = http.client.HTTPSConnection(
            host, port, timeout=timeout_s, context=_tls_context())
    else:
        conn = http.client.HTTPConnection(host, port, timeout=timeout_s)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        chunks, size = [], 0
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("whole reply not received in time")
            if conn.sock is not None:
                conn.sock.settimeout(left)
            chunk = response.read1(65536) if hasattr(response, "read1") else response.read(65536)
            if not chunk:
                break
            size += len(chunk)
            if size > MAX_BODY_BYTES:
                raise BadAnswer(f"{where}: reply larger than {MAX_BODY_BYTES} bytes")
            chunks.append(chunk)
        return HttpReply(status=response.status,
                         content_type=(response.getheader("Content-Type") or "").lower(),
                         body=b"".join(chunks))
    except BadAnswer:
        raise
    except (TimeoutError, socket.timeout) as exc:
        raise Unreachable(f"{where}: no complete answer within {timeout_s:g} s") from exc
    except ssl.SSLError as exc:
        raise BadAnswer(f"{where}: TLS handshake failed ({exc.reason})") from exc
    except (http.client.RemoteDisconnected, ConnectionError) as exc:
        raise Unreachable(f"{where}: connection refused or closed ({type(exc).__name__})") from exc
    except http.client.HTTPException as exc:
        raise BadAnswer(f"{where}: not an HTTP answer ({type(exc).__name__})") from exc
    except OSError as exc:  # no route, DNS failure, host down
        raise Unreachable(f"{where}: {exc.strerror or type(exc).__name__}") from exc
    finally:
        conn.close()


# --------------------------------------------------------------------------- SNMP


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
    if isinstance(value, rfc1902.Integer | rfc1902.Integer32 | rfc1902.Counter32
                  | rfc1902.Gauge32 | rfc1902.TimeTicks | rfc1902.Unsigned32
                  | rfc1902.Counter64):
        return int(value)
    return None


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
    """GET ``scalars`` and walk ``subtrees`` (GETBULK for v2c, GETNEXT for v1)."""
    from pysnmp.hlapi.v3arch import asyncio as hlapi

    if version not in ("1", "2c"):
        raise ValueError(f"SNMP version must be '1' or '2c', not {version!r}")
    where = f"snmp://{host}:{port}"
    engine = hlapi.SnmpEngine()
    results: dict[str, Any] = {}

    def check(error_indication: Any, error_status: Any, what: str) -> None:
        if error_indication:
            text = str(error_indication)
            if "timeout" in text.lower() or "no snmp response" in text.lower():
                raise Unreachable(f"{where}: no SNMP answer (host down or wrong community)")
            raise BadAnswer(f"{where}: SNMP {what} failed: {text}")
        if error_status and int(error_status) != 0:
            status = getattr(error_status, "prettyPrint", lambda: error_status)()
            if what == "get" and str(status) == "noSuchName":  # v1 agent lacking a scalar
                return
            raise BadAnswer(f"{where}: SNMP {what} error status {status}")

    def store(var_binds: Iterable[Any], prefix: str | None) -> bool:
        """Keep values under ``prefix``; False once the walk left the subtree."""
        for oid, value in var_binds:
            dotted = str(oid)
            if prefix is not None and not dotted.startswith(prefix + "."):
                return False
            converted = _python_value(value)
            if converted is not None:
                results[dotted] = converted
        return True

    async def run() -> None:
        try:
            target = await hlapi.UdpTransportTarget.create(
                (host, port), timeout=max(0.2, timeout_s / 3), retries=1)
        except Exception as exc:  # pysnmp raises its own PySnmpError on resolution failure
            raise Unreachable(f"{where}: cannot resolve or open UDP transport") from exc
        auth = hlapi.CommunityData(community, mpModel=0 if version == "1" else 1)
        context = hlapi.ContextData()
        scalar_list = list(scalars)
        if scalar_list:
            error_indication, error_status, _, var_binds = await hlapi.get_cmd(
                engine, auth, target, context,
                *(hlapi.ObjectType(hlapi.ObjectIdentity(oid)) for oid in scalar_list),
                lookupMib=False)
            check(error_indication, error_status, "get")
            if not error_status:
                store(var_binds, None)
        for subtree in subtrees:
            start = hlapi.ObjectType(hlapi.ObjectIdentity(subtree))
            if version == "1":
                walker = hlapi.walk_cmd(engine, auth, target, context, start,
                                        lexicographicMode=False, lookupMib=False)
            else:
                walker = hlapi.bulk_walk_cmd(engine, auth, target, context, 0, 25, start,
                                             lexicographicMode=False, lookupMib=False)
            async for error_indication, error_status, _, var_binds in walker:
                check(error_indication, error_status, "walk")
                if not store(var_binds, subtree):
                    break

    try:
        await asyncio.wait_for(run(), timeout=timeout_s)
    except (TimeoutError, asyncio.TimeoutError) as exc:
        raise Unreachable(f"{where}: SNMP answers not complete within {timeout_s:g} s") from exc
    finally:
        engine.close_dispatcher()
    return results


def snmp_collect(host: str, port: int, **kwargs: Any) -> dict[str, Any]:
    """Blocking twin of :func:`snmp_collect_async` (run it in a worker thread from asyncio)."""
    return asyncio.run(snmp_collect_async(host, port, **kwargs))
