"""Windows installers for ``plateau cache``: resolved through winget manifests, fetched once, hash-checked.

Each Windows title with a winget id is resolved on the technician's laptop (never on the PC:
winget does not run over WinRM/SSH, microsoft/winget-cli#256, #4383, #4820) through its
**installer manifest** (schema https://aka.ms/winget-manifest.installer.1.x.schema.json):
``InstallerUrl``, ``InstallerSha256``, ``InstallerType``, ``InstallerSwitches``, ``Scope``,
``ProductCode`` / ``AppsAndFeaturesEntries[].ProductCode`` / ``UpgradeCode``.

Manifest source: by default the public community repository **microsoft/winget-pkgs** (what the
default ``winget`` source is built from), addressed as GitHub serves it::

    versions  GET {listing}<path>            https://api.github.com/repos/microsoft/winget-pkgs/contents/manifests/
              -> JSON [{"name": "3.0.21", "type": "dir"}, ...]   (GitHub contents API)
    manifest  GET {raw}<path>/<version>/<Id>.installer.yaml
              https://raw.githubusercontent.com/microsoft/winget-pkgs/master/manifests/

where ``<path>`` is the lower-cased first letter of the id then the id split on dots
(``VideoLAN.VLC`` -> ``v/VideoLAN/VLC``). ``PLATEAU_WINGET_LISTING_URL`` and
``PLATEAU_WINGET_MANIFEST_URL`` point it elsewhere (a mirror, a fork, the tests' loopback server).
The newest version folder that holds an installer manifest wins (a sub-package folder such as
``VLC/Nightly`` holds none and is skipped). One listing call per title: GitHub allows 60
unauthenticated API calls an hour per address, enough for a centre's plan; past that (HTTP 403),
or with no internet, an installer cached before is kept and the others are listed to fetch by hand.

Choice of one installer (the PC's architecture is not the laptop's: x64 is assumed, the
centre's PCs being Windows 10/11 x64): architecture x64, else neutral, else x86; scope machine,
else unspecified (never ``user``: the jury's and candidates' sessions all need it); locale fr-FR,
else none, else en-US; type msi/wix/burn/inno/nullsoft/exe (portable, zip, msix and appx are left
to winget/Chocolatey at provisioning).

What ``plateau cache`` does with it (index, layout, what the windows role reads):
provision/provisioning/windows_installers.py.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

WINDOWS_DIR = "windows"
INDEX = "index.json"
SCRIPT = "fetch-installers.ps1"
SCHEMA = "plateau.windows-cache/1"
LISTING_URL = "https://api.github.com/repos/microsoft/winget-pkgs/contents/manifests/"
MANIFEST_URL = "https://raw.githubusercontent.com/microsoft/winget-pkgs/master/manifests/"
LISTING_ENV, MANIFEST_ENV = "PLATEAU_WINGET_LISTING_URL", "PLATEAU_WINGET_MANIFEST_URL"
TIMEOUT_S = 60  # per network read: a stalled mirror fails this title, not the whole evening
CHUNK = 1 << 20
MAX_VERSION_TRIES = 4
#: what win_package adds itself for msi (msiexec /i ... /qn /norestart), and the silent switches of
#: the other types, as winget uses them when the manifest gives no ``Silent`` of its own
SILENT = {
    "msi": "/qn /norestart",
    "wix": "/qn /norestart",
    "burn": "/quiet /norestart",
    "inno": "/VERYSILENT /SUPPRESSMSGBOXES /NORESTART /SP-",
    "nullsoft": "/S",
}
SUPPORTED = ("msi", "wix", "burn", "inno", "nullsoft", "exe")
ARCH_RANK = {"x64": 0, "neutral": 1, "x86": 2}
#: root-level manifest keys that apply to every installer not giving its own
INHERITED = (
    "InstallerType", "Scope", "InstallerSwitches", "ProductCode", "AppsAndFeaturesEntries",
    "InstallerSuccessCodes", "InstallerLocale", "Dependencies", "ElevationRequirement",
    "NestedInstallerType", "UpgradeBehavior",
)  # fmt: skip
SAFE_NAME = re.compile(r"[^A-Za-z0-9._+-]")

Opener = Callable[..., Any]  # urllib.request.urlopen's shape


class SourceError(Exception):
    """The manifest source did not answer (network, HTTP error other than 404, refused address)."""


class Unsupported(Exception):
    """The manifest has no installer plateau can run silently per machine: args = (reason,)."""


# ---------------------------------------------------------------- the source
def source_urls() -> tuple[str, str]:
    listing = os.environ.get(LISTING_ENV) or LISTING_URL
    manifest = os.environ.get(MANIFEST_ENV) or MANIFEST_URL
    return listing.rstrip("/") + "/", manifest.rstrip("/") + "/"


def package_path(ident: str) -> str:
    """``VideoLAN.VLC`` -> ``v/VideoLAN/VLC`` (winget-pkgs' folder layout)."""
    return f"{ident[0].lower()}/{ident.replace('.', '/')}"


def version_key(version: str) -> tuple[tuple[int, int, str], ...]:
    """winget's ordering: dot-separated parts, numeric first; ``1beta2`` sorts below ``1``."""
    parts = []
    for part in version.split("."):
        digits = re.match(r"\d*", part).group()  # type: ignore[union-attr]  # \d* always matches
        rest = part[len(digits) :].strip().lower()
        parts.append((int(digits) if digits else -1, 0 if rest else 1, rest))
    return tuple(parts)


def _refuse_outside_loopback(url: str) -> None:
    from checks.sweep import refuse_urls_outside_loopback
    from devices.errors import Unreachable

    try:
        refuse_urls_outside_loopback([url])
    except Unreachable as exc:
        raise SourceError(str(exc)) from None


def get_body(url: str, opener: Opener) -> bytes | None:
    """The body, or None for a 404; SourceError for anything else that went wrong."""
    _refuse_outside_loopback(url)
    request = urllib.request.Request(url, headers={"User-Agent": "plateau", "Accept": "application/json, */*"})
    try:
        with opener(request, timeout=TIMEOUT_S) as answer:
            return bytes(answer.read())
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            return None
        raise SourceError(f"HTTP {exc.code} {exc.reason} ({url})") from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise SourceError(f"{getattr(exc, 'reason', exc)} ({url})") from None


def fetch_manifest(ident: str, opener: Opener = urllib.request.urlopen) -> tuple[str, str, dict[str, Any]]:
    """(version, manifest URL, parsed installer manifest) of the newest version of ``ident``.

    Raises LookupError when the source knows no such id, SourceError when it did not answer.
    """
    listing_base, raw_base = source_urls()
    path = package_path(ident)
    body = get_body(listing_base + path, opener)
    if body is None:
        raise LookupError(ident)
    try:
        entries = json.loads(body)
        versions = [e["name"] for e in entries if e.get("type") == "dir" and not e["name"].startswith(".")]
    except (ValueError, TypeError, KeyError, AttributeError):
        raise SourceError(f"listing is not a GitHub contents answer ({listing_base + path})") from None
    for version in sorted(versions, key=version_key, reverse=True)[:MAX_VERSION_TRIES]:
        for name in (f"{ident}.installer.yaml", f"{ident}.yaml"):  # split manifests, else an old singleton
            url = f"{raw_base}{path}/{version}/{name}"
            text = get_body(url, opener)
            if text is None:
                continue
            try:
                manifest = yaml.safe_load(text.decode("utf-8-sig"))
            except (yaml.YAMLError, UnicodeDecodeError):
                raise SourceError(f"manifest is not YAML ({url})") from None
            if (
                isinstance(manifest, dict)
                and str(manifest.get("PackageIdentifier", "")).lower() == ident.lower()
                and manifest.get("ManifestType") in ("installer", "singleton")
                and manifest.get("Installers")
            ):
                return version, url, manifest
    raise LookupError(ident)


# ---------------------------------------------------------------- one installer
def _locale_rank(locale: str | None) -> int:
    if not locale:
        return 1
    return 0 if locale.lower().startswith("fr") else 2 if locale.lower() == "en-us" else 3


def choose_installer(manifest: Mapping[str, Any]) -> dict[str, Any]:
    """The installer to cache (root-level keys merged in), or Unsupported with a reason."""
    candidates = []
    for raw in manifest.get("Installers") or []:
        installer = {k: manifest[k] for k in INHERITED if k in manifest}
        installer.update(raw)
        if "InstallerSwitches" in manifest and "InstallerSwitches" in raw:  # switches merge key by key
            installer["InstallerSwitches"] = {**manifest["InstallerSwitches"], **raw["InstallerSwitches"]}
        candidates.append(installer)
    if not candidates:
        raise Unsupported("no installer")
    usable = [i for i in candidates if i.get("Architecture") in ARCH_RANK]
    if not usable:
        raise Unsupported("architecture: " + ", ".join(sorted({str(i.get("Architecture")) for i in candidates})))
    runnable = [i for i in usable if str(i.get("InstallerType", "")).lower() in SUPPORTED]
    if not runnable:
        raise Unsupported("type: " + ", ".join(sorted({str(i.get("InstallerType")) for i in usable})))
    machine = [i for i in runnable if str(i.get("Scope") or "machine").lower() == "machine"]
    if not machine:
        raise Unsupported("scope: user only")
    return min(
        machine,
        key=lambda i: (
            ARCH_RANK[i["Architecture"]],
            0 if i.get("Scope") else 1,
            _locale_rank(i.get("InstallerLocale")),
        ),
    )


def product_codes(installer: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """(ProductCode, UpgradeCode) when the manifest records them."""
    entries = [e for e in installer.get("AppsAndFeaturesEntries") or [] if isinstance(e, Mapping)]
    product = installer.get("ProductCode") or next((e["ProductCode"] for e in entries if e.get("ProductCode")), None)
    upgrade = next((e["UpgradeCode"] for e in entries if e.get("UpgradeCode")), None)
    return (str(product) if product else None), (str(upgrade) if upgrade else None)


def silent_arguments(installer: Mapping[str, Any]) -> tuple[str, str]:
    """(switches as the PC runs them, arguments to give win_package).

    msi/wix: win_package itself runs ``msiexec /i <file> /qn /norestart``, so only ``ALLUSERS=1``
    (per machine) and the manifest's Custom are passed. Others: the manifest's Silent if given,
    else the type's default (inno /VERYSILENT, nullsoft /S, burn /quiet), then Custom. An ``exe``
    without a Silent switch in its manifest cannot run unattended: Unsupported.
    """
    kind = str(installer["InstallerType"]).lower()
    switches = installer.get("InstallerSwitches") or {}
    custom = str(switches.get("Custom") or "").strip()
    if kind in ("msi", "wix"):
        arguments = " ".join(a for a in ("ALLUSERS=1", custom) if a)
        return f"{SILENT[kind]} {arguments}", arguments
    silent = str(switches.get("Silent") or SILENT.get(kind, "")).strip()
    if not silent:
        raise Unsupported("exe without a silent switch")
    arguments = " ".join(a for a in (silent, custom) if a)
    return arguments, arguments


def installer_entry(ident: str, title: str, version: str, manifest_url: str, installer: Mapping[str, Any]) -> dict:
    """The index record of one title (what the windows role needs, and where it came from)."""
    url = str(installer["InstallerUrl"])
    kind = str(installer["InstallerType"]).lower()
    name = SAFE_NAME.sub("_", Path(urlsplit(url).path).name) or f"{ident}.exe"
    suffix = ".msi" if kind in ("msi", "wix") else ".exe"
    if not name.lower().endswith(suffix):  # win_package picks msiexec from the extension
        name += suffix
    switches, arguments = silent_arguments(installer)
    product, upgrade = product_codes(installer)
    codes = sorted({0, 1641, 3010, *(int(c) for c in installer.get("InstallerSuccessCodes") or [])})
    deps = (installer.get("Dependencies") or {}).get("PackageDependencies") or []
    return {
        "id": ident,
        "title": title,
        "version": version,
        "file": f"{WINDOWS_DIR}/{SAFE_NAME.sub('_', ident)}/{SAFE_NAME.sub('_', version)}/{name}",
        "url": url,
        "sha256": str(installer["InstallerSha256"]).lower(),
        "type": kind,
        "architecture": installer["Architecture"],
        "scope": installer.get("Scope") or "machine",
        "switches": switches,
        "arguments": arguments,
        "product_id": product,
        "upgrade_code": upgrade,
        "return_codes": codes,
        "dependencies": [str(d.get("PackageIdentifier")) for d in deps if isinstance(d, Mapping)],
        "manifest": manifest_url,
    }


# ---------------------------------------------------------------- download once, hash-checked
def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def download(url: str, dest: Path, sha256: str, opener: Opener = urllib.request.urlopen) -> int:
    """Stream ``url`` into ``dest`` checking its SHA-256; return the bytes fetched.

    Raises SourceError (network) or ValueError(actual sha256) on a mismatch; either way nothing
    is left at ``dest`` (the partial file is deleted).
    """
    _refuse_outside_loopback(url)
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    digest, size = hashlib.sha256(), 0
    try:
        request = urllib.request.Request(url, headers={"User-Agent": "plateau"})
        with opener(request, timeout=TIMEOUT_S) as answer, open(part, "wb") as out:
            for block in iter(lambda: answer.read(CHUNK), b""):
                digest.update(block)
                out.write(block)
                size += len(block)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        part.unlink(missing_ok=True)
        raise SourceError(f"{getattr(exc, 'reason', exc)} ({url})") from None
    if digest.hexdigest() != sha256.lower():
        part.unlink(missing_ok=True)
        raise ValueError(digest.hexdigest())
    os.replace(part, dest)
    return size
