"""Pure functions: a printer's answer -> :class:`PrinterStatus`.

* IPP: the body of a Get-Printer-Attributes response (``POST /ipp/print``, RFC 8011 §4.2.5).
* SNMP: a flat ``{dotted OID: value}`` mapping of the Printer-MIB (RFC 3805) and
  Host-Resources-MIB (RFC 2790) subtrees walked by :mod:`devices.printer.transport`.

Anything that is not what the protocol promises raises :class:`devices.errors.BadAnswer`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from devices.errors import AuthenticationFailed, BadAnswer
from devices.printer import ipp
from devices.printer.models import (
    PrinterState,
    PrinterStatus,
    Supply,
    colour_name,
    parse_device_id,
    split_make_and_model,
)

# Attributes asked in Get-Printer-Attributes (requested-attributes).
REQUESTED_ATTRIBUTES = (
    "printer-state",
    "printer-state-reasons",
    "printer-state-message",
    "marker-names",
    "marker-levels",
    "marker-colors",
    "marker-types",
    "marker-low-levels",
    "printer-make-and-model",
    "printer-device-id",
    "printer-uri-supported",
    "printer-info",
    "printer-location",
    "printer-name",
    "printer-firmware-string-version",
    "printer-supply",
    "printer-supply-description",
)

_IPP_STATES = {3: PrinterState.IDLE, 4: PrinterState.PROCESSING, 5: PrinterState.STOPPED}
_AUTH_STATUSES = {0x0401, 0x0402, 0x0403}


def _first_str(attrs: Mapping[str, list[Any]], name: str) -> str | None:
    for value in attrs.get(name, ()):
        if isinstance(value, str) and value.strip():
            return " ".join(value.split())
    return None


def _ints(attrs: Mapping[str, list[Any]], name: str) -> list[int | None]:
    return [v if isinstance(v, int) and not isinstance(v, bool) else None for v in attrs.get(name, ())]


def _strs(attrs: Mapping[str, list[Any]], name: str) -> list[str | None]:
    return [v.strip() if isinstance(v, str) else None for v in attrs.get(name, ())]


def _pct(level: int | None) -> int | None:
    return level if level is not None and 0 <= level <= 100 else None


def _at(values: list[Any], index: int) -> Any:
    return values[index] if index < len(values) else None


def _reasons(values: list[Any]) -> tuple[str, ...]:
    seen: list[str] = []
    for value in values:
        if isinstance(value, str):
            keyword = value.strip().lower()
            if keyword and keyword != "none" and keyword not in seen:
                seen.append(keyword)
    return tuple(seen)


def _kebab(name: str | None) -> str | None:
    """Printer-MIB enum label "wasteToner" -> IPP keyword "waste-toner"."""
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"-\1", name).lower() if name else None


def printer_supply_entries(attrs: Mapping[str, list[Any]]) -> tuple[Supply, ...]:
    """Supplies from PWG 5100.13 printer-supply ("index=1;type=toner;level=60;...")."""
    descriptions = _strs(attrs, "printer-supply-description")
    supplies = []
    for index, raw in enumerate(attrs.get("printer-supply", ())):
        if isinstance(raw, bytes):
            raw = raw.decode("utf-8", errors="replace")
        if not isinstance(raw, str):
            continue
        fields = {
            k.strip().lower(): v.strip() for k, _, v in (part.partition("=") for part in raw.split(";")) if k.strip()
        }
        level = _int_or_none(fields.get("level"))
        max_capacity = _int_or_none(fields.get("maxcapacity"))
        pct = _snmp_level_pct(level, max_capacity)
        name = _at(descriptions, index) or fields.get("type") or f"supply {index + 1}"
        supplies.append(
            Supply(
                name=name,
                colour=colour_name(fields.get("colorantname")) or colour_name(name),
                kind=_kebab(fields.get("type")),
                level_pct=pct,
                raw_level=level,
                max_capacity=max_capacity,
                low_level_pct=None,
            )
        )
    return tuple(supplies)


def _int_or_none(text: str | None) -> int | None:
    try:
        return int(text) if text is not None else None
    except ValueError:
        return None


def ipp_supplies(attrs: Mapping[str, list[Any]]) -> tuple[Supply, ...]:
    """Supplies from the parallel marker-names / -levels / -colors / -types arrays,
    else from printer-supply (printers such as ippeveprinter report only that)."""
    if not attrs.get("marker-names") and not attrs.get("marker-levels"):
        return printer_supply_entries(attrs)
    names, levels = _strs(attrs, "marker-names"), _ints(attrs, "marker-levels")
    colours, kinds = _strs(attrs, "marker-colors"), _strs(attrs, "marker-types")
    lows = _ints(attrs, "marker-low-levels")
    supplies = []
    for index in range(max(len(names), len(levels))):
        level = _at(levels, index)
        name = _at(names, index) or f"marker {index + 1}"
        colour = colour_name(_at(colours, index)) or colour_name(name)
        kind = _at(kinds, index)
        supplies.append(
            Supply(
                name=name,
                colour=colour,
                kind=kind.lower() if kind else None,
                level_pct=_pct(level),
                raw_level=level,
                max_capacity=None,
                low_level_pct=_pct(_at(lows, index)),
            )
        )
    return tuple(supplies)


def parse_ipp_response(body: bytes, *, measured_at: datetime, host: str | None = None) -> PrinterStatus:
    """Facts from a Get-Printer-Attributes response body (application/ipp)."""
    message = ipp.decode_message(body)
    if message.code in _AUTH_STATUSES:
        raise AuthenticationFailed(f"printer refused Get-Printer-Attributes: {message.status_name}")
    if message.code >= 0x0100:
        raise BadAnswer(f"printer answered IPP status {message.status_name}")
    attrs = message.group(ipp.PRINTER_GROUP)
    if not attrs:
        raise BadAnswer("IPP response has no printer attributes")
    state = None
    for value in attrs.get("printer-state", ()):
        if isinstance(value, int) and not isinstance(value, bool):
            state = _IPP_STATES.get(value)
            break
    make_and_model = _first_str(attrs, "printer-make-and-model")
    make, model = split_make_and_model(make_and_model)
    device_id = parse_device_id(_first_str(attrs, "printer-device-id") or "")
    make = device_id.get("MFG") or device_id.get("MANUFACTURER") or make
    model = device_id.get("MDL") or device_id.get("MODEL") or model
    return PrinterStatus(
        source="ipp",
        host=host,
        state=state,
        reasons=_reasons(attrs.get("printer-state-reasons", [])),
        state_message=_first_str(attrs, "printer-state-message"),
        supplies=ipp_supplies(attrs),
        make_and_model=make_and_model,
        make=make or None,
        model=model or None,
        uris=tuple(v.strip() for v in attrs.get("printer-uri-supported", ()) if isinstance(v, str) and v.strip()),
        name=_first_str(attrs, "printer-name"),
        info=_first_str(attrs, "printer-info"),
        location=_first_str(attrs, "printer-location"),
        firmware=_first_str(attrs, "printer-firmware-string-version"),
        measured_at=measured_at,
    )


# --------------------------------------------------------------------------- SNMP

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


def _snmp_level_pct(level: int | None, max_capacity: int | None) -> int | None:
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
                level_pct=_snmp_level_pct(level, max_capacity),
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
