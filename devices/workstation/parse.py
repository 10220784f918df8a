"""Pure parsers of what a workstation prints for plateau's live check (one script, one round trip).

The Linux script (:mod:`devices.workstation.script`) prints sections::

    ### plateau-section dpkg
    <output of dpkg-query ...>
    ### plateau-rc dpkg 0

so one answer carries every measurement, and a section whose command failed is known as such
(its exit status), never taken for an empty list. Every function here is pure and raises only
:class:`devices.errors.BadAnswer`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from devices.errors import BadAnswer

SECTION = "### plateau-section "
RC = "### plateau-rc "


@dataclass(frozen=True, slots=True)
class Section:
    name: str
    body: str
    rc: int | None  # None: the section never finished (script cut short)


def split_sections(text: str) -> dict[str, Section]:
    """``{name: Section}`` of a script's output. A section opened twice is a BadAnswer."""
    if not isinstance(text, str):
        raise BadAnswer("workstation script output is not text")
    sections: dict[str, Section] = {}
    name: str | None = None
    body: list[str] = []
    for raw in text.replace("\r\n", "\n").split("\n"):
        if raw.startswith(SECTION):
            if name is not None:
                sections[name] = Section(name, "\n".join(body), None)
            name, body = raw[len(SECTION) :].strip(), []
            if not name or name in sections:
                raise BadAnswer(f"workstation script: section {name!r} repeated or unnamed")
        elif raw.startswith(RC):
            parts = raw[len(RC) :].split()
            if name is None or len(parts) != 2 or parts[0] != name or not parts[1].lstrip("-").isdigit():
                raise BadAnswer("workstation script: exit status line out of place")
            sections[name] = Section(name, "\n".join(body).strip("\n"), int(parts[1]))
            name, body = None, []
        elif name is not None:
            body.append(raw)
    if name is not None:
        sections[name] = Section(name, "\n".join(body).strip("\n"), None)
    return sections


# ----------------------------------------------------------------------------------- Debian


@dataclass(frozen=True, slots=True)
class DebPackage:
    name: str
    status: str  # dpkg's db:Status-Abbrev, e.g. "ii", "rc", "iU", "hi"
    arch: str  # "amd64", "all", "i386"...

    @property
    def installed(self) -> bool:
        """Unpacked and configured, without error flag ("ii", "hi")."""
        return len(self.status) >= 2 and self.status[1] == "i" and self.status[2:].strip() == ""

    @property
    def broken(self) -> bool:
        """Half installed, half configured, unpacked only, or with dpkg's reinstall flag."""
        return len(self.status) >= 2 and (self.status[1] in "HUFWt" or self.status[2:].strip() != "")


def parse_dpkg(text: str) -> list[DebPackage]:
    """``dpkg-query -W -f '${Package}\\t${db:Status-Abbrev}\\t${Architecture}\\n'``."""
    packages = []
    for line in text.splitlines():
        if not line.strip():
            continue
        fields = line.split("\t")
        if len(fields) != 3 or not re.fullmatch(r"[a-z0-9][a-z0-9+.\-]*", fields[0]):
            raise BadAnswer("dpkg-query: a line is not 'package<TAB>status<TAB>arch'")
        status = fields[1]
        if not re.fullmatch(r"[uihrp][ncHUFWti][ R]?\s*", status):
            raise BadAnswer("dpkg-query: unknown status abbreviation")
        packages.append(DebPackage(fields[0], status.rstrip() or status, fields[2].strip()))
    return packages


# ----------------------------------------------------------------------------------- Flatpak


@dataclass(frozen=True, slots=True)
class FlatpakApp:
    app_id: str
    arch: str
    installation: str  # "system", "user" (or the name of a custom installation)


_FLATPAK_HEADERS = ("application id", "application", "id")


def parse_flatpak(text: str) -> list[FlatpakApp]:
    """``flatpak list --app --columns=application,arch,installation`` (tab-separated when not on a
    terminal; a header line, when a version prints one, is skipped)."""
    apps = []
    for line in text.splitlines():
        if not line.strip():
            continue
        fields = line.split("\t") if "\t" in line else re.split(r"\s{2,}", line.strip())
        fields = [f.strip() for f in fields]
        if fields[0].lower() in _FLATPAK_HEADERS:
            continue
        if len(fields) != 3 or not re.fullmatch(r"[A-Za-z0-9_\-]+(\.[A-Za-z0-9_\-]+)+", fields[0]):
            raise BadAnswer("flatpak list: a line is not 'application<TAB>arch<TAB>installation'")
        apps.append(FlatpakApp(fields[0], fields[1], fields[2].lower()))
    return apps


# ----------------------------------------------------------------------------------- disk


