"""The recap's files: written 0600 (confidential), by default in ``<inventory>/.plateau/``."""

from __future__ import annotations

import os
from pathlib import Path

from provision.paths import state_dir


def write_private(path: Path, data: bytes) -> None:
    """Write ``data`` atomically with mode 0600 (created so, never world-readable, even briefly)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0), 0o600)
    try:
        os.fchmod(fd, 0o600)  # O_CREAT keeps the mode of a leftover file: force it
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    os.replace(tmp, path)


def default_output(root: Path, kind: str, scope: str, date: str) -> Path:
    """``<inventory>/.plateau/recap-<jury|centre>-<date>.pdf`` / ``wifi-poster[-<jury>]-<date>.pdf``."""
    if kind == "poster":
        name = f"wifi-poster-{date}.pdf" if scope == "centre" else f"wifi-poster-{scope}-{date}.pdf"
    else:
        name = f"recap-{scope}-{date}.pdf"
    return state_dir(root) / name
