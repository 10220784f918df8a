"""The SQLite state store: round trips, newest-wins, expiry, and two writers at once."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from checks.model import Status, Verdict, utcnow
from provision.state import open_store


def verdict(device: str, status: Status, when: dt.datetime, check: str = "battery") -> Verdict:
    return Verdict(
        device=device,
        check=check,
        status=status,
        key=f"check.{check}.x",
        params={"level_pct": 42},
        value=42,
        unit="%",
        measured_at=when,
        probe="adb",
        facts={"level_pct": 42},
        room="salle_a",
    )


def test_sweep_round_trip(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    assert store.latest_sweep() is None
    now = utcnow()
    sweep = store.start_sweep()
    store.add_verdicts(sweep, [verdict("tab1", Status.OK, now), verdict("tab2", Status.UNKNOWN, now)])
    assert store.latest_sweep() is None  # not finished yet
    store.finish_sweep(sweep)
    latest = store.latest_sweep()
    assert latest is not None and latest.id == sweep and latest.finished_at >= latest.started_at
    assert [(v.device, v.status) for v in latest.verdicts] == [("tab1", Status.OK), ("tab2", Status.UNKNOWN)]
    assert latest.verdicts[0] == verdict("tab1", Status.OK, now)
    assert (tmp_path / ".plateau" / "state.db").stat().st_mode & 0o077 == 0


def test_latest_verdict_per_device_and_check_wins(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    t0 = utcnow()
    store.add_verdicts(None, [verdict("tab1", Status.FAIL, t0)])
    store.add_verdicts(None, [verdict("tab1", Status.OK, t0 + dt.timedelta(minutes=5))])
    store.add_verdicts(None, [verdict("tab1", Status.WARN, t0, check="wifi")])
    latest = {(v.device, v.check): v.status for v in store.latest_verdicts()}
    assert latest == {("tab1", "battery"): Status.OK, ("tab1", "wifi"): Status.WARN}
    assert [v.status for v in store.history("tab1")] == [Status.WARN, Status.OK, Status.FAIL]


def test_attestations_expire_and_need_a_name(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    past = utcnow() - dt.timedelta(hours=13)
    store.add_attestation("salle_a", "robots_charged", "Awa N.", validity=dt.timedelta(hours=12), at=past)
    (old,) = store.attestations("salle_a")
    assert not old.valid_at()
    store.add_attestation("salle_a", "robots_charged", "Awa N.", validity=dt.timedelta(hours=12))
    (new,) = store.attestations("salle_a")
    assert new.valid_at() and new.by_name == "Awa N."
    with pytest.raises(ValueError):
        store.add_attestation("salle_a", "markers", "   ", validity=dt.timedelta(hours=1))


def test_naive_datetimes_are_refused(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    with pytest.raises(ValueError):
        store.add_verdicts(None, [verdict("tab1", Status.OK, dt.datetime.now())])


def test_two_processes_write_at_once(tmp_path: Path) -> None:
    writer = textwrap.dedent(
        f"""
        import sys
        sys.path.insert(0, {str(Path(__file__).resolve().parents[2])!r})
        from checks.model import Status, Verdict, utcnow
        from provision.state import open_store
        store = open_store({str(tmp_path)!r})
        for i in range(200):
            store.add_verdicts(None, [Verdict(device=f"{{sys.argv[1]}}-{{i}}", check="c", status=Status.OK, key="k")])
        """
    )
    procs = [subprocess.Popen([sys.executable, "-c", writer, name]) for name in ("a", "b")]
    assert [p.wait(timeout=60) for p in procs] == [0, 0]
    devices = {v.device for v in open_store(tmp_path).latest_verdicts()}
    assert len(devices) == 400


def test_runs_and_host_results(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    run = store.start_run("provision", {"limit": "salle_a"})
    store.record_host_result(run, "pc1", "ok", ok=10, changed=2)
    store.record_host_result(run, "pc2", "unreachable", unreachable=1)
    store.finish_run(run, "partial")
    (latest,) = store.runs()
    assert latest.status == "partial" and latest.args == {"limit": "salle_a"}
    assert [(h["host"], h["status"]) for h in store.run_hosts(run)] == [("pc1", "ok"), ("pc2", "unreachable")]
