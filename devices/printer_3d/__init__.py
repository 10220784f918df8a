"""3D printers (inventory family ``printer_3d``): OctoPrint, Moonraker/Klipper, PrusaLink,
Marlin over USB serial, plus Spoolman for the spool weight.

Public surface::

    read_printer_3d(driver, **params) -> Printer3DFacts     # driver.py, DRIVERS
    Printer3DFacts, SpoolFacts, PrinterState, FilamentSensor  # facts.py
"""

from devices.printer_3d.driver import DRIVERS, read_printer_3d
from devices.printer_3d.facts import FilamentSensor, Printer3DFacts, PrinterState, SpoolFacts

__all__ = [
    "DRIVERS",
    "FilamentSensor",
    "Printer3DFacts",
    "PrinterState",
    "SpoolFacts",
    "read_printer_3d",
]
