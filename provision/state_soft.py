"""The state store for the commands that must go on when it fails: ``plateau check`` prints and
exports its results, the dashboard starts read-only (:class:`SoftStore`), and a damaged store is
set aside by ``plateau check --reset-state`` (:func:`set_aside`)."""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
from pathlib import Path
from typing import Any

from provision.errors import Problem
from provision.state import (
    DB_NAME,
    StateSchemaError,
    StateStoreError,
    Store,
    open_store,
    store_path,
    store_problem,
)

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
