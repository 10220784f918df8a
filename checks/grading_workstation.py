"""Pure rules of the workstation and tablet live checks: what was found on the device → verdicts.

Software is judged title by title against the *current* plan (``ProbeContext.planned``): one
``software`` verdict per planned title, carrying ``title_id`` (the recap looks it up), the title's
name, who asked for it (``candidat:C01``...), the host and the fix. A title present only for
another architecture, only for one user, or half installed is a finding, never a green. The
verdicts of one host are returned best first, worst last (a view that keeps one verdict per check
keeps the worst).

Also here: the admin login (a real authentication, « mot de passe vérifié à 07:42 »), internet
from the workstation, free disk space, USB mass storage, and the référentiel's software
capabilities counted on what was actually found.
"""

from __future__ import annotations

import datetime as dt
import re
import shlex
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from checks.grading import _Common, _v
from checks.grading_more import probe_failed
from checks.model import Status, Verdict
from checks.probes.common import CapabilityRule, PlannedTitle
from devices.workstation.parse import DebPackage, DiskSpace, FlatpakApp, MacApps, Reached, UsbPolicy, WindowsEntry

#: free space under which the system disk is short (candidates save files, browsers cache videos)
DISK_FAIL_GIB = 2.0
DISK_WARN_GIB = 5.0

PresenceState = Literal["present", "missing", "foreign_arch", "user_only", "broken", "unmatchable"]

_STATUS: dict[PresenceState, Status] = {
    "present": Status.OK, "user_only": Status.WARN, "unmatchable": Status.UNKNOWN,
    "missing": Status.FAIL, "foreign_arch": Status.FAIL, "broken": Status.FAIL,
}  # fmt: skip
_ORDER = {Status.OK: 0, Status.WARN: 1, Status.UNKNOWN: 2, Status.FAIL: 3}

#: dpkg architecture -> Flatpak's name for it
FLATPAK_ARCH = {"amd64": "x86_64", "arm64": "aarch64", "i386": "i386", "armhf": "arm"}


@dataclass(frozen=True, slots=True)
class Presence:
    state: PresenceState
    via: str = ""  # how it was found: "apt vlc", "flatpak org.videolan.VLC", "registre : VLC media player 3.0"
    detail: Mapping[str, Any] = field(default_factory=dict)  # found_arch/arch, dpkg state, user...


# ------------------------------------------------------------------------------------ matching


def match_linux(ids: Mapping[str, Any], *, packages: Sequence[DebPackage], flatpaks: Sequence[FlatpakApp],
                native_arch: str | None, user: str | None) -> Presence:  # fmt: skip
    """A Debian package (native architecture or ``all``) or a *system* Flatpak of the machine's
    architecture is present; anything else found under those ids is a finding."""
    findings: list[Presence] = []
    apt = ids.get("apt")
    if apt:
        mine = [p for p in packages if p.name == apt]
        good_arch = [p for p in mine if native_arch is None or p.arch in (native_arch, "all")]
        if any(p.installed for p in good_arch):
            return Presence("present", f"apt {apt}")
        if any(p.broken for p in mine):
            state = next(p.status for p in mine if p.broken)
            findings.append(Presence("broken", f"apt {apt}", {"state": state}))
        foreign = [p for p in mine if p.installed and p not in good_arch]
        if foreign:
            findings.append(
                Presence(
                    "foreign_arch",
                    f"apt {apt}:{foreign[0].arch}",
                    {"found_arch": foreign[0].arch, "arch": native_arch or "?"},
                )
            )
    app = ids.get("flatpak")
    if app:
        mine_fp = [f for f in flatpaks if f.app_id == app]
        arch = FLATPAK_ARCH.get(native_arch or "", native_arch) if native_arch else None
        right_arch = [f for f in mine_fp if arch is None or f.arch == arch]
        if any(f.installation == "system" for f in right_arch):
            return Presence("present", f"flatpak {app}")
        if any(f.installation != "system" for f in right_arch):
            findings.append(Presence("user_only", f"flatpak {app}", {"user": user or "?"}))
        other = [f for f in mine_fp if f not in right_arch]
        if other:
            findings.append(
                Presence(
                    "foreign_arch", f"flatpak {app}/{other[0].arch}", {"found_arch": other[0].arch, "arch": arch or "?"}
                )
            )
    if not apt and not app:
        return Presence("unmatchable")
    for state in ("broken", "foreign_arch", "user_only"):
        for finding in findings:
            if finding.state == state:
                return finding
    return Presence("missing")


