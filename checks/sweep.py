"""The concurrent sweep engine: every probe at once, each bounded by a timeout.

A sweep of a whole centre costs about its slowest probe, not the sum: each probe runs in a
daemon thread of its own (drivers are blocking), at most ``max_workers`` at once, and the event
loop waits for each with ``asyncio.wait_for``. A probe that times out, refuses, or answers
garbage yields UNKNOWN for every check it owns; the result is always complete. A probe stuck
in a driver past its bound is abandoned: its daemon thread never keeps the process alive after
the report is printed.

What to probe and with which probe is decided by the application (``provision/sweep.py``, from
the family registry); this module only runs them.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import logging
import os
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar
from urllib.parse import urlsplit

from checks import grading_more as gm
from checks.model import Status, Verdict
from checks.probes.common import ProbeContext, ProbeSpec
from devices.errors import DeviceError, Unreachable
from devices.models import Device

log = logging.getLogger("plateau.sweep")

LOOPBACK_ONLY_ENV = "PLATEAU_LOOPBACK_ONLY"
#: a probe is abandoned this long after its timeout: drivers share ONE deadline per reading
#: (devices/http.py), so the timeout is the probe's whole budget; the margin only lets a driver
#: that is already failing report why before the engine gives up on it
PROBE_MARGIN_S = 1.0


def probe_bound_s(timeout_s: float) -> float:
    """The longest a probe may run: its timeout plus a small margin, never a multiple of it."""
    return timeout_s + min(PROBE_MARGIN_S, max(0.2, timeout_s * 0.2))


def device_timeout_s(device: Device, default_s: float) -> float:
    """The inventory's ``probe_timeout_s`` of the device's family (group_vars), else the sweep's."""
    own = getattr(device, "probe_timeout_s", None)
    return float(own) if own else default_s


def reached_by_usb(device: Device) -> bool:
    """A device plugged into a computer (USB cable or serial port), not on the network: telling
    its technician to check « le bon réseau » would send them the wrong way."""
    if getattr(device, "connection", None) == "usb" or getattr(device, "probe", None) == "serial":
        return True
    if getattr(device, "driver", None) == "marlin" or getattr(device, "serial_port", None):
        return True
    if device.address:
        return False
    return any(getattr(device, f, None) is not None for f in ("usb_serial", "adb_serial", "board"))


def _usb_wording(verdict: Verdict, device: Device) -> Verdict:
    """The same UNKNOWN verdict, with the USB fix instead of the network one."""
    keys = {"check.probe.timeout": "usb_probe.timeout", "check.probe.unreachable": "usb_probe.unreachable",
            "check.probe.no_answer": "usb_probe.timeout"}  # fmt: skip
    if verdict.key not in keys:
        return verdict
    where = (getattr(device, "serial_port", None) or getattr(device, "usb_serial", None)
             or getattr(device, "adb_serial", None) or getattr(device, "attached_to", None) or "USB")  # fmt: skip
    params = {**verdict.params, "where": where}
    params.setdefault("timeout_s", "?")
    return replace(verdict, key=keys[verdict.key], params=params)


T = TypeVar("T")


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
        counts = dict.fromkeys(Status, 0)
        for verdict in self.verdicts:
            counts[verdict.status] += 1
        return counts


@dataclass(frozen=True, slots=True)
class Job:
    device: Device
    spec: ProbeSpec


async def in_daemon_thread(fn: Callable[..., T], *args: Any) -> T:
    """Run a blocking call in a daemon thread; await its result. Cancelling the await abandons
    the thread (it ends on its own socket timeouts) without ever blocking interpreter exit."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()

    def settle(ok: bool, value: Any) -> None:
        if future.done():
            return
        if ok:
            future.set_result(value)
        else:
            future.set_exception(value)

    def target() -> None:
        try:
            result = fn(*args)
        except BaseException as exc:  # handed to the awaiting coroutine  # noqa: BLE001
            outcome: tuple[bool, Any] = (False, exc)
        else:
            outcome = (True, result)
        try:
            loop.call_soon_threadsafe(settle, *outcome)
        except RuntimeError:  # the loop is closed: nobody waits any more
            pass

    threading.Thread(target=target, name=f"probe-{getattr(fn, '__name__', 'call')}", daemon=True).start()
    return await future


async def run_probes(jobs: Iterable[Job], ctx: ProbeContext, *, emit: Callable[[list[Verdict]], None],
                     max_workers: int = 256) -> None:  # fmt: skip
    """Run every job at once (at most ``max_workers`` threads), each bounded; emit each batch."""
    jobs = list(jobs)
    slots = asyncio.Semaphore(max(8, min(max_workers, len(jobs) + 1)))

    async def run(job: Job) -> None:
        device, spec = job.device, job.spec
        timeout_s = device_timeout_s(device, ctx.timeout_s)
        own_ctx = ctx if timeout_s == ctx.timeout_s else replace(ctx, timeout_s=timeout_s)
        try:
            refuse_outside_loopback(device)
            async with slots:  # a probe's time limit starts when it gets a thread
                batch = await asyncio.wait_for(in_daemon_thread(spec.fn, device, own_ctx), probe_bound_s(timeout_s))
        except Exception as exc:  # any failure is UNKNOWN, never a crash nor a green
            if not isinstance(exc, TimeoutError) and not isinstance(exc, DeviceError):
                log.exception("probe %s of %s crashed", spec.name, device.name)
            now = dt.datetime.now(dt.UTC)
            # the message states the timeout the technician set (or the family's), the real budget
            batch = [gm.probe_failed(device.name, check, exc, measured_at=now, probe=spec.name, room=device.room,
                                     timeout_s=timeout_s) for check in spec.checks]  # fmt: skip
        if reached_by_usb(device):
            batch = [_usb_wording(v, device) for v in batch]
        emit(batch)

    await asyncio.gather(*(run(job) for job in jobs))


def refuse_outside_loopback(device: Device) -> None:
    """With PLATEAU_LOOPBACK_ONLY=1 (tests, demo), never send a packet off this machine."""
    if os.environ.get(LOOPBACK_ONLY_ENV) != "1":
        return
    spoolman = getattr(device, "spoolman_url", None)
    targets = [device.address, getattr(device, "cfgutil_host", None), urlsplit(spoolman).hostname if spoolman else None]
    _refuse_non_loopback(t for t in targets if t)


def refuse_urls_outside_loopback(urls: list[str]) -> None:
    if os.environ.get(LOOPBACK_ONLY_ENV) != "1":
        return
    _refuse_non_loopback(urlsplit(url).hostname or "" for url in urls)


def _refuse_non_loopback(hosts: Iterable[str]) -> None:
    for host in hosts:
        try:
            loopback = ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = host == "localhost"
        if not loopback:
            raise Unreachable(f"{host} is not a loopback address ({LOOPBACK_ONLY_ENV}=1)")