@dataclass(frozen=True, slots=True)
class DiskSpace:
    mount: str
    total_kb: int
    available_kb: int


def parse_df(text: str) -> DiskSpace:
    """``df -Pk /``: POSIX format, 1024-byte blocks, one line per file system after the header."""
    lines = [line for line in text.splitlines() if line.strip()]
    if len(lines) < 2 or not lines[0].lower().startswith("filesystem"):
        raise BadAnswer("df: no POSIX header")
    fields = lines[-1].split()
    if len(fields) < 6 or not all(f.isascii() and f.isdigit() for f in fields[1:4]):
        raise BadAnswer("df: the line is not 'fs blocks used available capacity mount'")
    total_kb, available_kb = int(fields[1]), int(fields[3])
    if available_kb > total_kb:
        raise BadAnswer("df: more space available than the file system holds")
    return DiskSpace(mount=" ".join(fields[5:]), total_kb=total_kb, available_kb=available_kb)


# ----------------------------------------------------------------------------------- USB storage


@dataclass(frozen=True, slots=True)
class UsbPolicy:
    """What keeps a USB key from being read, as the files say.

    ``module_blocked``: modprobe.d lines that blacklist ``usb-storage`` or replace its loading
    (``install usb-storage /bin/false``), as ``file:line``; ``mount_denied``: polkit rules that
    answer NO to udisks2's filesystem-mount actions (``.rules`` files returning
    ``polkit.Result.NO``, ``.pkla`` files with ``ResultActive=no``).
    """

    module_blocked: tuple[str, ...]
    mount_denied: tuple[str, ...]


def parse_usb_policy(modprobe: str, polkit: str) -> UsbPolicy:
    blocked = tuple(line.strip() for line in modprobe.splitlines() if line.strip())
    for line in blocked:
        if ":" not in line:
            raise BadAnswer("usb policy: a modprobe line is not 'file:line'")
    denied = tuple(line.strip() for line in polkit.splitlines() if line.strip())
    return UsbPolicy(blocked, denied)


# ----------------------------------------------------------------------------------- internet


@dataclass(frozen=True, slots=True)
class Reached:
    url: str
    ok: bool  # an HTTP answer below 500 came back (a 4xx still proves the way out works)
    http_code: int | None
    tool: str  # "curl", "wget", "none"
    reason: str | None  # why not, for the facts (English, short)


#: curl's exit codes worth naming (man curl, EXIT CODES)
_CURL_REASONS = {
    6: "dns",
    7: "connection refused",
    28: "timeout",
    35: "tls",
    60: "tls certificate",
    5: "proxy dns",
    52: "empty reply",
    56: "receive error",
}


def parse_internet(text: str) -> list[Reached]:
    """Lines ``url<TAB>exit status<TAB>http code<TAB>tool`` of the script's internet section."""
    out = []
    for line in text.splitlines():
        if not line.strip():
            continue
        fields = line.split("\t")
        if len(fields) != 4 or not _ascii_int(fields[1].strip().lstrip("-")):
            raise BadAnswer("internet: a line is not 'url<TAB>rc<TAB>code<TAB>tool'")
        url, rc, code_text, tool = fields[0], int(fields[1]), fields[2].strip(), fields[3].strip()
        code = int(code_text) if _ascii_int(code_text) and code_text != "000" else None
        if tool == "curl":
            ok = rc == 0 and code is not None and code < 500
            reason = None if ok else (f"http {code}" if code else _CURL_REASONS.get(rc, f"curl exit {rc}"))
        elif tool == "wget":  # --spider: 0 answered 2xx/3xx, 8 answered with an HTTP error status
            ok = rc in (0, 8)
            reason = None if ok else {4: "network failure", 5: "tls"}.get(rc, f"wget exit {rc}")
        else:
            ok, reason = False, "neither curl nor wget on the workstation"
        out.append(Reached(url, ok, code, tool, reason))
    return out


# ----------------------------------------------------------------------------------- Windows


@dataclass(frozen=True, slots=True)
class WindowsEntry:
    """One installed program as Windows records it."""

    source: str  # "uninstall64", "uninstall32" (WOW6432Node), "uninstall_user", "appx"
    name: str  # DisplayName, or the AppX package Name
    version: str | None
    arch: str | None  # AppX: "X64", "X86", "Arm64", "Neutral"; registry: the view
    scope: str  # "machine" or "user"


def windows_json(text: str, what: str) -> Mapping[str, Any]:
    """The JSON object the Windows script prints (``ConvertTo-Json``, maybe with a byte-order mark)."""
    try:
        data = json.loads(text.strip().lstrip("\ufeff"))
    except ValueError as exc:
        raise BadAnswer(f"{what}: not JSON") from exc
    if not isinstance(data, Mapping):
        raise BadAnswer(f"{what}: not an object")
    return data


