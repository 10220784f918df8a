"""The state store: SQLite in ``<inventory>/.plateau/state.db`` (WAL, safe with two processes).

Tables: sweeps and their verdicts, manual attestations (who, when, expiry), provisioning
runs and their per-host results, and dashboard freezes. Nothing secret is ever stored here:
verdict facts are redacted by the checks before they reach the store.

Schema version: SQLite's ``PRAGMA user_version`` (0 in a file written before versions
existed). Opening a store applies, in one transaction, every step of :data:`MIGRATIONS`
above the file's version; to change the schema, append one ``(version, function)`` step.
A file written by a newer plateau is refused (:class:`StateSchemaError`), never touched.

Failing soft: every SQLite or file-system failure (full disk, read-only or corrupt file) becomes
a :class:`StateStoreError` naming the file and what to do, never a traceback. ``plateau check``
and the dashboard use :class:`SoftStore`, which records the first failure and goes on without
the store (the check still prints and exports its results). :func:`set_aside` renames a
damaged file so a new one is created (``plateau check --reset-state``); the inventory is untouched.
"""

from __future__ import annotations

import datetime as dt
import errno
import functools
import json
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from checks.model import Status, Verdict, utcnow
from provision.errors import PlateauError, Problem
from provision.paths import STATE_DIR, shown, state_dir
from provision.state_schema import SCHEMA_VERSION, StateSchemaError, migrate, rollback, user_version

__all__ = ["SCHEMA_VERSION", "StateSchemaError"]  # re-exported: the store's errors and version live with it

DB_NAME = "state.db"


class StateStoreError(PlateauError):
    """The state store cannot be read or written (full disk, read-only, corrupt file...)."""


def store_problem(exc: BaseException, path: Path) -> Problem:
    """What went wrong with state.db, for the technician: which file, why, what to do."""
    text = str(exc)
    lowered = text.lower()
    code = getattr(exc, "errno", None)
    if "full" in lowered or code == errno.ENOSPC or ("i/o" in lowered and _nearly_full(path.parent)):
        key = "state.disk_full"
    elif isinstance(exc, sqlite3.DatabaseError) and any(
        word in lowered for word in ("not a database", "malformed", "encrypted", "no such table", "no such column")
    ):
        key = "state.corrupt"
    elif "readonly" in lowered or "read-only" in lowered or code in (errno.EACCES, errno.EPERM, errno.EROFS):
        key = "state.read_only"
    elif "locked" in lowered or "busy" in lowered:
        key = "state.locked"
    else:
        key = "state.unavailable"
    reason = getattr(exc, "strerror", None) or text or type(exc).__name__
    return Problem(
        key=key, file=shown(path), params={"file": shown(path), "reason": reason, "folder": shown(path.parent)}
    )


def _nearly_full(folder: Path) -> bool:
    """SQLite says "disk I/O error" when its -wal file cannot grow: look at the free space."""
    try:
        stats = os.statvfs(folder)
    except (OSError, AttributeError):  # AttributeError: no statvfs on Windows
        return False
    return stats.f_bavail * stats.f_frsize < 1024 * 1024


