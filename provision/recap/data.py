"""What the recap says, as plain data: built from :class:`provision.context.Loaded`.

:func:`build_recap` gives one jury's recap (only its room's devices and secrets) or the
whole centre's; :func:`build_posters` gives one Wi-Fi poster per room. Rendering is
elsewhere (render.py); these structures hold secrets as :class:`Secret` so that a
``repr`` in a log or a traceback never shows one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from checks.model import Status, Verdict, utcnow, worst
from devices.models import AccessPoint, Device
from provision.context import Loaded
from provision.errors import PlateauError, Problem
from provision.families import REGISTRY, RowContext, family_label
from provision.messages import render
from provision.readiness import compute
from provision.readiness import status_label as _status_label
from provision.recap.readiness import DEFAULT_MAX_AGE_H, Assessment, Readiness, from_readiness
from provision.validation import exam_file_gaps


def status_label(status: Status) -> str:
    return _status_label(status, "fr")


class Secret:
    """A secret value for the printed page only: masked in repr and str."""

    __slots__ = ("value",)

    def __init__(self, value: str) -> None:
        self.value = value

    def __repr__(self) -> str:
        return "Secret('********')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other.value == self.value

    def __hash__(self) -> int:
        return hash(self.value)


def secret_of(device: Device, field_name: str) -> Secret | None:
    value = getattr(device, field_name, None)
    if value is None:
        return None
    text = value.get_secret_value()
    return Secret(text) if text else None


@dataclass(frozen=True, slots=True)
class Account:
    """A login and its secret; ``secret`` None = not stored by the centre."""

    what: str
    login: str | None
    secret: Secret | None
    kind: str = ""  # the registry's account kind (unlock_code, google_account...)
    #: what the last sweep proved of it: « mot de passe vérifié à 07:42 » (None: nothing tried)
    verified: str | None = None


@dataclass(frozen=True, slots=True)
class DeviceRow:
    name: str
    label: str
    kind: str
    address: str | None = None
    model: str | None = None  # brand and model
    access: str | None = None  # how to reach it: IPP URI, eSCL URL, web address
    details: tuple[str, ...] = ()
    accounts: tuple[Account, ...] = ()
    missing: tuple[str, ...] = ()  # fields the exam file wants on the recap, empty in the inventory


@dataclass(frozen=True, slots=True)
class Wifi:
    room_label: str
    ssid: str
    security: str
    key: Secret | None
    access_point: DeviceRow

    @property
    def open(self) -> bool:
        return self.security == "open" or self.key is None


@dataclass(frozen=True, slots=True)
class RoomRecap:
    id: str
    label: str
    wifi: tuple[Wifi, ...]
    computers: tuple[DeviceRow, ...]
    tablets: tuple[DeviceRow, ...]
    peripherals: tuple[DeviceRow, ...]
    others: tuple[DeviceRow, ...]


@dataclass(frozen=True, slots=True)
class SoftwareRow:
    name: str
    kind: str
    hosts: tuple[str, ...]
    status: Status
    status_label: str


@dataclass(frozen=True, slots=True)
class CandidateRow:
    order: int
    time: str | None
    id: str
    name: str | None
    own_laptop: bool
    accessibility: tuple[str, ...]
    software: tuple[SoftwareRow, ...]


@dataclass(frozen=True, slots=True)
class JuryRecap:
    id: str
    label: str
    room_label: str
    candidates: tuple[CandidateRow, ...]


@dataclass(frozen=True, slots=True)
class Recap:
    scope: str  # the jury id, or "centre"
    centre: str
    session_date: dt.date
    referentiel: str
    generated_at: dt.datetime
    juries: tuple[JuryRecap, ...]
    rooms: tuple[RoomRecap, ...]
    readiness: Assessment
    forced: bool = False

    @property
    def ready(self) -> bool:
        return self.readiness.ready


@dataclass(frozen=True, slots=True)
class Poster:
    centre: str
    session_date: dt.date
    wifi: tuple[Wifi, ...] = field(default=())


# --------------------------------------------------------------------------- building


def scope_rooms(loaded: Loaded, jury: str | None) -> list[str]:
    """Room ids of the scope; raise a user error for an unknown jury."""
    if jury is None:
        return list(loaded.inventory.rooms)
    juries = {j.id: j for j in loaded.session.juries}
    if jury not in juries:
        raise PlateauError(
            Problem(
                key="recap.unknown_jury",
                file=loaded.session.file,
                field="juries",
                params={"jury": jury, "juries": sorted(juries)},
            )
        )
    return [juries[jury].room]


def build_recap(
    loaded: Loaded,
    jury: str | None = None,
    readiness: Readiness | None = None,
    *,
    now: dt.datetime | None = None,
    max_age_h: float = DEFAULT_MAX_AGE_H,
    forced: bool = False,
) -> Recap:
    """The recap of one jury (its room only) or, with ``jury`` None, of the whole centre."""
    now = now or utcnow()
    readiness = readiness or Readiness()
    inventory, session = loaded.inventory, loaded.session
    room_ids = scope_rooms(loaded, jury)
    rooms = tuple(_room(loaded, rid, readiness.verdicts) for rid in room_ids)
    # status, scope and blockers: the one readiness result every view reads (centre checks included)
    ready = compute(loaded, readiness.verdicts, now=now, sweep_finished_at=readiness.finished_at,
                    require_sweep_within_h=max_age_h)  # fmt: skip
    room_labels = {rid: inventory.rooms[rid].label for rid in room_ids if rid in inventory.rooms}
    on_site = sum(1 for item in loaded.plan.attestations if item["room"] in room_labels)
    assessment = from_readiness(ready, ready.scope(jury=jury), finished_at=readiness.finished_at,
                                max_age_h=max_age_h, room_labels=room_labels, on_site_total=on_site)  # fmt: skip
    juries = tuple(
        _jury(loaded, j.id, readiness.verdicts, ready) for j in session.juries if (jury is None or j.id == jury)
    )
    return Recap(
        scope=jury or "centre",
        centre=session.centre or inventory.centre,
        session_date=session.date,
        referentiel=loaded.plan.referentiel.name,
        generated_at=now,
        juries=juries,
        rooms=rooms,
        readiness=assessment,
        forced=forced,
    )


def build_posters(loaded: Loaded, jury: str | None = None) -> Poster:
    """Wi-Fi networks of the scope's rooms, one poster page each (no other secret)."""
    wifi = tuple(w for rid in scope_rooms(loaded, jury) for w in _room(loaded, rid).wifi)
    return Poster(loaded.session.centre or loaded.inventory.centre, loaded.session.date, wifi)