def match_windows(ids: Mapping[str, Any], name: str, entries: Sequence[WindowsEntry]) -> Presence:
    """The catalog's ``display_name`` regex (else the title's name as a prefix), case-insensitive,
    against the uninstall keys of both views; or the ``appx`` package name. A match only in the
    admin's own uninstall key (HKCU) is installed for that user alone."""
    pattern = re.compile(str(ids.get("display_name") or re.escape(name)), re.IGNORECASE)
    appx = str(ids.get("appx") or "").lower()
    found = [e for e in entries if (e.source != "appx" and pattern.match(e.name))
             or (appx and e.source == "appx" and e.name.lower() == appx)]  # fmt: skip
    machine = [e for e in found if e.scope == "machine"]
    if machine:
        entry = machine[0]
        return Presence("present", f"{entry.name}{f' {entry.version}' if entry.version else ''}")
    if found:
        return Presence("user_only", found[0].name, {"user": "?"})
    return Presence("missing")


def match_macos(ids: Mapping[str, Any], apps: MacApps) -> Presence:
    """A Homebrew cask or formula listed by ``brew list``, or the app's bundle id in /Applications. A
    cask still listed whose app (known bundle id) is gone from /Applications (dragged to the Trash:
    Homebrew does not notice) is missing."""
    cask, formula, bundle = ids.get("brew_cask"), ids.get("brew"), ids.get("bundle_id")
    if cask and cask in apps.casks:
        if bundle and bundle not in apps.bundle_ids:
            return Presence("missing", f"brew cask {cask}", {"why": "app_not_in_applications"})
        return Presence("present", f"brew cask {cask}")
    if formula and formula in apps.formulae:
        return Presence("present", f"brew {formula}")
    if bundle and bundle in apps.bundle_ids:
        return Presence("present", f"/Applications ({bundle})")
    if not bundle and not apps.brew_present:
        return Presence("unmatchable", detail={"why": "no_brew"})
    if not bundle and apps.brew_error:  # an unreadable list is not an empty one
        return Presence("unmatchable", detail={"why": apps.brew_error})
    return Presence("missing")


def match_bundle(ids: Mapping[str, Any], bundles: Iterable[str]) -> Presence:
    """iPad: the app's bundle id among the installed apps."""
    bundle = ids.get("bundle_id")
    if not bundle:
        return Presence("unmatchable", detail={"why": "no_bundle_id"})
    return Presence("present", str(bundle)) if bundle in set(bundles) else Presence("missing")


# ------------------------------------------------------------------------------------ software


def requested(reasons: Iterable[str]) -> str:
    """``candidat:C01`` → ``candidat C01`` (ids only: a candidate's name never goes in a verdict)."""
    return ", ".join(r.replace(":", " ", 1) for r in reasons) or "?"


def candidates_of(reasons: Iterable[str]) -> list[str]:
    return [r.split(":", 1)[1] for r in reasons if r.startswith(("candidat:", "accessibilité:"))]


def fix_command(command: Sequence[str], host: str) -> str:
    return shlex.join([*command, "--limit", host])


def title_verdicts(device: str, titles: Sequence[PlannedTitle], presence: Callable[[PlannedTitle], Presence], *,
                   fix: str, measured_at: dt.datetime, probe: str, room: str | None,
                   host_label: str | None = None) -> list[Verdict]:  # fmt: skip
    """One ``software`` verdict per planned title; none planned: one non-blocking OK saying so."""
    common = _Common(measured_at=measured_at, probe=probe, room=room)
    if not titles:
        return [_v(device, "software", Status.OK, "check.software.none_planned", blocking=False, value=0, **common)]
    out = []
    for title in titles:
        found = presence(title)
        status = _STATUS[found.state]
        facts = {"title_id": title.title_id, "state": found.state, "via": found.via, **dict(found.detail),
                 "requested_by": list(title.requested_by)}  # fmt: skip
        out.append(_v(device, "software", status, f"check.software.title_{found.state}", value=found.state,
                      measured_at=measured_at, probe=probe, room=room, facts=facts, title_id=title.title_id,
                      title=title.name, host=host_label or device, requested=requested(title.requested_by),
                      candidates=candidates_of(title.requested_by), via=found.via, fix=fix,
                      **{k: v for k, v in found.detail.items() if k in ("found_arch", "arch", "state", "user")}))  # fmt: skip
    return sorted(out, key=lambda v: _ORDER[v.status])


