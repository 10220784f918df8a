"""``plateau cache``: pre-download what the plan installs, for centres with poor internet.

Layout under ``<inventory>/cache/`` (large: keep it out of git)::

    cache/
      apt/            flat apt repository: the .deb of every Debian title *and its dependencies*,
                      ``Packages`` + ``Release``; during ``plateau provision`` the laptop serves it
                      over the LAN (``deb [trusted=yes] <plateau_lan_url>apt/ ./``, see lan.py):
                      each host fetches the packages it installs, nothing more
      apt-proxy/      apt-cacher-ng's cache (lan.py): what the hosts fetched through the laptop
      flatpak/        ``<app id>.flatpak`` single-file bundles, when this machine has flatpak
      windows/        ``<winget id>/<version>/<installer>`` + ``index.json`` (winget.py): installers
                      resolved from their winget manifests, SHA-256 checked; ``fetch-installers.ps1``
                      for what could not be cached
      manifest.json   what was cached, what must be fetched by hand, and why

How each manager is handled (commands run on this machine, the controller):

    apt      apt-cache depends --recurse --no-recommends ... <pkg>   dependency closure
             apt-get download <pkgs>                                  into cache/apt/
             dpkg-deb --field <deb>                                   index (Packages, Release)
    flatpak  flatpak install --system --noninteractive flathub <id>
             flatpak build-bundle /var/lib/flatpak/repo <id>.flatpak <id> --runtime-repo=...
    winget   the installer manifest (winget-pkgs) gives URL, SHA-256, type and silent switches:
             downloaded here once, verified (provision/provisioning/winget.py)
    choco    the id is kept as the fallback Chocolatey installs from the internet at provisioning
    android  the Play Store gives no APK legally: lists which ``<inventory>/apk/<package>.apk``
             are missing (devices_apply installs the ones present)
    ios      same for ``<inventory>/ipa/<app_store_id>.ipa``; without one, the app is assigned
             through the centre's Apple Business / School Manager

The controller's apt sources decide the versions: build the cache on a machine running the
same Debian release as the workstations (the manifest records the release).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, cast

from provision.families import REGISTRY
from provision.provisioning.vars import Install, plateau_hosts
from provision.provisioning.windows_installers import cache_windows, windows_vars
from provision.provisioning.windows_installers import windows_manifest as windows_manifest  # re-exported

CACHE_DIR = "cache"
APT_DIR = "apt"
FLATPAK_DIR = "flatpak"
WINDOWS_DIR = "windows"
MANIFEST = "manifest.json"
APK_DIR = "apk"  # same folder as provision.devices_apply.APK_CACHE
IPA_DIR = "ipa"
KINDS = ("apt", "flatpak", "winget", "choco", "apk", "ipa")
FLATHUB_REPO = "https://dl.flathub.org/repo/flathub.flatpakrepo"
SYSTEM_FLATPAK_REPO = "/var/lib/flatpak/repo"
TIMEOUT_S = 1800  # one apt-get download of a whole office suite on a slow line

Run = Callable[..., subprocess.CompletedProcess]


class Status:
    CACHED = "cached"  # in the cache now (downloaded by this run or before)
    PRESENT = "present"  # dropped in by hand (APK, IPA) and found
    MANUAL = "manual"  # to fetch elsewhere (Windows PC, store); not a failure
    UNAVAILABLE = "unavailable"  # this machine cannot cache it (no flatpak...)
    FAILED = "failed"  # tried and failed: the title is not cached


@dataclass(slots=True)
class CacheEntry:
    kind: str  # apt | flatpak | winget | choco | apk | ipa
    id: str  # package / app id
    title: str
    status: str
    key: str  # message key under ``cache.``
    params: dict[str, Any] = field(default_factory=dict)
    hosts: list[str] = field(default_factory=list)


@dataclass(slots=True)
class CacheReport:
    root: Path
    entries: list[CacheEntry] = field(default_factory=list)
    apt_debs: int = 0
    apt_bytes: int = 0

    @property
    def failed(self) -> list[CacheEntry]:
        return [e for e in self.entries if e.status == Status.FAILED]

    def as_dict(self) -> dict[str, Any]:
        return {
            "schema": "plateau.cache/1",
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "debian_release": _debian_release(),
            "apt": {"debs": self.apt_debs, "bytes": self.apt_bytes},
            "entries": [asdict(e) for e in self.entries],
        }


@dataclass(slots=True)
class Wanted:
    """One title to cache: (kind, id) with the titles' names and the hosts needing it."""

    kind: str
    id: str
    title: str
    hosts: list[str] = field(default_factory=list)
    choco: str | None = None  # winget titles: the Chocolatey fallback id


