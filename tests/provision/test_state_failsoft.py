"""The state store fails soft (issue 13): a full disk, a read-only or a damaged ``state.db`` gives a
French message naming the file and what to do; ``plateau check`` still prints and exports its
results (exit 2, never 70); the dashboard still starts; ``--reset-state`` sets a damaged store
aside and creates a new one without touching the inventory.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import uuid
from pathlib import Path

import pytest

from checks.model import Status, Verdict, utcnow
from provision.state import StateStoreError, open_store, store_path
from provision.state_soft import SoftStore, open_store_soft, set_aside


def db_of(root: Path) -> Path:
    return root / ".plateau" / "state.db"


def verdict(device: str = "tab1") -> Verdict:
    return Verdict(
        device=device,
        check="battery",
        status=Status.OK,
        key="check.battery.ok",
        params={"level_pct": 80, "min_pct": 50},
        measured_at=utcnow(),
        probe="adb",
        facts={"x": "y" * 400},
    )


def check_still_reports(plateau, root: Path, junit: Path, key_words: tuple[str, ...]):
    result = plateau("check", "-i", root, "--timeout", "1", "--junit", junit)
    assert result.code == 2, result.text
    assert "Traceback" not in result.text and "Erreur interne" not in result.text
    assert "vérifications" in result.out  # the summary line: the results were printed
    assert junit.is_file() and "<testsuite" in junit.read_text("utf-8")  # and exported
    assert "state.db" in result.err and "n'ont pas été enregistrés" in result.err
    assert any(word in result.err for word in key_words), result.err
    return result


# --- damaged files --------------------------------------------------------------------------------


def test_garbage_state_db(example: Path, plateau, tmp_path: Path) -> None:
    db_of(example).parent.mkdir()
    db_of(example).write_bytes(b"ceci n'est pas une base SQLite\n" * 50)
    result = check_still_reports(plateau, example, tmp_path / "j.xml", ("endommagé",))
    assert "--reset-state" in result.err


def test_truncated_state_db(example: Path, plateau, tmp_path: Path) -> None:
    store = open_store(example)
    sweep = store.start_sweep()
    store.add_verdicts(sweep, [verdict(f"d{i}") for i in range(200)])
    store.finish_sweep(sweep)
    store.close()
    data = db_of(example).read_bytes()
    for extra in db_of(example).parent.glob("state.db-*"):
        extra.unlink()
    db_of(example).write_bytes(data[: len(data) // 3])
    check_still_reports(plateau, example, tmp_path / "j.xml", ("endommagé",))


def test_reset_state_sets_the_damaged_file_aside(example: Path, plateau) -> None:
    db_of(example).parent.mkdir()
    db_of(example).write_bytes(b"\x00garbage" * 100)
    hosts_before = (example / "hosts.yml").read_bytes()
    result = plateau("check", "-i", example, "--timeout", "1", "--reset-state")
    assert result.code == 1, result.text  # not ready (nothing answers), but the store works again
    assert "mis de côté" in result.err
    (aside,) = db_of(example).parent.glob("state.db.aside-*")
    assert aside.read_bytes().startswith(b"\x00garbage")
    assert open_store(example).latest_sweep() is not None  # the new store holds this check
    assert (example / "hosts.yml").read_bytes() == hosts_before


def test_set_aside_without_a_store(tmp_path: Path) -> None:
    assert set_aside(tmp_path) is None


# --- read-only --------------------------------------------------------------------------------------


def _make_read_only(path: Path) -> None:
    if os.geteuid() == 0:  # root ignores permission bits: make the file immutable
        if (
            shutil.which("chattr") is None
            or subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode
        ):
            pytest.skip("running as root without chattr +i: cannot make a file read-only")
    else:
        path.chmod(0o444)
        path.parent.chmod(0o555)


def _undo_read_only(path: Path) -> None:
    if os.geteuid() == 0:
        subprocess.run(["chattr", "-i", str(path)], capture_output=True)
    else:
        path.parent.chmod(0o755)
        path.chmod(0o644)


def test_read_only_state_db(example: Path, plateau, tmp_path: Path) -> None:
    open_store(example).close()
    for extra in db_of(example).parent.glob("state.db-*"):
        extra.unlink()
    _make_read_only(db_of(example))
    try:
        check_still_reports(plateau, example, tmp_path / "j.xml", ("n'est pas modifiable", "inutilisable"))
    finally:
        _undo_read_only(db_of(example))


# --- full disk ----------------------------------------------------------------------------------------


@pytest.fixture
def small_tmpfs(tmp_path: Path):
    """A real 1 MiB tmpfs (needs root and mount rights; skipped otherwise)."""
    mount = tmp_path / f"tmpfs-{uuid.uuid4().hex[:6]}"
    mount.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a small tmpfs needs root")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)], capture_output=True)
    if done.returncode:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode(errors='replace').strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], capture_output=True)


def _fill(folder: Path) -> None:
    """Write until the file system refuses (ENOSPC), even on close."""
    try:
        with (folder / "remplissage").open("wb", buffering=0) as handle:
            while True:
                handle.write(b"\0" * 4096)
    except OSError:
        pass


def test_full_disk_on_a_small_tmpfs(small_tmpfs: Path, plateau) -> None:
    root = small_tmpfs / "centre"
    shutil.copytree(Path(__file__).resolve().parents[2] / "inventories" / "example", root)
    assert plateau("check", "-i", root, "--timeout", "1").code == 1  # the store is created
    _fill(small_tmpfs)
    result = plateau("check", "-i", root, "--timeout", "1")
    assert result.code == 2, result.text
    assert "vérifications" in result.out and "Traceback" not in result.text
    assert "Disque plein" in result.err and "state.db" in result.err


def test_disk_filling_during_a_check_keeps_the_results(example: Path, plateau, monkeypatch, tmp_path: Path) -> None:
    """SQLite's own limit stands for the disk: the first sweep's pages fit, the next do not."""
    store = open_store(example)
    store.close()
    real_connect = sqlite3.connect
    pages = {}

    def connect(*args, **kwargs):
        db = real_connect(*args, **kwargs)
        pages.setdefault("max", db.execute("PRAGMA page_count").fetchone()[0] + 1)
        db.execute(f"PRAGMA max_page_count={pages['max']}")
        return db

    monkeypatch.setattr(sqlite3, "connect", connect)
    result = check_still_reports(plateau, example, tmp_path / "j.xml", ("Disque plein",))
    assert "database or disk is full" in result.err


def test_a_failing_rollback_never_hides_the_real_error(example: Path, monkeypatch) -> None:
    store = open_store(example)
    db = store._connect()
    db.execute(f"PRAGMA max_page_count={db.execute('PRAGMA page_count').fetchone()[0]}")
    sweep = store.start_sweep()
    with pytest.raises(StateStoreError) as info:
        store.add_verdicts(sweep, [verdict(f"d{i}") for i in range(500)])
    assert info.value.problems[0].key == "state.disk_full"


# --- SoftStore --------------------------------------------------------------------------------------


def test_soft_store_of_a_damaged_file_reads_nothing_and_refuses_attestations(tmp_path: Path) -> None:
    import datetime as dt

    store_path(tmp_path).parent.mkdir()
    store_path(tmp_path).write_bytes(b"garbage" * 100)
    soft = open_store_soft(tmp_path)
    assert isinstance(soft, SoftStore) and soft.read_only and soft.problem.key == "state.corrupt"
    assert soft.problem.file.endswith("state.db")
    assert soft.start_sweep() is None and soft.latest_verdicts() == [] and soft.latest_sweep() is None
    soft.add_verdicts(None, [verdict()])
    with pytest.raises(StateStoreError):  # a person's attestation must never look saved
        soft.add_attestation("salle_a", "tableau", "Camille", validity=dt.timedelta(hours=1))


def test_dashboard_app_starts_on_a_damaged_store(example: Path) -> None:
    from starlette.testclient import TestClient

    from provision.context import load_all
    from provision.dashboard.app import create_app

    store_path(example).parent.mkdir()
    store_path(example).write_bytes(b"garbage" * 100)
    soft = open_store_soft(example)
    app = create_app(load_all(example), soft, sweep_on_start=False)
    with TestClient(app, base_url="http://127.0.0.1:8765") as client:
        page = client.get("/")
        assert page.status_code == 200
        assert "lecture seule" in page.text and "state.db" in page.text  # the page says so, naming the file
        board = client.get("/api/etat").json()
        room = board["rooms"][0]
        item = next(iter(room.get("items") or []), None)
        form = {"salle": room["id"], "point": item["item"] if item else "tableau", "nom": "Camille",
                "validite_h": "12", "retour": "/"}  # fmt: skip
        refused = client.post("/attester", data=form, follow_redirects=False)
        assert refused.status_code in (400, 503) and "Traceback" not in refused.text
        if refused.status_code == 503:
            assert "state.db" in refused.text
        frozen = client.post("/figer", data={"nom": "Camille"}, follow_redirects=False)
        assert frozen.status_code == 503 and "state.db" in frozen.text  # nothing looks saved
    assert soft.problem is not None


def test_other_commands_say_the_store_is_damaged(example: Path, plateau) -> None:
    store_path(example).parent.mkdir()
    store_path(example).write_bytes(b"garbage" * 100)
    result = plateau("attest", "-i", example, "--help")
    assert result.code == 0
    result = plateau("recap", "-i", example, "--force")
    assert result.code in (1, 2) and "Traceback" not in result.text and "Erreur interne" not in result.text
