"""A sweep of the centre, as the application runs it: what to probe (from the family registry),
the context probes need (from the inventory and the plan), the manual attestations, the
centre's internet, and the store.

The engine that runs probes concurrently and bounded is :mod:`checks.sweep`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable, Iterable
from typing import Any

from checks import grading_more as gm
from checks.internet import probe_internet
from checks.model import DEFAULT_TIMEOUT_S, Verdict, utcnow
from checks.probes.common import CapabilityRule, PlannedTitle, ProbeContext
from checks.sweep import (
    LOOPBACK_ONLY_ENV,
    Job,
    SweepResult,
    in_daemon_thread,
    refuse_outside_loopback,
    refuse_urls_outside_loopback,
    run_probes,
)
from devices.models import AccessPoint, AndroidTablet, Device
from provision.context import Loaded
from provision.families import REGISTRY, manual_check, probe_for
from provision.messages import render
from provision.paths import adb_key_dir, shown, state_dir

__all__ = [
    "LOOPBACK_ONLY_ENV",
    "ROOM_ATTESTATION_VALIDITY_H",
    "SweepResult",
    "attestation_verdicts",
    "build_context",
    "expected_software",
    "refuse_outside_loopback",
    "run_sweep",
    "select",
    "sweep_async",
]

log = logging.getLogger("plateau.sweep")

#: how long a room-level attestation (whiteboard, markers, USB key...) stays valid
ROOM_ATTESTATION_VALIDITY_H = 24.0
#: workstation SSH host keys, pinned on first contact (in the inventory's .plateau/)
KNOWN_HOSTS = "known_hosts"


def expected_software(loaded: Loaded) -> dict[str, dict[str, str]]:
    """Per Android host: {package name: title name} of what the plan installs there."""
    out: dict[str, dict[str, str]] = {}
    for host in loaded.plan.hosts:
        if not isinstance(host.device, AndroidTablet):
            continue
        platform = REGISTRY[host.device.family].platform or ""
        wanted = {}
        for planned in host.software.values():
            ids = planned.title.ids_for(platform)
            if ids:
                wanted[ids["package"]] = planned.title.name
        out[host.device.name] = wanted
    return out


def planned_titles(loaded: Loaded) -> dict[str, tuple[PlannedTitle, ...]]:
    """Per host: every title the *current* plan puts there, with its ids on the host's platform
    and who asked for it. A title added to session.yml after the last ``plateau provision`` is
    here at once: the live probes then find it missing."""
    out: dict[str, tuple[PlannedTitle, ...]] = {}
    for host in loaded.plan.hosts:
        platform = REGISTRY[host.device.family].platform
        if not platform or not host.software:
            continue
        out[host.device.name] = tuple(
            _planned(p.title, platform, tuple(p.requested_by))
            for p in sorted(host.software.values(), key=lambda p: p.title.id)
        )  # fmt: skip
    return out


def _planned(title: Any, platform: str, requested_by: tuple[str, ...] = ()) -> PlannedTitle:
    return PlannedTitle(
        title_id=title.id,
        name=title.name,
        ids=title.ids_for(platform) or {},
        requested_by=requested_by,
        provides=tuple(title.provides),
    )


def capability_titles(loaded: Loaded) -> dict[str, tuple[PlannedTitle, ...]]:
    """Per platform of the inventory: the catalog's titles that count for the référentiel."""
    platforms = {REGISTRY[d.family].platform for d in loaded.inventory.devices} - {None}
    return {
        platform: tuple(_planned(t, platform) for t in loaded.catalog.titles.values()
                        if t.provides and t.available_on(platform))
        for platform in sorted(p for p in platforms if p)
    }  # fmt: skip


def capabilities_needed(loaded: Loaded) -> dict[str, CapabilityRule]:
    """Per workstation the référentiel's software rule applies to (as the plan counts it)."""
    out: dict[str, CapabilityRule] = {}
    for rule in loaded.plan.referentiel.devices:
        if rule.software is None or not rule.software.capabilities:
            continue
        for device in loaded.inventory.devices:
            if rule.matches_host(device) and not rule.unmet(device):
                out[device.name] = CapabilityRule(label=rule.label, needs=dict(rule.software.capabilities))
    return out


def build_context(loaded: Loaded, timeout_s: float) -> ProbeContext:
    from provision.provisioning.view import plateau_program

    root = loaded.inventory.root
    room_ssid = {d.room: d.wifi_ssid for d in loaded.inventory.devices if isinstance(d, AccessPoint) and d.room}
    targets = tuple(str(t) for t in loaded.inventory.centre_vars.get("internet_targets") or [])
    return ProbeContext(timeout_s=timeout_s, key_dir=adb_key_dir(root),
                        expected_software=expected_software(loaded), room_ssid=room_ssid,
                        inventory_file=(root / "hosts.yml").resolve(),
                        vault_password_file=loaded.inventory.vault_password_file,
                        planned=planned_titles(loaded), capability_titles=capability_titles(loaded),
                        capabilities_needed=capabilities_needed(loaded), internet_targets=targets,
                        known_hosts_file=state_dir(root) / KNOWN_HOSTS,
                        provision_command=(*plateau_program(), "provision", "-i", shown(root)))  # fmt: skip


