"""Printer family: IPP Get-Printer-Attributes and SNMP Printer-MIB.

Public surface (the rest is private to the family):

    read_printer_ipp(host, *, port=631, path="/ipp/print", timeout_s=5.0, tls=False)
    read_printer_snmp(host, *, port=161, community="public", timeout_s=5.0, version="2c")
    read_printer_snmp_async(...)       same, for an asyncio caller
    read_printer(host, ...)            IPP, with SNMP supplies when IPP lists none
    -> PrinterStatus (state, reasons, supplies: tuple[Supply], make, model, uri...)
"""

from devices.printer.driver import (
    read_printer,
    read_printer_ipp,
    read_printer_snmp,
    read_printer_snmp_async,
)
from devices.printer.models import PrinterState, PrinterStatus, Supply, split_make_and_model
from devices.printer.parse import parse_ipp_response, parse_snmp_values

__all__ = [
    "PrinterState",
    "PrinterStatus",
    "Supply",
    "parse_ipp_response",
    "parse_snmp_values",
    "read_printer",
    "read_printer_ipp",
    "read_printer_snmp",
    "read_printer_snmp_async",
    "split_make_and_model",
]
