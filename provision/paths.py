"""Where plateau keeps its files, and paths shown to people.

Everything plateau writes for a centre lives in ``<inventory>/.plateau/`` (git-ignored): the
state store, the ADB key, ansible-runner's private folders, the recaps.
"""

from __future__ import annotations

import os
from pathlib import Path


def shown(path: Path | str) -> str:
    path = Path(path)
    try:
        rel = os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return str(path)
    return rel if not rel.startswith("..") else str(path)


#: the one folder of an inventory where plateau writes (state.db, adb/, runner/, PDFs)
STATE_DIR = ".plateau"


def state_dir(inventory_root: Path | str) -> Path:
    """``<inventory>/.plateau``, created 0700 on first use."""
    path = Path(inventory_root) / STATE_DIR
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def adb_key_dir(inventory_root: Path | str) -> Path:
    """This plateau's ADB key pair (never the user's ~/.android)."""
    path = state_dir(inventory_root) / "adb"
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path
