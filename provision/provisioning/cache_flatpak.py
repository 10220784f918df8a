"""``plateau cache``, the flatpak part: single-file bundles of the Flathub apps the plan installs.

Commands run on this machine (the controller), which needs flatpak::

    flatpak remote-add --system --if-not-exists flathub <flathub.flatpakrepo>
    flatpak install --system --noninteractive -y flathub <id>
    flatpak build-bundle --runtime-repo=<flathub> /var/lib/flatpak/repo <id>.flatpak <id>
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable, Sequence
from pathlib import Path

from provision.provisioning.cache_model import FLATPAK_DIR, TIMEOUT_S, CacheEntry, Run, Status, Wanted

FLATHUB_REPO = "https://dl.flathub.org/repo/flathub.flatpakrepo"
SYSTEM_FLATPAK_REPO = "/var/lib/flatpak/repo"


def cache_flatpak(
    items: Sequence[Wanted], cache: Path, run: Run = subprocess.run, which: Callable[[str], str | None] = shutil.which
) -> list[CacheEntry]:
    """Bundles with ``flatpak build-bundle``; the app is installed on this machine first."""
    if not items:
        return []
    if which("flatpak") is None:
        return [
            CacheEntry("flatpak", i.id, i.title, Status.UNAVAILABLE, "cache.flatpak_missing", {"app": i.id}, i.hosts)
            for i in items
        ]
    folder = cache / FLATPAK_DIR
    folder.mkdir(parents=True, exist_ok=True)
    entries = []
    for item in items:
        bundle = folder / f"{item.id}.flatpak"
        steps = [
            ["flatpak", "remote-add", "--system", "--if-not-exists", "flathub", FLATHUB_REPO],
            ["flatpak", "install", "--system", "--noninteractive", "-y", "flathub", item.id],
            ["flatpak", "build-bundle", f"--runtime-repo={FLATHUB_REPO}", SYSTEM_FLATPAK_REPO, str(bundle), item.id],
        ]
        for argv in steps:
            done = run(argv, capture_output=True, text=True, timeout=TIMEOUT_S, check=False)
            if done.returncode != 0:
                reason = ((done.stderr or done.stdout).strip().splitlines() or ["?"])[-1][:200]
                entries.append(
                    CacheEntry(
                        "flatpak",
                        item.id,
                        item.title,
                        Status.FAILED,
                        "cache.flatpak_failed",
                        {"app": item.id, "reason": reason},
                        item.hosts,
                    )
                )
                break
        else:
            entries.append(
                CacheEntry(
                    "flatpak",
                    item.id,
                    item.title,
                    Status.CACHED,
                    "cache.flatpak_cached",
                    {"app": item.id, "file": bundle.name},
                    item.hosts,
                )
            )
    return entries
