"""ansible-runner events -> per-host results; --limit resolution; the retry command."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.console import Console

from provision.cli.provision import resolve_limit
from provision.errors import PlateauError
from provision.provisioning.runner import EventTracker, HostStatus, RunResult, RunStatus, parse_task_count
from provision.provisioning.view import print_summary, retry_command


def ev(event, host=None, task="t", **data):
    return {"event": event, "event_data": {"host": host, "task": task, **data}}


class Recorder:
    def __init__(self):
        self.started, self.updated = [], []

    def task_started(self, host, task):
        self.started.append((host, task))

    def host_updated(self, result):
        self.updated.append((result.host, result.status))


def test_events_fold_into_host_results():
    listener = Recorder()
    tracker = EventTracker(listener)
    for event in [
        ev("playbook_on_start"),
        ev("runner_on_start", "pc1", task="Installer"),
        ev("runner_on_ok", "pc1", res={"changed": True}),
        ev("runner_on_ok", "pc1", res={"changed": False}),
        ev("runner_on_skipped", "pc1"),
        ev(
            "runner_on_failed",
            "pc2",
            task="apt",
            res={"msg": "No package matching 'x'", "_ansible_item_label": "X (x)"},
        ),
        ev("runner_on_failed", "pc2", res={"msg": "ignored"}, ignore_errors=True),
        ev("runner_on_unreachable", "pc3", res={"msg": "Failed to connect to the host via ssh"}),
        ev("runner_on_failed", "pc4", task="Compte", res={"censored": "the output has been hidden"}),
    ]:
        tracker.feed(event)
    pc1, pc2, pc3, pc4 = (tracker.hosts[h] for h in ("pc1", "pc2", "pc3", "pc4"))
    assert (pc1.ok, pc1.changed, pc1.skipped, pc1.tasks_done, pc1.status) == (2, 1, 1, 3, HostStatus.CHANGED)
    assert (pc2.failed, pc2.ignored, pc2.status) == (1, 1, HostStatus.FAILED)
    assert pc2.failures[0].message == "No package matching 'x'" and pc2.failures[0].item == "X (x)"
    assert pc3.status is HostStatus.UNREACHABLE and pc3.failures[0].unreachable
    # a no_log task: a safe reason, never Ansible's "output has been hidden" (real events: test_runner_real_events.py)
    assert pc4.failures[0].reason == "provision.reason_hidden" and "hidden" not in pc4.failures[0].message
    assert listener.started == [("pc1", "Installer")]

    tracker.feed(
        {
            "event": "playbook_on_stats",
            "event_data": {
                "ok": {"pc1": 5, "pc2": 1},
                "changed": {"pc1": 0},
                "failures": {"pc2": 1},
                "dark": {"pc3": 1},
                "skipped": {"pc1": 3},
                "rescued": {},
                "ignored": {"pc2": 1},
                "processed": {"pc1": 1, "pc2": 1, "pc3": 1},
            },
        }
    )
    assert tracker.hosts["pc1"].status is HostStatus.OK and tracker.hosts["pc1"].final
    assert tracker.hosts["pc3"].status is HostStatus.UNREACHABLE


def test_task_count_from_listing():
    listing = (
        "\nplaybook: site.yml\n\n  play #1 (windows:linux:macos): P\tTAGS: []\n    tasks:\n"
        "      a\tTAGS: []\n      r : b\tTAGS: [linux]\n\n"
    )
    assert parse_task_count(listing) == 2


ROOMS = {"salle_a": ["pc-a1", "pc-a2", "tab-a"], "salle_b": ["pc-b1"]}
WORKSTATIONS = ["pc-a1", "pc-a2", "pc-b1"]
ALL = [*WORKSTATIONS, "tab-a"]


def test_limit_accepts_rooms_and_hosts():
    assert resolve_limit(None, ROOMS, WORKSTATIONS, ALL) == WORKSTATIONS
    assert resolve_limit("salle_a", ROOMS, WORKSTATIONS, ALL) == ["pc-a1", "pc-a2"]
    assert resolve_limit("pc-b1, salle_a", ROOMS, WORKSTATIONS, ALL) == ["pc-a1", "pc-a2", "pc-b1"]
    assert resolve_limit("tab-a", ROOMS, WORKSTATIONS, ALL) == []  # known, but not a workstation


def test_unknown_limit_is_a_user_error_with_suggestions():
    with pytest.raises(PlateauError) as info:
        resolve_limit("salle_c,pc-a3", ROOMS, WORKSTATIONS, ALL)
    keys = [(p.key, p.params["value"]) for p in info.value.problems]
    assert keys == [("provision.unknown_limit", "salle_c"), ("provision.unknown_limit", "pc-a3")]
    assert "salle_a" in info.value.problems[0].params["suggestions"]


def test_retry_command_is_exact_and_quoted():
    assert retry_command(Path("inventories/mon centre"), ["pc-a1", "pc-b1"]) == (
        "plateau provision -i 'inventories/mon centre' --limit pc-a1,pc-b1"
    )
    assert (
        retry_command(Path("inv"), ["x"], check=True, forks=8) == "plateau provision -i inv --check --forks 8 --limit x"
    )


def test_summary_lists_failures_and_retry_command():
    tracker = EventTracker()
    tracker.feed(ev("runner_on_ok", "pc1", res={"changed": True}))
    tracker.feed(ev("runner_on_unreachable", "pc2", task="Joindre", res={"msg": "Connection refused"}))
    console = Console(record=True, width=200)
    print_summary(console, RunResult(RunStatus.FAILED, 2, tracker.hosts, None), Path("inv"), ["pc1", "pc2"])
    text = console.export_text()
    assert "Connection refused" in text and "plateau provision -i inv --limit pc2" in text


def test_task_count_is_remembered_while_nothing_changes(tmp_path, monkeypatch):
    from provision.provisioning import runner

    playbooks = tmp_path / "playbooks"
    playbooks.mkdir()
    (playbooks / "site.yml").write_text("- hosts: all\n  tasks: []\n")
    extravars = tmp_path / "vars.json"
    extravars.write_text("{}")
    spec = runner.RunSpec(
        private_data_dir=tmp_path / "private",
        playbook=playbooks / "site.yml",
        inventory=tmp_path / "hosts.yml",
        extravars_file=extravars,
        vault_password_file=None,
    )
    spec.private_data_dir.mkdir()
    calls = []
    monkeypatch.setattr(runner, "count_tasks", lambda s: calls.append(s) or 7)
    assert runner.cached_count_tasks(spec) == 7 and runner.cached_count_tasks(spec) == 7
    assert len(calls) == 1
    extravars.write_text('{"plateau_hosts": {}}')  # another plan: counted again
    assert runner.cached_count_tasks(spec) == 7 and len(calls) == 2
    (playbooks / "site.yml").write_text("- hosts: all\n  tasks: [{debug: {msg: x}}]\n")
    runner.cached_count_tasks(spec)
    assert len(calls) == 3
