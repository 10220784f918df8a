"""Readiness: ONE answer to "is it ready, and what must be done", for every view.

``plateau check`` (table, JSON, JUnit), the dashboard (pages, /api/etat, the frozen view) and
the jury's recap all read :func:`compute`: a pure function of the loaded inventory and plan,
the newest verdicts, the fresh attestation verdicts and the time. It says, per device, its
status and its blockers; per room, per jury and for the whole centre, the same, the
centre-wide checks (internet) included in every scope. Nothing else decides a status.

The rules (no false green):
  * a device is the worst of its blocking verdicts; never measured = UNKNOWN;
  * a probe measure older than ``expire_after_h`` proves nothing: UNKNOWN, « trop ancienne »;
  * a device or room item a person checks is ready only with a valid attestation;
  * a failed sweep or a failed store write is a centre blocker, and the devices it was
    checking are UNKNOWN (their previous green is gone).

Blockers carry a message key and params (rendered in the reader's language by the view) and
the *labels* of the device and the check, never internal ids.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from checks.model import SEVERITY_ORDER, Status, Verdict, worst
from provision.messages import render

ROOM_PREFIX = "salle:"
CENTRE_PREFIX = "centre:"
ATTESTATION_PREFIX = "attestation:"
#: a probe measurement older than this proves nothing on exam morning
EXPIRE_AFTER_H = 12.0
_RANK = {status: i for i, status in enumerate(SEVERITY_ORDER)}
_TITLE_PARAMS = ("title_id", "title", "software", "id")


def check_label(check: str, lang: str | None = None) -> str:
    """« batterie », « Wi-Fi rejoint »… (label.check.*); an attestation is « attestation »."""
    name = "attestation" if check.startswith(ATTESTATION_PREFIX) else check
    label = render(f"label.check.{name}", {}, lang) if lang else render(f"label.check.{name}")
    return check if label.startswith("label.check.") else label


def status_label(status: Status | str, lang: str | None = None) -> str:
    """The one name of a status, everywhere (label.status.*)."""
    key = f"label.status.{Status(status)}"
    return render(key, {}, lang) if lang else render(key)


@dataclass(frozen=True, slots=True)
class Blocker:
    """One reason a scope is not ready: who (label), which check (label), what to do (key)."""

    device: str  # host name, "salle:<room>" or "centre:<what>": for anchors and tests, never shown alone
    device_label: str
    check: str
    check_label: str
    status: Status
    key: str
    params: Mapping[str, Any] = field(default_factory=dict)
    room: str | None = None
    measured_at: dt.datetime | None = None

    def message(self, lang: str | None = None) -> str:
        return render(self.key, dict(self.params), lang) if lang else render(self.key, dict(self.params))

    def line(self, lang: str | None = None) -> str:
        """« PC candidat 3 — batterie : Batterie à 12 % … » (labels, never ids)."""
        return f"{self.device_label} — {self.check_label} : {self.message(lang)}"

    def as_dict(self, lang: str | None = None) -> dict[str, Any]:
        return {"device": self.device, "device_label": self.device_label, "check": self.check,
                "check_label": self.check_label, "status": str(self.status), "key": self.key,
                "message": self.message(lang), "line": self.line(lang)}  # fmt: skip


@dataclass(frozen=True, slots=True)
class DeviceReadiness:
    name: str
    label: str
    room: str | None
    families: tuple[str, ...]
    probed: bool  # False: only a person can check it (Bee-Bot, projector without PJLink)
    status: Status
    measured: bool
    verdicts: tuple[Verdict, ...]  # newest probe verdicts, then its attestations
    blockers: tuple[Blocker, ...]
    expired: frozenset[tuple[str, str]] = frozenset()  # (check, title) measured too long ago
    measured_at: dt.datetime | None = None  # oldest of its probe measures (its age is this one)

    @property
    def ready(self) -> bool:
        return not self.blockers


@dataclass(frozen=True, slots=True)
class ScopeReadiness:
    """A room, a jury (its room) or the whole centre; centre-wide checks are in each."""

    kind: str  # "centre", "room", "jury"
    id: str
    label: str
    devices: tuple[str, ...]
    blockers: tuple[Blocker, ...]
    counts: Mapping[str, int]

    @property
    def ready(self) -> bool:
        return not self.blockers

    @property
    def status(self) -> Status:
        return worst([b.status for b in self.blockers]) if self.blockers else Status.OK


@dataclass(frozen=True, slots=True)
class Readiness:
    now: dt.datetime
    devices: Mapping[str, DeviceReadiness]
    centre_checks: tuple[Verdict, ...]
    room_items: tuple[Verdict, ...]
    centre_blockers: tuple[Blocker, ...]  # centre checks, failed sweep, missing or old sweep
    rooms: Mapping[str, ScopeReadiness]
    juries: Mapping[str, ScopeReadiness]
    centre: ScopeReadiness
    software: Mapping[tuple[str, str], Status] = field(default_factory=dict)  # (host, title id) -> status

    @property
    def ready(self) -> bool:
        return self.centre.ready

    def scope(self, jury: str | None = None, room: str | None = None) -> ScopeReadiness:
        if jury is not None:
            return self.juries[jury]
        if room is not None:
            return self.rooms[room]
        return self.centre

    def software_status(self, host: str, title_id: str) -> Status:
        return self.software.get((host, title_id), Status.UNKNOWN)


def newest(verdicts: Iterable[Verdict]) -> list[Verdict]:
    """The newest measure of each (device, check): all its per-title verdicts (one probe gives them
    one time), never an older title's verdict beside a newer failure of the whole probe."""
    out: dict[tuple[str, str, str], Verdict] = {}
    for verdict in verdicts:
        key = (verdict.device, verdict.check, _title_of(verdict))
        if key not in out or out[key].measured_at <= verdict.measured_at:
            out[key] = verdict
    latest: dict[tuple[str, str], dt.datetime] = {}
    for verdict in out.values():
        at = latest.get((verdict.device, verdict.check))
        if at is None or verdict.measured_at > at:
            latest[(verdict.device, verdict.check)] = verdict.measured_at
    return [v for v in out.values() if v.measured_at >= latest[(v.device, v.check)]]


