"""The board: what the dashboard shows, computed from the inventory, the session and the verdicts.

Pure data, no HTTP: ``build_board(loaded, verdicts, attested, ...)`` returns one ``RoomView`` per
room (its devices with their verdicts, its on-site items to attest, its juries and candidates)
and the centre-wide verdicts (internet). Readiness follows the no-false-green rule: a room is
ready only when every device has been measured, every blocking verdict is OK or WARN, no
measurement is too old, and every on-site item is attested.

Candidates appear by id, passage order and time only: names and accessibility needs are
personal data and stay out of every page.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from checks.model import SEVERITY_ORDER, Status, Verdict
from provision.context import Loaded
from provision.families import manual_check
from provision.messages import render
from provision.readiness import CENTRE_PREFIX, EXPIRE_AFTER_H, ROOM_PREFIX, Blocker, Readiness, compute
from provision.sweep import ROOM_ATTESTATION_VALIDITY_H

#: a probe measurement older than this proves nothing on exam morning (see provision/readiness.py)
STALE_AFTER_H = EXPIRE_AFTER_H
#: a verdict older than this many re-check intervals is greyed out (it still counts until it expires)
OLD_AFTER_INTERVALS = 2
_RANK = {status: i for i, status in enumerate(SEVERITY_ORDER)}


def to_tick(verdict: Verdict) -> bool:
    """An on-site item nobody has (re)attested yet: a task for the technician, not a fault."""
    return verdict.check.startswith("attestation:") and not verdict.status.ready


def anchor(name: str) -> str:
    """A stable HTML id fragment for a device, room or item name."""
    return re.sub(r"[^A-Za-z0-9_-]", "-", name)


@dataclass(slots=True)
class ManualItem:
    """Something a person checks and attests: a room item (whiteboard...) or a manual device."""

    room: str
    item: str
    label: str
    device: str | None  # None for a room item
    validity_h: float
    verdict: Verdict | None = None

    @property
    def key(self) -> str:
        return anchor(f"{self.room}-{self.device or ROOM_PREFIX}-{self.item}")

    @property
    def status(self) -> Status:
        return self.verdict.status if self.verdict else Status.FAIL

    @property
    def to_tick(self) -> bool:
        """Not attested, or its attestation expired: « à cocher » (someone checks it and ticks it)."""
        return not self.status.ready


@dataclass(slots=True)
class DeviceView:
    name: str
    label: str
    families: list[str]
    address: str | None
    room: str | None
    probed: bool  # False: only a person can check it (Bee-Bot, projector without PJLink)
    verdicts: list[Verdict] = field(default_factory=list)
    items: list[ManualItem] = field(default_factory=list)
    checking: bool = False
    stale: set[str] = field(default_factory=set)  # checks whose last measure has expired (UNKNOWN)
    old: set[str] = field(default_factory=set)  # checks measured more than a few re-check intervals ago (grey)
    state_status: Status = Status.UNKNOWN  # from provision.readiness: the one status of this device

    @property
    def anchor(self) -> str:
        return "dev-" + anchor(self.name)

    @property
    def blocking(self) -> list[Verdict]:
        return [v for v in self.verdicts if v.blocking]

    @property
    def measured(self) -> bool:
        return bool(self.verdicts)

    @property
    def status(self) -> Status:
        """The device's status as provision.readiness computed it (never measured = UNKNOWN)."""
        return self.state_status

    @property
    def to_tick(self) -> bool:
        """A device only a person can check, not ready only because its item is not ticked yet."""
        return not self.probed and not self.status.ready and any(i.to_tick for i in self.items)


@dataclass(slots=True)
class Todo:
    """One line of a room's to-do list: what is not ready and what to do."""

    anchor: str
    who: str
    check: str
    status: Status
    message_key: str
    params: dict[str, Any]
    check_label: str = ""
    to_tick: bool = False  # an on-site item to attest, not a fault


@dataclass(slots=True)
class Need:
    """Software a candidate asked for on one device, and whether the device has it."""

    device: str
    device_label: str
    titles: list[str]
    status: Status | None  # None: this device cannot list its software (checked at provisioning)