def not_measured(device: str, titles: Sequence[PlannedTitle], *, why: str, measured_at: dt.datetime, probe: str,
                 room: str | None) -> list[Verdict]:  # fmt: skip
    """Planned titles on a device plateau cannot read yet: unknown, each (never green by omission)."""
    return [_v(device, "software", Status.UNKNOWN, "check.software.title_not_measured", measured_at=measured_at,
               probe=probe, room=room, title_id=t.title_id, title=t.name, requested=requested(t.requested_by),
               candidates=candidates_of(t.requested_by), why=why, facts={"title_id": t.title_id})
            for t in titles]  # fmt: skip


def titles_unknown(device: str, titles: Sequence[PlannedTitle], error: BaseException, *, measured_at: dt.datetime,
                   probe: str, room: str | None) -> list[Verdict]:  # fmt: skip
    """The software could not be read: one UNKNOWN per planned title (so a view keyed by title never
    keeps yesterday's green for it), or one for the check when nothing is planned."""
    failed = probe_failed(device, "software", error, measured_at=measured_at, probe=probe, room=room)
    if not titles:
        return [failed]
    return [replace(failed, params={**failed.params, "title_id": t.title_id, "title": t.name},
                    facts={**failed.facts, "title_id": t.title_id}) for t in titles]  # fmt: skip


def capabilities(device: str, rule: CapabilityRule, found: Sequence[PlannedTitle], *, measured_at: dt.datetime,
                 probe: str, room: str | None) -> list[Verdict]:  # fmt: skip
    """The référentiel's software items counted on the titles *found* on the device (each title
    once, whatever provided it): OK when all are met, else one FAIL per capability short."""
    unique = {t.title_id: t for t in found}
    counts: dict[str, list[str]] = {}
    for title in unique.values():
        for capability in title.provides:
            counts.setdefault(capability, []).append(title.name)
    facts = {"found": {c: sorted(names) for c, names in sorted(counts.items())}, "needs": dict(rule.needs)}
    common = _Common(measured_at=measured_at, probe=probe, room=room, facts=facts)
    short = [(c, need) for c, need in rule.needs.items() if len(counts.get(c, [])) < need]
    if not short:
        return [
            _v(
                device,
                "capabilities",
                Status.OK,
                "check.capabilities.ok",
                value=len(unique),
                label=rule.label,
                count=sum(rule.needs.values()),
                **common,
            )
        ]
    return [_v(device, "capabilities", Status.FAIL, "check.capabilities.short", value=len(counts.get(c, [])),
               label=rule.label, capability=c, have=len(counts.get(c, [])), need=need,
               found=sorted(counts.get(c, [])) or "aucun", **common)
            for c, need in short]  # fmt: skip


# ------------------------------------------------------------------------------------ admin login


def local_time(when: dt.datetime) -> str:
    return when.astimezone().strftime("%H:%M")


def admin_login(device: str, *, login: str, outcome: Literal["ok", "refused", "unavailable", "no_secret", "local"],
                at: dt.datetime, fix: str, probe: str, room: str | None) -> Verdict:  # fmt: skip
    """The jury's admin session, tried for real with the vault's password."""
    common = _Common(measured_at=at, probe=probe, room=room, facts={"login": login, "outcome": outcome})
    if outcome == "ok":
        return _v(
            device,
            "admin_login",
            Status.OK,
            "check.admin_login.ok",
            value=local_time(at),
            login=login,
            at=local_time(at),
            **common,
        )
    if outcome == "refused":
        return _v(
            device,
            "admin_login",
            Status.FAIL,
            "check.admin_login.refused",
            login=login,
            at=local_time(at),
            fix=fix,
            **common,
        )
    if outcome == "no_secret":
        return _v(device, "admin_login", Status.FAIL, "check.admin_login.no_secret", login=login, **common)
    if outcome == "unavailable":
        return _v(device, "admin_login", Status.UNKNOWN, "check.admin_login.unavailable", login=login, **common)
    return _v(device, "admin_login", Status.WARN, "check.admin_login.local", login=login, blocking=False, **common)


# ------------------------------------------------------------------------------------ the rest