# ---------------------------------------------------------------- what to cache
def wanted_from_plan(plan: Mapping[str, Any], only: Iterable[str] = KINDS) -> list[Wanted]:
    """Every (manager, id) the plan installs, with the same manager choice as the playbooks."""
    only = set(only)
    found: dict[tuple[str, str], Wanted] = {}

    def add(kind: str, ident: str, title: str, host: str, choco: str | None = None) -> None:
        if kind not in only:
            return
        item = found.setdefault((kind, ident), Wanted(kind, ident, title, choco=choco))
        if host not in item.hosts:
            item.hosts.append(host)

    for host, hv in plateau_hosts(plan).items():
        for manager in ("apt", "flatpak", "winget", "choco"):
            installs = cast("list[Install]", dict(hv).get(manager, []))  # a TypedDict read by a variable key
            for install in installs:
                add(manager, install["id"], install["title"], host, install.get("choco"))
                if manager == "winget" and install.get("choco"):  # the fallback is worth caching too
                    add("choco", install["choco"], install["title"], host)
    for host in plan["hosts"]:
        for software in host["software"]:
            ids = software.get("install") or {}
            platform = REGISTRY[host["family"]].platform
            if platform == "android" and ids.get("package"):
                add("apk", ids["package"], software["name"], host["name"])
            elif platform == "ios" and ids.get("app_store_id"):
                add("ipa", str(ids["app_store_id"]), software["name"], host["name"])
    return sorted(found.values(), key=lambda w: (KINDS.index(w.kind), w.id))


# ---------------------------------------------------------------- apt
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


# ---------------------------------------------------------------- flatpak
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


# ---------------------------------------------------------------- tablets
def tablet_files(items: Sequence[Wanted], root: Path) -> list[CacheEntry]:
    """APKs / IPAs are never downloaded (store terms): say which files are present or missing."""
    entries = []
    for item in items:
        folder, suffix = (APK_DIR, "apk") if item.kind == "apk" else (IPA_DIR, "ipa")
        path = root / folder / f"{item.id}.{suffix}"
        if path.is_file():
            entries.append(
                CacheEntry(
                    item.kind,
                    item.id,
                    item.title,
                    Status.PRESENT,
                    f"cache.{item.kind}_present",
                    {"file": f"{folder}/{path.name}"},
                    item.hosts,
                )
            )
        else:
            entries.append(
                CacheEntry(
                    item.kind,
                    item.id,
                    item.title,
                    Status.MANUAL,
                    f"cache.{item.kind}_missing",
                    {"file": f"{folder}/{path.name}", "id": item.id},
                    item.hosts,
                )
            )
    return entries


# ---------------------------------------------------------------- the whole cache
def build_cache(
    root: Path,
    plan: Mapping[str, Any],
    only: Iterable[str] = KINDS,
    *,
    run: Run = subprocess.run,
    which: Callable[[str], str | None] = shutil.which,
) -> CacheReport:
    """Fill ``<root>/cache/`` for ``plan`` (``Plan.to_dict()``) and write its manifest."""
    cache = root / CACHE_DIR
    cache.mkdir(parents=True, exist_ok=True)
    wanted = wanted_from_plan(plan, only)
    by_kind: dict[str, list[Wanted]] = {k: [w for w in wanted if w.kind == k] for k in KINDS}
    report = CacheReport(root)
    if by_kind["apt"]:
        entries, report.apt_debs, report.apt_bytes = cache_apt(by_kind["apt"], cache, run)
        report.entries += entries
    report.entries += cache_flatpak(by_kind["flatpak"], cache, run, which)
    report.entries += cache_windows(by_kind["winget"] + by_kind["choco"], cache)
    report.entries += tablet_files(by_kind["apk"] + by_kind["ipa"], root)
    (cache / MANIFEST).write_text(json.dumps(report.as_dict(), ensure_ascii=False, indent=1), encoding="utf-8")
    return report


def cache_vars(root: Path) -> dict[str, Any]:
    """Extra vars for site.yml that need no server: ``plateau_windows_installers``
    (provision/provisioning/windows_installers.py) when installers are cached."""
    found: dict[str, Any] = windows_vars(root / CACHE_DIR)
    return found


def lan_vars(root: Path) -> dict[str, Any]:
    """Extra vars describing what ``plateau_lan_url`` serves: ``plateau_lan_apt_repo`` (the
    flat repository ``apt/``), ``plateau_lan_flatpaks`` (app ids with a bundle in ``flatpak/``)."""
    cache = root / CACHE_DIR
    return {
        "plateau_lan_apt_repo": (cache / APT_DIR / "Packages").is_file(),
        "plateau_lan_flatpaks": sorted(p.stem for p in (cache / FLATPAK_DIR).glob("*.flatpak")),
    }


def parse_only(value: str | None) -> list[str]:
    """``--only apt,flatpak`` -> kinds; ValueError naming the unknown ones."""
    if not value:
        return list(KINDS)
    kinds = [v.strip().lower() for v in value.split(",") if v.strip()]
    aliases = {"apk": "apk", "android": "apk", "ipa": "ipa", "ios": "ipa", "ipad": "ipa"}
    kinds = [aliases.get(k, k) for k in kinds]
    unknown = [k for k in kinds if k not in KINDS]
    if unknown:
        raise ValueError(unknown)
    return kinds


def _debian_release() -> str | None:
    try:
        fields = dict(line.split("=", 1) for line in Path("/etc/os-release").read_text().splitlines() if "=" in line)
    except OSError:
        return None
    return fields.get("PRETTY_NAME", "").strip('"') or None
