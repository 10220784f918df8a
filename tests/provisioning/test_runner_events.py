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
    # answered but not at its end: « en cours », never « prêt » / « modifié »
    assert (pc1.ok, pc1.changed, pc1.skipped, pc1.tasks_done, pc1.status) == (2, 1, 1, 3, HostStatus.RUNNING)
    assert (pc2.failed, pc2.ignored, pc2.status) == (1, 1, HostStatus.FAILED)
    assert pc2.failures[0].message == "No package matching 'x'" and pc2.failures[0].item == "X (x)"
    assert pc3.status is HostStatus.UNREACHABLE and pc3.failures[0].unreachable
    # a no_log task: a safe reason, never Ansible's "output has been hidden" (real events: test_runner_real_events.py)
    assert pc4.failures[0].reason == "provision.reason_hidden" and "hidden" not in pc4.failures[0].message
    assert listener.started == [("pc1", "Installer")]
    # site.yml's last task: the host's own end, long before the playbook's stats (strategy free)
    tracker.feed(ev("runner_on_ok", "pc1", task="Terminer", res={"ansible_facts": {"plateau_host_done": True}}))
    assert pc1.status is HostStatus.CHANGED and pc1.done and not pc1.final
    assert listener.updated[-1] == ("pc1", HostStatus.CHANGED)

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


def test_a_task_past_its_timeout_says_delai_depasse_with_title_and_host():
    """The result shape of ansible-core 2.19's ``timeout:`` (one item of a loop), as recorded."""
    tracker = EventTracker()
    item = {"title": "Logiciel bloqué", "requested_by": ["candidat:C03"], "id": "plateau-bloque"}
    res = {
        "msg": "One or more items failed",
        "results": [
            {"failed": False, "item": {"title": "VLC", "id": "vlc"}},
            {
                "timedout": {"frame": "Configure `DISPLAY_TRACEBACK` to see a traceback.", "period": 3},
                "failed": True,
                "msg": "Task failed: Timed out after 3 second(s).",
                "item": item,
                "_ansible_item_label": "Logiciel bloqué (plateau-bloque)",
            },
        ],
    }
    tracker.feed(ev("runner_on_failed", "pc-7", task="linux : Installer les paquets Debian (apt)", res=res))
    [failure] = tracker.hosts["pc-7"].failures
    assert failure.reason == "provision.reason_timeout" and failure.title == "Logiciel bloqué"
    assert "délai dépassé" in failure.message and "Logiciel bloqué" in failure.message
    assert "pc-7" in failure.message and "3 s" in failure.message and "plateau_install_timeout_s" in failure.message
    # a task that is not a loop: its name stands for the title
    tracker.feed(ev("runner_on_failed", "pc-8", task="Joindre le poste", res={"timedout": {"period": 9}, "msg": "x"}))
    assert "Joindre le poste" in tracker.hosts["pc-8"].failures[0].message


def test_scrub_takes_secrets_out_of_a_whole_event_in_place():
    from provision.provisioning.failures import scrub

    event = {"event_data": {"res": {"stderr": "clé S3cret-Pass refusée", "results": [{"msg": "S3cret-Pass"}]}}}
    event["stdout"] = "fatal: S3cret-Pass"
    scrub(event, ["S3cret-Pass", "abc"])  # too short a value is never a secret worth hiding everywhere
    assert "S3cret-Pass" not in str(event) and event["event_data"]["res"]["results"][0]["msg"] == "***"


def test_live_view_counts_each_host_against_its_own_tasks_and_never_goes_back():
    from provision.provisioning.view import LiveView

    console = Console(record=True, width=200)
    view = LiveView(console, ["pc1", "pc2"], tasks_per_host=4)
    tracker = EventTracker(view)
    for _ in range(6):  # more results than listed tasks (handlers...): held short of the end
        tracker.feed(ev("runner_on_ok", "pc1"))
    assert view.counted["pc1"] == 3 and tracker.hosts["pc1"].status is HostStatus.RUNNING
    console.print(view)
    assert "en cours" in console.export_text() and "prêt" not in console.export_text()
    tracker.feed(ev("runner_on_ok", "pc1", res={"ansible_facts": {"plateau_host_done": True}}))
    assert view.counted == {"pc1": 4, "pc2": 0}  # pc1 full at its own end, pc2 not started
    tracker.feed(ev("runner_on_ok", "stranger"))  # a host the run does not target: not counted
    assert sum(view.counted.values()) == 4 and "stranger" not in view.rows
    tracker.feed({"event": "playbook_on_stats", "event_data": {"ok": {"pc1": 7}, "processed": {"pc1": 1}}})
    assert view.counted["pc1"] == 4  # stats after its end: no step, back or forth
    console.print(view)
    assert "prêt" in console.export_text()


def test_a_failed_maintainer_script_is_quoted_not_apts_framing():
    """apt's result when a package's preinst fails: dpkg ran in apt's pty, so the script's words are
    in stdout, between apt's progress and dpkg's « error processing » (shape of the real run in
    test_runner_free_real.py)."""
    res = {
        "msg": "'/usr/bin/apt-get -y install plateau-x=1.0' failed: E: Sub-process /usr/bin/dpkg returned an error code (1)\n",
        "stdout": "Reading package lists...\nPreparing to unpack .../plateau-x_1.0_all.deb ...\nlicence refusée : S3cret-Pass\n"
        "dpkg: error processing archive /var/cache/apt/archives/plateau-x_1.0_all.deb (--unpack):\n"
        " new plateau-x package pre-installation script subprocess returned error exit status 1\n"
        "Errors were encountered while processing:\n /var/cache/apt/archives/plateau-x_1.0_all.deb\n",
        "stderr": "debconf: delaying package configuration, since apt-utils is not installed\n"
        "E: Sub-process /usr/bin/dpkg returned an error code (1)\n",
    }
    tracker = EventTracker(secrets=["S3cret-Pass"])
    tracker.feed(ev("runner_on_failed", "pc1", task="apt", res=res))
    message = tracker.hosts["pc1"].failures[0].message
    assert message.startswith("licence refusée : ***\n new plateau-x package pre-installation script")
    assert "debconf" not in message and "S3cret-Pass" not in message
