"""What the technician sees during and after ``plateau provision``.

LiveView      Rich ``Live``: one row per host (state, current task, its own tasks done / its
              task count, ok / changed / failed) above an overall progress bar; implements
              runner.ProgressListener. Each host is counted against its own task count and
              never goes back; it is full only at its own end (strategy free: hosts end apart),
              « en cours » until then, never « prêt »
print_summary the final table, each failure's reason, and the exact command that retries
              only the failed hosts
"""

from __future__ import annotations

import shlex
import shutil
import sys
import threading
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console, Group
from rich.live import Live
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from provision.messages import render
from provision.provisioning.runner import HostResult, HostStatus, RunResult, RunStatus, TaskFailure

STYLE = {
    HostStatus.PENDING: "dim",
    HostStatus.RUNNING: "cyan",
    HostStatus.OK: "green",
    HostStatus.CHANGED: "yellow",
    HostStatus.FAILED: "bold red",
    HostStatus.UNREACHABLE: "bold red",
    HostStatus.INTERRUPTED: "bold yellow",
}


def status_label(status: HostStatus) -> str:
    return render(f"provision.status_{status.value}")


class LiveView:
    """Live table + progress bar; thread-safe (the runner calls it from its own thread)."""

    def __init__(self, console: Console, hosts: Sequence[str], tasks_per_host: int) -> None:
        self.console = console
        self.rows: dict[str, HostResult] = {h: HostResult(h) for h in hosts}
        self.tasks_per_host = max(tasks_per_host, 1)
        #: tasks counted so far per host: only ever grows (a host's bar never goes back)
        self.counted: dict[str, int] = dict.fromkeys(hosts, 0)
        self._lock = threading.Lock()
        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
        )
        self._bar = self.progress.add_task(render("provision.progress"), total=self.tasks_per_host * len(hosts))
        self._live = Live(self, console=console, refresh_per_second=4, transient=False)

    # -- runner.ProgressListener
    # (a host outside the run's hosts, one the plan does not list, only passes by: not shown)
    def task_started(self, host: str, task: str) -> None:
        with self._lock:
            if host in self.rows:
                self.rows[host].current_task = task

    def host_updated(self, result: HostResult) -> None:
        with self._lock:
            if result.host not in self.rows:
                return
            self.rows[result.host] = result
            self.counted[result.host] = max(self.counted[result.host], self.host_done(result))
            done = sum(self.counted.values())
        self.progress.update(self._bar, completed=done)

    def host_done(self, row: HostResult) -> int:
        """Tasks of *row* counted done: all of them once the host has ended (its last task, its
        stats, unreachable), else those it reported, short of the last (a rescue it skipped or an
        end it jumped to would otherwise finish it early)."""
        if row.ended:
            return self.tasks_per_host
        return min(row.tasks_done, self.tasks_per_host - 1)

    # -- rendering
    def __rich__(self) -> Group:
        table = Table(expand=True, show_edge=False)
        table.add_column(render("provision.col_host"), no_wrap=True)
        table.add_column(render("provision.col_status"), no_wrap=True)
        table.add_column(render("provision.col_task"), ratio=1, overflow="ellipsis", no_wrap=True)
        table.add_column(render("provision.col_progress"), justify="right", no_wrap=True)
        for col in ("ok", "changed", "failed"):
            table.add_column(render(f"provision.col_{col}"), justify="right")
        with self._lock:
            rows = sorted(self.rows.values(), key=lambda r: r.host)
            counted = dict(self.counted)
        for row in rows:
            status = row.status
            table.add_row(
                row.host,
                f"[{STYLE[status]}]{status_label(status)}[/]",
                escape(row.current_task or ""),
                f"{counted.get(row.host, 0)}/{self.tasks_per_host}",
                str(row.ok),
                str(row.changed),
                str(row.failed + row.unreachable),
            )
        return Group(table, self.progress)

    def __enter__(self) -> LiveView:
        self._live.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self._live.stop()


def plateau_program() -> list[str]:
    """How to start this very plateau from the current directory, as a shell would run it:
    ``plateau`` when that is what PATH finds, else the console script's path (``.venv/bin/plateau``
    when the virtualenv is not activated), else the interpreter running the CLI's entry point."""
    script = Path(sys.executable).parent / "plateau"
    on_path = shutil.which("plateau")
    if on_path and (not script.exists() or Path(on_path).resolve() == script.resolve()):
        return ["plateau"]
    if script.exists():
        from provision.paths import shown

        path = shown(script)
        return [path if "/" in path else f"./{path}"]
    return [sys.executable, "-c", "from provision.cli import main; main()"]


