"""ansible-runner events -> per-host results (pure: feed it recorded events).

    EventTracker.feed(event)     one ansible-runner event dict
    HostResult                   what one host did; ``status`` is « en cours » until the host ends
    interrupt_hosts(hosts, cut)  a run that did not end on its own leaves no host ok

Events read (``event`` / ``event_data.host`` / ``event_data.task`` / ``event_data.res``):
``runner_on_start`` (current task), ``runner_on_ok`` (``res.changed``, ``res.ansible_facts``),
``runner_on_failed`` (``ignore_errors``), ``runner_on_unreachable``, ``runner_on_skipped`` and
``playbook_on_stats`` whose per-host counters (ok, changed, failures, dark, skipped, rescued,
ignored) are final.

A host's end: site.yml runs with strategy free, so each host ends at its own pace, long before
the playbook's stats. Its last task sets the fact ``plateau_host_done``; from that event on the
host is « prêt » / « modifié ». Before it, a host that answered is « en cours » (never green),
one that did not yet is « en attente »; a failed or unreachable one is ended by its failure.

Failures: a loop's ``runner_on_failed`` says only "One or more items failed"; its
``res.results`` hold every item, so each failed item becomes its own :class:`TaskFailure` with
the title and the candidates who asked for it and the package manager's own words
(:mod:`provision.provisioning.failures`, which also redacts them and names known causes: sudo
without a password, a ``no_log`` task, a task past its timeout).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

from provision.messages import render
from provision.provisioning.failures import TaskFailure, failures_of, redact

#: the fact site.yml's last task sets on each host: the host's own end (strategy free)
DONE_FACT = "plateau_host_done"


class HostStatus(StrEnum):
    PENDING = "pending"  # no result yet (or never reached: --limit, run stopped)
    RUNNING = "running"  # answered, not at its end yet: never « prêt »
    OK = "ok"
    CHANGED = "changed"
    FAILED = "failed"
    UNREACHABLE = "unreachable"
    INTERRUPTED = "interrupted"  # the run stopped (Ctrl-C, timeout) before this host's play ended


@dataclass(slots=True)
class HostResult:
    host: str
    ok: int = 0
    changed: int = 0
    failed: int = 0
    unreachable: int = 0
    skipped: int = 0
    rescued: int = 0
    ignored: int = 0
    #: task results received (ok, failed, skipped, unreachable): drives the progress bar
    tasks_done: int = 0
    current_task: str | None = None
    failures: list[TaskFailure] = field(default_factory=list)
    #: what did not block the host but was not done (a rescued step, dconf absent...): <role>_warning facts
    warnings: list[TaskFailure] = field(default_factory=list)
    final: bool = False  # counters come from playbook_on_stats
    #: the host ran site.yml's last task (its own end, before the playbook's stats)
    done: bool = False
    #: the run was cut (Ctrl-C, timeout, runner error): whatever the host did is not a result
    interrupted: bool = False
    #: what this run was to apply on the host (from the plan's extra vars): [{manager, id, title}]
    titles: list[dict[str, str]] = field(default_factory=list)
    plan_hash: str | None = None  # sha256 of this host's plan variables, as applied by this run

    @property
    def ended(self) -> bool:
        """Nothing more will happen on this host in this run (its end, its stats, or unreachable)."""
        return self.done or self.final or self.unreachable > 0

    @property
    def status(self) -> HostStatus:
        if self.unreachable:
            return HostStatus.UNREACHABLE
        if self.interrupted:  # a task killed by the cut also reports "failed"
            return HostStatus.INTERRUPTED
        if self.failed:
            return HostStatus.FAILED
        if not (self.done or self.final):
            return HostStatus.RUNNING if (self.tasks_done or self.current_task) else HostStatus.PENDING
        return HostStatus.CHANGED if self.changed else HostStatus.OK

    def as_detail(self) -> dict[str, Any]:
        return {
            "outcome": self.status.value,
            "final": self.final,
            "plan_hash": self.plan_hash,
            "titles": self.titles,
            "skipped": self.skipped,
            "rescued": self.rescued,
            "ignored": self.ignored,
            "failures": [_failure_detail(f) for f in self.failures],
            "warnings": [_failure_detail(f) for f in self.warnings],
        }


def _failure_detail(f: TaskFailure) -> dict[str, Any]:
    return {
        "task": f.task,
        "message": f.message,
        "item": f.item,
        "unreachable": f.unreachable,
        "title": f.title,
        "requested_by": f.requested_by,
        "reason": f.reason,
    }


class ProgressListener(Protocol):
    """Lifecycle hooks (the live view implements them); called from the runner's thread."""

    def task_started(self, host: str, task: str) -> None: ...

    def host_updated(self, result: HostResult) -> None: ...