@dataclass(slots=True)
class CandidateView:
    id: str
    order: int
    time: str | None
    own_laptop: bool
    needs: list[Need]


@dataclass(slots=True)
class JuryView:
    id: str
    label: str
    candidates: list[CandidateView]


@dataclass(slots=True)
class RoomView:
    id: str
    label: str
    devices: list[DeviceView]
    items: list[ManualItem]
    juries: list[JuryView]
    centre: list[Verdict]
    stale: set[tuple[str, str]]
    todo: list[Todo] = field(default_factory=list)
    is_ready: bool = False

    @property
    def anchor(self) -> str:
        return "salle-" + anchor(self.id)

    @property
    def counts(self) -> dict[str, int]:
        counts = {str(s): 0 for s in Status}
        for device in self.devices:
            counts[str(device.status)] += 1
        return counts

    @property
    def items_done(self) -> int:
        return sum(item.status.ready for item in self.items)

    @property
    def ready(self) -> bool:
        return self.is_ready


@dataclass(slots=True)
class Board:
    centre: str
    session_date: dt.date
    referentiel: str
    rooms: list[RoomView]
    centre_verdicts: list[Verdict]
    now: dt.datetime
    readiness: Readiness | None = None

    @property
    def ready(self) -> bool:
        return self.readiness.ready if self.readiness is not None else all(room.ready for room in self.rooms)

    def room(self, room_id: str) -> RoomView | None:
        return next((r for r in self.rooms if r.id == room_id), None)

    def device(self, name: str) -> DeviceView | None:
        return next((d for r in self.rooms for d in r.devices if d.name == name), None)

    def manual_item(self, room: str, item: str, device: str | None) -> ManualItem | None:
        view = self.room(room)
        if view is None:
            return None
        pool = view.items if device is None else [i for d in view.devices if d.name == device for i in d.items]
        return next((i for i in pool if i.item == item), None)


def manual_items(loaded: Loaded) -> list[ManualItem]:
    """Every item a person must attest, in the order of the plan then the inventory."""
    items = [ManualItem(a["room"], a["id"], a["label"], None, ROOM_ATTESTATION_VALIDITY_H)
             for a in loaded.plan.attestations]  # fmt: skip
    seen: set[str] = set()
    for device in loaded.inventory.devices:
        if device.name in seen or device.room is None:
            continue
        manual = manual_check(device)
        if manual is not None:
            seen.add(device.name)
            validity = ROOM_ATTESTATION_VALIDITY_H
            if manual.validity_field:
                validity = float(getattr(device, manual.validity_field))
            items.append(ManualItem(device.room, manual.item, render(manual.label_key), device.name, validity))
    return items


