"""Paths shown to people: relative to the working directory when that is shorter."""

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
