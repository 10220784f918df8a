"""Facts a 3D-printer driver returns (whatever the API: OctoPrint, Moonraker, PrusaLink, Marlin).

``None`` always means "not measured / not reported by this API", never "zero" or "fine".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum


class PrinterState(StrEnum):
    """Normalised printer state; each API's own vocabulary is mapped in ``parse.py``."""

    IDLE = "idle"
    PRINTING = "printing"
    PAUSED = "paused"
    ERROR = "error"
    OFFLINE = "offline"  # the controller (OctoPrint, Klipper...) has no link to the printer
    UNKNOWN = "unknown"


class FilamentSensor(StrEnum):
    """What the filament runout sensor says."""

    PRESENT = "present"
    ABSENT = "absent"
    NOT_FITTED = "not_fitted"  # the firmware/controller reports no sensor at all


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True, kw_only=True)
class SpoolFacts:
    """One Spoolman spool (``GET /api/v1/spool/{id}``)."""

    spool_id: int | None
    filament_name: str | None
    material: str | None
    vendor: str | None
    remaining_g: float | None
    used_g: float | None
    initial_g: float | None
    archived: bool | None
    measured_at: datetime = field(default_factory=utc_now)


@dataclass(frozen=True, slots=True, kw_only=True)
class Printer3DFacts:
    """State of one 3D printer, as read through its controller or its serial port.

    ``connected``: the controller (OctoPrint, Klipper, PrusaLink) has a live link to the
    printer's board; for Marlin over USB it is True as soon as the firmware answered.
    ``errors`` are messages reported by the printer/controller (and ``"spoolman: ..."`` when
    the Spoolman lookup failed); they never contain secrets.
    """

    driver: str
    connected: bool | None
    state: PrinterState
    printing: bool | None
    filament_sensor: FilamentSensor | None
    runout_detection_enabled: bool | None = None
    remaining_g: float | None = None
    nozzle_c: float | None = None
    nozzle_target_c: float | None = None
    bed_c: float | None = None
    bed_target_c: float | None = None
    job_file: str | None = None
    progress_pct: float | None = None
    firmware: str | None = None
    spool: SpoolFacts | None = None
    errors: tuple[str, ...] = ()
    measured_at: datetime = field(default_factory=utc_now)
