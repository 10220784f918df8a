"""Print the recap on the room's network printer: which printer, from the inventory or
``--print-to``; the IPP Print-Job itself is the printer family's (devices/printer/printing.py)."""

from __future__ import annotations

import re

from devices.models import Printer
from devices.printer.printing import PrintError, PrintResult, send_pdf
from provision.errors import PlateauError, Problem
from provision.families.printing import ipp_uri
from provision.inventory import Inventory

__all__ = ["PrintError", "PrintResult", "parse_target", "printer_for", "send_pdf"]


def parse_target(value: str) -> str:
    """``HOST``, ``HOST:PORT``, ``[v6]:PORT`` or an ``ipp(s)://`` URI → printer URI."""
    if value.startswith(("ipp://", "ipps://")):
        return value
    match = re.fullmatch(r"(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.\-]+)(?::(\d{1,5}))?", value.strip())
    if not match or (match[2] and not 0 < int(match[2]) < 65536):
        raise PlateauError(Problem(key="recap.bad_print_to", field="--print-to", params={"value": value}))
    return f"ipp://{match[1]}:{match[2] or 631}/ipp/print"


def printer_for(inventory: Inventory, rooms: list[str], scope: str) -> str:
    """URI of the one network printer of ``rooms``; a user error when none or several."""
    printers = [d for r in rooms for d in inventory.in_room(r) if isinstance(d, Printer) and ipp_uri(d)]
    if not printers:
        raise PlateauError(Problem(key="recap.print.no_printer", params={"scope": scope}))
    if len(printers) > 1:
        raise PlateauError(Problem(key="recap.print.many_printers", params={"printers": [p.name for p in printers]}))
    uri = ipp_uri(printers[0])
    assert uri is not None  # printers were chosen for having one
    return uri
