"""``plateau cache``, macOS part: each Homebrew cask's installer downloaded once, on the laptop.

Homebrew's ``HOMEBREW_ARTIFACT_DOMAIN`` rewrites only bottle URLs (ghcr.io): a cask's own download
(the vendor's .dmg, .pkg or .zip) would still cross the centre's uplink once per Mac. So plateau
puts that file where Homebrew looks first: its download cache. On each Mac the macos role asks
``brew --cache --cask <token>`` where the download for *this* Mac would go, fetches the matching
file from the laptop into that path (SHA-256 checked), and ``brew install --cask`` then finds it
already downloaded, checks the cask's own SHA-256 again and installs it, with nothing from the
internet. The file is matched to the Mac by its URL: Homebrew names a cached download
``<SHA-256 of its URL>--<file name>``, so the URL the Mac would use picks the record.

Source: Homebrew's JSON API, one document per cask (``PLATEAU_HOMEBREW_CASK_URL``, with
``{token}``, points it elsewhere: a mirror, the tests' loopback server)::

    GET https://formulae.brew.sh/api/cask/<token>.json
    {"token": "vlc", "version": "3.0.21", "url": "...-arm64.dmg", "sha256": "...",
     "variations": {"sequoia": {"url": "...-intel64.dmg", "sha256": "..."}, ...}}

Every distinct URL of the cask (Apple silicon, Intel) is fetched once. A cask declared
``sha256 :no_check`` (``"sha256": "no_check"``) has nothing to check a download against: it is
not cached, and comes from its vendor at provisioning. Layout::

    cache/homebrew/casks/<token>/<SHA-256 of the URL, 16 hex>/<file name>
    cache/homebrew/casks.json   {"schema": "plateau.homebrew-casks/1", "source": ...,
                                 "casks": {<token>: [{"url", "url_sha256", "sha256", "version",
                                                      "file", "size"}]}}
"""

from __future__ import annotations

import hashlib
import json
import os
import urllib.parse
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from provision.provisioning.winget import Opener, SourceError, download, get_body, sha256_of

if TYPE_CHECKING:
    from provision.provisioning.cache_model import CacheEntry, Wanted

HOMEBREW_DIR = "homebrew"
INDEX = "casks.json"
SCHEMA = "plateau.homebrew-casks/1"
CASK_URL = "https://formulae.brew.sh/api/cask/{token}.json"
CASK_URL_ENV = "PLATEAU_HOMEBREW_CASK_URL"


def cask_url(token: str) -> str:
    return (os.environ.get(CASK_URL_ENV) or CASK_URL).format(token=urllib.parse.quote(token, safe=""))


def downloads(document: dict[str, Any]) -> list[dict[str, str]]:
    """The distinct (url, sha256, version) of a cask's JSON: its own, then its variations'."""
    found: dict[str, dict[str, str]] = {}
    base = {k: document.get(k) for k in ("url", "sha256", "version")}
    variants = [base, *({**base, **v} for v in (document.get("variations") or {}).values() if isinstance(v, dict))]
    for variant in variants:
        url, sha256 = variant.get("url"), variant.get("sha256")
        if isinstance(url, str) and url and url not in found:
            found[url] = {"url": url, "sha256": str(sha256 or ""), "version": str(variant.get("version") or "")}
    return list(found.values())


def url_sha256(url: str) -> str:
    """What Homebrew prefixes a cached download's name with (``<this>--<file name>``)."""
    return hashlib.sha256(url.encode("utf-8")).hexdigest()