def _guarded(method: Callable[..., Any]) -> Callable[..., Any]:
    """SQLite and OS errors of a store method become a :class:`StateStoreError`."""

    @functools.wraps(method)
    def wrapper(self: Store, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except (sqlite3.Error, OSError) as exc:
            raise StateStoreError(store_problem(exc, self.path)) from exc

    return wrapper


@dataclass(frozen=True, slots=True)
class Sweep:
    id: int
    started_at: dt.datetime
    finished_at: dt.datetime | None
    verdicts: list[Verdict]


@dataclass(frozen=True, slots=True)
class Attestation:
    id: int
    room: str
    item: str
    device: str | None
    by_name: str
    at: dt.datetime
    expires_at: dt.datetime
    note: str

    def valid_at(self, when: dt.datetime | None = None) -> bool:
        return (when or utcnow()) < self.expires_at


@dataclass(frozen=True, slots=True)
class Run:
    id: int
    kind: str
    args: dict[str, Any]
    started_at: dt.datetime
    finished_at: dt.datetime | None
    status: str


def _ts(value: dt.datetime) -> str:
    if value.tzinfo is None:
        raise ValueError("naive datetime: plateau stores UTC-aware times only")
    return value.astimezone(dt.UTC).isoformat()


def _dt(text: str | None) -> dt.datetime | None:
    return None if text is None else dt.datetime.fromisoformat(text)


def _when(text: str) -> dt.datetime:
    """A column that is never NULL (started_at, at, measured_at...)."""
    return dt.datetime.fromisoformat(text)


class Store:
    """One SQLite connection per thread; every write is its own short transaction."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        db = self._connect()
        try:
            _retry_locked(lambda: migrate(db, self.path))
        except BaseException:
            self.close()
            raise

    def _connect(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=10, isolation_level=None, check_same_thread=False)
            db.execute("PRAGMA busy_timeout=10000")
            # switching a new file to WAL needs a moment alone with it: another process opening
            # the same new store at that instant gets "locked" without the busy handler
            _retry_locked(lambda: db.execute("PRAGMA journal_mode=WAL"))
            db.execute("PRAGMA foreign_keys=ON")
            db.row_factory = sqlite3.Row
            self._local.db = db
            try:
                os.chmod(self.path, 0o600)
            except OSError:
                pass
        return db

    def close(self) -> None:
        db = getattr(self._local, "db", None)
        if db is not None:
            db.close()
            self._local.db = None

    def schema_version(self) -> int:
        """The file's ``PRAGMA user_version`` (:data:`SCHEMA_VERSION` once opened)."""
        return user_version(self._connect())

    # --- sweeps and verdicts ------------------------------------------------------------
    def start_sweep(self, scope: str = "") -> int:
        cur = self._connect().execute("INSERT INTO sweeps(started_at, scope) VALUES (?, ?)", (_ts(utcnow()), scope))
        return _rowid(cur)

    def add_verdicts(self, sweep_id: int | None, verdicts: Iterable[Verdict]) -> None:
        rows = [
            (
                sweep_id, v.device, v.room, v.check, str(v.status), v.key, json.dumps(dict(v.params), default=str),
                None if v.value is None else json.dumps(v.value), v.unit, _ts(v.measured_at), v.probe,
                json.dumps(dict(v.facts), default=str), int(v.blocking),
            )
            for v in verdicts
        ]  # fmt: skip
        db = self._connect()
        db.execute("BEGIN IMMEDIATE")
        try:
            db.executemany(
                "INSERT INTO verdicts(sweep_id, device, room, check_name, status, key, params, value, unit,"
                " measured_at, probe, facts, blocking) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                rows,
            )
            db.execute("COMMIT")
        except BaseException:
            rollback(db)
            raise

    def finish_sweep(self, sweep_id: int) -> None:
        self._connect().execute("UPDATE sweeps SET finished_at=? WHERE id=?", (_ts(utcnow()), sweep_id))

    def latest_sweep(self) -> Sweep | None:
        """The last finished sweep of the whole centre, with its verdicts."""
        row = (
            self._connect()
            .execute("SELECT * FROM sweeps WHERE finished_at IS NOT NULL AND scope='' ORDER BY id DESC LIMIT 1")
            .fetchone()
        )
        if row is None:
            return None
        verdicts = [
            _verdict(r)
            for r in self._connect().execute("SELECT * FROM verdicts WHERE sweep_id=? ORDER BY id", (row["id"],))
        ]
        return Sweep(row["id"], _when(row["started_at"]), _dt(row["finished_at"]), verdicts)

    def latest_verdicts(self) -> list[Verdict]:
        """The newest verdict of every (device, check), whatever sweep or re-check produced it."""
        rows = self._connect().execute(
            "SELECT v.* FROM verdicts v JOIN (SELECT device, check_name, MAX(id) AS id FROM verdicts"
            " GROUP BY device, check_name) last ON v.id = last.id ORDER BY v.device, v.check_name"
        )
        return [_verdict(r) for r in rows]

    def history(self, device: str, limit: int = 50) -> list[Verdict]:
        rows = self._connect().execute(
            "SELECT * FROM verdicts WHERE device=? ORDER BY id DESC LIMIT ?", (device, limit)
        )
        return [_verdict(r) for r in rows]

    # --- manual attestations ------------------------------------------------------------
    def add_attestation(
        self, room: str, item: str, by_name: str, *, validity: dt.timedelta, device: str | None = None,
        note: str = "", at: dt.datetime | None = None,
    ) -> int:  # fmt: skip
        by_name = by_name.strip()
        if not by_name:
            raise ValueError("an attestation needs the name of the person who checked")
        at = at or utcnow()
        cur = self._connect().execute(
            "INSERT INTO attestations(room, item, device, by_name, at, expires_at, note) VALUES (?,?,?,?,?,?,?)",
            (room, item, device, by_name, _ts(at), _ts(at + validity), note),
        )
        return _rowid(cur)

    def attestations(self, room: str | None = None) -> list[Attestation]:
        """Newest attestation of each (room, item, device)."""
        query = (
            "SELECT a.* FROM attestations a JOIN (SELECT MAX(id) AS id FROM attestations"
            " GROUP BY room, item, IFNULL(device, '')) last ON a.id = last.id"
        )
        params: tuple[Any, ...] = ()
        if room is not None:
            query += " WHERE a.room=?"
            params = (room,)
        rows = self._connect().execute(query + " ORDER BY a.room, a.item", params)
        return [
            Attestation(
                r["id"],
                r["room"],
                r["item"],
                r["device"],
                r["by_name"],
                _when(r["at"]),
                _when(r["expires_at"]),
                r["note"],
            )
            for r in rows
        ]

    # --- provisioning runs --------------------------------------------------------------
    def start_run(self, kind: str, args: dict[str, Any]) -> int:
        cur = self._connect().execute(
            "INSERT INTO runs(kind, args, started_at) VALUES (?,?,?)",
            (kind, json.dumps(args, default=str), _ts(utcnow())),
        )
        return _rowid(cur)

    def record_host_result(
        self, run_id: int, host: str, status: str, *, ok: int = 0, changed: int = 0, failed: int = 0,
        unreachable: int = 0, detail: dict[str, Any] | None = None,
    ) -> None:  # fmt: skip
        self._connect().execute(
            "INSERT OR REPLACE INTO run_hosts(run_id, host, status, ok, changed, failed, unreachable, detail)"
            " VALUES (?,?,?,?,?,?,?,?)",
            (run_id, host, status, ok, changed, failed, unreachable, json.dumps(detail or {}, default=str)),
        )

    def finish_run(self, run_id: int, status: str) -> None:
        self._connect().execute("UPDATE runs SET finished_at=?, status=? WHERE id=?", (_ts(utcnow()), status, run_id))

    def runs(self, limit: int = 20) -> list[Run]:
        rows = self._connect().execute("SELECT * FROM runs ORDER BY id DESC LIMIT ?", (limit,))
        return [
            Run(r["id"], r["kind"], json.loads(r["args"]), _when(r["started_at"]), _dt(r["finished_at"]), r["status"])
            for r in rows
        ]

    def run_hosts(self, run_id: int) -> list[dict[str, Any]]:
        rows = self._connect().execute("SELECT * FROM run_hosts WHERE run_id=? ORDER BY host", (run_id,))
        return [{**dict(r), "detail": json.loads(r["detail"])} for r in rows]

    def latest_host_result(self, host: str, kind: str = "provision") -> dict[str, Any] | None:
        """The newest finished, non-check run of ``kind`` that touched ``host``, with its result."""
        rows = self._connect().execute(
            "SELECT h.*, r.started_at, r.finished_at, r.args FROM run_hosts h JOIN runs r ON r.id = h.run_id"
            " WHERE h.host=? AND r.kind=? AND r.finished_at IS NOT NULL ORDER BY r.id DESC",
            (host, kind),
        )
        for row in rows:
            args = json.loads(row["args"])
            if args.get("check"):
                continue  # a --check run proves nothing was installed
            return {
                **dict(row),
                "detail": json.loads(row["detail"]),
                "args": args,
                "finished_at": _dt(row["finished_at"]),
            }
        return None

    # --- freeze at handover -------------------------------------------------------------
    def freeze(self, by_name: str, snapshot: dict[str, Any]) -> int:
        cur = self._connect().execute(
            "INSERT INTO freezes(at, by_name, snapshot) VALUES (?,?,?)",
            (_ts(utcnow()), by_name.strip(), json.dumps(snapshot, default=str)),
        )
        return _rowid(cur)

    def latest_freeze(self) -> dict[str, Any] | None:
        row = self._connect().execute("SELECT * FROM freezes ORDER BY id DESC LIMIT 1").fetchone()
        if row is None:
            return None
        return {"id": row["id"], "at": row["at"], "by_name": row["by_name"], "snapshot": json.loads(row["snapshot"])}


def _retry_locked(action: Callable[[], object], attempts: int = 100) -> None:
    """Run ``action``, retrying for up to ~10 s while another process holds the file."""
    for attempt in range(attempts):
        try:
            action()
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == attempts - 1:
                raise
            time.sleep(0.1)


def _rowid(cur: sqlite3.Cursor) -> int:
    if cur.lastrowid is None:  # never after an INSERT
        raise RuntimeError("the state store returned no row id")
    return cur.lastrowid


def _verdict(row: sqlite3.Row) -> Verdict:
    return Verdict(
        device=row["device"],
        room=row["room"],
        check=row["check_name"],
        status=Status(row["status"]),
        key=row["key"],
        params=json.loads(row["params"]),
        value=None if row["value"] is None else json.loads(row["value"]),
        unit=row["unit"],
        measured_at=_when(row["measured_at"]),
        probe=row["probe"],
        facts=json.loads(row["facts"]),
        blocking=bool(row["blocking"]),
    )


for _name, _method in list(vars(Store).items()):
    if callable(_method) and (_name == "__init__" or not _name.startswith("_")) and _name != "close":
        setattr(Store, _name, _guarded(_method))


def store_path(inventory_root: Path) -> Path:
    return Path(inventory_root) / STATE_DIR / DB_NAME


def open_store(inventory_root: Path) -> Store:
    """The store of an inventory; :class:`StateStoreError` (exit 2, French message) if unusable."""
    path = store_path(inventory_root)
    try:
        folder = state_dir(inventory_root)
    except OSError as exc:
        raise StateStoreError(store_problem(exc, path)) from exc
    return Store(folder / DB_NAME)
