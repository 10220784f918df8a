"""Projectors over PJLink (class 1 and 2, TCP 4352). See :mod:`devices.projector.driver`."""

from devices.projector.driver import (
    DEFAULT_PORT,
    PowerOnResult,
    ProjectorFacts,
    power_on,
    read_projector,
)
from devices.projector.parse import Power, Severity

__all__ = [
    "DEFAULT_PORT",
    "Power",
    "PowerOnResult",
    "ProjectorFacts",
    "Severity",
    "power_on",
    "read_projector",
]