def _title_of(verdict: Verdict) -> str:
    return str(verdict.params.get("title_id") or verdict.facts.get("title_id") or "")


def _counts(statuses: Iterable[Status]) -> dict[str, int]:
    counts = {str(s): 0 for s in Status}
    for status in statuses:
        counts[str(status)] += 1
    return counts


def compute(
    loaded: Any,
    verdicts: Iterable[Verdict],
    attested: Iterable[Verdict] = (),
    *,
    now: dt.datetime,
    expire_after_h: float = EXPIRE_AFTER_H,
    failure: tuple[str, Mapping[str, Any]] | None = None,
    failed_devices: Iterable[str] = (),
    sweep_finished_at: dt.datetime | None = None,
    require_sweep_within_h: float | None = None,
) -> Readiness:
    """Readiness of the whole centre.

    ``verdicts``: probe verdicts (several sweeps may be mixed: the newest of each check wins);
    ``attested``: fresh attestation verdicts (recomputed by the caller at ``now``);
    ``failure``: (key, params) of a failed sweep or store write; ``failed_devices``: the devices
    that sweep was checking (their verdicts are UNKNOWN); ``require_sweep_within_h``: the recap
    gate (no finished sweep, or one older than this, is a centre blocker).
    """
    from provision.families import manual_check, probe_for

    inventory = loaded.inventory
    failed = set(failed_devices)
    probe_verdicts = [v for v in newest(verdicts) if not v.check.startswith(ATTESTATION_PREFIX)]
    attestations = [v for v in attested if v.check.startswith(ATTESTATION_PREFIX)]
    # an attestation recorded in the store as a verdict (a sweep) also counts, if none is fresh
    fresh = {(v.device, v.check) for v in attestations}
    attestations += [v for v in newest(verdicts) if v.check.startswith(ATTESTATION_PREFIX)
                     and (v.device, v.check) not in fresh and not attested]  # fmt: skip
    by_device: dict[str, list[Verdict]] = {}
    for verdict in probe_verdicts:
        by_device.setdefault(verdict.device, []).append(verdict)
    att_by_device: dict[str, list[Verdict]] = {}
    for verdict in attestations:
        att_by_device.setdefault(verdict.device, []).append(verdict)
    room_labels = {r.id: r.label for r in inventory.rooms.values()}

    def expired(v: Verdict) -> bool:
        return v.probe != "manual" and (now - v.measured_at).total_seconds() > expire_after_h * 3600

    def blocker_of(v: Verdict, who: str) -> Blocker | None:
        if not v.blocking:
            return None
        if v.device in failed and v.probe != "manual":
            return Blocker(v.device, who, v.check, check_label(v.check), Status.UNKNOWN, "readiness.not_rechecked",
                           {}, v.room, v.measured_at)  # fmt: skip
        if expired(v) and v.status.ready:
            at = v.measured_at.astimezone().strftime("%d/%m %H:%M")
            return Blocker(v.device, who, v.check, check_label(v.check), Status.UNKNOWN, "readiness.expired",
                           {"at": at}, v.room, v.measured_at)  # fmt: skip
        if v.status.ready:
            return None
        label = str(v.params.get("label") or "") if v.check.startswith(ATTESTATION_PREFIX) else ""
        return Blocker(v.device, who, v.check, label or check_label(v.check), v.status, v.key, dict(v.params),
                       v.room, v.measured_at)  # fmt: skip

    # --- devices ---------------------------------------------------------------------------
    devices: dict[str, DeviceReadiness] = {}
    grouped: dict[str, list[Any]] = {}
    for device in inventory.devices:
        grouped.setdefault(device.name, []).append(device)
    for name, parts in grouped.items():
        first = parts[0]
        label = str(first.display())
        probed = any(probe_for(d) is not None for d in parts)
        manual = [m for m in (manual_check(d) for d in parts) if m is not None]
        own = sorted(by_device.get(name, []), key=lambda v: (v.check, _title_of(v)))
        atts = sorted(att_by_device.get(name, []), key=lambda v: v.check)
        blockers: list[Blocker] = []
        for verdict in [*own, *atts]:
            if (b := blocker_of(verdict, label)) is not None:
                blockers.append(b)
        for item in manual:
            if not any(v.check == f"{ATTESTATION_PREFIX}{item.item}" for v in atts):
                blockers.append(Blocker(name, label, f"{ATTESTATION_PREFIX}{item.item}",
                                        render(item.label_key), Status.FAIL, "readiness.not_attested",
                                        {"label": render(item.label_key)}, first.room))  # fmt: skip
        measured = bool(own or atts)
        if probed and not own:
            key = "readiness.not_rechecked" if name in failed else "readiness.unchecked"
            blockers.append(Blocker(name, label, "reachable", check_label("reachable"), Status.UNKNOWN, key, {},
                                    first.room))  # fmt: skip
        status = worst([b.status for b in blockers]) if blockers else Status.OK
        if blockers and all(b.status is Status.WARN for b in blockers):
            status = Status.WARN
        if not measured:
            status = Status.UNKNOWN
        elif not blockers and any(v.status is Status.WARN for v in own if v.blocking):
            status = Status.WARN
        probe_times = [v.measured_at for v in own]
        devices[name] = DeviceReadiness(
            name=name, label=label, room=first.room, families=tuple(d.family for d in parts), probed=probed,
            status=status, measured=measured, verdicts=(*own, *atts), blockers=tuple(blockers),
            expired=frozenset((v.check, _title_of(v)) for v in own if expired(v)),
            measured_at=min(probe_times) if probe_times else None)  # fmt: skip

    # --- centre checks, room items, failures ---------------------------------------------------
    centre_checks = tuple(sorted((v for v in probe_verdicts if v.device.startswith(CENTRE_PREFIX)),
                                 key=lambda v: (v.device, v.check)))  # fmt: skip
    centre_label = render("report.centre")
    centre_blockers: list[Blocker] = []
    if require_sweep_within_h is not None:
        if sweep_finished_at is None:
            centre_blockers.append(Blocker("centre:sweep", centre_label, "sweep", render("readiness.sweep"),
                                           Status.UNKNOWN, "recap.gate.no_sweep", {}))  # fmt: skip
        else:
            age_h = (now - sweep_finished_at).total_seconds() / 3600
            if age_h > require_sweep_within_h:
                params = {"age_h": f"{age_h:.0f}", "max_age_h": f"{require_sweep_within_h:g}",
                          "at": sweep_finished_at.astimezone().strftime("%d/%m/%Y %H:%M")}  # fmt: skip
                centre_blockers.append(Blocker("centre:sweep", centre_label, "sweep", render("readiness.sweep"),
                                               Status.UNKNOWN, "recap.gate.stale", params))  # fmt: skip
    if failure is not None:
        centre_blockers.append(Blocker("centre:sweep", centre_label, "sweep", render("readiness.sweep"),
                                       Status.UNKNOWN, failure[0], dict(failure[1])))  # fmt: skip
    for verdict in centre_checks:
        if (b := blocker_of(verdict, centre_label)) is not None:
            centre_blockers.append(b)

    room_items = tuple(sorted((v for v in attestations if v.device.startswith(ROOM_PREFIX)),
                              key=lambda v: (v.device, v.check)))  # fmt: skip
    item_blockers: dict[str, list[Blocker]] = {}
    seen_items = {(v.device.removeprefix(ROOM_PREFIX), v.check.removeprefix(ATTESTATION_PREFIX)) for v in room_items}
    for verdict in room_items:
        room_id = verdict.device.removeprefix(ROOM_PREFIX)
        who = render("readiness.on_site", {"room": room_labels.get(room_id, room_id)})
        if (b := blocker_of(verdict, who)) is not None:
            item_blockers.setdefault(room_id, []).append(b)
    for item in getattr(loaded.plan, "attestations", ()) or ():
        if (item["room"], item["id"]) not in seen_items:
            who = render("readiness.on_site", {"room": room_labels.get(item["room"], item["room"])})
            item_blockers.setdefault(item["room"], []).append(Blocker(
                f"{ROOM_PREFIX}{item['room']}", who, f"{ATTESTATION_PREFIX}{item['id']}", str(item["label"]),
                Status.FAIL, "readiness.not_attested", {"label": item["label"]}, item["room"]))  # fmt: skip

    # --- scopes -------------------------------------------------------------------------------
    def scope(kind: str, scope_id: str, label: str, names: list[str], extra: list[Blocker]) -> ScopeReadiness:
        blockers = [*centre_blockers, *(b for n in names for b in devices[n].blockers), *extra]
        blockers.sort(key=lambda b: _RANK[b.status])
        return ScopeReadiness(kind, scope_id, label, tuple(names), tuple(blockers),
                              _counts(devices[n].status for n in names))  # fmt: skip

    rooms: dict[str, ScopeReadiness] = {}
    for room in inventory.rooms.values():
        names = [n for n, d in devices.items() if d.room == room.id]
        rooms[room.id] = scope("room", room.id, room.label, names, item_blockers.get(room.id, []))
    juries: dict[str, ScopeReadiness] = {}
    for jury in loaded.session.juries:
        base = rooms.get(jury.room)
        names = list(base.devices) if base else []
        juries[jury.id] = scope("jury", jury.id, str(jury.label or jury.id), names, item_blockers.get(jury.room, []))
    centre = scope("centre", inventory.centre, inventory.centre, list(devices),
                   [b for bs in item_blockers.values() for b in bs])  # fmt: skip
    return Readiness(now=now, devices=devices, centre_checks=centre_checks, room_items=room_items,
                     centre_blockers=tuple(centre_blockers), rooms=rooms, juries=juries, centre=centre,
                     software=_software(loaded, by_device, failed))  # fmt: skip


