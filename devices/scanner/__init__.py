"""Scanner family: eSCL over HTTP. See :mod:`devices.scanner.driver`."""

from devices.scanner.driver import (
    ScannerFacts,
    read_scanner,
    read_scanner_capabilities,
    read_scanner_status,
)
from devices.scanner.parse import (
    ScannerCapabilities,
    ScannerState,
    ScannerStatus,
    parse_capabilities,
    parse_status,
)

__all__ = [
    "ScannerCapabilities",
    "ScannerFacts",
    "ScannerState",
    "ScannerStatus",
    "parse_capabilities",
    "parse_status",
    "read_scanner",
    "read_scanner_capabilities",
    "read_scanner_status",
]