def retry_command(inventory: Path, failed: Sequence[str], *, check: bool = False, forks: int | None = None,
                  program: Sequence[str] = ("plateau",)) -> str:  # fmt: skip
    """``plateau provision -i DIR --limit h1,h2`` (shell-quoted) for the failed hosts; ``program``
    is how to start plateau (:func:`plateau_program` for a command runnable as printed)."""
    args = [*program, "provision", "-i", str(inventory)]
    if check:
        args.append("--check")
    if forks:
        args += ["--forks", str(forks)]
    args += ["--limit", ",".join(failed)]
    return shlex.join(args)


#: failures listed per host in the summary (the rest are counted, and kept in the store)
FAILURES_SHOWN = 5


def describe_failure(failure: TaskFailure) -> str:
    """« Logiciel fantôme — demandé par candidat:C07 : No package matching ... » for a loop item,
    « task [item] : message » otherwise."""
    if failure.title:
        who = ", ".join(failure.requested_by) or "—"
        return render(
            "provision.failure_item",
            {"title": failure.title, "who": who, "message": failure.message, "task": failure.task},
        )
    return f"{failure.task}{f' [{failure.item}]' if failure.item else ''} : {failure.message}"


def failure_lines(failures: Sequence[TaskFailure]) -> str:
    lines = [describe_failure(f) for f in failures[:FAILURES_SHOWN]]
    if len(failures) > FAILURES_SHOWN:
        lines.append(render("provision.failures_more", {"count": len(failures) - FAILURES_SHOWN}))
    return "\n".join(lines)


def print_summary(
    console: Console,
    result: RunResult,
    inventory: Path,
    hosts: Sequence[str],
    *,
    check: bool = False,
    forks: int | None = None,
) -> None:
    table = Table(title=render("provision.summary_title"), expand=False)
    table.add_column(render("provision.col_host"), no_wrap=True)
    table.add_column(render("provision.col_status"))
    for col in ("ok", "changed", "failed"):
        table.add_column(render(f"provision.col_{col}"), justify="right")
    table.add_column(render("provision.col_reason"), overflow="fold")
    rows = {h: result.hosts.get(h, HostResult(h)) for h in hosts}
    rows.update(result.hosts)
    for name in sorted(rows):
        row = rows[name]
        status = row.status
        reason = failure_lines(row.failures)
        if row.warnings:
            warned = "\n".join(f"[yellow]⚠[/] {escape(w.message)}" for w in row.warnings)
            reason = f"{escape(reason)}\n{warned}" if reason else warned
        else:
            reason = escape(reason)
        table.add_row(
            name,
            f"[{STYLE[status]}]{status_label(status)}[/]",
            str(row.ok),
            str(row.changed),
            str(row.failed + row.unreachable),
            reason,
        )
    console.print(table)

    failed = result.failed_hosts
    if result.status is RunStatus.CANCELED:
        console.print(f"[bold yellow]{render('provision.canceled')}[/]")
        pending = sorted(n for n, r in rows.items() if r.status in (HostStatus.PENDING, HostStatus.INTERRUPTED))
        failed = sorted({*failed, *pending})
    elif result.status in (RunStatus.ERROR, RunStatus.TIMEOUT) or (result.status is RunStatus.FAILED and not failed):
        console.print(
            f"[bold red]{render('provision.runner_error', {'rc': result.rc, 'artifacts': result.artifacts_dir})}[/]"
        )
    if failed:
        console.print(render("provision.some_failed", {"failed": len(failed), "hosts": len(rows)}), style="bold red")
        console.print(render("provision.retry"))
        console.print(
            f"  {retry_command(inventory, failed, check=check, forks=forks, program=plateau_program())}",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
    elif result.status is RunStatus.SUCCESSFUL:
        changed = sum(1 for r in rows.values() if r.status is HostStatus.CHANGED)
        key = "provision.check_ok" if check else "provision.all_ok"
        console.print(f"[bold green]✓[/] {render(key, {'hosts': len(rows), 'changed': changed})}")
