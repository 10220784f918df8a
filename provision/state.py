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

DB_NAME = "state.db"

#: version 1: the tables as the first release created them (without a version stamp)
_SCHEMA_V1 = """
CREATE TABLE IF NOT EXISTS sweeps (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    scope TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS verdicts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    sweep_id INTEGER REFERENCES sweeps(id),
    device TEXT NOT NULL,
    room TEXT,
    check_name TEXT NOT NULL,
    status TEXT NOT NULL,
    key TEXT NOT NULL,
    params TEXT NOT NULL,
    value TEXT,
    unit TEXT,
    measured_at TEXT NOT NULL,
    probe TEXT NOT NULL,
    facts TEXT NOT NULL,
    blocking INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS verdicts_device ON verdicts(device, check_name, measured_at);
CREATE TABLE IF NOT EXISTS attestations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    room TEXT NOT NULL,
    item TEXT NOT NULL,
    device TEXT,
    by_name TEXT NOT NULL,
    at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    args TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    status TEXT NOT NULL DEFAULT 'running'
);
CREATE TABLE IF NOT EXISTS run_hosts (
    run_id INTEGER NOT NULL REFERENCES runs(id),
    host TEXT NOT NULL,
    status TEXT NOT NULL,
    ok INTEGER NOT NULL DEFAULT 0,
    changed INTEGER NOT NULL DEFAULT 0,
    failed INTEGER NOT NULL DEFAULT 0,
    unreachable INTEGER NOT NULL DEFAULT 0,
    detail TEXT NOT NULL DEFAULT '{}',
    PRIMARY KEY (run_id, host)
);
CREATE TABLE IF NOT EXISTS freezes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    by_name TEXT NOT NULL,
    snapshot TEXT NOT NULL
);
"""


class StateSchemaError(PlateauError):
    """state.db was written by a newer plateau than this one: refused, left untouched."""

    def __init__(self, path: Path, found: int) -> None:
        self.path = path
        self.found = found
        super().__init__(
            Problem(
                key="state.newer_schema",
                file=shown(path),
                params={"file": shown(path), "found": found, "supported": SCHEMA_VERSION},
            )
        )


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


def _rollback(db: sqlite3.Connection) -> None:
    """Roll back if a transaction is still open; a failing rollback never hides the real error
    (SQLite has often rolled back already after "disk full")."""
    try:
        if db.in_transaction:
            db.execute("ROLLBACK")
    except sqlite3.Error:
        pass


def _create_v1(db: sqlite3.Connection) -> None:
    """Today's tables. ``IF NOT EXISTS``: a file of the first release (version 0) keeps its rows."""
    for statement in _SCHEMA_V1.split(";"):  # not executescript(): it would COMMIT the migration
        if statement.strip():
            db.execute(statement)


#: (version, step) in increasing order; a step brings a file from the version before it to its own
MIGRATIONS: list[tuple[int, Callable[[sqlite3.Connection], None]]] = [
    (1, _create_v1),
]

#: the schema this code reads and writes (1 = the tables above)
SCHEMA_VERSION: int = MIGRATIONS[-1][0]


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
            _retry_locked(lambda: _migrate(db, self.path))
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
        return _user_version(self._connect())

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
            _rollback(db)
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


def _user_version(db: sqlite3.Connection) -> int:
    return int(db.execute("PRAGMA user_version").fetchone()[0])


def _migrate(db: sqlite3.Connection, path: Path) -> None:
    """Bring the file to :data:`SCHEMA_VERSION`: every missing step, then the stamp, in one transaction.

    Safe when two processes open a new (or old) store at once: the write lock is taken first
    (``BEGIN IMMEDIATE`` waits for the other one), then the version is read again, so the
    second process finds the work done. Any failure rolls the whole migration back.
    """
    current = _user_version(db)
    if current == SCHEMA_VERSION:  # the usual case: no write lock taken
        return
    if current > SCHEMA_VERSION:
        raise StateSchemaError(path, current)
    db.execute("BEGIN IMMEDIATE")
    try:
        current = _user_version(db)  # another process may have migrated it meanwhile
        if current > SCHEMA_VERSION:
            raise StateSchemaError(path, current)
        for version, step in MIGRATIONS:
            if version > current:
                step(db)
        if current != SCHEMA_VERSION:
            db.execute(f"PRAGMA user_version={int(SCHEMA_VERSION)}")
        db.execute("COMMIT")
    except BaseException:
        _rollback(db)
        raise


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


