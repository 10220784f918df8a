"""``plateau cache``, the apt part: a title's dependency closure, downloaded into a flat repository.

Commands run on this machine (the controller), whose apt sources decide the versions::

    apt-cache depends --recurse --no-recommends ... <pkg>   dependency closure
    apt-cache policy <pkgs>                                  which of them have a candidate
    apt-get download <pkgs>                                  into cache/apt/
    dpkg-deb --field <deb>                                   index (Packages, Release)

During ``plateau provision`` the laptop serves ``cache/apt/`` over the LAN (lan.py).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

from provision.provisioning.cache_model import APT_DIR, TIMEOUT_S, CacheEntry, Run, Status, Wanted


def apt_closure(package: str, run: Run = subprocess.run) -> list[str]:
    """``package`` and every package it needs (Depends, Pre-Depends), real packages only.

    ``apt-cache depends --recurse`` prints each package at column 0 and its relations
    indented; virtual packages show as ``<name>`` and are provided by a real one listed too.
    Raises LookupError when apt knows no such package.
    """
    args = [
        "apt-cache",
        "depends",
        "--recurse",
        "--no-recommends",
        "--no-suggests",
        "--no-conflicts",
        "--no-breaks",
        "--no-replaces",
        "--no-enhances",
        package,
    ]
    done = run(args, capture_output=True, text=True, timeout=120, check=False)
    if done.returncode != 0:
        raise LookupError((done.stderr or done.stdout).strip().splitlines()[-1:] or [package])
    arch = _native_arch(run)
    names: list[str] = []
    for line in done.stdout.splitlines():
        if not line or line[0].isspace() or line.startswith("<"):
            continue
        name = line.strip()
        if ":" in name:  # multiarch: keep only this machine's architecture
            name, _, qualifier = name.partition(":")
            if qualifier not in (arch, "any", "all"):
                continue
        if name not in names:
            names.append(name)
    if package not in names:
        raise LookupError([f"{package}: no installable candidate"])
    return names


def _native_arch(run: Run) -> str:
    done = run(["dpkg", "--print-architecture"], capture_output=True, text=True, timeout=30, check=False)
    return done.stdout.strip() or "amd64"


def with_candidate(names: Sequence[str], run: Run = subprocess.run) -> list[str]:
    """``names`` that apt can install (``apt-cache policy``: a Candidate other than ``(none)``).

    ``apt-cache depends --recurse`` also follows the alternatives of an ``a | b`` dependency,
    some of which exist in no repository: they are dropped here, so that one download call
    does not fail for a package nothing needs.
    """
    if not names:
        return []
    done = run(["apt-cache", "policy", *names], capture_output=True, text=True, timeout=120, check=False)
    current, ok = None, set()
    for line in done.stdout.splitlines():
        if line and not line[0].isspace() and line.endswith(":"):
            current = line[:-1]
        elif current and line.strip().startswith("Candidate:") and line.split(":", 1)[1].strip() != "(none)":
            ok.add(current)
    return [n for n in names if n in ok]


def apt_download(names: Sequence[str], dest: Path, run: Run = subprocess.run) -> list[str]:
    """``apt-get download`` into ``dest``; names that could not be fetched are returned."""
    if not names:
        return []
    args = ["apt-get", "download", "-q", *names]
    done = run(args, cwd=dest, capture_output=True, text=True, timeout=TIMEOUT_S, check=False)
    if done.returncode == 0:
        return []
    # one bad name (no candidate for this architecture...) fails the whole call: retry one by one
    failed = []
    for name in names:
        one = run(
            ["apt-get", "download", "-q", name],
            cwd=dest,
            capture_output=True,
            text=True,
            timeout=TIMEOUT_S,
            check=False,
        )
        if one.returncode != 0:
            failed.append(name)
    return failed


def build_apt_index(repo: Path, run: Run = subprocess.run) -> int:
    """Write ``Packages`` and ``Release`` of a flat repository; return the number of .deb.

    Control fields come from ``dpkg-deb --field`` (dpkg itself, no dpkg-dev needed), plus
    Filename/Size/MD5sum/SHA256 as ``dpkg-scanpackages`` writes them.
    """
    paragraphs = []
    debs = sorted(repo.glob("*.deb"))
    for deb in debs:
        control = run(
            ["dpkg-deb", "--field", str(deb)], capture_output=True, text=True, timeout=60, check=True
        ).stdout.strip()
        data = deb.read_bytes()
        paragraphs.append(
            f"{control}\nFilename: ./{deb.name}\nSize: {len(data)}\n"
            f"MD5sum: {hashlib.md5(data).hexdigest()}\nSHA256: {hashlib.sha256(data).hexdigest()}\n"
        )
    packages = "\n".join(paragraphs).encode()
    (repo / "Packages").write_bytes(packages)
    (repo / "Release").write_text(
        "Origin: plateau\nLabel: plateau-cache\nSuite: plateau-cache\nCodename: plateau-cache\n"
        f"Date: {time.strftime('%a, %d %b %Y %H:%M:%S UTC', time.gmtime())}\n"
        f"MD5Sum:\n {hashlib.md5(packages).hexdigest()} {len(packages)} Packages\n"
        f"SHA256:\n {hashlib.sha256(packages).hexdigest()} {len(packages)} Packages\n"
    )
    return len(debs)


def cache_apt(items: Sequence[Wanted], cache: Path, run: Run = subprocess.run) -> tuple[list[CacheEntry], int, int]:
    repo = cache / APT_DIR
    repo.mkdir(parents=True, exist_ok=True)
    os.chmod(repo, 0o755)  # apt-get download drops privileges to _apt when it can write here
    entries: list[CacheEntry] = []
    closures: dict[str, list[str]] = {}
    for item in items:
        try:
            closures[item.id] = apt_closure(item.id, run)
        except LookupError as exc:
            entries.append(
                CacheEntry(
                    "apt",
                    item.id,
                    item.title,
                    Status.FAILED,
                    "cache.apt_unknown",
                    {"package": item.id, "reason": " ".join(map(str, exc.args[0]))},
                    item.hosts,
                )
            )
    for ident, names in closures.items():  # the title itself is always tried, to be named if it fails
        closures[ident] = [ident] + with_candidate([n for n in names if n != ident], run)
    needed = sorted({name for names in closures.values() for name in names})
    failed = set(apt_download(needed, repo, run))
    keep = set(needed)
    for deb in repo.glob("*.deb"):  # drop what no title needs any more
        if deb.name.split("_", 1)[0] not in keep:
            deb.unlink()
    for item in items:
        if item.id not in closures:
            continue
        missing = [n for n in closures[item.id] if n in failed]
        if missing:
            entries.append(
                CacheEntry(
                    "apt",
                    item.id,
                    item.title,
                    Status.FAILED,
                    "cache.apt_failed",
                    {"package": item.id, "missing": missing[:10]},
                    item.hosts,
                )
            )
        else:
            entries.append(
                CacheEntry(
                    "apt",
                    item.id,
                    item.title,
                    Status.CACHED,
                    "cache.apt_cached",
                    {"package": item.id, "debs": len(closures[item.id])},
                    item.hosts,
                )
            )
    count = build_apt_index(repo, run) if needed else 0
    (cache / "apt-repo.tar").unlink(missing_ok=True)  # the whole-cache archive of older plateau versions
    size = sum(p.stat().st_size for p in repo.glob("*.deb"))
    return entries, count, size
