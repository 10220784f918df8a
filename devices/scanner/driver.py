"""Scanner driver: eSCL (AirScan / Mopria) over HTTP.

* ``GET {base_path}/ScannerCapabilities`` - make and model, platen / ADF present.
* ``GET {base_path}/ScannerStatus``       - pwg:State and scan:AdfState.

The base path is ``/eSCL`` unless the scanner's mDNS ``rs=`` TXT record says otherwise.
Raises only :mod:`devices.errors` exceptions.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime

from devices.scanner.parse import (
    ScannerCapabilities,
    ScannerStatus,
    parse_capabilities,
    parse_status,
)
from devices.scanner.transport import escl_get

ESCL_PORT = 80
ESCL_BASE_PATH = "/eSCL"


@dataclass(frozen=True, slots=True, kw_only=True)
class ScannerFacts:
    """Capabilities and status of one scanner, read one after the other."""

    host: str
    capabilities: ScannerCapabilities
    status: ScannerStatus

    @property
    def measured_at(self) -> datetime:
        return self.status.measured_at


def _path(base_path: str, leaf: str) -> str:
    return "/" + "/".join(p for p in (base_path.strip("/"), leaf) if p)


def read_scanner_capabilities(
    host: str,
    *,
    port: int = ESCL_PORT,
    base_path: str = ESCL_BASE_PATH,
    timeout_s: float = 5.0,
    tls: bool = False,
    deadline: float | None = None,
) -> ScannerCapabilities:
    """``GET /eSCL/ScannerCapabilities`` (ends before ``deadline``, if given, too)."""
    body = escl_get(
        host, port, _path(base_path, "ScannerCapabilities"), timeout_s=timeout_s, tls=tls, deadline=deadline
    )
    return parse_capabilities(body)


def read_scanner_status(
    host: str,
    *,
    port: int = ESCL_PORT,
    base_path: str = ESCL_BASE_PATH,
    timeout_s: float = 5.0,
    tls: bool = False,
    deadline: float | None = None,
) -> ScannerStatus:
    """``GET /eSCL/ScannerStatus`` (ends before ``deadline``, if given, too)."""
    body = escl_get(host, port, _path(base_path, "ScannerStatus"), timeout_s=timeout_s, tls=tls, deadline=deadline)
    return parse_status(body, measured_at=datetime.now(UTC))


def read_scanner(
    host: str,
    *,
    port: int = ESCL_PORT,
    base_path: str = ESCL_BASE_PATH,
    timeout_s: float = 5.0,
    tls: bool = False,
) -> ScannerFacts:
    """Capabilities then status, both within one ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    capabilities = read_scanner_capabilities(
        host, port=port, base_path=base_path, timeout_s=timeout_s, tls=tls, deadline=deadline
    )
    status = read_scanner_status(host, port=port, base_path=base_path, timeout_s=timeout_s, tls=tls, deadline=deadline)
    return ScannerFacts(host=host, capabilities=capabilities, status=status)