def select(loaded: Loaded, *, room: str | None = None, devices: Iterable[str] | None = None) -> list[Device]:
    wanted = set(devices) if devices is not None else None
    return [
        d for d in loaded.inventory.devices
        if (room is None or d.room == room) and (wanted is None or d.name in wanted)
    ]  # fmt: skip


def attestation_verdicts(loaded: Loaded, store: Any, *, room: str | None, devices: Iterable[str] | None,
                         now: dt.datetime) -> list[Verdict]:  # fmt: skip
    """Manual checks: the référentiel's room items and the devices that cannot answer."""
    records = {(a.room, a.item, a.device): a for a in (store.attestations() if store else [])}
    out: list[Verdict] = []
    if devices is None:
        for item in loaded.plan.attestations:
            if room is None or item["room"] == room:
                out.append(gm.attestation(
                    f"salle:{item['room']}", item=item["id"], label=item["label"],
                    record=records.get((item["room"], item["id"], None)), now=now, room=item["room"],
                    validity_h=ROOM_ATTESTATION_VALIDITY_H))  # fmt: skip
    for device in select(loaded, room=room, devices=devices):
        manual = manual_check(device)
        if manual is None:
            continue
        validity = ROOM_ATTESTATION_VALIDITY_H
        if manual.validity_field:
            validity = float(getattr(device, manual.validity_field))
        out.append(gm.attestation(device.name, item=manual.item, label=render(manual.label_key),
                                  record=records.get((device.room, manual.item, device.name)), now=now,
                                  room=device.room, validity_h=validity))  # fmt: skip
    return out


def probe_jobs(devices: Iterable[Device]) -> list[Job]:
    """The probe of each device that has one, resolved here, in the calling thread: importing a
    probe module imports its drivers, and doing it before any probe thread starts means two
    threads never race to import one package (which deadlocks)."""
    jobs = []
    for device in devices:
        decl = probe_for(device)
        if decl is not None:
            jobs.append(Job(device, decl.spec()))
    return jobs


async def sweep_async(
    loaded: Loaded,
    *,
    store: Any = None,
    room: str | None = None,
    devices: Iterable[str] | None = None,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    on_verdict: Callable[[Verdict], None] | None = None,
    max_workers: int = 256,
) -> SweepResult:
    devices = list(devices) if devices is not None else None
    started = utcnow()
    scope = "" if room is None and devices is None else f"room={room} devices={devices}"
    sweep_id = store.start_sweep(scope) if store else None
    ctx = build_context(loaded, timeout_s)
    verdicts: list[Verdict] = []

    def emit(batch: list[Verdict]) -> None:
        verdicts.extend(batch)
        if store:
            store.add_verdicts(sweep_id, batch)
        if on_verdict:
            for verdict in batch:
                on_verdict(verdict)

    emit(attestation_verdicts(loaded, store, room=room, devices=devices, now=started))
    jobs = probe_jobs(select(loaded, room=room, devices=devices))
    if any(isinstance(job.device, AndroidTablet) for job in jobs):
        _prepare_adb_key(ctx)
    coroutines = [run_probes(jobs, ctx, emit=emit, max_workers=max_workers)]
    if devices is None and room is None:
        coroutines.append(_internet(loaded, timeout_s, emit))
    await asyncio.gather(*coroutines)
    if store:
        store.finish_sweep(sweep_id)
    return SweepResult(sweep_id, started, utcnow(), verdicts)


async def _internet(loaded: Loaded, timeout_s: float, emit: Callable[[list[Verdict]], None]) -> None:
    targets = [str(t) for t in loaded.inventory.centre_vars.get("internet_targets") or []]
    try:
        refuse_urls_outside_loopback(targets)
        batch = [
            await asyncio.wait_for(in_daemon_thread(probe_internet, targets, timeout_s), timeout_s * (len(targets) + 1))
        ]
    except Exception as exc:  # noqa: BLE001
        batch = [
            gm.probe_failed(
                "centre:internet", "internet", exc, measured_at=utcnow(), probe="https", room=None, timeout_s=timeout_s
            )
        ]
    emit(batch)


def _prepare_adb_key(ctx: ProbeContext) -> None:
    """Create this plateau's ADB key once, before tablets are probed in parallel."""
    try:
        from devices.android.transport import load_signer

        load_signer(ctx.key_dir)
    except Exception:  # each tablet probe will report it as UNKNOWN with the reason  # noqa: BLE001
        log.warning("could not prepare the ADB key in %s", ctx.key_dir)


def run_sweep(loaded: Loaded, **kwargs: Any) -> SweepResult:
    """Blocking wrapper for the CLI."""
    return asyncio.run(sweep_async(loaded, **kwargs))
