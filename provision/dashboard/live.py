"""Live state of the dashboard: the newest verdicts, the sweeps in flight, and the SSE clients.

The sweep calls ``Hub.on_verdict`` for each verdict as its probe finishes (in the server's
event loop); the hub keeps it, renders the parts of the page it changes once, and puts the
result on every connected client's queue. A slow client whose queue is full is dropped (its
browser reconnects and resynchronises), it never slows the sweep down.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from checks.model import Verdict, utcnow
from provision.context import Loaded
from provision.errors import PlateauError
from provision.families import probe_for
from provision.messages import render
from provision.sweep import attestation_verdicts, select, sweep_async

log = logging.getLogger("plateau.dashboard")
QUEUE_SIZE = 500
FLUSH_S = 0.15


def _key(verdict: Verdict) -> tuple[str, str, str]:
    """One verdict per (device, check, title): a workstation's software verdict of one title never
    replaces another title's (see provision.readiness.newest)."""
    return (verdict.device, verdict.check, str(verdict.params.get("title_id") or verdict.facts.get("title_id") or ""))


@dataclass(frozen=True, slots=True)
class Event:
    name: str  # "verdict" or "sweep"
    data: dict[str, Any]


class Hub:
    """One per app. ``render(device names)`` gives {html id: fragment} of what those change."""

    def __init__(self, loaded: Loaded, store, *, timeout_s: float) -> None:
        self.loaded = loaded
        self.store = store
        self.timeout_s = timeout_s
        self.render: Callable[[Iterable[str]], dict[str, str]] = lambda devices: {}
        known = {d.name for d in loaded.inventory.devices}
        self.current: dict[tuple[str, str, str], Verdict] = {
            _key(v): v for v in store.latest_verdicts()
            if v.device in known or v.device.startswith(("centre:", "salle:"))
        }  # fmt: skip
        last = store.latest_sweep()
        self.last_sweep_at: dt.datetime | None = last.finished_at if last else None
        self.checking: set[str] = set()
        self.full_sweep_running = False
        #: (key, params) of the last failed sweep or store write, and the devices it was checking:
        #: their verdicts are UNKNOWN until a sweep of them succeeds (no green left from before)
        self.failure: tuple[str, dict[str, Any]] | None = None
        self.failed_devices: set[str] = set()
        #: the last sweep of this run failed (for the "finished" announcement)
        self.last_sweep_failed = False
        #: automatic re-check interval, in seconds (0: off); shown on the page
        self.recheck_s = 0.0
        self._clients: set[asyncio.Queue[Event | None]] = set()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._dirty: dict[str, Verdict] = {}
        self._flush_handle: asyncio.TimerHandle | None = None

    # --- state --------------------------------------------------------------------------
    def verdicts(self) -> list[Verdict]:
        return list(self.current.values())

    def attested(self) -> list[Verdict]:
        """Fresh attestation verdicts: an attestation that expired a minute ago is red now."""
        return attestation_verdicts(self.loaded, self.store, room=None, devices=None, now=utcnow())

    # --- clients ------------------------------------------------------------------------
    def subscribe(self) -> asyncio.Queue[Event | None]:
        queue: asyncio.Queue[Event | None] = asyncio.Queue(QUEUE_SIZE)
        self._clients.add(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue[Event | None]) -> None:
        self._clients.discard(queue)

    @property
    def client_count(self) -> int:
        return len(self._clients)

    def publish(self, event: Event | None) -> None:
        for queue in list(self._clients):
            try:
                queue.put_nowait(event)
            except asyncio.QueueFull:
                log.warning("dashboard client too slow: dropped")
                self._clients.discard(queue)

    def close(self) -> None:
        if self._flush_handle is not None:
            self._flush_handle.cancel()
        self.publish(None)
        for task in list(self._tasks):
            task.cancel()

    # --- verdicts -----------------------------------------------------------------------
    def on_verdict(self, verdict: Verdict) -> None:
        """Keep the verdict; the page parts it changes are pushed at most every FLUSH_S (a sweep of
        200 devices yields hundreds of verdicts: render once per batch, not once per verdict)."""
        self.current[_key(verdict)] = verdict
        self._dirty[verdict.device] = verdict
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return self.flush()
        if self._flush_handle is None:
            self._flush_handle = loop.call_later(FLUSH_S, self.flush)

    def flush(self) -> None:
        self._flush_handle = None
        dirty, self._dirty = self._dirty, {}
        if not dirty or not self._clients:
            return
        html = self._safe_render(dirty)
        self.publish(Event("verdict", {"devices": {name: str(v.status) for name, v in dirty.items()}, "html": html}))

    def record_attestation_verdicts(self, room: str, device: str | None) -> list[Verdict]:
        """After a form: recompute, store and push the attestation verdicts of that scope."""
        batch = attestation_verdicts(self.loaded, self.store, room=room,
                                     devices=[device] if device else None, now=utcnow())  # fmt: skip
        sweep_id = self.store.start_sweep(f"attestation room={room} device={device}")
        self.store.add_verdicts(sweep_id, batch)
        self.store.finish_sweep(sweep_id)
        for verdict in batch:
            self.on_verdict(verdict)
        return batch

    # --- sweeps -------------------------------------------------------------------------
    def start_sweep(self, *, room: str | None = None, devices: Iterable[str] | None = None) -> bool:
        """Start a sweep in the running loop; False when everything asked is already being checked."""
        devices = list(devices) if devices is not None else None
        names = {d.name for d in select(self.loaded, room=room, devices=devices) if probe_for(d)}
        full = room is None and devices is None
        if (full and self.full_sweep_running) or (not full and names and names <= self.checking):
            return False
        if not full and not names:  # a manual device: re-evaluate its attestation only
            names = set(devices or [])
        self.checking |= names
        self.full_sweep_running |= full
        task = asyncio.get_running_loop().create_task(self._sweep(room, devices, names, full))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return True

    def failure_message(self) -> str | None:
        return render(self.failure[0], self.failure[1]) if self.failure else None

    async def _sweep(self, room: str | None, devices: list[str] | None, names: set[str], full: bool) -> None:
        self.publish(Event("sweep", {"state": "started", "room": room, "devices": sorted(names),
                                     "html": self._safe_render(names)}))  # fmt: skip
        problem_before = getattr(self.store, "problem", None)
        failed: tuple[str, dict[str, Any]] | None = None
        try:
            result = await sweep_async(self.loaded, store=self.store, room=room, devices=devices,
                                       timeout_s=self.timeout_s, on_verdict=self._done_one)  # fmt: skip
            problem = getattr(self.store, "problem", None)
            if problem is not None and problem is not problem_before:  # a soft store stopped saving
                failed = ("readiness.store_failed", {"problem": render(problem.key, problem.params)})
            elif full:
                self.last_sweep_at = result.finished_at
        except PlateauError as exc:  # the store refused a write (disk full...): shown, never "terminée"
            log.exception("dashboard sweep failed")
            first = exc.problems[0] if exc.problems else None
            failed = ("readiness.store_failed",
                      {"problem": render(first.key, first.params) if first else type(exc).__name__})  # fmt: skip
        except Exception as exc:  # keep serving; the devices it checked turn unknown
            log.exception("dashboard sweep failed")
            failed = ("readiness.sweep_failed", {"reason": type(exc).__name__})
        finally:
            self.last_sweep_failed = failed is not None
            if failed is not None:
                self.failure = failed
                self.failed_devices |= names
            else:
                self.failed_devices -= names
                if not self.failed_devices:
                    self.failure = None
            self.checking -= names
            if full:
                self.full_sweep_running = False
            self.flush()
            self.publish(Event("sweep", {"state": "finished", "room": room, "devices": sorted(names),
                                         "html": self._safe_render(names)}))  # fmt: skip

    async def recheck_every(self, interval_s: float) -> None:
        """Re-check the whole centre on its own every ``interval_s`` (dashboard_recheck_min)."""
        while True:
            await asyncio.sleep(interval_s)
            try:
                self.start_sweep()
            except Exception:  # the next round tries again
                log.exception("dashboard: automatic re-check failed to start")

    def _done_one(self, verdict: Verdict) -> None:
        # the device is no longer "being checked" once its first verdict is in
        self.checking.discard(verdict.device)
        self.on_verdict(verdict)

    def _safe_render(self, devices: Iterable[str]) -> dict[str, str]:
        try:
            return self.render(devices)
        except Exception:
            log.exception("dashboard: cannot render")
            return {}

    async def wait_idle(self, timeout_s: float = 30.0) -> None:
        """For tests and shutdown: wait until no sweep is running."""
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=timeout_s)