class EventTracker:
    """Fold ansible-runner event dicts into per-host results. Pure: feed it recorded events."""

    def __init__(self, listener: ProgressListener | None = None, secrets: Sequence[str] = ()) -> None:
        self.hosts: dict[str, HostResult] = {}
        self.listener = listener
        #: values never to show (the caller's vault secrets), on top of the pattern redaction
        self.secrets = tuple(secrets)
        self._lock = threading.Lock()

    def host(self, name: str) -> HostResult:
        return self.hosts.setdefault(name, HostResult(name))

    def feed(self, event: Mapping[str, Any]) -> None:
        kind = event.get("event", "")
        data = event.get("event_data") or {}
        if kind == "playbook_on_stats":
            self._stats(data)
            return
        name = data.get("host")
        if not name or not kind.startswith("runner_on_"):
            return
        task = str(data.get("task") or "")
        res = data.get("res") or {}
        with self._lock:
            result = self.host(name)
            if kind == "runner_on_start":
                result.current_task = task
                if self.listener:
                    self.listener.task_started(name, task)
                return
            result.tasks_done += 1
            if kind == "runner_on_ok":
                result.ok += 1
                if res.get("changed"):
                    result.changed += 1
                facts = res.get("ansible_facts")
                for fact_name, fact in facts.items() if isinstance(facts, Mapping) else ():
                    if str(fact_name).endswith("_warning") and isinstance(fact, Mapping) and "key" in fact:
                        self._warning(result, task, fact)
                    elif fact_name == DONE_FACT and fact:
                        result.done = True
                        result.current_task = None
            elif kind == "runner_on_failed":
                if data.get("ignore_errors"):
                    result.ignored += 1
                else:
                    result.failed += 1
                    result.failures.extend(failures_of(task, res, self.secrets, host=name))
            elif kind == "runner_on_unreachable":
                result.unreachable += 1
                failure = failures_of(task, res, self.secrets, unreachable=True, host=name)[0]
                failure.item = None
                result.failures.append(failure)
                result.current_task = None
            elif kind == "runner_on_skipped":
                result.skipped += 1
            else:
                result.tasks_done -= 1
                return
        if self.listener:
            self.listener.host_updated(result)

    def _warning(self, result: HostResult, task: str, fact: Mapping[str, Any]) -> None:
        """A role's ``<role>_warning`` fact: ``{key, params, rescued}`` (message key
        ``provision.warning_<key>``). A rescued one turns
        the failure it rescued (the last) into a warning: the host goes on, and says what was not done."""
        params = {str(k): redact(str(v), self.secrets) for k, v in (fact.get("params") or {}).items()}
        key = f"provision.warning_{fact.get('key', 'generic')}"
        params.setdefault("task", task)
        if fact.get("rescued") and result.failures and result.failed > 0:
            last = result.failures[-1].task  # a loop task left one failure per failed item
            while result.failures and result.failures[-1].task == last:
                cause = result.failures.pop()
                result.warnings.append(
                    TaskFailure(cause.task, render(key, {**params, "detail": cause.message}), cause.item, reason=key)
                )
            result.failed -= 1
            return
        params.setdefault("detail", "")
        result.warnings.append(TaskFailure(task, render(key, params), None, reason=key))

    def _stats(self, data: Mapping[str, Any]) -> None:
        names = set()
        for key in ("ok", "changed", "failures", "dark", "skipped", "rescued", "ignored", "processed"):
            names |= set((data.get(key) or {}).keys())
        with self._lock:
            for name in names:
                result = self.host(name)
                result.ok = int((data.get("ok") or {}).get(name, 0))
                result.changed = int((data.get("changed") or {}).get(name, 0))
                result.failed = int((data.get("failures") or {}).get(name, 0))
                result.unreachable = int((data.get("dark") or {}).get(name, 0))
                result.skipped = int((data.get("skipped") or {}).get(name, 0))
                result.rescued = int((data.get("rescued") or {}).get(name, 0))
                result.ignored = int((data.get("ignored") or {}).get(name, 0))
                result.current_task = None
                result.final = True
        if self.listener:
            for name in sorted(names):
                self.listener.host_updated(self.hosts[name])


def interrupt_hosts(hosts: Mapping[str, HostResult], cut: bool) -> None:
    """A run that did not end on its own (*cut*: canceled, timed out, runner error) leaves every host
    « interrompu », never ok, whatever tasks it had already passed: ansible-playbook stopped by
    SIGINT still prints its stats (the task it killed counted as failed), so "final" counters
    do not tell a finished host from a cut one. A run that ended without stats (ansible-playbook
    died) leaves its « en cours » hosts interrompus too."""
    for result in hosts.values():
        if cut or result.status is HostStatus.RUNNING:
            result.interrupted = True
