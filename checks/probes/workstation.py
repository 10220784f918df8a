"""Workstations measured live, over the connection Ansible uses.

Linux and macOS: one SSH session opened *as the jury's admin account with the vault's password*
(the login on the recap is proven: « mot de passe vérifié à 07:42 »), one script, every
measurement: installed software against the current plan, title by title; the référentiel's
software capabilities counted on what was found; internet from the workstation itself; free
disk space; whether USB mass storage is blocked (Linux). ``ansible_connection: local`` runs the
same script on this machine. Windows over WinRM: one PowerShell script (uninstall keys of both
registry views, per-machine AppX, free space, internet). A Windows PC reached otherwise (OpenSSH,
PSRP) gets the handshake only, and each planned title is *unknown* (never green by omission).

A Linux PC with ``wifi_station: true`` also lists the Wi-Fi networks it hears (nmcli through
Ansible).
"""

from __future__ import annotations

import datetime as dt
import os
import ssl
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Literal

from checks import grading as g
from checks import grading_more as gm
from checks import grading_workstation as gw
from checks.model import Status, Verdict, utcnow
from checks.probes.common import PlannedTitle, ProbeContext, secret
from checks.sweep import LOOPBACK_ONLY_ENV, refuse_urls_outside_loopback
from devices.errors import AuthenticationFailed, BadAnswer, Unreachable
from devices.models import LinuxWorkstation, MacWorkstation, WindowsWorkstation, Workstation
from devices.workstation.driver import LinuxFacts, MacFacts, WindowsFacts, read_linux, read_macos, read_windows
from devices.workstation.nmcli import list_networks
from devices.workstation.transport import PasswordLoginRefused, PasswordLoginUnavailable, management_handshake

#: signal (in %) under which the room's network is heard but weak
WEAK_SIGNAL_PCT = 30

#: every check the live probes produce (each turns UNKNOWN when the probe cannot measure)
LINUX_CHECKS = ("reachable", "admin_login", "software", "capabilities", "internet", "disk_space", "usb_storage")
MACOS_CHECKS = ("reachable", "admin_login", "software", "capabilities", "internet", "disk_space")
WINDOWS_CHECKS = ("reachable", "admin_login", "software", "capabilities", "internet", "disk_space")


def probe_workstation(device: Workstation, ctx: ProbeContext) -> list[Verdict]:
    """The management service answers with its own protocol (SSH banner, WinRM HTTP/TLS); the
    software planned there is *unknown* (this probe cannot read it)."""
    now = utcnow()
    if device.ansible_connection == "local":
        verdicts = [g._v(device.name, "reachable", Status.OK, "check.reachable.local", measured_at=now, probe="local",
                         room=device.room)]  # fmt: skip
    else:
        port = device.management_port()
        try:
            probe = management_handshake(
                device.address or "", port, device.ansible_connection or "ssh", timeout_s=ctx.timeout_s
            )
        except (Unreachable, BadAnswer) as exc:
            unprepared = _windows_unprepared(device, ctx, ("reachable", "software"), exc) if isinstance(
                device, WindowsWorkstation) else None  # fmt: skip
            if unprepared is None:
                raise
            return unprepared
        verdicts = [gm.reachable(device.name, port=port, measured_at=now, probe=probe, room=device.room)]
    titles = ctx.planned.get(device.name, ())
    if titles:
        verdicts += gw.not_measured(
            device.name, titles, why=device.family, measured_at=now, probe="handshake", room=device.room
        )
    return verdicts


def probe_linux(device: LinuxWorkstation, ctx: ProbeContext) -> list[Verdict]:
    """One session as the admin account, one script: software, login, internet, disk, USB."""
    targets = _targets(ctx)
    local = device.ansible_connection == "local"
    fix = gw.fix_command(ctx.provision_command, device.name)
    password = secret(device, "admin_password")
    if not local and not password:
        return _no_session(
            device, ctx, LINUX_CHECKS, "no_secret", fix, AuthenticationFailed("no admin password in the vault")
        )
    try:
        facts = read_linux(None if local else device.address, device.management_port(), username=device.admin_user,
                           password=password, internet_targets=targets, timeout_s=ctx.timeout_s,
                           known_hosts=ctx.known_hosts_file)  # fmt: skip
    except PasswordLoginRefused as exc:
        return _no_session(device, ctx, LINUX_CHECKS, "refused", fix, exc)
    except PasswordLoginUnavailable as exc:
        return _no_session(device, ctx, LINUX_CHECKS, "unavailable", fix, exc)
    return linux_verdicts(device, facts, ctx, targets=targets, fix=fix)


