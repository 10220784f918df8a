"""Typed adapter around ansible-runner: the only module that imports it.

    run_playbook(spec, listener, cancel) -> RunResult
        ansible_runner.run_async(private_data_dir=..., playbook=..., inventory=..., cmdline=...,
                                 event_handler=..., status_handler=..., cancel_callback=...)
    count_tasks(spec) -> int          ``ansible-playbook --list-tasks`` (for the progress bar)
    cached_count_tasks(spec) -> int   the same, remembered while playbooks, vars and --limit are unchanged
    EventTracker                      ansible-runner events -> per-host :class:`HostResult`

Events read (``event`` / ``event_data.host`` / ``event_data.task`` / ``event_data.res``):
``runner_on_start`` (current task), ``runner_on_ok`` (``res.changed``), ``runner_on_failed``
(``ignore_errors``), ``runner_on_unreachable``, ``runner_on_skipped`` and ``playbook_on_stats``
whose per-host counters (ok, changed, failures, dark, skipped, rescued, ignored) are final.

Failures: a loop's ``runner_on_failed`` says only "One or more items failed"; its
``res.results`` hold every item, so each failed item becomes its own :class:`TaskFailure` with
the title and the candidates who asked for it (``item.title``, ``item.requested_by`` from the
plan) and the package manager's own words (``msg``, or ``stderr`` / ``module_stderr`` when
``msg`` is Ansible's generic "non-zero return code"). Known causes (a sudo password nobody gave,
a wrong one) get a French reason saying what to do (:func:`classify`).

Secrets: the vault password reaches ansible-playbook as a *file path* on its command line;
the runner's ``starting`` status carries the whole environment, so status data is never kept
or logged (only the status word); failed results keep their message only, redacted
(:func:`redact`: credentials in URLs, ``password=...``, and every secret value the caller
passes); a ``no_log`` task's result is Ansible's "censored" notice, replaced by a safe reason.
The events tests read were recorded from a real run (tests/provisioning/data/loop_failure/).
"""

from __future__ import annotations

import hashlib
import json
import os
import shlex
import subprocess
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol

from provision.messages import render
from provision.provisioning.failures import TaskFailure, classify, failures_of, redact

#: settings for speed on repeated runs (pipelining, one SSH master connection per host)
ANSIBLE_ENV = {
    "ANSIBLE_PIPELINING": "True",
    "ANSIBLE_SSH_ARGS": "-C -o ControlMaster=auto -o ControlPersist=60s",
    "ANSIBLE_RETRY_FILES_ENABLED": "False",
    "ANSIBLE_NOCOLOR": "True",
    "ANSIBLE_FORCE_COLOR": "False",
    "ANSIBLE_DISPLAY_SKIPPED_HOSTS": "True",
}


class HostStatus(StrEnum):
    PENDING = "pending"  # no result yet (or never reached: --limit, run stopped)
    OK = "ok"
    CHANGED = "changed"
    FAILED = "failed"
    UNREACHABLE = "unreachable"
    INTERRUPTED = "interrupted"  # the run stopped (Ctrl-C, timeout) before this host's play ended


class RunStatus(StrEnum):
    SUCCESSFUL = "successful"
    FAILED = "failed"
    CANCELED = "canceled"
    TIMEOUT = "timeout"
    ERROR = "error"


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
    #: the run was cut (Ctrl-C, timeout, runner error): whatever the host did is not a result
    interrupted: bool = False
    #: what this run was to apply on the host (from the plan's extra vars): [{manager, id, title}]
    titles: list[dict[str, str]] = field(default_factory=list)
    plan_hash: str | None = None  # sha256 of this host's plan variables, as applied by this run

    @property
    def status(self) -> HostStatus:
        if self.unreachable:
            return HostStatus.UNREACHABLE
        if self.interrupted:  # a task killed by the cut also reports "failed"
            return HostStatus.INTERRUPTED
        if self.failed:
            return HostStatus.FAILED
        if self.changed:
            return HostStatus.CHANGED
        if self.ok or self.skipped or self.final:
            return HostStatus.OK
        return HostStatus.PENDING

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


@dataclass(slots=True)
class RunResult:
    status: RunStatus
    rc: int | None
    hosts: dict[str, HostResult]
    artifacts_dir: Path | None

    @property
    def failed_hosts(self) -> list[str]:
        """Hosts to run again: failed, unreachable, or interrupted before their play ended."""
        bad = (HostStatus.FAILED, HostStatus.UNREACHABLE, HostStatus.INTERRUPTED)
        return sorted(h for h, r in self.hosts.items() if r.status in bad)


