"""The state store's schema version: stamping, migrating a first-release file, refusing a newer one."""

from __future__ import annotations

import datetime as dt
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import provision.state_schema as state
from checks.model import Status, Verdict, utcnow
from provision.errors import PlateauError
from provision.messages import render
from provision.state import SCHEMA_VERSION, StateSchemaError, open_store

ROOT = Path(__file__).resolve().parents[2]


def db_path(root: Path) -> Path:
    return root / ".plateau" / "state.db"


def user_version(path: Path) -> int:
    with sqlite3.connect(path) as db:
        return int(db.execute("PRAGMA user_version").fetchone()[0])


def make_v0(root: Path) -> Path:
    """A file as the first release left it: today's tables, user_version 0, one sweep and verdict."""
    path = db_path(root)
    path.parent.mkdir(parents=True)
    db = sqlite3.connect(path)
    db.executescript(state._SCHEMA_V1)
    db.execute(
        "INSERT INTO sweeps(started_at, finished_at) VALUES ('2024-05-01T08:00:00+00:00', '2024-05-01T08:05:00+00:00')"
    )
    db.execute(
        "INSERT INTO verdicts(sweep_id, device, room, check_name, status, key, params, value, unit, measured_at,"
        " probe, facts, blocking) VALUES (1, 'tab1', 'salle_a', 'battery', 'ok', 'check.battery.ok',"
        " '{\"level_pct\": 80}', '80', '%', '2024-05-01T08:01:00+00:00', 'adb', '{}', 1)"
    )
    db.commit()
    db.close()
    assert user_version(path) == 0
    return path


def test_the_schema_is_version_1_and_the_steps_are_contiguous() -> None:
    assert SCHEMA_VERSION == 1
    assert [version for version, _ in state.MIGRATIONS] == list(range(1, SCHEMA_VERSION + 1))


def test_a_new_store_is_stamped_and_keeps_its_rows_when_reopened(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    assert store.schema_version() == SCHEMA_VERSION == user_version(db_path(tmp_path))
    sweep = store.start_sweep()
    store.add_verdicts(
        sweep, [Verdict(device="tab1", check="battery", status=Status.OK, key="k", measured_at=utcnow())]
    )
    store.finish_sweep(sweep)
    store.add_attestation("salle_a", "robots_charged", "Awa N.", validity=dt.timedelta(hours=1))
    store.close()

    again = open_store(tmp_path)
    assert again.schema_version() == 1
    latest = again.latest_sweep()
    assert latest is not None and latest.id == sweep and [v.device for v in latest.verdicts] == ["tab1"]
    assert [a.by_name for a in again.attestations()] == ["Awa N."]


def test_a_first_release_file_is_stamped_1_without_losing_its_rows(tmp_path: Path) -> None:
    path = make_v0(tmp_path)
    store = open_store(tmp_path)
    assert store.schema_version() == 1 == user_version(path)
    (kept,) = store.latest_verdicts()
    assert (kept.device, kept.check, kept.status, kept.params, kept.value) == (
        "tab1",
        "battery",
        Status.OK,
        {"level_pct": 80},
        80,
    )
    latest = store.latest_sweep()
    assert latest is not None and latest.id == 1 and latest.verdicts == [kept]
    store.add_verdicts(None, [Verdict(device="tab2", check="battery", status=Status.FAIL, key="k")])
    assert {v.device for v in store.latest_verdicts()} == {"tab1", "tab2"}


def test_a_file_of_a_newer_plateau_is_refused_and_left_untouched(tmp_path: Path) -> None:
    path = db_path(tmp_path)
    path.parent.mkdir(parents=True)
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE future (x INTEGER)")
        db.execute("PRAGMA user_version=99")
    with pytest.raises(PlateauError) as caught:
        open_store(tmp_path)
    assert isinstance(caught.value, StateSchemaError)
    (problem,) = caught.value.problems
    assert problem.key == "state.newer_schema" and problem.file is not None and problem.file.endswith("state.db")
    message = render(problem.key, problem.params, "fr")
    assert str(path.name) in message and "99" in message
    assert "mettre plateau à jour" in message and "mettre ce fichier de côté" in message
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == 99
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert tables == {"future"}


def test_an_appended_step_migrates_and_a_failing_one_rolls_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    open_store(tmp_path).close()

    def add_column(db: sqlite3.Connection) -> None:
        db.execute("ALTER TABLE verdicts ADD COLUMN note TEXT NOT NULL DEFAULT ''")

    def broken(db: sqlite3.Connection) -> None:
        db.execute("ALTER TABLE runs ADD COLUMN other TEXT")
        raise RuntimeError("step 3 failed")

    monkeypatch.setattr(state, "MIGRATIONS", [*state.MIGRATIONS, (2, add_column), (3, broken)])
    monkeypatch.setattr(state, "SCHEMA_VERSION", 3)
    with pytest.raises(RuntimeError):
        open_store(tmp_path)
    assert user_version(db_path(tmp_path)) == 1  # step 2 rolled back with step 3
    with sqlite3.connect(db_path(tmp_path)) as db:
        assert "note" not in {r[1] for r in db.execute("PRAGMA table_info(verdicts)")}
        assert "other" not in {r[1] for r in db.execute("PRAGMA table_info(runs)")}

    monkeypatch.setattr(state, "MIGRATIONS", [*state.MIGRATIONS[:2]])
    monkeypatch.setattr(state, "SCHEMA_VERSION", 2)
    assert open_store(tmp_path).schema_version() == 2
    with sqlite3.connect(db_path(tmp_path)) as db:
        assert "note" in {r[1] for r in db.execute("PRAGMA table_info(verdicts)")}


def test_two_processes_migrate_a_first_release_file_at_once(tmp_path: Path) -> None:
    make_v0(tmp_path)
    opener = textwrap.dedent(
        f"""
        import sys
        sys.path.insert(0, {str(ROOT)!r})
        from checks.model import Status, Verdict
        from provision.state import open_store
        store = open_store({str(tmp_path)!r})
        assert store.schema_version() == 1
        store.add_verdicts(None, [Verdict(device=sys.argv[1], check="c", status=Status.OK, key="k")])
        """
    )
    procs = [subprocess.Popen([sys.executable, "-c", opener, name]) for name in ("a", "b")]
    assert [p.wait(timeout=60) for p in procs] == [0, 0]
    assert {v.device for v in open_store(tmp_path).latest_verdicts()} == {"tab1", "a", "b"}
