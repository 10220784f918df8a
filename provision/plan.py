"""What ``plateau provision`` will do, host by host, and what the référentiel still lacks.

The plan is a plain JSON-able structure (schema ``plateau.plan/1``, documented in
docs/plan-format.md) consumed by the provisioning playbooks: they receive each host's
``software`` / ``accounts`` / ``settings`` as variables and hold no candidate data.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from devices.models import Workstation
from provision.catalog import Catalog, Title
from provision.errors import InventoryError, Problem, Severity, UnknownSoftware
from provision.families import REGISTRY
from provision.inventory import Device, Inventory
from provision.referentiels import Referentiel
from provision.session import Session

SCHEMA = "plateau.plan/1"

#: accessibility need -> (title providing it per platform, else a setting applied on the device)
ACCESSIBILITY_SOFTWARE = {("screen_reader", "windows"): "nvda"}


@dataclass(slots=True)
class PlannedTitle:
    title: Title
    requested_by: list[str] = field(default_factory=list)


@dataclass(slots=True)
class HostPlan:
    device: Device
    software: dict[str, PlannedTitle] = field(default_factory=dict)
    accounts: list[dict[str, Any]] = field(default_factory=list)
    settings: list[dict[str, Any]] = field(default_factory=list)

    def add(self, title: Title, reason: str) -> None:
        planned = self.software.setdefault(title.id, PlannedTitle(title))
        if reason not in planned.requested_by:
            planned.requested_by.append(reason)


@dataclass(slots=True)
class Plan:
    inventory: Inventory
    session: Session
    referentiel: Referentiel
    hosts: list[HostPlan]
    gaps: list[Problem]
    attestations: list[dict[str, Any]]
    own_laptops: list[dict[str, Any]]
    warnings: list[Problem]

    def to_dict(self) -> dict[str, Any]:
        from provision.messages import render

        return {
            "schema": SCHEMA,
            "inventory": str(self.inventory.root),
            "centre": self.session.centre or self.inventory.centre,
            "date": self.session.date.isoformat(),
            "referentiel": {"id": self.referentiel.id, "name": self.referentiel.name},
            "rooms": [
                {
                    "id": room.id,
                    "label": room.label,
                    "juries": [j.id for j in self.session.juries if j.room == room.id],
                    "hosts": sorted(room.hosts),
                }
                for room in self.inventory.rooms.values()
            ],
            "hosts": [_host_dict(h) for h in self.hosts],
            "own_laptops": self.own_laptops,
            "attestations": self.attestations,
            "gaps": [
                {
                    "room": g.params.get("room"),
                    "host": g.host,
                    "key": g.key,
                    "params": g.as_dict()["params"],
                    "message": render(g.key, g.params),
                }
                for g in self.gaps
            ],
            "warnings": [w.as_dict() for w in (*self.inventory.warnings, *self.warnings)],
            "summary": {
                # a multifunction printer is one device (one host), planned once per family
                "hosts": len({h.device.name for h in self.hosts}),
                "software_installs": sum(len(h.software) for h in self.hosts),
                "accounts": sum(len(h.accounts) for h in self.hosts),
                "accounts_missing_secret": sum(1 for h in self.hosts for a in h.accounts if not a["secret_present"]),
                "gaps": len(self.gaps),
                "candidates": len(self.session.candidates),
            },
        }


def _host_dict(plan: HostPlan) -> dict[str, Any]:
    device = plan.device
    platform = REGISTRY[device.family].platform
    return {
        "name": device.name,
        "family": device.family,
        "room": device.room,
        "role": getattr(device, "role", None),
        "address": device.address,
        "software": [
            {
                "id": p.title.id,
                "name": p.title.name,
                "category": p.title.category,
                "install": p.title.ids_for(platform) if platform else None,
                "requested_by": p.requested_by,
            }
            for p in sorted(plan.software.values(), key=lambda p: p.title.id)
        ],
        "accounts": plan.accounts,
        "settings": plan.settings,
    }


def build_plan(inventory: Inventory, session: Session, catalog: Catalog, referentiel: Referentiel) -> Plan:
    problems: list[Problem] = []
    plans: list[HostPlan] = []
    rules = referentiel.devices
    baseline_reason = f"référentiel:{referentiel.id}"

    def resolve(device: Device, field_name: str, name: str) -> Title | None:
        try:
            title = catalog.resolve(name)
        except UnknownSoftware as exc:
            problems.append(
                Problem(
                    key="inventory.unknown_software",
                    host=device.name,
                    field=field_name,
                    params={"name": name, "suggestions": exc.problems[0].params["suggestions"]},
                )
            )
            return None
        platform = REGISTRY[device.family].platform or ""
        if not title.available_on(platform):
            problems.append(
                Problem(
                    key="inventory.not_on_platform",
                    host=device.name,
                    field=field_name,
                    params={"name": title.name, "kind": device.family, "reason": title.lacks.get(platform, "")},
                )
            )
            return None
        return title

    for device in sorted(inventory.devices, key=lambda d: (d.room or "", d.family, d.name)):
        plan = HostPlan(device)
        fam = REGISTRY[device.family]
        platform = fam.platform
        if isinstance(device, Workstation):
            baseline = device.baseline_software
            if baseline is None:
                baseline = [t for r in rules if r.software and r.matches_host(device) for t in r.software.baseline]
                field_name = "référentiel"
            else:
                field_name = "baseline_software"
            for name in baseline:
                if (title := resolve(device, field_name, name)) is not None:
                    plan.add(title, baseline_reason if field_name == "référentiel" else "centre:baseline_software")
            for name in device.extra_software:
                if (title := resolve(device, "extra_software", name)) is not None:
                    plan.add(title, "centre:extra_software")
        if platform and getattr(device, "role", "candidate") == "candidate":
            for cand in session.candidates_in_room(device.room or ""):
                if cand.own_laptop:
                    continue
                for request in session.requests:
                    if request.candidate == cand.id and request.kind == device.family:
                        plan.add(catalog[request.title_id], f"candidat:{cand.id}")
                for need in session.accessibility.get(cand.id, []):
                    software = ACCESSIBILITY_SOFTWARE.get((need, platform))
                    if software and software in catalog.titles:
                        plan.add(catalog[software], f"accessibilité:{cand.id}")
                    else:
                        _add_setting(plan, f"accessibility.{need}", True, cand.id)
        for setting, value in fam.settings(device):
            _add_setting(plan, setting, value, None)
        for account in fam.accounts:
            if not account.in_plan or not account.applies_to(device):
                continue  # e.g. an open network has no key to hand to the jury
            plan.accounts.append(
                {
                    "kind": account.kind,
                    "login": getattr(device, account.login) if account.login else None,
                    "secret_var": account.secret,
                    "secret_present": device.secret_present(account.secret),
                }
            )
        plans.append(plan)

    if problems:
        raise InventoryError(problems)

    warnings = [
        Problem(
            key="secrets.missing",
            host=p.device.name,
            field=a["secret_var"],
            params={"kind": a["kind"]},
            severity=Severity.WARNING,
        )
        for p in plans
        for a in p.accounts
        if not a["secret_present"] and a["kind"] != "wifi_key"
    ]
    warnings += _offline_limits(plans)
    gaps, attestations = _referentiel_gaps(inventory, session, referentiel, plans)
    own = [
        {
            "candidate": c.id,
            "jury": c.jury,
            "software": {
                kind: [catalog[r.title_id].name for r in session.requests if r.candidate == c.id and r.kind == kind]
                for kind in sorted({r.kind for r in session.requests if r.candidate == c.id})
            },
        }
        for c in session.candidates
        if c.own_laptop
    ]
    return Plan(inventory, session, referentiel, plans, gaps, attestations, own, warnings)


def _offline_limits(plans: list[HostPlan]) -> list[Problem]:
    """A warning per host and title the catalogue says plateau cannot install offline for every
    session (``windows.limits`` of provision/catalog/software.yml, e.g. a per-user installer)."""
    found = []
    for plan in plans:
        platform = REGISTRY[plan.device.family].platform
        for planned in sorted(plan.software.values(), key=lambda p: p.title.id):
            limits = (planned.title.ids_for(platform) or {}).get("limits") if platform == "windows" else None
            if limits:
                found.append(
                    Problem(
                        key="validate.windows_limits",
                        host=plan.device.name,
                        params={"host": plan.device.name, "title": planned.title.name, "reason": limits},
                        severity=Severity.WARNING,
                    )
                )
    return found


def _add_setting(plan: HostPlan, setting: str, value: Any, candidate: str | None) -> None:
    for existing in plan.settings:
        if existing["id"] == setting:
            if candidate and candidate not in existing["for"]:
                existing["for"].append(candidate)
            return
    plan.settings.append({"id": setting, "value": value, "for": [candidate] if candidate else []})


def _referentiel_gaps(
    inventory: Inventory, session: Session, referentiel: Referentiel, plans: list[HostPlan]
) -> tuple[list[Problem], list[dict[str, Any]]]:
    by_name = {p.device.name + "/" + p.device.family: p for p in plans}
    exam_rooms = sorted({j.room for j in session.juries})
    gaps: list[Problem] = []
    attestations: list[dict[str, Any]] = []
    for room in exam_rooms:
        devices = inventory.in_room(room)
        for rule in referentiel.devices:
            candidates = [d for d in devices if rule.matches_host(d)]
            fitting = [d for d in candidates if not rule.unmet(d)]
            for device in candidates:
                unmet = rule.unmet(device)
                if unmet:
                    gaps.append(
                        Problem(
                            key="referentiel.device_unmet",
                            host=device.name,
                            params={"room": room, "label": rule.label, "conditions": unmet},
                        )
                    )
            if len(fitting) < rule.min_count:
                gaps.append(
                    Problem(
                        key="referentiel.device_missing",
                        params={"room": room, "label": rule.label, "have": len(fitting), "need": rule.min_count},
                    )
                )
            if rule.software is None:
                continue
            for device in fitting:
                planned = by_name[device.name + "/" + device.family].software.values()
                counts: dict[str, int] = defaultdict(int)
                for p in planned:
                    for capability in p.title.provides:
                        counts[capability] += 1
                for capability, need in rule.software.capabilities.items():
                    if counts[capability] < need:
                        gaps.append(
                            Problem(
                                key="referentiel.capability_short",
                                host=device.name,
                                params={
                                    "room": room,
                                    "capability": capability,
                                    "have": counts[capability],
                                    "need": need,
                                    "label": rule.label,
                                },
                            )
                        )
        for attestation in referentiel.attestations:
            if attestation.needed_in(devices):
                attestations.append({"room": room, "id": attestation.id, "label": attestation.label})
    return gaps, attestations
