"""``plateau cache``, Windows part: one installer per winget title, on the laptop, for the LAN.

Layout::

    cache/windows/<winget id>/<version>/<installer file>   downloaded once, SHA-256 checked
    cache/windows/index.json      {"schema": "plateau.windows-cache/1", "source": {...},
                                   "installers": {<winget id>: record}}   (winget.installer_entry)
    cache/windows/fetch-installers.ps1   what could not be cached: winget download / choco download
                                         to run on a Windows PC with internet, by hand

``plateau provision`` passes the index as ``plateau_windows_installers`` (:func:`windows_vars`,
through cache.cache_vars); with ``plateau_lan_url`` (the laptop's HTTP server over ``cache/``) the
windows role fetches ``{plateau_lan_url}<record.file>`` (win_get_url, SHA-256 checked again on the
PC) and runs it (win_package with the record's arguments). An installer's declared
dependencies (``PackageDependencies``: LibreOffice's Visual C++ runtime) are resolved and
cached the same way (``"dependency": true`` in their record), and the role installs each before
the title that needs it. Chocolatey ids are kept as the fallback Chocolatey installs from the
internet at provisioning; a re-run downloads only what changed (a file
already there with the manifest's hash is kept) and drops the files no title needs any more.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from provision.provisioning.winget import (
    INDEX,
    SCHEMA,
    SCRIPT,
    WINDOWS_DIR,
    Opener,
    SourceError,
    Unsupported,
    choose_installer,
    download,
    fetch_manifest,
    installer_entry,
    sha256_of,
    source_urls,
)

if TYPE_CHECKING:
    from provision.provisioning.cache import CacheEntry, Wanted


def winget_command(ident: str) -> str:
    return (
        f'winget download --id {ident} --exact --download-directory "$here\\winget\\{ident}" '
        "--accept-package-agreements --accept-source-agreements"
    )


def choco_command(ident: str) -> str:
    return f'choco download {ident} --internalize --output-directory "$here\\choco"'


def read_index(cache: Path) -> dict[str, dict[str, Any]]:
    """``cache/windows/index.json``'s installers whose file is present ({} when none)."""
    try:
        data = json.loads((cache / WINDOWS_DIR / INDEX).read_text("utf-8"))
        installers = data["installers"] if data.get("schema") == SCHEMA else {}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}
    return {k: v for k, v in installers.items() if isinstance(v, dict) and (cache / str(v.get("file"))).is_file()}


def windows_vars(cache: Path) -> dict[str, Any]:
    """Extra var for site.yml: ``plateau_windows_installers`` (winget id -> index record), if any."""
    installers = read_index(cache)
    return {"plateau_windows_installers": installers} if installers else {}


def _cache_one(item: Wanted, cache: Path, old: Mapping[str, Any], opener: Opener) -> tuple[CacheEntry, dict | None]:
    from provision.provisioning.cache import CacheEntry, Status

    def entry(status: str, key: str, **params: Any) -> CacheEntry:
        return CacheEntry("winget", item.id, item.title, status, key, params, item.hosts)

    try:
        version, manifest_url, manifest = fetch_manifest(item.id, opener)
        record = installer_entry(item.id, item.title, version, manifest_url, choose_installer(manifest))
    except LookupError:
        return entry(Status.FAILED, "winget.unknown_id", id=item.id, source=source_urls()[0]), None
    except Unsupported as exc:
        return entry(Status.MANUAL, "winget.unsupported", id=item.id, reason=exc.args[0]), None
    except SourceError as exc:
        kept = old.get(item.id)
        if kept:  # the source is down (or rate-limited) but the installer cached before is still good
            kept = {**kept, "title": item.title}
            return entry(Status.CACHED, "winget.kept", id=item.id, version=kept["version"], reason=str(exc)), kept
        command = winget_command(item.id).replace("$here\\", "")
        return entry(Status.MANUAL, "winget.source_unreachable", id=item.id, reason=str(exc), command=command), None
    dest = cache / record["file"]
    fetched = 0
    if not (dest.is_file() and sha256_of(dest) == record["sha256"]):
        try:
            fetched = download(record["url"], dest, record["sha256"], opener)
        except ValueError as exc:
            return entry(
                Status.FAILED,
                "winget.hash_mismatch",
                title=item.title,
                url=record["url"],
                expected=record["sha256"],
                actual=exc.args[0],
            ), None
        except SourceError as exc:
            return entry(
                Status.FAILED, "winget.download_failed", title=item.title, url=record["url"], reason=str(exc)
            ), None
    record["size"] = dest.stat().st_size
    return entry(
        Status.CACHED,
        "winget.cached" if fetched else "winget.already_cached",
        id=item.id,
        version=record["version"],
        type=record["type"],
        file=record["file"],
        mb=round(record["size"] / 1e6, 1),
    ), record


