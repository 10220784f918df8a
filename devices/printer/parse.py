"""Pure functions: a printer's answer -> :class:`PrinterStatus`.

* IPP (here): the body of a Get-Printer-Attributes response (``POST /ipp/print``, RFC 8011 §4.2.5).
* SNMP (:mod:`devices.printer.parse_snmp`, re-exported here): a flat ``{dotted OID: value}`` mapping
  of the Printer-MIB (RFC 3805) and Host-Resources-MIB (RFC 2790) subtrees walked by
  :mod:`devices.printer.transport`.

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
from devices.printer.parse_snmp import COLORANT_VALUE as COLORANT_VALUE  # re-exported
from devices.printer.parse_snmp import HR_DEVICE_DESCR as HR_DEVICE_DESCR  # re-exported
from devices.printer.parse_snmp import HR_DEVICE_PRINTER as HR_DEVICE_PRINTER  # re-exported
from devices.printer.parse_snmp import HR_DEVICE_STATUS as HR_DEVICE_STATUS  # re-exported
from devices.printer.parse_snmp import HR_DEVICE_TYPE as HR_DEVICE_TYPE  # re-exported
from devices.printer.parse_snmp import HR_PRINTER_ERRORS as HR_PRINTER_ERRORS  # re-exported
from devices.printer.parse_snmp import HR_PRINTER_STATUS as HR_PRINTER_STATUS  # re-exported
from devices.printer.parse_snmp import SNMP_SCALARS as SNMP_SCALARS  # re-exported
from devices.printer.parse_snmp import SNMP_SUBTREES as SNMP_SUBTREES  # re-exported
from devices.printer.parse_snmp import SUPPLY_COLORANT as SUPPLY_COLORANT  # re-exported
from devices.printer.parse_snmp import SUPPLY_DESCR as SUPPLY_DESCR  # re-exported
from devices.printer.parse_snmp import SUPPLY_LEVEL as SUPPLY_LEVEL  # re-exported
from devices.printer.parse_snmp import SUPPLY_MAX as SUPPLY_MAX  # re-exported
from devices.printer.parse_snmp import SUPPLY_TYPE as SUPPLY_TYPE  # re-exported
from devices.printer.parse_snmp import SYS_DESCR as SYS_DESCR  # re-exported
from devices.printer.parse_snmp import SYS_LOCATION as SYS_LOCATION  # re-exported
from devices.printer.parse_snmp import SYS_NAME as SYS_NAME  # re-exported
from devices.printer.parse_snmp import error_state_reasons as error_state_reasons  # re-exported
from devices.printer.parse_snmp import parse_snmp_values as parse_snmp_values  # re-exported
from devices.printer.parse_snmp import snmp_supplies as snmp_supplies  # re-exported
from devices.printer.parse_snmp import supply_level_pct

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
        pct = supply_level_pct(level, max_capacity)
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