def build_board(loaded: Loaded, verdicts: Iterable[Verdict], attested: Iterable[Verdict], *,
                now: dt.datetime, checking: Iterable[str] = (), failure: tuple[str, dict[str, Any]] | None = None,
                failed_devices: Iterable[str] = (), old_after_s: float | None = None) -> Board:  # fmt: skip
    """``verdicts``: newest probe verdict of each (device, check); ``attested``: fresh attestation
    verdicts (recomputed at each call so an expiring attestation turns red on time). Status, scope
    and blockers come from :func:`provision.readiness.compute`, as in every other view."""
    checking = set(checking)
    verdicts, attested = list(verdicts), list(attested)
    ready = compute(loaded, verdicts, attested, now=now, failure=failure, failed_devices=failed_devices)
    attested_by = {(v.device, v.check.removeprefix("attestation:")): v for v in attested}
    centre = list(ready.centre_checks)
    items = manual_items(loaded)
    for item in items:
        item.verdict = attested_by.get((item.device or f"{ROOM_PREFIX}{item.room}", item.item))

    juries = _juries(loaded, ready)
    rooms: list[RoomView] = []
    for room in loaded.inventory.rooms.values():
        devices: dict[str, DeviceView] = {}
        for device in loaded.inventory.in_room(room.id):
            view = devices.get(device.name)
            state = ready.devices[device.name]
            if view is None:
                view = devices[device.name] = DeviceView(
                    name=device.name, label=state.label, families=[], address=device.address,
                    room=room.id, probed=state.probed, checking=device.name in checking,
                    verdicts=[v for v in state.verdicts if not v.check.startswith("attestation:")],
                    items=[i for i in items if i.device == device.name], state_status=state.status)  # fmt: skip
                view.stale = {check for check, _title in state.expired}
                if old_after_s is not None:
                    view.old = {
                        v.check
                        for v in view.verdicts
                        if v.probe != "manual" and (now - v.measured_at).total_seconds() > old_after_s
                    }
            view.families.append(device.family)
        for view in devices.values():  # a manual device's verdicts are its attestations
            view.verdicts = [*view.verdicts, *(i.verdict for i in view.items if i.verdict)]
        stale = {(d.name, c) for d in devices.values() for c in d.stale}
        scope = ready.rooms[room.id]
        room_view = RoomView(
            room.id,
            room.label,
            list(devices.values()),
            [i for i in items if i.room == room.id and i.device is None],
            [jv for rid, jv in juries if rid == room.id],
            centre,
            stale,
            is_ready=scope.ready,
        )
        room_view.todo = [_todo(b, room_view) for b in scope.blockers]
        rooms.append(room_view)
    return Board(loaded.inventory.centre, loaded.session.date, loaded.session.referentiel, rooms, centre, now, ready)


def _todo(blocker: Blocker, room: RoomView) -> Todo:
    """A blocker of provision.readiness as a line of the room's to-do list (labels, not ids)."""
    if blocker.device.startswith(CENTRE_PREFIX):
        target = "centre"
    elif blocker.device.startswith(ROOM_PREFIX):
        item = next((i for i in room.items if f"attestation:{i.item}" == blocker.check), None)
        target = "item-" + item.key if item else room.anchor
    else:
        device = next((d for d in room.devices if d.name == blocker.device), None)
        item = next((i for i in device.items if f"attestation:{i.item}" == blocker.check), None) if device else None
        target = "item-" + item.key if item else "dev-" + anchor(blocker.device)
    return Todo(
        target,
        blocker.device_label,
        blocker.check,
        blocker.status,
        blocker.key,
        dict(blocker.params),
        blocker.check_label,
        blocker.check.startswith("attestation:"),
    )


def _juries(loaded: Loaded, ready: Readiness) -> list[tuple[str, JuryView]]:
    labels = {d.name: str(d.label or d.name) for d in loaded.inventory.devices}
    wants: dict[str, dict[str, dict[str, str]]] = {}  # candidate -> device -> {title id: name}
    for host in loaded.plan.hosts:
        for title_id, planned in host.software.items():
            for who in planned.requested_by:
                if who.startswith("candidat:"):
                    titles = wants.setdefault(who.removeprefix("candidat:"), {}).setdefault(host.device.name, {})
                    titles.setdefault(title_id, planned.title.name)
    out: list[tuple[str, JuryView]] = []
    for jury in loaded.session.juries:
        candidates = []
        for c in sorted((c for c in loaded.session.candidates if c.jury == jury.id), key=lambda c: c.order):
            needs = [Need(name, labels.get(name, name), list(titles.values()), _software_status(ready, name, titles))
                     for name, titles in wants.get(c.id, {}).items()]  # fmt: skip
            candidates.append(CandidateView(c.id, c.order, c.time, c.own_laptop, needs))
        out.append((jury.room, JuryView(jury.id, str(jury.label or jury.id), candidates)))
    return out


def _software_status(ready: Readiness, host: str, titles: dict[str, str]) -> Status | None:
    """Worst status of these titles on this host, as provision.readiness reads the software verdicts;
    None when the host has no software verdict at all (it cannot list its software)."""
    state = ready.devices.get(host)
    if state is None or not any(v.check == "software" for v in state.verdicts):
        return None
    statuses = [ready.software_status(host, t) for t in titles]
    return next((s for s in SEVERITY_ORDER if s in statuses), Status.UNKNOWN)