def cache_windows(items: Sequence[Wanted], cache: Path, opener: Opener = urllib.request.urlopen) -> list[CacheEntry]:
    """Resolve, download and index the winget titles; Chocolatey ids stay as the fallback.

    What could not be cached is written to ``windows/fetch-installers.ps1`` (``winget download`` /
    ``choco download`` on a Windows PC with internet), as before the LAN cache existed.
    """
    from provision.provisioning.cache import CacheEntry, Status

    if not items:
        return []
    folder = cache / WINDOWS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    old = read_index(cache)
    entries: list[CacheEntry] = []
    installers: dict[str, dict[str, Any]] = {}
    script = [
        "# plateau cache : installateurs Windows à télécharger sur un PC Windows relié à Internet.",
        "# Lancer dans PowerShell depuis ce dossier, puis recopier le dossier dans <inventaire>/cache/windows/.",
        "# winget download demande winget 1.8 ou plus récent ;",
        "# choco download --internalize demande Chocolatey for Business (sinon : choco install sur place).",
        "$ErrorActionPreference = 'Continue'",
        "$here = $PSScriptRoot",
    ]
    for item in items:
        if item.kind == "winget":
            result, record = _cache_one(item, cache, old, opener)
            entries.append(result)
            if record is not None:
                installers[item.id] = record
                continue
            command = winget_command(item.id)
        else:
            command = choco_command(item.id)
            entries.append(
                CacheEntry(
                    "choco",
                    item.id,
                    item.title,
                    Status.MANUAL,
                    "cache.choco_manual",
                    {"id": item.id, "command": command.replace("$here\\", "")},
                    item.hosts,
                )
            )
        script += [f"# {item.title} — {', '.join(item.hosts)}", command]
    entries += _cache_dependencies(items, installers, cache, old, opener, script)
    keep = {(cache / r["file"]).resolve() for r in installers.values()}
    for path in folder.glob("*/*/*"):  # <Id>/<version>/<file>: what no title needs any more
        if path.is_file() and path.resolve() not in keep:
            path.unlink()
    listing, raw = source_urls()
    index = {"schema": SCHEMA, "source": {"listing": listing, "manifests": raw}, "installers": installers}
    (folder / INDEX).write_text(json.dumps(index, ensure_ascii=False, indent=1), encoding="utf-8")
    (folder / SCRIPT).write_text("\r\n".join(script) + "\r\n", encoding="utf-8-sig")
    return entries


def _cache_dependencies(items: Sequence[Wanted], installers: dict[str, dict[str, Any]], cache: Path,
                        old: Mapping[str, Any], opener: Opener, script: list[str]) -> list[CacheEntry]:  # fmt: skip
    """The installers the cached ones declare they need (``PackageDependencies``: LibreOffice's
    Visual C++ runtime), resolved and cached the same way, so that they too cross the uplink once;
    the windows role installs each before the title that needs it. Two levels at most."""
    from provision.provisioning.cache_model import Wanted

    hosts = {item.id: item.hosts for item in items}
    entries: list[CacheEntry] = []
    tried: set[str] = set()
    for _ in range(2):
        needed: dict[str, list[str]] = {}
        for ident, record in list(installers.items()):
            for dep in record.get("dependencies") or []:
                if dep not in installers and dep not in tried and dep not in needed:
                    needed[dep] = []
                if dep in needed:
                    needed[dep] += [h for h in hosts.get(ident, []) if h not in needed[dep]]
        for dep, dep_hosts in needed.items():
            tried.add(dep)
            item = Wanted("winget", dep, dep, dep_hosts)
            hosts[dep] = dep_hosts
            result, found = _cache_one(item, cache, old, opener)
            entries.append(result)
            if found is not None:
                installers[dep] = {**found, "dependency": True}
            else:
                script += [f"# {dep} — {', '.join(dep_hosts)}", winget_command(dep)]
    return entries


def windows_manifest(items: Sequence[Wanted], cache: Path) -> list[CacheEntry]:
    """Compatibility name: :func:`cache_windows` with the default source."""
    return cache_windows(items, cache)
