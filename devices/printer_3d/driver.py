"""One entry point for every 3D-printer API: ``read_printer_3d(driver, **params)``.

    DRIVERS["octoprint"](host, port=80, api_key=None, timeout_s=5.0)
    DRIVERS["moonraker"](host, port=7125, api_key=None, timeout_s=5.0)
    DRIVERS["prusalink"](host, port=80, username="maker", password=None, api_key=None, timeout_s=5.0)
    DRIVERS["marlin"](port="/dev/ttyUSB0", baudrate=115200, timeout_s=3.0, boot_wait_s=2.5,
                      triggered_means_present=True)

Optional Spoolman parameters, accepted by every driver: ``spoolman_host``,
``spoolman_port`` (7912), ``spool_id``, ``spoolman_timeout_s``. When given, ``remaining_g``
and ``spool`` come from Spoolman; if Spoolman fails the printer facts are still returned,
with ``remaining_g=None`` and an ``errors`` entry starting with ``"spoolman: "``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from devices.errors import DeviceError
from devices.printer_3d.facts import Printer3DFacts
from devices.printer_3d.marlin import read_marlin
from devices.printer_3d.moonraker import read_moonraker
from devices.printer_3d.octoprint import read_octoprint
from devices.printer_3d.prusalink import read_prusalink
from devices.printer_3d.spoolman import DEFAULT_PORT as SPOOLMAN_PORT
from devices.printer_3d.spoolman import read_spool

DRIVERS: dict[str, Callable[..., Printer3DFacts]] = {
    "octoprint": read_octoprint,
    "moonraker": read_moonraker,
    "prusalink": read_prusalink,
    "marlin": read_marlin,
}


def read_printer_3d(driver: str, **params: object) -> Printer3DFacts:
    """Measure one 3D printer with the named driver (and its spool, if Spoolman is given).

    Raises ValueError for an unknown driver name, and only :mod:`devices.errors` exceptions
    for a printer that cannot be measured.
    """
    try:
        read = DRIVERS[driver]
    except (KeyError, TypeError):
        supported = ", ".join(sorted(DRIVERS))
        raise ValueError(f"unknown 3D-printer driver {driver!r}; supported: {supported}") from None
    spoolman_host = params.pop("spoolman_host", None)
    spoolman_port = params.pop("spoolman_port", SPOOLMAN_PORT)
    spool_id = params.pop("spool_id", None)
    spoolman_timeout_s = params.pop("spoolman_timeout_s", params.get("timeout_s", 5.0))
    facts = read(**params)
    if not spoolman_host:
        return facts
    try:
        spool = read_spool(
            host=str(spoolman_host),
            port=int(str(spoolman_port)),
            spool_id=None if spool_id is None else int(str(spool_id)),
            timeout_s=float(str(spoolman_timeout_s)),
        )
    except DeviceError as exc:
        return replace(facts, errors=facts.errors + (f"spoolman: {exc}",))
    return replace(facts, spool=spool, remaining_g=spool.remaining_g)