def _room(loaded: Loaded, room_id: str, verdicts: tuple[Verdict, ...] = ()) -> RoomRecap:
    inventory = loaded.inventory
    room = inventory.rooms[room_id]
    order = {name: i for i, name in enumerate(REGISTRY)}  # rows grouped by family, in registry order
    devices = sorted(inventory.in_room(room_id), key=lambda d: (order[d.family], d.name))
    sections: dict[str, list[DeviceRow]] = {}
    for device in devices:
        fam = REGISTRY[device.family]
        if fam.recap_section != "wifi":
            sections.setdefault(fam.recap_section, []).append(_row(loaded, device, verdicts))
    wifi = tuple(
        Wifi(room.label, ap.wifi_ssid, ap.wifi_security, secret_of(ap, "wifi_key"), _row(loaded, ap))
        for ap in devices
        if isinstance(ap, AccessPoint)
    )
    return RoomRecap(
        id=room_id,
        label=room.label,
        wifi=wifi,
        computers=tuple(sections.get("computers", ())),
        tablets=tuple(sections.get("tablets", ())),
        peripherals=tuple(sections.get("peripherals", ())),
        others=tuple(sections.get("others", ())),
    )


def _brand_model(device: Device) -> str | None:
    text = " ".join(p for p in (device.brand, device.model) if p)
    return text or None


