"""The concurrent sweep: every probe at once, each bounded by a timeout.

A sweep of a whole centre costs about its slowest probe, not the sum: probes run in a
thread pool (drivers are blocking), the event loop waits for each with ``asyncio.wait_for``.
A probe that times out, refuses, or answers garbage yields UNKNOWN for every check it
owns; the sweep's result is always complete.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import datetime as dt
import ipaddress
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from checks import grading_more as gm
from checks.model import DEFAULT_TIMEOUT_S, Status, Verdict, utcnow
from checks.probes import ProbeContext, probe_for
from provision.context import Loaded
from provision.inventory.models import Device, PLATFORM_OF

log = logging.getLogger("plateau.sweep")

#: how long a room-level attestation (whiteboard, markers, USB key...) stays valid
ROOM_ATTESTATION_VALIDITY_H = 24.0
#: manual checks of devices that cannot answer, by family / robot kind
MANUAL_ITEMS = {
    "robot": ("batteries", "Batteries chargées et installées"),
    "projector": ("screen_tested", "Écran allumé, relié au poste candidat et testé"),
}


@dataclass
class SweepResult:
    sweep_id: int | None
    started_at: dt.datetime
    finished_at: dt.datetime
    verdicts: list[Verdict] = field(default_factory=list)

    @property
    def ready(self) -> bool:
        """True only when every blocking verdict is OK or WARN (UNKNOWN is not ready)."""
        return all(v.status.ready for v in self.verdicts if v.blocking)

    def by_status(self) -> dict[Status, int]:
        counts = {s: 0 for s in Status}
        for verdict in self.verdicts:
            counts[verdict.status] += 1
        return counts


def expected_software(loaded: Loaded) -> dict[str, dict[str, str]]:
    """Per Android host: {package name: title name} of what the plan installs there."""
    out: dict[str, dict[str, str]] = {}
    for host in loaded.plan.hosts:
        if host.device.family != "android":
            continue
        wanted = {}
        for planned in host.software.values():
            ids = planned.title.ids_for(PLATFORM_OF["android"])
            if ids:
                wanted[ids["package"]] = planned.title.name
        out[host.device.name] = wanted
    return out


def build_context(loaded: Loaded, timeout_s: float) -> ProbeContext:
    key_dir = loaded.inventory.root / ".plateau" / "adb"
    key_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    room_ssid = {d.room: d.wifi_ssid for d in loaded.inventory.of_family("access_point") if d.room}  # type: ignore[attr-defined]
    return ProbeContext(timeout_s=timeout_s, key_dir=key_dir, expected_software=expected_software(loaded),
                        room_ssid=room_ssid, inventory_file=(loaded.inventory.root / "hosts.yml").resolve(),
                        vault_password_file=loaded.inventory.vault_password_file)  # fmt: skip


def select(loaded: Loaded, *, room: str | None = None, devices: Iterable[str] | None = None) -> list[Device]:
    wanted = set(devices) if devices is not None else None
    return [
        d for d in loaded.inventory.devices
        if (room is None or d.room == room) and (wanted is None or d.name in wanted)
    ]  # fmt: skip


def attestation_verdicts(loaded: Loaded, store, *, room: str | None, devices: Iterable[str] | None,
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
        if probe_for(device) is not None or device.family not in MANUAL_ITEMS:
            continue
        item, label = MANUAL_ITEMS[device.family]
        validity = float(getattr(device, "attestation_validity_h", ROOM_ATTESTATION_VALIDITY_H))
        out.append(gm.attestation(device.name, item=item, label=label,
                                  record=records.get((device.room, item, device.name)), now=now,
                                  room=device.room, validity_h=validity))  # fmt: skip
    return out


def provisioned_verdicts(loaded: Loaded, store, *, room: str | None, devices: Iterable[str] | None,
                         now: dt.datetime) -> list[Verdict]:  # fmt: skip
    """Software on workstations, as proven by the last real ``plateau provision`` run:
    Ansible checks each package's state, so a successful run means it is there."""
    from checks.grading import _v

    planned = {h.device.name: h for h in loaded.plan.hosts if h.device.family in ("windows", "linux", "macos")}
    out = []
    for device in select(loaded, room=room, devices=devices):
        plan = planned.get(device.name)
        if plan is None or not plan.software:
            continue
        titles = sorted(p.title.name for p in plan.software.values())
        result = store.latest_host_result(device.name) if store else None
        common = dict(probe="ansible", room=device.room, facts={"titles": titles})
        if result is None:
            out.append(_v(device.name, "software", Status.UNKNOWN, "check.software.not_provisioned", measured_at=now,
                          count=len(titles), **common))
        elif result["status"] in ("ok", "changed") and not result["failed"] and not result["unreachable"]:
            out.append(_v(device.name, "software", Status.OK, "check.software.provisioned",
                          measured_at=result["finished_at"], count=len(titles),
                          at=result["finished_at"].astimezone().strftime("%d/%m %H:%M"), **common))
        else:
            out.append(_v(device.name, "software", Status.FAIL, "check.software.provision_failed",
                          measured_at=result["finished_at"], run_status=result["status"], **common))
    return out