#: SoftStore methods that return a list (an empty one when the store is unusable)
_LIST_METHODS = frozenset({"latest_verdicts", "history", "attestations", "runs", "run_hosts"})
#: writes the program makes by itself: skipped once the store failed (the results are still shown)
_AUTOMATIC_WRITES = frozenset(
    {"start_sweep", "add_verdicts", "finish_sweep", "start_run", "record_host_result", "finish_run"}
)


class SoftStore:
    """A :class:`Store` that fails soft, for ``plateau check`` and the dashboard.

    The first failure is kept in :attr:`problem` (to print once); afterwards automatic writes
    (sweeps, verdicts, runs) are skipped and reads return nothing, so a check on a full disk
    still shows and exports every verdict. A write a person asked for (an attestation, a
    freeze) still raises :class:`StateStoreError`: it must never look saved when it is not.
    """

    def __init__(self, path: Path, store: Store | None = None, problem: Problem | None = None) -> None:
        self.path = path
        self._store = store
        self.problem = problem
        self._writes_off = problem is not None

    @property
    def read_only(self) -> bool:
        return self.problem is not None

    def __bool__(self) -> bool:  # `if store:` in the sweep means "there is a store to write to"
        return True

    def _fail(self, problem: Problem) -> None:
        if self.problem is None:
            self.problem = problem
        self._writes_off = True

    def close(self) -> None:
        if self._store is not None:
            try:
                self._store.close()
            except sqlite3.Error:
                pass

    def __getattr__(self, name: str) -> Any:
        method = getattr(Store, name)  # AttributeError for anything a Store does not have
        if not callable(method):
            return getattr(self._store, name)
        default: Any = [] if name in _LIST_METHODS else None

        def call(*args: Any, **kwargs: Any) -> Any:
            automatic = name in _AUTOMATIC_WRITES
            if self._store is None or (automatic and self._writes_off):
                if automatic or name in _LIST_METHODS or name.startswith(("latest_", "schema")):
                    return default
                raise StateStoreError(self.problem or store_problem(OSError("state store unavailable"), self.path))
            try:
                return getattr(self._store, name)(*args, **kwargs)
            except StateStoreError as exc:
                self._fail(exc.problems[0])
                if automatic or name in _LIST_METHODS or name.startswith("latest_"):
                    return default
                raise

        return call


def open_store_soft(inventory_root: Path) -> SoftStore:
    """Never raises for a broken store: a :class:`SoftStore` whose ``problem`` says what failed."""
    path = store_path(inventory_root)
    try:
        return SoftStore(path, open_store(inventory_root))
    except (StateStoreError, StateSchemaError) as exc:
        return SoftStore(path, None, exc.problems[0])


def set_aside(inventory_root: Path) -> Path | None:
    """Rename state.db (and its -wal, -shm files) to state.db.aside-<date>; None if there was none.

    The next :func:`open_store` creates a new, empty store. Attestations, provisioning runs and
    past verdicts stay in the renamed file (``sqlite3`` can still read what is left of it).
    """
    path = store_path(inventory_root)
    if not path.exists():
        return None
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    target = path.with_name(f"{DB_NAME}.aside-{stamp}")
    try:
        for suffix in ("", "-wal", "-shm"):
            source = Path(f"{path}{suffix}")
            if source.exists():
                os.replace(source, Path(f"{target}{suffix}"))
    except OSError as exc:
        raise StateStoreError(store_problem(exc, path)) from exc
    return target
