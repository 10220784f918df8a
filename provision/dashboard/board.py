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

from checks.model import SEVERITY_ORDER, Status, Verdict, worst
from provision.context import Loaded
from provision.families import manual_check, probe_for
from provision.messages import render
from provision.sweep import ROOM_ATTESTATION_VALIDITY_H

#: a probe measurement older than this proves nothing on exam morning
STALE_AFTER_H = 12.0
ROOM_PREFIX = "salle:"
CENTRE_PREFIX = "centre:"
_RANK = {status: i for i, status in enumerate(SEVERITY_ORDER)}


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
    stale: set[str] = field(default_factory=set)  # checks whose last measure is too old

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
        """Worst blocking verdict; never measured or only stale measures = UNKNOWN."""
        if not self.verdicts:
            return Status.UNKNOWN
        statuses = [Status.UNKNOWN if v.check in self.stale and v.status.ready else v.status for v in self.blocking]
        return worst(statuses) if statuses else Status.OK


@dataclass(slots=True)
class Todo:
    """One line of a room's to-do list: what is not ready and what to do."""

    anchor: str
    who: str
    check: str
    status: Status
    message_key: str
    params: dict[str, Any]


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
        return not any(t.status not in (Status.OK, Status.WARN) for t in self.todo)


@dataclass(slots=True)
class Board:
    centre: str
    session_date: dt.date
    referentiel: str
    rooms: list[RoomView]
    centre_verdicts: list[Verdict]
    now: dt.datetime

    @property
    def ready(self) -> bool:
        return all(room.ready for room in self.rooms)

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
                now: dt.datetime, checking: Iterable[str] = ()) -> Board:  # fmt: skip
    """``verdicts``: newest probe verdict of each (device, check); ``attested``: fresh attestation
    verdicts (recomputed at each call so an expiring attestation turns red on time)."""
    checking = set(checking)
    by_device: dict[str, list[Verdict]] = {}
    for verdict in verdicts:
        if not verdict.check.startswith("attestation:"):
            by_device.setdefault(verdict.device, []).append(verdict)
    attested_by = {(v.device, v.check.removeprefix("attestation:")): v for v in attested}
    centre = sorted((v for name, vs in by_device.items() if name.startswith(CENTRE_PREFIX) for v in vs),
                    key=lambda v: (v.device, v.check))  # fmt: skip
    items = manual_items(loaded)
    for item in items:
        item.verdict = attested_by.get((item.device or f"{ROOM_PREFIX}{item.room}", item.item))

    juries = _juries(loaded, by_device)
    rooms: list[RoomView] = []
    for room in loaded.inventory.rooms.values():
        devices: dict[str, DeviceView] = {}
        for device in loaded.inventory.in_room(room.id):
            view = devices.get(device.name)
            if view is None:
                view = devices[device.name] = DeviceView(
                    name=device.name, label=str(device.label or device.name), families=[], address=device.address,
                    room=room.id, probed=False, checking=device.name in checking,
                    verdicts=sorted(by_device.get(device.name, []), key=lambda v: v.check),
                    items=[i for i in items if i.device == device.name])  # fmt: skip
            view.families.append(device.family)
            view.probed = view.probed or probe_for(device) is not None
        for view in devices.values():  # a manual device's verdicts are its attestations
            view.verdicts = [*view.verdicts, *(i.verdict for i in view.items if i.verdict)]
        stale = {(v.device, v.check) for d in devices.values() for v in d.verdicts if _stale(v, now)}
        stale |= {(v.device, v.check) for v in centre if _stale(v, now)}
        for view in devices.values():
            view.stale = {check for name, check in stale if name == view.name}
        room_view = RoomView(room.id, room.label, list(devices.values()),
                             [i for i in items if i.room == room.id and i.device is None],
                             [jv for rid, jv in juries if rid == room.id], centre, stale)
        room_view.todo = _todo(room_view)
        rooms.append(room_view)
    return Board(loaded.inventory.centre, loaded.session.date, loaded.session.referentiel, rooms, centre, now)