def _login_verified(verdicts: tuple[Verdict, ...], device: str) -> str | None:
    """« mot de passe vérifié à 07:42 » from the device's admin_login verdict (a real login)."""
    login = next((v for v in verdicts if v.device == device and v.check == "admin_login"), None)
    if login is None:
        return None
    if login.status is Status.OK:
        return render("check.admin_login.recap_verified", {"at": login.params.get("at", "?")})
    if login.key == "check.admin_login.refused":
        return render("check.admin_login.recap_refused", {"at": login.params.get("at", "?")})
    return render("check.admin_login.recap_unverified")


def _row(loaded: Loaded, device: Device, verdicts: tuple[Verdict, ...] = ()) -> DeviceRow:
    fam = REGISTRY[device.family]

    def display_of(name: str) -> str:
        host = loaded.inventory.hosts.get(name)
        return host[0].display() if host else name

    part = fam.recap_row(device, RowContext(display_of, family_label(device.family)))
    verified = _login_verified(verdicts, device.name)
    accounts = tuple(
        Account(
            render(f"label.account.{a.kind}"),
            getattr(device, a.login) if a.login else None,
            secret_of(device, a.secret),
            a.kind,
            verified if a.kind == "admin_session" else None,
        )
        for a in fam.accounts
        if a.on_recap_row
        and a.applies_to(device)
        and (a.in_plan or getattr(device, a.secret, None) is not None or (a.login and getattr(device, a.login)))
    )
    details = (
        (*part.details, verified) if verified and any(a.kind == "admin_session" for a in accounts) else part.details
    )
    missing = tuple(render(f"recap.field.{f}", {}, "fr") for f in exam_file_gaps(device))
    return DeviceRow(device.name, device.display(), part.kind, device.address, _brand_model(device), part.access,
                     details, accounts, missing)  # fmt: skip


def _jury(loaded: Loaded, jury_id: str, verdicts: tuple[Verdict, ...], ready: Any = None) -> JuryRecap:
    session, inventory = loaded.session, loaded.inventory
    jury = session.jury(jury_id)
    planned: dict[tuple[str, str, str], list[str]] = {}  # (candidate, title id, family) -> hosts
    for host in loaded.plan.hosts:
        if host.device.room != jury.room:
            continue
        for title_id, title in host.software.items():
            for reason in title.requested_by:
                if reason.startswith("candidat:"):
                    key = (reason.split(":", 1)[1], title_id, host.device.family)
                    planned.setdefault(key, []).append(host.device.name)
    candidates = []
    for cand in sorted((c for c in session.candidates if c.jury == jury_id), key=lambda c: c.order):
        rows = []
        for request in (r for r in session.requests if r.candidate == cand.id):
            hosts = tuple(planned.get((cand.id, request.title_id, request.kind), ()))  # the asked platform's only
            status = (
                worst([ready.software_status(h, request.title_id) for h in hosts])
                if ready and hosts
                else _software_status(verdicts, hosts, request.title_id)
            )
            label = render("recap.own_laptop") if cand.own_laptop and not hosts else status_label(status)
            rows.append(
                SoftwareRow(loaded.catalog[request.title_id].name, family_label(request.kind), hosts, status, label)
            )
        candidates.append(
            CandidateRow(
                cand.order,
                cand.time,
                cand.id,
                cand.name,
                cand.own_laptop,
                tuple(session.accessibility.get(cand.id, ())),
                tuple(rows),
            )
        )
    room = inventory.rooms.get(jury.room)
    return JuryRecap(jury.id, jury.label or jury.id, room.label if room else jury.room, tuple(candidates))


_TITLE_PARAMS = ("title_id", "title", "software", "id")


def _software_status(verdicts: tuple[Verdict, ...], hosts: tuple[str, ...], title_id: str) -> Status:
    """Worst status of the ``software`` verdicts of this title on its hosts; UNKNOWN if none."""
    found = [
        v.status
        for v in verdicts
        if v.check == "software" and v.device in hosts and any(v.params.get(p) == title_id for p in _TITLE_PARAMS)
    ]
    return worst(found) if found else Status.UNKNOWN