def parse_windows_inventory(text: str) -> list[WindowsEntry]:
    """The JSON the PowerShell script prints (``ConvertTo-Json``): ``{"uninstall": [...], "appx": [...]}``,
    where a single item may be an object instead of a one-item list (PowerShell 5 does that)."""
    data = windows_json(text, "windows inventory")
    entries = []
    for item in _as_list(data.get("uninstall")):
        name = item.get("DisplayName")
        if not name:
            continue  # updates and components without a name are not programs
        view = str(item.get("View") or "64")
        scope = "user" if view == "user" else "machine"
        source = {"64": "uninstall64", "32": "uninstall32", "user": "uninstall_user"}.get(view, "uninstall64")
        entries.append(
            WindowsEntry(
                source, str(name).strip(), _text(item.get("DisplayVersion")), "x86" if view == "32" else None, scope
            )
        )
    for item in _as_list(data.get("appx")):
        name = item.get("Name")
        if not name:
            continue
        arch = item.get("Architecture")
        arch_text = (
            {0: "X86", 5: "Arm", 9: "X64", 11: "Neutral", 12: "Arm64"}.get(arch)
            if isinstance(arch, int)
            else _text(arch)
        )
        entries.append(
            WindowsEntry(
                "appx",
                str(name).strip(),
                _text(item.get("Version")),
                arch_text,
                "machine" if item.get("AllUsers", True) else "user",
            )
        )
    return entries


def parse_windows_internet(text: str) -> list[Reached]:
    """The ``internet`` list of the Windows script's JSON (Invoke-WebRequest per target)."""
    data = windows_json(text, "windows inventory")
    out = []
    for item in _as_list(data.get("internet")):
        code = item.get("code")
        code = code if isinstance(code, int) and not isinstance(code, bool) else None
        ok = code is not None and code < 500
        reason = None if ok else (f"http {code}" if code else str(item.get("error") or "no answer"))
        out.append(Reached(str(item.get("url")), ok, code, "powershell", reason))
    return out


def _ascii_int(text: str) -> bool:
    """Digits int() reads: ``"²".isdigit()`` is True, ``int("²")`` raises."""
    return text.isascii() and text.isdigit()


def parse_windows_disk(text: str) -> DiskSpace | None:
    data = windows_json(text, "Windows disk")
    free, used = data.get("free_bytes"), data.get("used_bytes")
    if not isinstance(free, int) or isinstance(free, bool):
        return None
    used_kb = used // 1024 if isinstance(used, int) and not isinstance(used, bool) else 0
    return DiskSpace(mount="C:", total_kb=free // 1024 + used_kb, available_kb=free // 1024)


def _as_list(value: Any) -> list[Mapping[str, Any]]:
    if value is None:
        return []
    if isinstance(value, Mapping):
        return [value]
    if not isinstance(value, list) or not all(isinstance(v, Mapping) for v in value):
        raise BadAnswer("windows inventory: a list of objects was expected")
    return list(value)


def _text(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)


# ----------------------------------------------------------------------------------- macOS


@dataclass(frozen=True, slots=True)
class MacApps:
    bundle_ids: frozenset[str]  # CFBundleIdentifier of each /Applications/*.app
    casks: frozenset[str]  # brew list --cask
    formulae: frozenset[str]  # brew list --formula
    brew_present: bool
    #: Homebrew is there but a ``brew list`` failed (its lists are then unknown, not empty)
    brew_error: str | None = None


_BUNDLE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.\-]*$")


def parse_mac_bundles(text: str) -> frozenset[str]:
    """Lines ``/Applications/X.app<TAB>bundle id`` (``defaults read …/Info CFBundleIdentifier``); an app
    whose Info.plist has no identifier prints an empty second field and is skipped."""
    found = set()
    for line in text.splitlines():
        if not line.strip():
            continue
        path, sep, bundle = line.partition("\t")
        if not sep or not path.endswith(".app"):
            raise BadAnswer("mac apps: a line is not 'path.app<TAB>bundle id'")
        bundle = bundle.strip()
        if bundle and _BUNDLE.match(bundle):
            found.add(bundle)
    return frozenset(found)


def parse_brew_list(text: str) -> frozenset[str]:
    """``brew list --cask -1`` / ``brew list --formula -1``: one name per line."""
    names = set()
    for line in text.splitlines():
        name = line.strip()
        if not name:
            continue
        if not re.fullmatch(r"[a-z0-9][a-z0-9@+._\-]*(/[a-z0-9@+._\-]+)*", name):
            raise BadAnswer("brew list: a line is not a package name")
        names.add(name.rsplit("/", 1)[-1])
    return frozenset(names)
