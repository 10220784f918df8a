"""The event parser on a REAL ansible-runner stream (data/loop_failure/: play, inventory, recorder).

events.jsonl was recorded by data/loop_failure/record.py: ansible-runner against this machine
(connection local), loops whose second item fails (apt in check mode on a package that does not
exist; a command printing a credential-bearing error), the windows role's own French ``fail``
message, a privileged task whose sudo wants a password, and the same inside a ``no_log`` task.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from rich.console import Console

from provision.messages import render
from provision.provisioning.runner import EventTracker, HostStatus, RunResult, RunStatus, classify, redact
from provision.provisioning.view import describe_failure, print_summary

DATA = Path(__file__).parent / "data" / "loop_failure"


def recorded() -> list[dict]:
    return [json.loads(line) for line in (DATA / "events.jsonl").read_text("utf-8").splitlines() if line]


def folded(events) -> EventTracker:
    tracker = EventTracker(secrets=["S3cret-Pass"])
    for event in events:
        tracker.feed(event)
    return tracker


def test_the_recording_is_the_shape_ansible_produces():
    events = recorded()
    kinds = {e["event"] for e in events}
    assert {"runner_item_on_failed", "runner_on_failed", "playbook_on_stats"} <= kinds
    loop_end = next(e for e in events if e["event"] == "runner_on_failed" and e["event_data"]["host"] == "pc-apt")
    assert loop_end["event_data"]["res"]["msg"] == "One or more items failed"  # what the view used to show


def test_a_failed_loop_item_names_title_candidates_and_the_tool_error():
    tracker = folded(recorded())
    apt = tracker.hosts["pc-apt"]
    assert apt.status is HostStatus.FAILED and apt.final
    [failure] = apt.failures  # the first item (bash) succeeded: only the second is reported
    assert failure.title == "Logiciel fantôme"
    assert failure.requested_by == ["candidat:C07", "candidat:C12"]
    assert failure.message == "No package matching 'plateau-no-such-package' is available"
    assert failure.item == "Logiciel fantôme (plateau-no-such-package)"
    text = describe_failure(failure)
    assert "Logiciel fantôme" in text and "candidat:C07, candidat:C12" in text and "No package matching" in text
    assert "One or more items failed" not in text


def test_the_role_own_french_message_is_kept():
    [failure] = folded(recorded()).hosts["pc-win"].failures
    assert failure.title == "Adobe Reader" and failure.requested_by == ["candidat:C01"]
    assert failure.message.startswith("Adobe Reader (Adobe.Acrobat.Reader.64-bit) n'a pas pu être installé par winget")


def test_stderr_is_used_when_ansible_msg_is_generic_and_it_is_redacted():
    [failure] = folded(recorded()).hosts["pc-flatpak"].failures
    assert failure.title == "Broken App" and failure.requested_by == ["candidat:C03"]
    assert "Unable to load summary from remote flathub" in failure.message
    assert "S3cret-Pass" not in failure.message and "jury:" not in failure.message
    assert "https://***@dl.flathub.org" in failure.message and "password=***" in failure.message
    # without the caller's secrets, the patterns alone still hide both
    tracker = EventTracker()
    for event in recorded():
        tracker.feed(event)
    assert "S3cret-Pass" not in tracker.hosts["pc-flatpak"].failures[0].message


def test_missing_sudo_password_says_what_to_do():
    [failure] = folded(recorded()).hosts["pc-sudo"].failures
    assert failure.reason == "provision.reason_become_missing"
    assert "ansible_become_password" in failure.message and "sudo: a password is required" in failure.message


def test_a_no_log_failure_gives_a_safe_reason_not_ansible_hidden_text():
    [failure] = folded(recorded()).hosts["pc-nolog"].failures
    assert failure.reason == "provision.reason_hidden"
    assert failure.task.startswith("Compte administrateur local") and "ansible_become_password" in failure.message
    assert "output has been hidden" not in failure.message


def test_summary_on_the_real_stream_never_shows_a_secret_and_lists_each_host():
    tracker = folded(recorded())
    console = Console(record=True, width=400)
    hosts = sorted(tracker.hosts)
    print_summary(console, RunResult(RunStatus.FAILED, 2, tracker.hosts, None), Path("inv"), hosts)
    text = console.export_text()
    assert "S3cret-Pass" not in text and "One or more items failed" not in text
    assert "Logiciel fantôme — demandé par candidat:C07, candidat:C12" in text
    for host in ("pc-apt", "pc-sudo", "pc-nolog", "pc-flatpak", "pc-win"):
        assert host in text.split("--limit", 1)[1]


def test_store_detail_carries_title_and_candidates():
    detail = folded(recorded()).hosts["pc-apt"].as_detail()
    assert detail["failures"][0]["title"] == "Logiciel fantôme"
    assert detail["failures"][0]["requested_by"] == ["candidat:C07", "candidat:C12"]
    json.dumps(detail)


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("Missing sudo password", "provision.reason_become_missing"),
        ("Timeout (12s) waiting for privilege escalation prompt: ", "provision.reason_become_missing"),
        ("Task failed: Premature end of stream waiting for become success.", "provision.reason_become_missing"),
        ("Incorrect sudo password", "provision.reason_become_wrong"),
        ("su: Authentication failure", "provision.reason_become_wrong"),
        ("No package matching 'x' is available", None),
    ],
)
def test_classify(text, key):
    assert classify(text) == key
    if key:
        assert "{" not in render(key, {"detail": text})


def test_redact():
    assert redact("GET https://u:p4ss@h/x failed") == "GET https://***@h/x failed"
    assert redact("token: abc123, password='x y'") == "token: ***, password=***"
    assert redact("it is hunter22 here", ["hunter22"]) == "it is *** here"
    assert redact("plain message") == "plain message"


@pytest.mark.slow
def test_a_fresh_recording_folds_the_same(tmp_path):
    """Record again now (real ansible-runner, ~3 s) and fold it: the committed file is not stale."""
    if shutil.which("python3") is None or not Path("/usr/bin/python3").exists():
        pytest.skip("no /usr/bin/python3 for the local connection")
    import importlib.util

    spec = importlib.util.spec_from_file_location("record", DATA / "record.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    tracker = folded(module.record())
    [apt] = tracker.hosts["pc-apt"].failures
    if apt.message.startswith("No package matching"):  # apt available with python3-apt
        assert apt.title == "Logiciel fantôme" and apt.requested_by == ["candidat:C07", "candidat:C12"]
    assert tracker.hosts["pc-sudo"].failures[0].reason == "provision.reason_become_missing"
    assert tracker.hosts["pc-nolog"].failures[0].reason == "provision.reason_hidden"
    assert tracker.hosts["pc-flatpak"].failures[0].title == "Broken App"
