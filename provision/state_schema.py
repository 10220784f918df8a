"""The state store's schema: its tables, its version (SQLite's ``PRAGMA user_version``) and the
migrations that bring an older file to it. The next engineer adds a column by appending one
step to :data:`MIGRATIONS`."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

from provision.errors import PlateauError, Problem
from provision.paths import shown

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


def rollback(db: sqlite3.Connection) -> None:
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


def user_version(db: sqlite3.Connection) -> int:
    return int(db.execute("PRAGMA user_version").fetchone()[0])


def migrate(db: sqlite3.Connection, path: Path) -> None:
    """Bring the file to :data:`SCHEMA_VERSION`: every missing step, then the stamp, in one transaction.

    Safe when two processes open a new (or old) store at once: the write lock is taken first
    (``BEGIN IMMEDIATE`` waits for the other one), then the version is read again, so the
    second process finds the work done. Any failure rolls the whole migration back.
    """
    current = user_version(db)
    if current == SCHEMA_VERSION:  # the usual case: no write lock taken
        return
    if current > SCHEMA_VERSION:
        raise StateSchemaError(path, current)
    db.execute("BEGIN IMMEDIATE")
    try:
        current = user_version(db)  # another process may have migrated it meanwhile
        if current > SCHEMA_VERSION:
            raise StateSchemaError(path, current)
        for version, step in MIGRATIONS:
            if version > current:
                step(db)
        if current != SCHEMA_VERSION:
            db.execute(f"PRAGMA user_version={int(SCHEMA_VERSION)}")
        db.execute("COMMIT")
    except BaseException:
        rollback(db)
        raise
