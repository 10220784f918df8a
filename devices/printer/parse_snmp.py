"""Pure functions: a printer's SNMP values -> :class:`PrinterStatus` (re-exported by :mod:`devices.printer.parse`).

The input is a flat ``{dotted OID: value}`` mapping of the Printer-MIB (RFC 3805) and
Host-Resources-MIB (RFC 2790) subtrees walked by :mod:`devices.printer.transport`
(:data:`SNMP_SUBTREES`, plus the :data:`SNMP_SCALARS` fetched with GET).

Anything that is not what the protocol promises raises :class:`devices.errors.BadAnswer`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from devices.errors import BadAnswer
from devices.printer.models import PrinterState, PrinterStatus, Supply, colour_name, split_make_and_model

SYS_DESCR = "1.3.6.1.2.1.1.1.0"
SYS_NAME = "1.3.6.1.2.1.1.5.0"
SYS_LOCATION = "1.3.6.1.2.1.1.6.0"
HR_DEVICE_TYPE = "1.3.6.1.2.1.25.3.2.1.2"
HR_DEVICE_DESCR = "1.3.6.1.2.1.25.3.2.1.3"
HR_DEVICE_STATUS = "1.3.6.1.2.1.25.3.2.1.5"
HR_PRINTER_STATUS = "1.3.6.1.2.1.25.3.5.1.1"
HR_PRINTER_ERRORS = "1.3.6.1.2.1.25.3.5.1.2"
SUPPLY_COLORANT = "1.3.6.1.2.1.43.11.1.1.3"
SUPPLY_TYPE = "1.3.6.1.2.1.43.11.1.1.5"
SUPPLY_DESCR = "1.3.6.1.2.1.43.11.1.1.6"
SUPPLY_MAX = "1.3.6.1.2.1.43.11.1.1.8"
SUPPLY_LEVEL = "1.3.6.1.2.1.43.11.1.1.9"
COLORANT_VALUE = "1.3.6.1.2.1.43.12.1.1.4"
HR_DEVICE_PRINTER = "1.3.6.1.2.1.25.3.1.5"

# Subtrees the transport walks; the scalars are fetched with GET.
SNMP_SUBTREES = ("1.3.6.1.2.1.25.3.2.1", "1.3.6.1.2.1.25.3.5.1", "1.3.6.1.2.1.43.11.1.1", "1.3.6.1.2.1.43.12.1.1.4")
SNMP_SCALARS = (SYS_DESCR, SYS_NAME, SYS_LOCATION)

# hrPrinterDetectedErrorState bits (RFC 3805 §2.2.13.2: bit 0 = 0x80 of the first octet)
# named with the IPP printer-state-reasons keyword that says the same thing.
_ERROR_BITS = (
    "media-low",
    "media-empty",
    "toner-low",
    "toner-empty",
    "door-open",
    "media-jam",
    "offline",
    "service-requested",
    "input-tray-missing",
    "output-tray-missing",
    "marker-supply-missing",
    "output-area-almost-full",
    "output-area-full",
    "input-tray-empty",
    "overdue-preventive-maintenance",
)
# prtMarkerSuppliesType (RFC 3805 PrtMarkerSuppliesTypeTC) -> IPP marker-types keyword.
_SUPPLY_KINDS = {
    3: "toner",
    4: "waste-toner",
    5: "ink",
    6: "ink-cartridge",
    7: "ink-ribbon",
    8: "waste-ink",
    9: "opc",
    10: "developer",
    11: "fuser-oil",
    12: "solid-wax",
    13: "ribbon-wax",
    14: "waste-wax",
    15: "fuser",
    16: "corona-wire",
    17: "fuser-oil-wick",
    18: "cleaner-unit",
    19: "fuser-cleaning-pad",
    20: "transfer-unit",
    21: "toner-cartridge",
    22: "fuser-oiler",
    23: "water",
    24: "waste-water",
    26: "waste-paper",
    27: "binding-supply",
    28: "banding-supply",
    29: "stitching-wire",
    30: "shrink-wrap",
    31: "paper-wrap",
    32: "staples",
    33: "inserts",
    34: "covers",
}
_HR_PRINTER_STATES = {3: PrinterState.IDLE, 4: PrinterState.PROCESSING, 5: PrinterState.PROCESSING}
_HR_DEVICE_DOWN = 5


def _snmp_text(value: Any) -> str | None:
    if isinstance(value, (bytes, bytearray)):
        try:
            value = bytes(value).decode("utf-8")
        except UnicodeDecodeError:
            value = bytes(value).decode("latin-1")
    if isinstance(value, str):
        text = " ".join(value.replace("\x00", " ").split())
        return text or None
    return None


def _snmp_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"\s*-?[0-9]+\s*", value):
        return int(value)
    return None


def _column(values: Mapping[str, Any], prefix: str) -> dict[str, Any]:
    """{row index suffix: value} of one table column."""
    start = prefix + "."
    return {oid[len(start) :]: value for oid, value in values.items() if oid.startswith(start)}


def error_state_reasons(octets: Any) -> tuple[str, ...]:
    """Reasons set in hrPrinterDetectedErrorState (an OCTET STRING bit field)."""
    if isinstance(octets, str):
        octets = octets.encode("latin-1", errors="replace")
    if not isinstance(octets, (bytes, bytearray)):
        return ()
    reasons = []
    for bit, reason in enumerate(_ERROR_BITS):
        byte = bit // 8
        if byte < len(octets) and octets[byte] & (0x80 >> (bit % 8)):
            reasons.append(reason)
    return tuple(reasons)


def supply_level_pct(level: int | None, max_capacity: int | None) -> int | None:
    """Percentage of prtMarkerSuppliesLevel over prtMarkerSuppliesMaxCapacity (RFC 3805), or None:
    level -1 (other), -2 (unknown), -3 (some remaining); capacity -1 (no limit), -2 (unknown) or 0;
    a level above the capacity (the device contradicts itself: 250 of 100 is not "full")."""
    if level is None or level < 0:
        return None
    if max_capacity is not None and max_capacity > 0 and level <= max_capacity:
        return round(100 * level / max_capacity)
    return None  # a percentage would be a guess


def snmp_supplies(values: Mapping[str, Any]) -> tuple[Supply, ...]:
    """One Supply per prtMarkerSuppliesTable row (descriptions or levels present)."""
    descrs, levels = _column(values, SUPPLY_DESCR), _column(values, SUPPLY_LEVEL)
    maxima, kinds = _column(values, SUPPLY_MAX), _column(values, SUPPLY_TYPE)
    colorant_index, colorants = _column(values, SUPPLY_COLORANT), _column(values, COLORANT_VALUE)

    def row_key(row: str) -> tuple[int, ...]:
        return tuple(int(p) if p.isascii() and p.isdigit() else 0 for p in row.split("."))

    supplies = []
    for row in sorted(set(descrs) | set(levels), key=row_key):
        name = _snmp_text(descrs.get(row)) or f"supply {row}"
        level, max_capacity = _snmp_int(levels.get(row)), _snmp_int(maxima.get(row))
        colour = None
        colorant = _snmp_int(colorant_index.get(row))
        if colorant and colorant > 0:
            device = row.split(".")[0]
            colour = colour_name(_snmp_text(colorants.get(f"{device}.{colorant}")))
        supplies.append(
            Supply(
                name=name,
                colour=colour or colour_name(name),
                kind=_SUPPLY_KINDS.get(_snmp_int(kinds.get(row)) or 0),
                level_pct=supply_level_pct(level, max_capacity),
                raw_level=level,
                max_capacity=max_capacity,
                low_level_pct=None,
            )
        )
    return tuple(supplies)


def _printer_device(values: Mapping[str, Any]) -> str | None:
    """hrDeviceIndex of the printer: hrDeviceType = hrDevicePrinter, else the hrPrinterTable row."""
    for row, device_type in sorted(_column(values, HR_DEVICE_TYPE).items()):
        if str(device_type).strip().lstrip(".") == HR_DEVICE_PRINTER:
            return row
    rows = sorted(_column(values, HR_PRINTER_STATUS)) or sorted(_column(values, HR_PRINTER_ERRORS))
    return rows[0] if rows else None


def parse_snmp_values(values: Mapping[str, Any], *, measured_at: datetime, host: str | None = None) -> PrinterStatus:
    """Facts from walked Printer-MIB / Host-Resources-MIB values ``{"1.3.6...": value}``."""
    if not isinstance(values, Mapping):
        raise BadAnswer("SNMP values are not a mapping")
    values = {str(k).strip().lstrip("."): v for k, v in values.items()}
    supplies = snmp_supplies(values)
    device = _printer_device(values)
    if not supplies and device is None:
        raise BadAnswer("device has no Printer-MIB supplies and no Host-Resources printer")
    state: PrinterState | None = None
    reasons: tuple[str, ...] = ()
    make_and_model = None
    if device is not None:
        state = _HR_PRINTER_STATES.get(_snmp_int(values.get(f"{HR_PRINTER_STATUS}.{device}")) or 0)
        if _snmp_int(values.get(f"{HR_DEVICE_STATUS}.{device}")) == _HR_DEVICE_DOWN:
            state = PrinterState.STOPPED
        reasons = error_state_reasons(values.get(f"{HR_PRINTER_ERRORS}.{device}"))
        make_and_model = _snmp_text(values.get(f"{HR_DEVICE_DESCR}.{device}"))
    sys_descr = _snmp_text(values.get(SYS_DESCR))
    if make_and_model is None and sys_descr:
        # "Xerox AltaLink C8045; SS 100.002..." -> the part before the firmware list
        head = sys_descr.split(";")[0].strip()
        generic = any(word in head.lower() for word in ("built-in", "jetdirect", "ethernet"))
        make_and_model = None if generic else head
        if generic:
            make, _ = split_make_and_model(head)
            make_and_model = make
    make, model = split_make_and_model(make_and_model)
    return PrinterStatus(
        source="snmp",
        host=host,
        state=state,
        reasons=reasons,
        state_message=None,
        supplies=supplies,
        make_and_model=make_and_model,
        make=make,
        model=model,
        uris=(),
        name=_snmp_text(values.get(SYS_NAME)),
        info=sys_descr,
        location=_snmp_text(values.get(SYS_LOCATION)),
        firmware=None,
        measured_at=measured_at,
    )
