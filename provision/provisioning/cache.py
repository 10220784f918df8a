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
      homebrew/       ``casks/<token>/<url digest>/<installer>`` + ``casks.json`` (homebrew_casks.py):
                      each cask's .dmg/.pkg from Homebrew's JSON API, SHA-256 checked, put by the
                      macos role into each Mac's Homebrew download cache
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

This module gathers what the plan wants and writes the manifest; the managers' parts live
beside it: cache_apt.py (apt), cache_flatpak.py (flatpak), windows_installers.py (winget,
choco), the records they share in cache_model.py. Every public name stays importable from here.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, cast

from provision.families import REGISTRY
from provision.provisioning.cache_apt import apt_closure as apt_closure  # re-exported
from provision.provisioning.cache_apt import apt_download as apt_download  # re-exported
from provision.provisioning.cache_apt import build_apt_index as build_apt_index  # re-exported
from provision.provisioning.cache_apt import cache_apt
from provision.provisioning.cache_apt import with_candidate as with_candidate  # re-exported
from provision.provisioning.cache_flatpak import FLATHUB_REPO as FLATHUB_REPO  # re-exported
from provision.provisioning.cache_flatpak import SYSTEM_FLATPAK_REPO as SYSTEM_FLATPAK_REPO  # re-exported
from provision.provisioning.cache_flatpak import cache_flatpak
from provision.provisioning.cache_model import (
    APK_DIR,
    APT_DIR,
    CACHE_DIR,
    FLATPAK_DIR,
    IPA_DIR,
    KINDS,
    MANIFEST,
    CacheEntry,
    Run,
    Status,
    Wanted,
)
from provision.provisioning.cache_model import TIMEOUT_S as TIMEOUT_S  # re-exported
from provision.provisioning.cache_model import WINDOWS_DIR as WINDOWS_DIR  # re-exported
from provision.provisioning.homebrew_casks import cache_casks, homebrew_vars
from provision.provisioning.vars import Install, plateau_hosts
from provision.provisioning.windows_installers import cache_windows, windows_vars
from provision.provisioning.windows_installers import windows_manifest as windows_manifest  # re-exported


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
        for manager, kind in (("apt", "apt"), ("flatpak", "flatpak"), ("winget", "winget"), ("choco", "choco"),
                              ("brew_cask", "cask")):  # fmt: skip
            installs = cast("list[Install]", dict(hv).get(manager, []))  # a TypedDict read by a variable key
            for install in installs:
                add(kind, install["id"], install["title"], host, install.get("choco"))
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
    report.entries += cache_casks(by_kind["cask"], cache)
    report.entries += tablet_files(by_kind["apk"] + by_kind["ipa"], root)
    (cache / MANIFEST).write_text(json.dumps(report.as_dict(), ensure_ascii=False, indent=1), encoding="utf-8")
    return report


def cache_vars(root: Path) -> dict[str, Any]:
    """Extra vars for site.yml that need no server: ``plateau_windows_installers``
    (provision/provisioning/windows_installers.py) and ``plateau_homebrew_casks``
    (provision/provisioning/homebrew_casks.py) when installers are cached."""
    found: dict[str, Any] = {**windows_vars(root / CACHE_DIR), **homebrew_vars(root / CACHE_DIR)}
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
    aliases = {
        "apk": "apk",
        "android": "apk",
        "ipa": "ipa",
        "ios": "ipa",
        "ipad": "ipa",
        "homebrew": "cask",
        "brew": "cask",
        "mac": "cask",
        "macos": "cask",
    }
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