def linux_verdicts(device: LinuxWorkstation, facts: LinuxFacts, ctx: ProbeContext, *, targets: Sequence[str],
                   fix: str) -> list[Verdict]:  # fmt: skip
    """Pure: the verdicts of one Linux workstation's facts."""
    now, room, probe = facts.measured_at, device.room, "local" if facts.login is None else "ssh"
    out = [_reachable(device, probe, now), _login(device, facts.login_verified_at, fix, probe, now)]

    def presence(title: PlannedTitle) -> gw.Presence:
        found = gw.match_linux(
            title.ids,
            packages=facts.packages or (),
            flatpaks=facts.flatpaks or (),
            native_arch=facts.native_arch,
            user=facts.login or device.admin_user,
        )
        if found.state != "present" and title.ids.get("flatpak") and facts.flatpaks is None:
            return gw.Presence("unmatchable", detail={"why": "flatpak list failed"})
        return found

    if facts.packages is None:
        why = BadAnswer(f"dpkg-query: {facts.errors.get('dpkg', 'did not run')}")
        out += gw.titles_unknown(device.name, ctx.planned.get(device.name, ()), why, measured_at=now, probe=probe,
                                 room=room)  # fmt: skip
        out.append(gm.probe_failed(device.name, "capabilities", why, measured_at=now, probe=probe, room=room))
    else:
        out += _software(device, ctx, presence, fix=fix, probe=probe, now=now, platform="linux")
    out.append(gw.internet_from(device.name, facts.internet, targets=targets, measured_at=now, probe=probe, room=room))
    out.append(gw.disk_space(device.name, facts.disk, measured_at=now, probe=probe, room=room))
    out.append(gw.usb_storage(device.name, facts.usb, measured_at=now, probe=probe, room=room))
    return out


def probe_macos(device: MacWorkstation, ctx: ProbeContext) -> list[Verdict]:
    """One SSH session as the admin account: /Applications bundle ids, Homebrew, disk, internet."""
    targets = _targets(ctx)
    fix = gw.fix_command(ctx.provision_command, device.name)
    password = secret(device, "admin_password")
    if not password:
        return _no_session(
            device, ctx, MACOS_CHECKS, "no_secret", fix, AuthenticationFailed("no admin password in the vault")
        )
    try:
        facts = read_macos(device.address or "", device.management_port(), username=device.admin_user,
                           password=password, internet_targets=targets, timeout_s=ctx.timeout_s,
                           known_hosts=ctx.known_hosts_file)  # fmt: skip
    except PasswordLoginRefused as exc:
        return _no_session(device, ctx, MACOS_CHECKS, "refused", fix, exc)
    except PasswordLoginUnavailable as exc:
        return _no_session(device, ctx, MACOS_CHECKS, "unavailable", fix, exc)
    return macos_verdicts(device, facts, ctx, targets=targets, fix=fix)


def macos_verdicts(device: MacWorkstation, facts: MacFacts, ctx: ProbeContext, *, targets: Sequence[str],
                   fix: str) -> list[Verdict]:  # fmt: skip
    now, room, probe = facts.measured_at, device.room, "ssh"
    out = [_reachable(device, probe, now), _login(device, facts.login_verified_at, fix, probe, now)]
    out += _software(
        device, ctx, lambda t: gw.match_macos(t.ids, facts.apps), fix=fix, probe=probe, now=now, platform="macos"
    )
    out.append(gw.internet_from(device.name, facts.internet, targets=targets, measured_at=now, probe=probe, room=room))
    out.append(gw.disk_space(device.name, facts.disk, measured_at=now, probe=probe, room=room))
    return out


def probe_windows(device: WindowsWorkstation, ctx: ProbeContext) -> list[Verdict]:
    """One WinRM shell (or one OpenSSH session, ``ansible_connection: ssh``) as the admin account:
    uninstall keys of both registry views and per-machine AppX matched by the catalog's rules,
    free space, the exam's sites."""
    targets = _targets(ctx)
    fix = gw.fix_command(ctx.provision_command, device.name)
    password = secret(device, "admin_password")
    if not password:
        return _no_session(
            device, ctx, WINDOWS_CHECKS, "no_secret", fix, AuthenticationFailed("no admin password in the vault")
        )
    port = device.management_port()
    try:
        facts = read_windows(device.address or "", port, username=device.admin_user, password=password,
                             internet_targets=targets, timeout_s=ctx.timeout_s, https=port != 5985,
                             known_hosts=ctx.known_hosts_file, ssh=device.ansible_connection == "ssh")  # fmt: skip
    except PasswordLoginRefused as exc:
        return _no_session(device, ctx, WINDOWS_CHECKS, "refused", fix, exc)
    except PasswordLoginUnavailable as exc:  # OpenSSH Server that takes keys only
        return _no_session(device, ctx, WINDOWS_CHECKS, "unavailable", fix, exc)
    except Unreachable as exc:
        unprepared = _windows_unprepared(device, ctx, WINDOWS_CHECKS, exc)
        if unprepared is None:
            raise
        return unprepared
    return windows_verdicts(device, facts, ctx, targets=targets, fix=fix)