class ProgressListener(Protocol):
    """Lifecycle hooks (the live view implements them); called from the runner's thread."""

    def task_started(self, host: str, task: str) -> None: ...

    def host_updated(self, result: HostResult) -> None: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class RunSpec:
    private_data_dir: Path
    playbook: Path
    inventory: Path
    extravars_file: Path
    vault_password_file: Path | None
    limit: str | None = None
    forks: int | None = None
    check: bool = False
    envvars: Mapping[str, str] = field(default_factory=dict)
    ident: str | None = None
    rotate_artifacts: int = 20

    def cmdline(self) -> list[str]:
        args = ["-e", f"@{self.extravars_file}"]
        if self.vault_password_file is not None:
            args += ["--vault-password-file", str(self.vault_password_file)]
        if self.check:
            args += ["--check", "--diff"]
        return args

    def environment(self) -> dict[str, str]:
        # ansible-playbook and its helpers (ansible-connection...) come from plateau's own
        # environment, whether or not the virtualenv is "activated" in the shell
        bin_dir = str(Path(sys.executable).parent)
        path = os.pathsep.join([bin_dir, os.environ.get("PATH", "/usr/bin:/bin")])
        return {**ANSIBLE_ENV, "PATH": path, "ANSIBLE_ROLES_PATH": str(self.playbook.parent / "roles"), **self.envvars}


__all__ = ["TaskFailure", "classify", "redact"]  # re-exported: the run's results carry them


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
            elif kind == "runner_on_failed":
                if data.get("ignore_errors"):
                    result.ignored += 1
                else:
                    result.failed += 1
                    result.failures.extend(failures_of(task, res, self.secrets))
            elif kind == "runner_on_unreachable":
                result.unreachable += 1
                failure = failures_of(task, res, self.secrets, unreachable=True)[0]
                failure.item = None
                result.failures.append(failure)
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


_RUN_STATUS = {
    "successful": RunStatus.SUCCESSFUL,
    "failed": RunStatus.FAILED,
    "canceled": RunStatus.CANCELED,
    "timeout": RunStatus.TIMEOUT,
}


def run_playbook(
    spec: RunSpec,
    listener: ProgressListener | None = None,
    cancel: threading.Event | None = None,
    on_status: Callable[[str], None] | None = None,
    secrets: Sequence[str] = (),
) -> RunResult:
    """Run ``spec.playbook``; return when it ends or ``cancel`` is set (then status CANCELED).

    The caller's thread only waits: Ctrl-C there sets ``cancel``, which the runner polls
    through ``cancel_callback`` and answers by stopping ansible-playbook; the next run starts
    over and, the playbooks being idempotent, only redoes what was left.
    """
    import ansible_runner  # the only import of ansible_runner in plateau

    cancel = cancel or threading.Event()
    tracker = EventTracker(listener, secrets)  # secrets: values redacted from failure messages
    for name, applied in planned_hosts(spec).items():  # every host the run targets has a result
        tracker.hosts[name] = HostResult(name, titles=applied["titles"], plan_hash=applied["plan_hash"])
    spec.private_data_dir.mkdir(parents=True, exist_ok=True)

    def event_handler(event: dict[str, Any]) -> bool:
        tracker.feed(event)
        return True  # keep the event in artifacts (its no_log results are already censored)

    def status_handler(status: dict[str, Any], runner_config: Any = None) -> None:
        # status["status"] only: the "starting" status also holds the full environment
        if on_status is not None:
            on_status(str(status.get("status", "")))

    thread, runner = ansible_runner.run_async(
        private_data_dir=str(spec.private_data_dir),
        project_dir=str(spec.playbook.parent),
        playbook=str(spec.playbook),
        inventory=str(spec.inventory),
        cmdline=shlex.join(spec.cmdline()),
        limit=spec.limit,
        forks=spec.forks,
        envvars=spec.environment(),
        ident=spec.ident,
        rotate_artifacts=spec.rotate_artifacts,
        quiet=True,
        event_handler=event_handler,
        status_handler=status_handler,
        cancel_callback=cancel.is_set,
        settings={"pexpect_timeout": 1},  # how often cancel_callback is polled (s)
    )
    try:
        while thread.is_alive():
            thread.join(0.2)
    except KeyboardInterrupt:
        cancel.set()
        thread.join()
    status = _RUN_STATUS.get(str(runner.status), RunStatus.ERROR)
    if cancel.is_set():
        status = RunStatus.CANCELED
    mark_interrupted(tracker.hosts, status)
    artifacts = Path(runner.config.artifact_dir) if getattr(runner.config, "artifact_dir", None) else None
    return RunResult(status, runner.rc, tracker.hosts, artifacts)