def _software(loaded: Any, by_device: dict[str, list[Verdict]], failed: set[str]) -> dict[tuple[str, str], Status]:
    """(host, title id) -> what the host's software verdicts say of that title; never guessed."""
    out: dict[tuple[str, str], Status] = {}
    for host in loaded.plan.hosts:
        name = host.device.name
        found = [v for v in by_device.get(name, []) if v.check == "software"]
        for title_id, planned in host.software.items():
            status = title_status(found, title_id, planned.title.name)
            out[(name, title_id)] = Status.UNKNOWN if name in failed else status
    return out


def title_status(verdicts: Iterable[Verdict], title_id: str, title_name: str) -> Status:
    """One title on one host: its own verdict (workstations, iPads: one per title), else the host's
    single software verdict (Android: OK, or FAIL naming what is missing); UNKNOWN if none."""
    verdicts = [v for v in verdicts if v.check == "software"]
    own = [v.status for v in verdicts if any(v.params.get(p) == title_id for p in _TITLE_PARAMS)
           or v.facts.get("title_id") == title_id]  # fmt: skip
    if own:
        return worst(own)
    whole = [v for v in verdicts if not _title_of(v)]
    if not whole:
        return Status.UNKNOWN
    statuses = []
    for verdict in whole:
        if verdict.status is Status.FAIL:
            missing = {str(t) for t in (verdict.params.get("titles") or verdict.facts.get("missing") or [])}
            statuses.append(Status.FAIL if not missing or title_name in missing or title_id in missing
                            else Status.OK)  # fmt: skip
        else:
            statuses.append(verdict.status)
    return worst(statuses)
