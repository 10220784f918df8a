"""Read a workstation for plateau's live check: one session, one script, every measurement.

    read_linux(address, port, username=..., password=..., internet_targets=[...], timeout_s=...)
        -> LinuxFacts     SSH as the admin account (the login is proven), or local with address None

Each measurement is ``None`` when its command could not run (missing tool, error status): the
probe then says *unknown* for that check, never "absent" nor "present". Raise only
``devices.errors``: :class:`~devices.workstation.transport.PasswordLoginRefused` (an
AuthenticationFailed) when the password is refused, Unreachable, BadAnswer.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from devices.errors import BadAnswer
from devices.workstation.parse import (
    DebPackage,
    DiskSpace,
    FlatpakApp,
    MacApps,
    Reached,
    Section,
    UsbPolicy,
    WindowsEntry,
    parse_brew_list,
    parse_df,
    parse_dpkg,
    parse_flatpak,
    parse_internet,
    parse_mac_bundles,
    parse_usb_policy,
    parse_windows_disk,
    parse_windows_internet,
    parse_windows_inventory,
    split_sections,
)
from devices.workstation.script import linux_script, mac_script, windows_script
from devices.workstation.transport import (
    ScriptRun,
    run_powershell_ssh,
    run_powershell_winrm,
    run_script_local,
    run_script_ssh,  # fmt: skip
)

#: sections the Linux script always prints (a missing one means the answer was cut)
LINUX_SECTIONS = ("dpkg_arch", "dpkg", "flatpak", "df", "usb_modprobe", "usb_polkit", "internet")


@dataclass(frozen=True, slots=True, kw_only=True)
class LinuxFacts:
    login: str | None  # the account the session was opened as (None: local run)
    login_verified_at: dt.datetime | None  # when the password was accepted (None: local run)
    native_arch: str | None  # dpkg --print-architecture
    packages: tuple[DebPackage, ...] | None  # None: dpkg-query did not run
    flatpaks: tuple[FlatpakApp, ...] | None  # () when Flatpak is not installed
    flatpak_installed: bool
    disk: DiskSpace | None
    usb: UsbPolicy | None
    internet: tuple[Reached, ...] | None
    errors: dict[str, str] = field(default_factory=dict)  # section -> why it is None
    seconds: float = 0.0
    measured_at: dt.datetime


def read_linux(address: str | None, port: int, *, username: str, password: str | None,
               internet_targets: Sequence[str], timeout_s: float, known_hosts: Path | None = None) -> LinuxFacts:  # fmt: skip
    """``address`` None: run locally (``ansible_connection: local``), no login is tried."""
    script = linux_script(internet_targets, per_target_s=max(1.0, timeout_s * 0.4))
    if address is None:
        run = run_script_local(script, timeout_s=timeout_s)
        login = None
    else:
        if password is None:
            raise ValueError("an SSH check needs the admin password")
        run = run_script_ssh(
            address,
            port,
            username=username,
            password=password,
            script=script,
            timeout_s=timeout_s,
            known_hosts=known_hosts,
        )
        login = username
    return linux_facts(run, login=login)


def linux_facts(run: ScriptRun, *, login: str | None) -> LinuxFacts:
    """Pure: the facts from a script's output (tested on recorded answers)."""
    sections = split_sections(run.stdout)
    missing = [name for name in LINUX_SECTIONS if name not in sections or sections[name].rc is None]
    if missing:
        raise BadAnswer(
            f"workstation script: sections {', '.join(missing)} missing or cut (exit status {run.exit_status})"
        )
    errors: dict[str, str] = {}

    def ok(name: str) -> Section | None:
        section = sections[name]
        if section.rc == 0:
            return section
        errors[name] = "command not found" if section.rc == 127 else f"exit status {section.rc}"
        return None

    arch = ok("dpkg_arch")
    dpkg = ok("dpkg")
    flatpak_section = sections["flatpak"]
    flatpak_installed = flatpak_section.rc != 127
    flatpaks: tuple[FlatpakApp, ...] | None = ()
    if flatpak_installed:
        flatpak_ok = ok("flatpak")
        flatpaks = tuple(parse_flatpak(flatpak_ok.body)) if flatpak_ok else None
    df = ok("df")
    modprobe = sections["usb_modprobe"]
    usb = None
    if modprobe.rc in (0, 1, 2):  # grep: 0 lines found, 1 none, 2 some file unreadable (still read the rest)
        usb = parse_usb_policy(modprobe.body, sections["usb_polkit"].body)
    else:
        errors["usb_modprobe"] = f"exit status {modprobe.rc}"
    return LinuxFacts(
        login=login,
        login_verified_at=run.authenticated_at,
        native_arch=arch.body.strip() if arch and arch.body.strip() else None,
        packages=tuple(parse_dpkg(dpkg.body)) if dpkg else None,
        flatpaks=flatpaks,
        flatpak_installed=flatpak_installed,
        disk=parse_df(df.body) if df else None,
        usb=usb,
        internet=tuple(parse_internet(sections["internet"].body)),
        errors=errors,
        seconds=run.seconds,
        measured_at=dt.datetime.now(dt.UTC),
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class MacFacts:
    login: str | None
    login_verified_at: dt.datetime | None
    apps: MacApps
    disk: DiskSpace | None
    internet: tuple[Reached, ...] | None
    measured_at: dt.datetime


def read_macos(address: str, port: int, *, username: str, password: str, internet_targets: Sequence[str],
               timeout_s: float, known_hosts: Path | None = None) -> MacFacts:  # fmt: skip
    script = mac_script(internet_targets, per_target_s=max(1.0, timeout_s * 0.4))
    run = run_script_ssh(
        address, port, username=username, password=password, script=script, timeout_s=timeout_s, known_hosts=known_hosts
    )
    return mac_facts(run, login=username)


def mac_facts(run: ScriptRun, *, login: str | None) -> MacFacts:
    """Pure: the facts of the macOS script's output."""
    sections = split_sections(run.stdout)
    for name in ("mac_apps", "brew_cask", "brew_formula", "df", "internet"):
        if name not in sections or sections[name].rc is None:
            raise BadAnswer(f"mac script: section {name} missing or cut")
    brew = sections["brew_cask"].rc != 127
    casks = parse_brew_list(sections["brew_cask"].body) if sections["brew_cask"].rc == 0 else frozenset()
    formulae = parse_brew_list(sections["brew_formula"].body) if sections["brew_formula"].rc == 0 else frozenset()
    failed = [f"brew list --{kind}: exit status {sections[f'brew_{kind}'].rc}" for kind in ("cask", "formula")
              if brew and sections[f"brew_{kind}"].rc != 0]  # fmt: skip
    df = sections["df"]
    return MacFacts(
        login=login,
        login_verified_at=run.authenticated_at,
        apps=MacApps(parse_mac_bundles(sections["mac_apps"].body), casks, formulae, brew, "; ".join(failed) or None),
        disk=parse_df(df.body) if df.rc == 0 else None,
        internet=tuple(parse_internet(sections["internet"].body)),
        measured_at=dt.datetime.now(dt.UTC),
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class WindowsFacts:
    login: str
    login_verified_at: dt.datetime | None
    entries: tuple[WindowsEntry, ...]  # uninstall keys (64-bit, 32-bit, the admin's own) and per-machine AppX
    disk: DiskSpace | None
    internet: tuple[Reached, ...]
    measured_at: dt.datetime


def read_windows(address: str, port: int, *, username: str, password: str, internet_targets: Sequence[str],
                 timeout_s: float, https: bool, known_hosts: Path | None = None, ssh: bool = False) -> WindowsFacts:  # fmt: skip
    """One WinRM shell (or, ``ssh``, one OpenSSH session) as the admin account, one PowerShell
    script printing JSON."""
    script = windows_script(internet_targets, per_target_s=max(1.0, timeout_s * 0.4))
    if ssh:
        run = run_powershell_ssh(address, port, username=username, password=password, script=script,
                                 timeout_s=timeout_s, known_hosts=known_hosts)  # fmt: skip
        return windows_facts(run, login=username)
    run = run_powershell_winrm(
        address,
        port,
        username=username,
        password=password,
        script=script,
        timeout_s=timeout_s,
        https=https,
        known_hosts=known_hosts,
    )
    return windows_facts(run, login=username)


def windows_facts(run: ScriptRun, *, login: str) -> WindowsFacts:
    """Pure: the facts of the Windows script's JSON (exit status 0 required)."""
    if run.exit_status != 0:
        raise BadAnswer(f"windows script: exit status {run.exit_status}")
    return WindowsFacts(
        login=login,
        login_verified_at=run.authenticated_at,
        entries=tuple(parse_windows_inventory(run.stdout)),
        disk=parse_windows_disk(run.stdout),
        internet=tuple(parse_windows_internet(run.stdout)),
        measured_at=dt.datetime.now(dt.UTC),
    )
