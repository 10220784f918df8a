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

from checks import grading as g
from checks import grading_more as gm
from checks.internet import probe_internet
from checks.model import DEFAULT_TIMEOUT_S, Status, Verdict, utcnow
from checks.probes.common import ProbeContext
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
from provision.paths import adb_key_dir

__all__ = [
    "LOOPBACK_ONLY_ENV", "ROOM_ATTESTATION_VALIDITY_H", "SweepResult", "attestation_verdicts", "build_context",
    "expected_software", "refuse_outside_loopback", "run_sweep", "select", "sweep_async",
]

log = logging.getLogger("plateau.sweep")

#: how long a room-level attestation (whiteboard, markers, USB key...) stays valid
ROOM_ATTESTATION_VALIDITY_H = 24.0


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


def build_context(loaded: Loaded, timeout_s: float) -> ProbeContext:
    room_ssid = {d.room: d.wifi_ssid for d in loaded.inventory.devices if isinstance(d, AccessPoint) and d.room}
    return ProbeContext(timeout_s=timeout_s, key_dir=adb_key_dir(loaded.inventory.root),
                        expected_software=expected_software(loaded), room_ssid=room_ssid,
                        inventory_file=(loaded.inventory.root / "hosts.yml").resolve(),
                        vault_password_file=loaded.inventory.vault_password_file)


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


def provisioned_verdicts(loaded: Loaded, store: Any, *, room: str | None, devices: Iterable[str] | None,
                         now: dt.datetime) -> list[Verdict]:  # fmt: skip
    """Software on workstations, as proven by the last real ``plateau provision`` run:
    Ansible checks each package's state, so a successful run means it is there."""
    planned = {h.device.name: h for h in loaded.plan.hosts if REGISTRY[h.device.family].provisioning == "ansible"}
    out = []
    for device in select(loaded, room=room, devices=devices):
        plan = planned.get(device.name)
        if plan is None or not plan.software:
            continue
        titles = sorted(p.title.name for p in plan.software.values())
        result = store.latest_host_result(device.name) if store else None
        common: dict[str, Any] = dict(probe="ansible", room=device.room, facts={"titles": titles})
        if result is None:
            out.append(g._v(device.name, "software", Status.UNKNOWN, "check.software.not_provisioned",
                            measured_at=now, count=len(titles), **common))
        elif result["status"] in ("ok", "changed") and not result["failed"] and not result["unreachable"]:
            out.append(g._v(device.name, "software", Status.OK, "check.software.provisioned",
                            measured_at=result["finished_at"], count=len(titles),
                            at=result["finished_at"].astimezone().strftime("%d/%m %H:%M"), **common))
        else:
            out.append(g._v(device.name, "software", Status.FAIL, "check.software.provision_failed",
                            measured_at=result["finished_at"], run_status=result["status"], **common))
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
    emit(provisioned_verdicts(loaded, store, room=room, devices=devices, now=started))
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
        batch = [await asyncio.wait_for(in_daemon_thread(probe_internet, targets, timeout_s),
                                        timeout_s * (len(targets) + 1))]
    except Exception as exc:  # noqa: BLE001
        batch = [gm.probe_failed("centre:internet", "internet", exc, measured_at=utcnow(), probe="https",
                                 room=None, timeout_s=timeout_s)]
    emit(batch)


def _prepare_adb_key(ctx: ProbeContext) -> None:
    """Create this plateau's ADB key once, before tablets are probed in parallel."""
    try:
        from devices.android.transport import load_signer

        load_signer(ctx.key_dir)
    except Exception:  # noqa: BLE001 - each tablet probe will report it as UNKNOWN with the reason
        log.warning("could not prepare the ADB key in %s", ctx.key_dir)


def run_sweep(loaded: Loaded, **kwargs: Any) -> SweepResult:
    """Blocking wrapper for the CLI."""
    return asyncio.run(sweep_async(loaded, **kwargs))
