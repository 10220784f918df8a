"""Runs record what they applied, and an interrupted host is « interrompu », never ok.

The real path: ansible-runner runs a tiny playbook on two local hosts and is canceled while
the second task runs (what Ctrl-C does in ``plateau provision``)."""

from __future__ import annotations

import json
import shlex
import shutil
import subprocess
import threading
from pathlib import Path

import pytest
from rich.console import Console

from provision.provisioning.runner import (
    EventTracker,
    HostResult,
    HostStatus,
    RunResult,
    RunSpec,
    RunStatus,
    mark_interrupted,
    planned_hosts,
    run_playbook,
)
from provision.provisioning.view import plateau_program, print_summary, retry_command

PLAN = {"plateau_hosts": {
    "pc-a": {"platform": "linux", "apt": [{"id": "vlc", "title": "VLC media player", "requested_by": ["candidat:C01"]}],
             "flatpak": [], "admin": {"login": "jury", "secret_var": "admin_password"}},
    "pc-b": {"platform": "linux", "apt": [], "flatpak": [{"id": "org.gimp.GIMP", "title": "GIMP",
                                                          "requested_by": ["candidat:C02"]}]},
}}  # fmt: skip


def ev(event, host=None, task="t", **data):
    return {"event": event, "event_data": {"host": host, "task": task, **data}}


def spec_for(tmp_path: Path, limit: str | None = None) -> RunSpec:
    extravars = tmp_path / "vars.json"
    extravars.write_text(json.dumps(PLAN))
    return RunSpec(
        private_data_dir=tmp_path / "private",
        playbook=tmp_path / "site.yml",
        inventory=tmp_path / "hosts.yml",
        extravars_file=extravars,
        vault_password_file=None,
        limit=limit,
    )


def test_each_host_records_its_titles_and_the_hash_of_its_plan(tmp_path: Path) -> None:
    planned = planned_hosts(spec_for(tmp_path))
    assert planned["pc-a"]["titles"] == [{"manager": "apt", "id": "vlc", "title": "VLC media player"}]
    assert planned["pc-b"]["titles"] == [{"manager": "flatpak", "id": "org.gimp.GIMP", "title": "GIMP"}]
    assert len(planned["pc-a"]["plan_hash"]) == 64 and planned["pc-a"]["plan_hash"] != planned["pc-b"]["plan_hash"]
    assert list(planned_hosts(spec_for(tmp_path, limit="pc-b"))) == ["pc-b"]
    again = planned_hosts(spec_for(tmp_path))
    assert again["pc-a"]["plan_hash"] == planned["pc-a"]["plan_hash"]  # stable: same plan, same hash
    detail = HostResult("pc-a", ok=3, final=True, **planned["pc-a"]).as_detail()
    assert detail["outcome"] == "ok" and detail["titles"][0]["id"] == "vlc" and detail["plan_hash"]


def test_a_host_cut_by_ctrl_c_is_interrupted_even_after_ok_tasks() -> None:
    tracker = EventTracker()
    tracker.feed(ev("runner_on_ok", "pc-a", res={"changed": True}))
    tracker.feed(ev("runner_on_ok", "pc-b", res={"changed": False}))
    tracker.feed(ev("runner_on_failed", "pc-c", res={"msg": "No package matching 'x'"}))
    assert tracker.hosts["pc-a"].status is HostStatus.RUNNING  # the old code showed and stored « prêt »
    mark_interrupted(tracker.hosts, RunStatus.CANCELED)
    assert tracker.hosts["pc-a"].status is HostStatus.INTERRUPTED
    assert tracker.hosts["pc-b"].status is HostStatus.INTERRUPTED
    # a task killed by the cut reports "failed" too: the host is interrupted, its failures kept
    assert tracker.hosts["pc-c"].status is HostStatus.INTERRUPTED and tracker.hosts["pc-c"].failures
    result = RunResult(RunStatus.CANCELED, None, tracker.hosts, None)
    assert result.failed_hosts == ["pc-a", "pc-b", "pc-c"]

    done = EventTracker()  # a run that ended on its own is what its stats say
    done.feed(ev("runner_on_ok", "pc-a"))
    done.feed({"event": "playbook_on_stats", "event_data": {"ok": {"pc-a": 1}, "processed": {"pc-a": 1}}})
    mark_interrupted(done.hosts, RunStatus.SUCCESSFUL)
    assert done.hosts["pc-a"].status is HostStatus.OK
    # SIGINT'd ansible-playbook still prints its stats: final counters of a canceled run prove nothing
    mark_interrupted(done.hosts, RunStatus.CANCELED)
    assert done.hosts["pc-a"].status is HostStatus.INTERRUPTED


def test_the_printed_retry_command_includes_interrupted_hosts_and_runs_as_printed(tmp_path: Path) -> None:
    tracker = EventTracker()
    tracker.hosts["pc-a"] = HostResult("pc-a")
    tracker.feed(ev("runner_on_ok", "pc-a", res={"changed": True}))
    mark_interrupted(tracker.hosts, RunStatus.CANCELED)
    console = Console(record=True, width=300)
    print_summary(console, RunResult(RunStatus.CANCELED, None, tracker.hosts, None), Path("inv"), ["pc-a", "pc-b"])
    text = console.export_text()
    assert "interrompu" in text
    line = next(line.strip() for line in text.splitlines() if "provision -i inv" in line)
    assert line.endswith("--limit pc-a,pc-b")
    argv = shlex.split(line)
    assert argv[: len(plateau_program())] == plateau_program()
    program = plateau_program()
    version = subprocess.run([*program, "--version"], capture_output=True, text=True, timeout=60)
    assert version.returncode == 0, version.stderr  # the printed program really starts plateau
    assert retry_command(Path("inv"), ["x"], program=["/opt/p"]) == "/opt/p provision -i inv --limit x"


@pytest.mark.timeout(180)
def test_a_real_canceled_run_leaves_every_unfinished_host_interrupted(tmp_path: Path) -> None:
    if (
        shutil.which("ansible-playbook") is None
        and not (Path(__import__("sys").executable).parent / "ansible-playbook").exists()
    ):
        pytest.skip("ansible-playbook not installed")
    (tmp_path / "hosts.yml").write_text(
        "all:\n  hosts:\n    pc-a: {ansible_connection: local}\n    pc-b: {ansible_connection: local}\n"
        "  vars: {ansible_python_interpreter: auto_silent}\n"
    )
    (tmp_path / "site.yml").write_text(
        "- hosts: all\n  gather_facts: false\n  tasks:\n"
        "    - name: Premier\n      ansible.builtin.debug: {msg: un}\n"
        "    - name: Long\n      ansible.builtin.command: sleep 60\n"
    )
    spec = spec_for(tmp_path)
    cancel = threading.Event()

    class Listener:
        def task_started(self, host: str, task: str) -> None:
            if task == "Long":
                cancel.set()  # what Ctrl-C does in plateau provision

        def host_updated(self, result: HostResult) -> None:
            pass

    result = run_playbook(spec, Listener(), cancel)
    assert result.status is RunStatus.CANCELED, {h: r.failures for h, r in result.hosts.items()}
    assert {h: r.status for h, r in result.hosts.items()} == {
        "pc-a": HostStatus.INTERRUPTED,
        "pc-b": HostStatus.INTERRUPTED,
    }
    assert result.hosts["pc-a"].ok >= 1  # it had passed a task: still never ok
    assert result.hosts["pc-a"].as_detail()["titles"][0]["id"] == "vlc"
    assert result.failed_hosts == ["pc-a", "pc-b"]
