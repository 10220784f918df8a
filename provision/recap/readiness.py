"""Readiness at generation time: the last sweep, and the gate rule of the recap.

The gate refuses a recap when
  * there is no finished sweep of the centre (``recap.gate.no_sweep``);
  * the last sweep finished more than ``max_age_h`` hours ago (``recap.gate.stale``);
  * a *blocking* verdict of the scope is neither OK nor WARN: FAIL, or UNKNOWN (no false
    green: a device that did not answer is not ready).
``--force`` prints it anyway, marked "NON PRÊT", with these blockers on page 1.

Only :func:`load_readiness` knows the state store; everything else takes a
:class:`Readiness` built from a verdict list, so tests never need the store.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from checks.model import Status, Verdict, worst
from provision.messages import render
from provision.state import open_store

DEFAULT_MAX_AGE_H = 12.0


@dataclass(frozen=True, slots=True)
class Readiness:
    """What the last sweep said. ``finished_at`` None = no sweep at all."""

    finished_at: dt.datetime | None = None
    verdicts: tuple[Verdict, ...] = ()

    @classmethod
    def of(cls, verdicts: Iterable[Verdict], finished_at: dt.datetime | None) -> Readiness:
        return cls(finished_at, tuple(verdicts))


def load_readiness(inventory_root: Path | str) -> Readiness:
    """The latest finished sweep of the centre from ``provision.state`` (empty if none yet)."""
    store = open_store(Path(inventory_root))
    try:
        sweep = store.latest_sweep()
    finally:
        store.close()
    if sweep is None or sweep.finished_at is None:
        return Readiness()
    return Readiness.of(sweep.verdicts, sweep.finished_at)


@dataclass(frozen=True, slots=True)
class Blocker:
    """One reason the recap is not ready, already rendered in French."""

    key: str
    message: str
    device: str | None = None
    device_label: str | None = None
    check: str | None = None
    status: Status | None = None


@dataclass(frozen=True, slots=True)
class DeviceState:
    """One device of the scope and what the sweep said about it."""

    name: str
    label: str
    status: Status  # worst of its verdicts; UNKNOWN when it was not measured
    measured: bool
    notes: tuple[str, ...] = ()  # messages of its non-OK verdicts


@dataclass(frozen=True, slots=True)
class BlockerGroup:
    """The blockers of one place (a room, or the centre), one line per thing to do: the message
    once, then who it applies to (« PC 3 (joignable, logiciels) »), never one line per verdict."""

    place: str
    #: (what to do, ((who, (its checks...)), ...)): who is a device's label, or an on-site item
    items: tuple[tuple[str, tuple[tuple[str, tuple[str, ...]], ...]], ...]


@dataclass(frozen=True, slots=True)
class Assessment:
    finished_at: dt.datetime | None
    max_age_h: float
    blockers: tuple[Blocker, ...]
    devices: tuple[DeviceState, ...] = field(default=())
    groups: tuple[BlockerGroup, ...] = ()
    on_site_total: int = 0  # the room checklist of the scope (référentiel items to attest)
    on_site_failing: int = 0  # of which not attested, or attested too long ago

    @property
    def ready(self) -> bool:
        return not self.blockers

    def count(self, status: Status) -> int:
        return sum(1 for d in self.devices if d.measured and d.status == status)

    @property
    def unmeasured(self) -> int:
        return sum(1 for d in self.devices if not d.measured)


def assess(
    readiness: Readiness,
    devices: dict[str, str],
    *,
    rooms: set[str] | None,
    now: dt.datetime,
    max_age_h: float = DEFAULT_MAX_AGE_H,
) -> Assessment:
    """Apply the gate to the verdicts of the scope.

    ``devices`` maps the host names of the scope to their labels; ``rooms`` is None for
    the whole centre, else the rooms of the scope (a verdict of another room is ignored).
    """
    blockers: list[Blocker] = []
    if readiness.finished_at is None:
        blockers.append(Blocker("recap.gate.no_sweep", render("recap.gate.no_sweep", {}, "fr")))
    else:
        age_h = (now - readiness.finished_at).total_seconds() / 3600
        if age_h > max_age_h:
            params = {"age_h": f"{age_h:.0f}", "max_age_h": f"{max_age_h:g}", "at": _local(readiness.finished_at)}
            blockers.append(Blocker("recap.gate.stale", render("recap.gate.stale", params, "fr")))

    in_scope = [v for v in readiness.verdicts if _in_scope(v, devices, rooms)]
    for verdict in in_scope:
        if verdict.blocking and not verdict.status.ready:
            label = devices.get(verdict.device, verdict.device)
            message = render(verdict.key, verdict.params, "fr")
            blockers.append(Blocker(verdict.key, message, verdict.device, label, verdict.check, verdict.status))

    by_device: dict[str, list[Verdict]] = {}
    for verdict in in_scope:
        by_device.setdefault(verdict.device, []).append(verdict)
    states = []
    for name, label in devices.items():
        found = by_device.get(name, [])
        notes = tuple(render(v.key, v.params, "fr") for v in found if v.status is not Status.OK)
        states.append(DeviceState(name, label, worst([v.status for v in found]), bool(found), notes))
    return Assessment(readiness.finished_at, max_age_h, tuple(blockers), tuple(states))


def _in_scope(verdict: Verdict, devices: dict[str, str], rooms: set[str] | None) -> bool:
    if rooms is None or verdict.device.startswith("centre:"):  # centre-wide checks are in every scope
        return True
    if verdict.room is not None:
        return verdict.room in rooms
    return verdict.device in devices


def from_readiness(ready: Any, scope: Any, *, finished_at: dt.datetime | None, max_age_h: float,
                   room_labels: dict[str, str] | None = None, on_site_total: int = 0) -> Assessment:  # fmt: skip
    """The recap's gate and device table from the one readiness result (provision/readiness.py):
    ``scope`` is its centre or one jury's scope, centre-wide checks (internet) included."""
    chosen = list(scope.blockers)
    if finished_at is None:  # no sweep at all: that one line, not « pas encore vérifié » for each device
        chosen = [b for b in chosen if b.key == "recap.gate.no_sweep"]
    blockers = tuple(Blocker(b.key, b.message("fr"), b.device, b.device_label, b.check_label, b.status) for b in chosen)
    states = []
    for name in scope.devices:
        d = ready.devices[name]
        notes = [b.message("fr") for b in d.blockers]
        notes += [render(v.key, v.params, "fr") for v in d.verdicts
                  if v.status is Status.WARN and v.blocking and not d.blockers]  # fmt: skip
        states.append(DeviceState(name, d.label, d.status, d.measured, tuple(dict.fromkeys(notes))))
    on_site_failing = sum(1 for b in scope.blockers if b.device.startswith(ROOM_PREFIX))
    device_rooms = {name: d.room for name, d in ready.devices.items()}
    groups = group_blockers(chosen, room_labels or {}, device_rooms)
    return Assessment(finished_at, max_age_h, blockers, tuple(states), groups, on_site_total, on_site_failing)