def mark_interrupted(hosts: Mapping[str, HostResult], status: RunStatus) -> None:
    """A run that did not end on its own (canceled, timed out, runner error) leaves every host
    « interrompu », never ok, whatever tasks it had already passed: ansible-playbook stopped by
    SIGINT still prints its stats (the task it killed counted as failed), so "final" counters
    do not tell a finished host from a cut one."""
    if status in (RunStatus.CANCELED, RunStatus.TIMEOUT, RunStatus.ERROR):
        for result in hosts.values():
            result.interrupted = True


def planned_hosts(spec: RunSpec) -> dict[str, dict[str, Any]]:
    """What the run applies, per targeted host, from its extra vars (``plateau_hosts``): the
    packages and titles, and a hash of the host's variables (the plan it got)."""
    try:
        payload = json.loads(spec.extravars_file.read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    hosts = payload.get("plateau_hosts") if isinstance(payload, Mapping) else None
    if not isinstance(hosts, Mapping):
        return {}
    limit = {h.strip() for h in spec.limit.split(",")} if spec.limit else None
    out: dict[str, dict[str, Any]] = {}
    for name, variables in hosts.items():
        if limit is not None and name not in limit:
            continue
        titles = [
            {"manager": manager, "id": str(item.get("id")), "title": str(item.get("title"))}
            for manager, items in sorted(variables.items()) if isinstance(items, list)
            for item in items if isinstance(item, Mapping)
        ]  # fmt: skip
        digest = hashlib.sha256(json.dumps(variables, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
        out[str(name)] = {"titles": titles, "plan_hash": digest}
    return out


def count_tasks(spec: RunSpec) -> int:
    """Tasks listed by ``ansible-playbook --list-tasks`` for the progress bar (0 if unknown)."""
    args = [_ansible_playbook(), "-i", str(spec.inventory), str(spec.playbook), "--list-tasks", *spec.cmdline()]
    if spec.limit:
        args += ["--limit", spec.limit]
    env = {**os.environ, **spec.environment()}
    try:
        out = subprocess.run(args, capture_output=True, text=True, timeout=120, env=env, check=False).stdout
    except (OSError, subprocess.TimeoutExpired):
        return 0
    return parse_task_count(out)


TASK_COUNT_FILE = "task-count.json"


def _task_count_key(spec: RunSpec) -> str:
    """Everything the listing depends on: playbook files, extra vars, inventory file, options."""
    digest = hashlib.sha256()
    roots = spec.playbook.parent
    for path in sorted(p for p in roots.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(roots)).encode() + b"\0" + path.read_bytes() + b"\0")
    for path in (spec.extravars_file, spec.inventory):
        digest.update(path.read_bytes() if path.is_file() else b"-")
    digest.update(json.dumps([str(spec.playbook), spec.limit, spec.check]).encode())
    return digest.hexdigest()


def cached_count_tasks(spec: RunSpec) -> int:
    """:func:`count_tasks`, kept in the private data dir: a re-run of an unchanged plan skips the
    extra ``ansible-playbook --list-tasks`` start (about a second, a tenth of a no-change run)."""
    store = spec.private_data_dir / TASK_COUNT_FILE
    try:
        key = _task_count_key(spec)
    except OSError:
        return count_tasks(spec)
    try:
        saved = json.loads(store.read_text())
        if saved.get("key") == key and int(saved.get("tasks", 0)) > 0:
            return int(saved["tasks"])
    except (OSError, ValueError, TypeError, AttributeError):
        pass
    tasks = count_tasks(spec)
    if tasks > 0:
        try:
            store.write_text(json.dumps({"key": key, "tasks": tasks}))
        except OSError:
            pass
    return tasks


def parse_task_count(listing: str) -> int:
    """Count task lines (six-space indent under ``tasks:``) of a ``--list-tasks`` listing."""
    count = 0
    in_tasks = False
    for line in listing.splitlines():
        stripped = line.strip()
        if stripped == "tasks:":
            in_tasks = True
        elif in_tasks and line.startswith("      ") and stripped:
            count += 1
        elif stripped.startswith("play #"):
            in_tasks = False
    return count


def _ansible_playbook() -> str:
    """The ansible-playbook of plateau's own environment (PATH may not include it)."""
    exe = Path(sys.executable).parent / "ansible-playbook"
    return str(exe) if exe.exists() else "ansible-playbook"