def read_casks(cache: Path) -> dict[str, list[dict[str, Any]]]:
    """``cache/homebrew/casks.json``'s records whose file is present ({} when none)."""
    try:
        index = json.loads((cache / HOMEBREW_DIR / INDEX).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    casks = index.get("casks") if isinstance(index, dict) and index.get("schema") == SCHEMA else None
    if not isinstance(casks, dict):
        return {}
    return {
        token: kept
        for token, records in casks.items()
        if isinstance(records, list)
        and (kept := [r for r in records if isinstance(r, dict) and (cache / str(r.get("file", ""))).is_file()])
    }


def homebrew_vars(cache: Path) -> dict[str, Any]:
    """Extra var for site.yml: ``plateau_homebrew_casks`` (token -> records), if any is cached."""
    casks = read_casks(cache)
    return {"plateau_homebrew_casks": casks} if casks else {}


def _cache_one(item: Wanted, cache: Path, old: dict[str, list[dict[str, Any]]], opener: Opener
               ) -> tuple[CacheEntry, list[dict[str, Any]]]:  # fmt: skip
    from provision.provisioning.cache_model import CacheEntry, Status

    def entry(status: str, key: str, **params: Any) -> CacheEntry:
        return CacheEntry("cask", item.id, item.title, status, key, params, item.hosts)

    source = cask_url(item.id)
    try:
        body = get_body(source, opener)
    except SourceError as exc:
        if old.get(item.id):  # the API is down, the installers cached before are still good
            return entry(Status.CACHED, "homebrew.kept", token=item.id, reason=str(exc)), old[item.id]
        return entry(Status.MANUAL, "homebrew.source_unreachable", token=item.id, reason=str(exc)), []
    try:
        document = json.loads(body) if body is not None else None
    except ValueError:
        document = None
    if not isinstance(document, dict):
        return entry(Status.FAILED, "homebrew.unknown_token", token=item.id, source=source), []
    wanted = downloads(document)
    if not wanted or any(w["sha256"] in ("", "no_check") for w in wanted):
        return entry(Status.MANUAL, "homebrew.no_check", token=item.id), []
    records, fetched, size = [], 0, 0
    for want in wanted:
        digest = url_sha256(want["url"])
        name = Path(urllib.parse.unquote(urllib.parse.urlsplit(want["url"]).path)).name or "download"
        relative = f"{HOMEBREW_DIR}/casks/{item.id}/{digest[:16]}/{name}"
        dest = cache / relative
        if not (dest.is_file() and sha256_of(dest) == want["sha256"]):
            try:
                fetched += download(want["url"], dest, want["sha256"], opener)
            except ValueError as exc:
                return entry(Status.FAILED, "homebrew.hash_mismatch", title=item.title, url=want["url"],
                             expected=want["sha256"], actual=exc.args[0]), []  # fmt: skip
            except SourceError as exc:
                return entry(Status.FAILED, "homebrew.download_failed", title=item.title, url=want["url"],
                             reason=str(exc)), []  # fmt: skip
        size += dest.stat().st_size
        records.append({**want, "url_sha256": digest, "file": relative, "size": dest.stat().st_size})
    key = "homebrew.cached" if fetched else "homebrew.already_cached"
    version = records[0]["version"]
    return entry(
        Status.CACHED, key, token=item.id, version=version, files=len(records), mb=round(size / 1e6, 1)
    ), records


def cache_casks(items: Sequence[Wanted], cache: Path, opener: Opener = urllib.request.urlopen) -> list[CacheEntry]:
    """Resolve, download and index the plan's casks; drop the files no cask needs any more."""
    if not items:
        return []
    folder = cache / HOMEBREW_DIR
    folder.mkdir(parents=True, exist_ok=True)
    old = read_casks(cache)
    entries, casks = [], {}
    for item in items:
        result, records = _cache_one(item, cache, old, opener)
        entries.append(result)
        if records:
            casks[item.id] = records
    keep = {(cache / r["file"]).resolve() for records in casks.values() for r in records}
    for path in (folder / "casks").glob("*/*/*"):
        if path.is_file() and path.resolve() not in keep:
            path.unlink()
    index = {"schema": SCHEMA, "source": os.environ.get(CASK_URL_ENV) or CASK_URL, "casks": casks}
    (folder / INDEX).write_text(json.dumps(index, ensure_ascii=False, indent=1), encoding="utf-8")
    return entries
