"""Printers (IPP, SNMP), scanners (eSCL) and 3D printers (OctoPrint, Moonraker, PrusaLink,
Marlin; Spoolman for the spool)."""

from __future__ import annotations

from devices.models import Printer, Printer3D, Scanner
from provision.families.base import Account, Family, ProbeDecl, RecapRow, RowContext
from provision.messages import render


def _default_port(port: int, default: int) -> str:
    return "" if port == default else f":{port}"


def ipp_uri(printer: Printer) -> str | None:
    if printer.connection != "network" or not printer.address:
        return None
    return f"ipp://{printer.address}{_default_port(printer.ipp_port, 631)}{printer.ipp_path}"


def escl_url(scanner: Scanner) -> str | None:
    if scanner.connection != "network" or not scanner.address:
        return None
    default = 443 if scanner.escl_scheme == "https" else 80
    return f"{scanner.escl_scheme}://{scanner.address}{_default_port(scanner.escl_port, default)}{scanner.escl_path}"


def printer_3d_url(printer: Printer3D) -> str | None:
    if printer.web_url:
        return printer.web_url
    if printer.driver == "marlin" or not printer.address:
        return None
    return f"http://{printer.address}{_default_port(printer.api_port or 80, 80)}"


def _printer_row(device: Printer, ctx: RowContext) -> RecapRow:
    access = ipp_uri(device)
    detail = render("recap.detail.ipp" if access else "recap.detail.usb_printer")
    return RecapRow(kind=ctx.family_label, access=access, details=(detail,))


def _scanner_row(device: Scanner, ctx: RowContext) -> RecapRow:
    access = escl_url(device)
    detail = render("recap.detail.escl" if access else "recap.detail.usb_scanner")
    return RecapRow(kind=ctx.family_label, access=access, details=(detail,))


def _printer_3d_row(device: Printer3D, ctx: RowContext) -> RecapRow:
    access = printer_3d_url(device)
    details = [render("recap.detail.web")] if access else []
    details.append(render("recap.detail.filament_min", {"min_g": device.min_filament_g}))
    return RecapRow(kind=ctx.family_label, access=access, details=tuple(details))


PRINTER = Family(
    name="printer",
    model=Printer,
    recap_section="peripherals",
    probes={
        "default": ProbeDecl(
            name="ipp", checks=("printer_state", "consumables"), fn="checks.probes.printer:probe_printer"
        )
    },
    recap_row=_printer_row,
    simulator="devices.lab.printer:IppPrinterSim",
    port_field="ipp_port",
    combines_with=frozenset({"scanner"}),
)
SCANNER = Family(
    name="scanner",
    model=Scanner,
    recap_section="peripherals",
    probes={"default": ProbeDecl(name="escl", checks=("scanner_state",), fn="checks.probes.scanner:probe_scanner")},
    recap_row=_scanner_row,
    simulator="devices.lab.scanner:EsclScannerSim",
    port_field="escl_port",
    combines_with=frozenset({"printer"}),
)
PRINTER_3D = Family(
    name="printer_3d",
    model=Printer3D,
    recap_section="others",
    accounts=(
        Account(kind="api_key", login=None, secret="api_key", in_plan=False),
        Account(kind="web_login", login="api_user", secret="api_password", in_plan=False),
    ),
    probes={
        "default": ProbeDecl(
            name="printer_3d", checks=("printer_3d_state", "filament"), fn="checks.probes.printer_3d:probe_printer_3d"
        )
    },
    recap_row=_printer_3d_row,
    simulator="devices.lab.printer_3d:OctoPrintSim",
    port_field="api_port",
)
DECLARED = (PRINTER, SCANNER, PRINTER_3D)