async def sweep_async(
    loaded: Loaded,
    *,
    store=None,
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
    loop = asyncio.get_running_loop()
    selected = [d for d in select(loaded, room=room, devices=devices) if probe_for(d)]
    # one thread per probe up to a ceiling: a dead device holds its thread for one timeout
    workers = max(8, min(max_workers, len(selected) + 1))
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=workers, thread_name_prefix="probe")
    slots = asyncio.Semaphore(workers)  # a probe's time limit starts when it gets a thread
    if any(d.family == "android" for d in selected):
        _prepare_adb_key(ctx)

    async def run(device: Device) -> None:
        spec = probe_for(device)
        assert spec is not None
        try:
            refuse_outside_loopback(device)
            async with slots:
                # the driver has its own socket timeouts; this one bounds the whole probe
                batch = await asyncio.wait_for(loop.run_in_executor(pool, spec.fn, device, ctx), timeout_s * 2.5)
        except Exception as exc:  # noqa: BLE001 - any failure is UNKNOWN, never a crash nor a green
            if not isinstance(exc, (TimeoutError,)) and not _is_device_error(exc):
                log.exception("probe %s of %s crashed", spec.name, device.name)
            now = utcnow()
            batch = [gm.probe_failed(device.name, check, exc, measured_at=now, probe=spec.name, room=device.room,
                                     timeout_s=timeout_s * 2.5) for check in spec.checks]  # fmt: skip
        emit(batch)

    async def internet() -> None:
        from checks.internet import probe_internet

        targets = [str(t) for t in loaded.inventory.centre_vars.get("internet_targets") or []]
        try:
            refuse_urls_outside_loopback(targets)
            batch = [await asyncio.wait_for(loop.run_in_executor(pool, probe_internet, targets, timeout_s),
                                            timeout_s * (len(targets) + 1))]
        except Exception as exc:  # noqa: BLE001
            batch = [gm.probe_failed("centre:internet", "internet", exc, measured_at=utcnow(), probe="https",
                                     room=None, timeout_s=timeout_s)]
        emit(batch)

    jobs = [run(d) for d in selected]
    if devices is None and room is None:
        jobs.append(internet())
    try:
        await asyncio.gather(*jobs)
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    if store:
        store.finish_sweep(sweep_id)
    return SweepResult(sweep_id, started, utcnow(), verdicts)


LOOPBACK_ONLY_ENV = "PLATEAU_LOOPBACK_ONLY"


def refuse_outside_loopback(device: Device) -> None:
    """With PLATEAU_LOOPBACK_ONLY=1 (tests, demo), never send a packet off this machine."""
    if os.environ.get(LOOPBACK_ONLY_ENV) != "1":
        return
    from urllib.parse import urlsplit

    spoolman = getattr(device, "spoolman_url", None)
    targets = [device.address, getattr(device, "cfgutil_host", None), urlsplit(spoolman).hostname if spoolman else None]
    _refuse_non_loopback(filter(None, targets))


def _refuse_non_loopback(hosts: Iterable[str]) -> None:
    from devices.errors import Unreachable

    for host in hosts:
        try:
            loopback = ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = host == "localhost"
        if not loopback:
            raise Unreachable(f"{host} is not a loopback address ({LOOPBACK_ONLY_ENV}=1)")


def _prepare_adb_key(ctx: ProbeContext) -> None:
    """Create this plateau's ADB key once, before tablets are probed in parallel."""
    try:
        from devices.android.transport import load_signer

        load_signer(ctx.key_dir)
    except Exception:  # noqa: BLE001 - each tablet probe will report it as UNKNOWN with the reason
        log.warning("could not prepare the ADB key in %s", ctx.key_dir)


def refuse_urls_outside_loopback(urls: list[str]) -> None:
    if os.environ.get(LOOPBACK_ONLY_ENV) != "1":
        return
    from urllib.parse import urlsplit

    _refuse_non_loopback(urlsplit(url).hostname or "" for url in urls)


def _is_device_error(exc: BaseException) -> bool:
    from devices.errors import DeviceError

    return isinstance(exc, DeviceError)


def run_sweep(loaded: Loaded, **kwargs) -> SweepResult:
    """Blocking wrapper for the CLI."""
    return asyncio.run(sweep_async(loaded, **kwargs))


def state_path(root: Path) -> Path:
    return root / ".plateau"