# ------------------------------------------------------------------- Windows PCs not bootstrapped yet

#: how long the second look at a Windows PC's port may take, when the first error names no cause
DIAGNOSIS_TIMEOUT_S = 2.0


def pinned(address: str, port: int, known_hosts: Path | None) -> bool:
    """Has plateau ever reached ``address:port``: a WinRM certificate pinned in ``<known_hosts>.winrm``
    or an SSH host key in ``known_hosts`` (both written on first contact, in the inventory's .plateau/)."""
    if known_hosts is None:
        return False
    winrm = known_hosts.with_name(known_hosts.name + ".winrm")
    names = {f"{address}:{port}"} if port != 22 else set()
    ssh_names = {address if port == 22 else f"[{address}]:{port}"}
    for path, wanted in ((winrm, names), (known_hosts, ssh_names)):
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except OSError:
            continue
        for line in lines:
            first = line.strip().split(" ", 1)[0]
            if wanted & set(first.split(",")):
                return True
    return False


def first_contact_cause(error: BaseException | None) -> str | None:
    """refused | no_protocol | silent, read from the error chain of a first contact (None: no cause)."""
    while error is not None:
        if isinstance(error, BadAnswer | ssl.SSLError | ConnectionResetError | ConnectionAbortedError):
            return "no_protocol"  # something answered, not SSH / HTTP / TLS
        if isinstance(error, ConnectionRefusedError):
            return "refused"
        if isinstance(error, TimeoutError):
            return "silent"
        error = error.__cause__
    return None


def _windows_unprepared(device: WindowsWorkstation, ctx: ProbeContext, checks: Sequence[str],
                        error: BaseException) -> list[Verdict] | None:  # fmt: skip
    """A Windows PC whose transport port refuses or does not speak SSH/TLS/WinRM is not bootstrapped
    yet (« lancer le script de plateau bootstrap windows »); so is one that stays silent and that
    plateau never reached. None: something else (the caller re-raises, a plain « injoignable »)."""
    address, port = device.address or "", device.management_port()
    connection = device.ansible_connection or "winrm"
    cause = first_contact_cause(error)
    if cause is None:  # e.g. requests' ConnectionError keeps no cause: look again, briefly
        try:
            management_handshake(address, port, connection, timeout_s=min(ctx.timeout_s, DIAGNOSIS_TIMEOUT_S))
            return None  # the service answers: not a bootstrap matter
        except (Unreachable, BadAnswer) as again:
            cause = first_contact_cause(again)
    if cause is None or (cause == "silent" and pinned(address, port, ctx.known_hosts_file)):
        return None
    now = utcnow()
    transport = "SSH" if connection == "ssh" else "WinRM HTTP" if port == 5985 else "WinRM HTTPS"
    probe = "ssh" if connection == "ssh" else "winrm"
    out = [gw.windows_not_prepared(device.name, cause=cause, port=port, transport=transport, measured_at=now,
                                   probe=probe, room=device.room, error=str(error))]  # fmt: skip
    others = [gm.probe_failed(device.name, c, error, measured_at=now, probe=probe, room=device.room)
              for c in checks if c not in ("reachable", "software")]  # fmt: skip
    others += gw.titles_unknown(device.name, ctx.planned.get(device.name, ()), error, measured_at=now, probe=probe,
                                room=device.room)  # fmt: skip
    return out + [replace(v, key="bootstrap.not_measured") for v in others]  # each says why, the same way


def windows_verdicts(device: WindowsWorkstation, facts: WindowsFacts, ctx: ProbeContext, *, targets: Sequence[str],
                     fix: str) -> list[Verdict]:  # fmt: skip
    now, room = facts.measured_at, device.room
    probe = "ssh" if device.ansible_connection == "ssh" else "winrm"
    out = [_reachable(device, probe, now), _login(device, facts.login_verified_at, fix, probe, now)]
    out += _software(
        device,
        ctx,
        lambda t: gw.match_windows(t.ids, t.name, facts.entries),
        fix=fix,
        probe=probe,
        now=now,
        platform="windows",
    )
    out.append(gw.internet_from(device.name, facts.internet, targets=targets, measured_at=now, probe=probe, room=room))
    out.append(gw.disk_space(device.name, facts.disk, measured_at=now, probe=probe, room=room))
    return out


