"""Printer driver: measure a network printer over IPP, and over SNMP Printer-MIB.

* :func:`read_printer_ipp` - ``POST /ipp/print`` Get-Printer-Attributes (RFC 8011 §4.2.5).
  Sends IPP/2.0 and retries once in IPP/1.1 when the printer answers
  server-error-version-not-supported (0x0503), as older firmware does.
* :func:`read_printer_snmp` - GET sysDescr/sysName/sysLocation, walk hrDeviceTable,
  hrPrinterTable, prtMarkerSuppliesTable and prtMarkerColorantValue (SNMPv1/v2c).
* :func:`read_printer` - IPP, completed by SNMP supplies when IPP reports no marker-*.

All take explicit connection parameters and raise only :mod:`devices.errors` exceptions.
"""

from __future__ import annotations

import dataclasses
import itertools
import time
from datetime import UTC, datetime

from devices.errors import AuthenticationFailed, BadAnswer, DeviceError
from devices.printer import ipp
from devices.printer.models import PrinterStatus
from devices.printer.parse import (
    REQUESTED_ATTRIBUTES,
    SNMP_SCALARS,
    SNMP_SUBTREES,
    parse_ipp_response,
    parse_snmp_values,
)
from devices.printer.transport import http_request, snmp_collect, snmp_collect_async

IPP_PORT = 631
IPP_PATH = "/ipp/print"
SNMP_PORT = 161
_request_ids = itertools.count(1)


def _format_host(host: str) -> str:
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


def _get_printer_attributes(
    host: str,
    port: int,
    path: str,
    timeout_s: float,
    tls: bool,
    version: tuple[int, int],
    deadline: float,
) -> bytes:
    scheme = "ipps" if tls else "ipp"
    uri = f"{scheme}://{_format_host(host)}:{port}{path}"
    body = ipp.get_printer_attributes_request(
        uri, REQUESTED_ATTRIBUTES, request_id=next(_request_ids) & 0x7FFFFFFF, version=version
    )
    reply = http_request(
        "POST",
        host,
        port,
        path,
        timeout_s=timeout_s,
        body=body,
        tls=tls,
        headers={"Content-Type": "application/ipp"},
        deadline=deadline,
    )
    where = f"{uri} (HTTP {reply.status})"
    if reply.status in (401, 403):
        raise AuthenticationFailed(f"{where}: printer asks for authentication")
    if reply.status != 200:
        raise BadAnswer(f"{where}: expected 200 with application/ipp; check the path")
    return reply.body


def read_printer_ipp(
    host: str,
    *,
    port: int = IPP_PORT,
    path: str = IPP_PATH,
    timeout_s: float = 5.0,
    tls: bool = False,
) -> PrinterStatus:
    """Get-Printer-Attributes on ``ipp://host:port/path`` (``ipps://`` when ``tls``), both
    tries (IPP/2.0, then IPP/1.1) within one ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    body = _get_printer_attributes(host, port, path, timeout_s, tls, (2, 0), deadline)
    if body[2:4] == b"\x05\x03":  # server-error-version-not-supported
        body = _get_printer_attributes(host, port, path, timeout_s, tls, (1, 1), deadline)
    return parse_ipp_response(body, measured_at=datetime.now(UTC), host=host)


async def read_printer_snmp_async(
    host: str,
    *,
    port: int = SNMP_PORT,
    community: str = "public",
    timeout_s: float = 5.0,
    version: str = "2c",
) -> PrinterStatus:
    """Printer-MIB / Host-Resources-MIB status over SNMP (asyncio)."""
    values = await snmp_collect_async(
        host,
        port,
        community=community,
        scalars=SNMP_SCALARS,
        subtrees=SNMP_SUBTREES,
        timeout_s=timeout_s,
        version=version,
    )
    if not values:
        raise BadAnswer(f"snmp://{host}:{port}: agent answered but has no Printer-MIB data")
    return parse_snmp_values(values, measured_at=datetime.now(UTC), host=host)


def read_printer_snmp(
    host: str,
    *,
    port: int = SNMP_PORT,
    community: str = "public",
    timeout_s: float = 5.0,
    version: str = "2c",
) -> PrinterStatus:
    """Blocking :func:`read_printer_snmp_async` (call from a worker thread under asyncio)."""
    values = snmp_collect(
        host,
        port,
        community=community,
        scalars=SNMP_SCALARS,
        subtrees=SNMP_SUBTREES,
        timeout_s=timeout_s,
        version=version,
    )
    if not values:
        raise BadAnswer(f"snmp://{host}:{port}: agent answered but has no Printer-MIB data")
    return parse_snmp_values(values, measured_at=datetime.now(UTC), host=host)


def read_printer(
    host: str,
    *,
    ipp_port: int = IPP_PORT,
    ipp_path: str = IPP_PATH,
    tls: bool = False,
    snmp_port: int | None = SNMP_PORT,
    community: str = "public",
    timeout_s: float = 5.0,
) -> PrinterStatus:
    """IPP first; if it lists no supplies, take the supplies (and make/model gaps) from SNMP.

    An SNMP failure then keeps the IPP facts (supplies stay empty: not measured). If IPP
    itself fails, the IPP error is raised: SNMP alone cannot say idle/stopped reliably.
    ``snmp_port=None`` disables the SNMP complement.
    """
    status = read_printer_ipp(host, port=ipp_port, path=ipp_path, timeout_s=timeout_s, tls=tls)
    if status.supplies or snmp_port is None:
        return status
    try:
        extra = read_printer_snmp(host, port=snmp_port, community=community, timeout_s=timeout_s)
    except DeviceError:
        return status
    reasons = status.reasons + tuple(r for r in extra.reasons if r not in status.reasons)
    return dataclasses.replace(
        status,
        source="ipp+snmp",
        supplies=extra.supplies,
        reasons=reasons,
        make=status.make or extra.make,
        model=status.model or extra.model,
    )