ROOM_PREFIX = "salle:"


def group_blockers(blockers: Iterable[Any], room_labels: dict[str, str],
                   device_rooms: dict[str, str | None] | None = None) -> tuple[BlockerGroup, ...]:  # fmt: skip
    """Blockers by place (centre first, then each room in inventory order), then by what to do.

    A device's checks sharing one message make one entry « label (check, check) »; the room
    checklist (items to attest on site) is one line listing the items.
    """
    places: dict[str, dict[str, dict[str, list[str]]]] = {}
    centre = render("report.centre", {}, "fr")
    for label in [centre, *room_labels.values()]:  # the centre first, then the rooms in order
        places[label] = {}
    for b in blockers:
        room: str | None = b.room or (device_rooms or {}).get(b.device)
        place = room_labels.get(room, room) if room else centre
        if b.device.startswith(ROOM_PREFIX):
            what, who, check = render("recap.on_site_todo", {}, "fr"), b.check_label, ""
        elif b.check.startswith("attestation:"):  # a device only a person can check (Bee-Bot's batteries)
            what, who, check = render("recap.on_site_todo", {}, "fr"), f"{b.device_label} : {b.check_label}", ""
        elif b.device.startswith("centre:"):  # the place already says « Centre »: name the check only
            what, who, check = b.message("fr"), b.check_label, ""
        else:
            what, who, check = b.message("fr"), b.device_label, b.check_label
        checks = places.setdefault(place, {}).setdefault(what, {}).setdefault(who, [])
        if check and check not in checks and check != who:
            checks.append(check)
    groups = []
    for place, todo in places.items():
        items = tuple(
            (what, tuple((who, tuple(checks)) for who, checks in whom.items())) for what, whom in todo.items()
        )
        if items:
            groups.append(BlockerGroup(place, items))
    return tuple(groups)


def _local(moment: dt.datetime) -> str:
    return moment.astimezone().strftime("%d/%m/%Y %H:%M")
