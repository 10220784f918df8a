"""Verdicts: the outcome of one check on one device, with what was measured and when."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

#: default time a device has to answer one probe: the ONE default (``plateau check --timeout``,
#: ``plateau dashboard --timeout``, the sweep); a family may set its own (``probe_timeout_s``)
DEFAULT_TIMEOUT_S = 10.0


class Status(StrEnum):
    OK = "ok"
    WARN = "warn"
    FAIL = "fail"
    UNKNOWN = "unknown"

    @property
    def ready(self) -> bool:
        """Only OK and WARN let a device be used; UNKNOWN is never ready."""
        return self in (Status.OK, Status.WARN)


#: worst first, to summarise several verdicts
SEVERITY_ORDER = (Status.FAIL, Status.UNKNOWN, Status.WARN, Status.OK)


def worst(statuses: list[Status]) -> Status:
    """The worst status of a list; an empty list is UNKNOWN (nothing measured)."""
    for status in SEVERITY_ORDER:
        if status in statuses:
            return status
    return Status.UNKNOWN


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True, slots=True, kw_only=True)
class Verdict:
    device: str  # inventory host name, e.g. "salle1-tab-android-02"
    check: str  # "battery", "filament", "consumables", "reachable", "software", ...
    status: Status
    key: str  # message id in provision/locales, e.g. "check.battery.low"
    params: Mapping[str, Any] = field(default_factory=dict)
    value: float | str | None = None  # None = not measured
    unit: str | None = None
    measured_at: dt.datetime = field(default_factory=utcnow)
    probe: str = ""  # which probe measured it, e.g. "adb", "ipp", "manual"
    facts: Mapping[str, Any] = field(default_factory=dict)  # raw facts, JSON-able, no secret
    room: str | None = None
    blocking: bool = True  # a non-blocking check never stops the recap

    def as_dict(self) -> dict[str, Any]:
        """JSON-able, without the rendered message (the views render it in their language)."""
        return {
            "device": self.device,
            "check": self.check,
            "status": str(self.status),
            "key": self.key,
            "params": dict(self.params),
            "value": self.value,
            "unit": self.unit,
            "measured_at": self.measured_at.isoformat(),
            "probe": self.probe,
            "facts": dict(self.facts),
            "room": self.room,
            "blocking": self.blocking,
        }
