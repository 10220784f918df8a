"""Typed adapter around ansible-runner: the only module that imports it.

    run_playbook(spec, listener, cancel, secrets=...) -> RunResult
        ansible_runner.run_async(private_data_dir=..., playbook=..., inventory=..., cmdline=...,
                                 event_handler=..., status_handler=..., cancel_callback=...)
    count_tasks(spec) -> int          ``ansible-playbook --list-tasks`` (for the progress bar)
    cached_count_tasks(spec) -> int   the same, remembered while playbooks, vars and --limit are unchanged

Events become per-host results in :mod:`provision.provisioning.events` (:class:`EventTracker`).

Secrets: the vault password reaches ansible-playbook as a *file path* on its command line;
the runner's ``starting`` status carries the whole environment, so status data is never kept
or logged (only the status word). Every secret value the caller passes (the vault's) is taken
out of each event before ansible-runner writes it to its artifacts (:func:`scrub`), and out of
every failure message (:func:`redact`, which also hides ``scheme://user:pass@`` and
``password=...``); ansible-runner's raw ``stdout`` file is not written (an installer may print a
secret there); a ``no_log`` task's result is Ansible's "censored" notice, replaced by a safe reason.
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
from typing import Any

from provision.provisioning.events import (
    EventTracker,
    HostResult,
    HostStatus,
    ProgressListener,
    interrupt_hosts,
)
from provision.provisioning.failures import TaskFailure, classify, redact, scrub

#: settings for speed on repeated runs (pipelining, one SSH master connection per host)
ANSIBLE_ENV = {
    "ANSIBLE_PIPELINING": "True",
    "ANSIBLE_SSH_ARGS": "-C -o ControlMaster=auto -o ControlPersist=60s",
    "ANSIBLE_RETRY_FILES_ENABLED": "False",
    "ANSIBLE_NOCOLOR": "True",
    "ANSIBLE_FORCE_COLOR": "False",
    "ANSIBLE_DISPLAY_SKIPPED_HOSTS": "True",
}

# re-exported: the run's results carry them
__all__ = [
    "EventTracker",
    "HostResult",
    "HostStatus",
    "ProgressListener",
    "RunResult",
    "RunSpec",
    "RunStatus",
    "TaskFailure",
    "classify",
    "redact",
    "run_playbook",
]


class RunStatus(StrEnum):
    SUCCESSFUL = "successful"
    FAILED = "failed"
    CANCELED = "canceled"
    TIMEOUT = "timeout"
    ERROR = "error"


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
        scrub(event, secrets)  # in place: ansible-runner writes this very dict to its artifacts
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
        # pexpect_timeout: how often cancel_callback is polled (s); no raw stdout file (secrets)
        settings={"pexpect_timeout": 1, "suppress_output_file": True},
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
    """A canceled, timed-out or broken run leaves every host « interrompu », never ok
    (:func:`~provision.provisioning.events.interrupt_hosts`)."""
    interrupt_hosts(hosts, status in (RunStatus.CANCELED, RunStatus.TIMEOUT, RunStatus.ERROR))


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