def _software(device: Workstation, ctx: ProbeContext, presence: Callable[[PlannedTitle], gw.Presence], *, fix: str,
              probe: str, now: dt.datetime, platform: str) -> list[Verdict]:  # fmt: skip
    titles = ctx.planned.get(device.name, ())
    out = gw.title_verdicts(device.name, titles, presence, fix=fix, measured_at=now, probe=probe, room=device.room,
                            host_label=device.display())  # fmt: skip
    rule = ctx.capabilities_needed.get(device.name)
    if rule is not None:
        candidates = [*titles, *ctx.capability_titles.get(platform, ())]
        found = [t for t in candidates if t.provides and presence(t).state == "present"]
        out += gw.capabilities(device.name, rule, found, measured_at=now, probe=probe, room=device.room)
    return out


def _targets(ctx: ProbeContext) -> list[str]:
    targets = list(ctx.internet_targets)
    if os.environ.get(LOOPBACK_ONLY_ENV) == "1":
        refuse_urls_outside_loopback(targets)  # the workstation would send them off this machine
    return targets


def _reachable(device: Workstation, probe: str, now: dt.datetime) -> Verdict:
    if probe == "local":
        return g._v(device.name, "reachable", Status.OK, "check.reachable.local", measured_at=now, probe=probe,
                    room=device.room)  # fmt: skip
    return gm.reachable(device.name, port=device.management_port(), measured_at=now, probe=probe, room=device.room)


def _login(device: Workstation, verified_at: dt.datetime | None, fix: str, probe: str, now: dt.datetime) -> Verdict:
    if verified_at is None:
        return gw.admin_login(device.name, login=device.admin_user, outcome="local", at=now, fix=fix, probe=probe,
                              room=device.room)  # fmt: skip
    return gw.admin_login(device.name, login=device.admin_user, outcome="ok", at=verified_at, fix=fix, probe=probe,
                          room=device.room)  # fmt: skip


def _no_session(device: Workstation, ctx: ProbeContext, checks: Sequence[str],
                outcome: Literal["refused", "unavailable", "no_secret"], fix: str,
                error: Exception) -> list[Verdict]:  # fmt: skip
    """The session could not be opened as the admin account: the login verdict says why (a refused
    password is a blocking red), every other check is unknown."""
    now = utcnow()
    out = []
    if outcome != "no_secret":  # the SSH server answered: it is reachable
        out.append(
            gm.reachable(device.name, port=device.management_port(), measured_at=now, probe="ssh", room=device.room)
        )
    out.append(
        gw.admin_login(
            device.name, login=device.admin_user, outcome=outcome, at=now, fix=fix, probe="ssh", room=device.room
        )
    )
    out += [gm.probe_failed(device.name, c, error, measured_at=now, probe="ssh", room=device.room)
            for c in checks if c not in ("reachable", "admin_login", "software")
            or (c == "reachable" and outcome == "no_secret")]  # fmt: skip
    out += gw.titles_unknown(device.name, ctx.planned.get(device.name, ()), error, measured_at=now, probe="ssh",
                             room=device.room)  # fmt: skip
    return out


def probe_station(device: LinuxWorkstation, ctx: ProbeContext) -> list[Verdict]:
    """The live check, then: does this Linux PC hear the room's Wi-Fi network?"""
    verdicts = probe_linux(device, ctx)
    expected = ctx.room_ssid.get(device.room or "")
    now = utcnow()
    if expected is None:
        verdicts.append(
            g._v(
                device.name,
                "wifi_seen",
                Status.OK,
                "check.wifi_joined.no_ap",
                measured_at=now,
                probe="nmcli",
                room=device.room,
                blocking=False,
            )
        )
        return verdicts
    if ctx.inventory_file is None:
        raise Unreachable("no inventory file to reach the PC through Ansible")
    heard = list_networks(
        ctx.inventory_file,
        device.name,
        vault_password_file=ctx.vault_password_file,
        timeout_s=ctx.timeout_s,
        nmcli=device.nmcli_path,
    )
    match = [n for n in heard if n.ssid == expected]
    facts = {"heard": [n.ssid for n in heard][:30]}
    if match:
        signal = max((n.signal_pct or 0) for n in match)
        status = Status.OK if signal >= WEAK_SIGNAL_PCT else Status.WARN
        key = "check.wifi_seen.ok" if status is Status.OK else "check.wifi_seen.weak"
        verdicts.append(
            g._v(
                device.name,
                "wifi_seen",
                status,
                key,
                measured_at=now,
                probe="nmcli",
                room=device.room,
                value=signal,
                unit="%",
                ssid=expected,
                signal_pct=signal,
                facts=facts,
            )
        )
    else:
        verdicts.append(
            g._v(
                device.name,
                "wifi_seen",
                Status.FAIL,
                "check.wifi_seen.absent",
                measured_at=now,
                probe="nmcli",
                room=device.room,
                ssid=expected,
                count=len(heard),
                facts=facts,
            )
        )
    return verdicts