def internet_from(device: str, reached: Sequence[Reached] | None, *, targets: Sequence[str],
                  measured_at: dt.datetime, probe: str, room: str | None) -> Verdict:  # fmt: skip
    """The exam's web sites reached *from the workstation* (its own link, proxy and DNS)."""
    if not targets:
        return _v(
            device,
            "internet",
            Status.UNKNOWN,
            "check.internet.no_targets",
            measured_at=measured_at,
            probe=probe,
            room=room,
            blocking=False,
        )
    if reached is None:
        return _v(
            device,
            "internet",
            Status.UNKNOWN,
            "check.internet.host_unmeasured",
            measured_at=measured_at,
            probe=probe,
            room=room,
        )
    failures = {r.url: r.reason or "?" for r in reached if not r.ok}
    facts = {"targets": list(targets), "failures": failures, "tool": sorted({r.tool for r in reached})}
    common = _Common(measured_at=measured_at, probe=probe, room=room, facts=facts)
    ok_count = sum(1 for r in reached if r.ok)
    if len(reached) < len(targets) or not set(targets) <= {r.url for r in reached}:  # a target never tried
        return _v(device, "internet", Status.UNKNOWN, "check.internet.host_unmeasured", **common)
    if any(r.tool == "none" for r in reached):
        return _v(device, "internet", Status.UNKNOWN, "check.internet.host_no_tool", **common)
    if not failures:
        return _v(device, "internet", Status.OK, "check.internet.host_ok", value=ok_count, count=ok_count, **common)
    if ok_count:
        return _v(
            device,
            "internet",
            Status.WARN,
            "check.internet.host_partial",
            value=ok_count,
            failed=sorted(failures),
            **common,
        )
    return _v(device, "internet", Status.FAIL, "check.internet.host_down", value=0, failed=sorted(failures), **common)


def disk_space(device: str, disk: DiskSpace | None, *, measured_at: dt.datetime, probe: str,
               room: str | None) -> Verdict:  # fmt: skip
    if disk is None:
        return _v(
            device,
            "disk_space",
            Status.UNKNOWN,
            "check.disk_space.unknown",
            measured_at=measured_at,
            probe=probe,
            room=room,
        )
    gib = round(disk.available_kb / 1024 / 1024, 1)
    facts = {"mount": disk.mount, "available_kb": disk.available_kb, "total_kb": disk.total_kb}
    common = _Common(measured_at=measured_at, probe=probe, room=room, unit="Gio", facts=facts)
    status, key = Status.OK, "check.disk_space.ok"
    if gib < DISK_FAIL_GIB:
        status, key = Status.FAIL, "check.disk_space.full"
    elif gib < DISK_WARN_GIB:
        status, key = Status.WARN, "check.disk_space.low"
    return _v(
        device, "disk_space", status, key, value=gib, free_gib=gib, mount=disk.mount, min_gib=DISK_WARN_GIB, **common
    )


def usb_storage(device: str, policy: UsbPolicy | None, *, measured_at: dt.datetime, probe: str,
                room: str | None) -> Verdict:  # fmt: skip
    """Not blocked by the system's configuration (the usb-storage module, udisks2's polkit
    rules). Reading the jury's key itself stays a manual test (attestation external_storage)."""
    if policy is None:
        return _v(
            device,
            "usb_storage",
            Status.UNKNOWN,
            "check.usb_storage.unknown",
            measured_at=measured_at,
            probe=probe,
            room=room,
        )
    facts = {"module_blocked": list(policy.module_blocked), "mount_denied": list(policy.mount_denied)}
    common = _Common(measured_at=measured_at, probe=probe, room=room, facts=facts)
    if policy.module_blocked:
        where = policy.module_blocked[0].split(":", 1)[0]
        return _v(device, "usb_storage", Status.FAIL, "check.usb_storage.module_blocked", file=where, **common)
    if policy.mount_denied:
        return _v(
            device, "usb_storage", Status.FAIL, "check.usb_storage.mount_denied", file=policy.mount_denied[0], **common
        )
    return _v(device, "usb_storage", Status.OK, "check.usb_storage.ok", **common)


#: why a Windows PC's management port says it was never prepared (checks.probes.workstation)
NOT_PREPARED_CAUSES = ("refused", "no_protocol", "silent")


def windows_not_prepared(device: str, *, cause: str, port: int, transport: str, measured_at: dt.datetime,
                         probe: str, room: str | None, error: str) -> Verdict:  # fmt: skip
    """A Windows PC whose transport port refuses, answers another protocol, or (never reached by
    plateau) stays silent: not bootstrapped yet. UNKNOWN and blocking, never ready."""
    return _v(device, "reachable", Status.UNKNOWN, f"bootstrap.not_prepared_{cause}", measured_at=measured_at,
              probe=probe, room=room, port=port, transport=transport, facts={"error": error[:300], "cause": cause})  # fmt: skip