def _stale(verdict: Verdict, now: dt.datetime) -> bool:
    return verdict.probe != "manual" and (now - verdict.measured_at).total_seconds() > STALE_AFTER_H * 3600


def _todo(room: RoomView) -> list[Todo]:
    todo: list[Todo] = []
    for verdict in room.centre:
        if verdict.blocking and (not verdict.status.ready or (verdict.device, verdict.check) in room.stale):
            todo.append(_todo_line("centre", verdict.device, verdict, room.stale))
    for device in room.devices:
        if not device.measured and not device.items:
            todo.append(Todo(device.anchor, device.label, "", Status.UNKNOWN, "dashboard.unchecked_device", {}))
        for verdict in device.verdicts:
            stale = (verdict.device, verdict.check) in room.stale
            if verdict.blocking and (verdict.status is not Status.OK or stale):
                todo.append(_todo_line(device.anchor, device.label, verdict, room.stale))
        for item in device.items:
            if item.verdict is None:
                todo.append(Todo("item-" + item.key, device.label, "attestation", Status.FAIL,
                                 "check.attestation.missing", {"label": item.label, "validity_h": item.validity_h}))
    for item in room.items:
        if item.verdict is None:
            todo.append(Todo("item-" + item.key, item.label, "attestation", Status.FAIL,
                             "check.attestation.missing", {"label": item.label, "validity_h": item.validity_h}))
        elif not item.verdict.status.ready:
            todo.append(Todo("item-" + item.key, item.label, item.verdict.check, item.verdict.status,
                             item.verdict.key, dict(item.verdict.params)))
    todo.sort(key=lambda t: _RANK[t.status])
    return todo


def _todo_line(anchor_id: str, who: str, verdict: Verdict, stale: set[tuple[str, str]]) -> Todo:
    if (verdict.device, verdict.check) in stale:
        at = verdict.measured_at.astimezone().strftime("%d/%m %H:%M")
        return Todo(anchor_id, who, verdict.check, Status.UNKNOWN, "dashboard.stale_verdict", {"at": at})
    return Todo(anchor_id, who, verdict.check, verdict.status, verdict.key, dict(verdict.params))


def _juries(loaded: Loaded, by_device: dict[str, list[Verdict]]) -> list[tuple[str, JuryView]]:
    labels = {d.name: str(d.label or d.name) for d in loaded.inventory.devices}
    wants: dict[str, dict[str, list[str]]] = {}  # candidate -> device -> titles
    for host in loaded.plan.hosts:
        for planned in host.software.values():
            for who in planned.requested_by:
                if who.startswith("candidat:"):
                    titles = wants.setdefault(who.removeprefix("candidat:"), {}).setdefault(host.device.name, [])
                    if planned.title.name not in titles:
                        titles.append(planned.title.name)
    out: list[tuple[str, JuryView]] = []
    for jury in loaded.session.juries:
        candidates = []
        for c in sorted((c for c in loaded.session.candidates if c.jury == jury.id), key=lambda c: c.order):
            needs = [Need(name, labels.get(name, name), titles, _software_status(by_device.get(name, []), titles))
                     for name, titles in wants.get(c.id, {}).items()]  # fmt: skip
            candidates.append(CandidateView(c.id, c.order, c.time, c.own_laptop, needs))
        out.append((jury.room, JuryView(jury.id, str(jury.label or jury.id), candidates)))
    return out


def _software_status(verdicts: list[Verdict], titles: list[str]) -> Status | None:
    """OK only when the device's software check says these titles are there; never guessed."""
    check = next((v for v in verdicts if v.check == "software"), None)
    if check is None:
        return None
    if check.status is Status.FAIL:
        missing = set(check.params.get("titles") or check.facts.get("missing") or [])
        return Status.FAIL if missing & set(titles) or not missing else Status.OK
    return check.status
