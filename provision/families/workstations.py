"""Windows, Linux and macOS workstations: provisioned by the Ansible playbooks, probed where
Ansible reaches them."""

from __future__ import annotations

from dataclasses import replace

from devices.models import LinuxWorkstation, MacWorkstation, WindowsWorkstation, Workstation
from provision.families.base import Account, Family, ProbeDecl, RecapRow, RowContext
from provision.messages import render

ADMIN = Account(kind="admin_session", login="admin_user", secret="admin_password")
#: the checks of the live probes (checks.probes.workstation: LINUX_CHECKS, MACOS_CHECKS, WINDOWS_CHECKS)
LIVE_LINUX = ("reachable", "admin_login", "software", "capabilities", "internet", "disk_space", "usb_storage")
LIVE_MACOS = ("reachable", "admin_login", "software", "capabilities", "internet", "disk_space")
REACHABLE = ProbeDecl(name="tcp", checks=("reachable", "software"), fn="checks.probes.workstation:probe_workstation")
LINUX_LIVE = ProbeDecl(name="ssh", checks=LIVE_LINUX, fn="checks.probes.workstation:probe_linux")
STATION = ProbeDecl(name="nmcli", checks=(*LIVE_LINUX, "wifi_seen"), fn="checks.probes.workstation:probe_station")
MACOS_LIVE = ProbeDecl(name="ssh", checks=LIVE_MACOS, fn="checks.probes.workstation:probe_macos")
LIVE_WINDOWS = ("reachable", "admin_login", "software", "capabilities", "internet", "disk_space")
WINDOWS_LIVE = ProbeDecl(name="winrm", checks=LIVE_WINDOWS, fn="checks.probes.workstation:probe_windows")
#: a Windows PC bootstrapped with OpenSSH Server: the same PowerShell check, over SSH
WINDOWS_SSH = ProbeDecl(name="ssh", checks=LIVE_WINDOWS, fn="checks.probes.workstation:probe_windows")
#: connections the live probe speaks (SSH with paramiko, or this very machine)
SSH_LIKE = (None, "ssh", "paramiko", "local")


def _row(device: Workstation, ctx: RowContext) -> RecapRow:
    details = [render(f"label.role.{device.role}")]
    if device.projection:
        details.append(render("recap.detail.projection"))
    return RecapRow(kind=ctx.family_label, details=tuple(details))


def _linux_probe(device: LinuxWorkstation) -> str:
    if device.ansible_connection not in SSH_LIKE:
        return "tcp"
    return "station" if device.wifi_station else "default"


def _windows_probe(device: WindowsWorkstation) -> str:
    return {"winrm": "default", "ssh": "ssh"}.get(device.ansible_connection or "", "tcp")


def _macos_probe(device: MacWorkstation) -> str:
    return "default" if device.ansible_connection in (None, "ssh", "paramiko") else "tcp"


WINDOWS = Family(
    name="windows",
    model=WindowsWorkstation,
    recap_section="computers",
    platform="windows",
    provisioning="ansible",
    accounts=(ADMIN,),
    probes={"default": WINDOWS_LIVE, "ssh": WINDOWS_SSH, "tcp": REACHABLE},
    choose_probe=_windows_probe,
    recap_row=_row,
    port_field="ansible_port",
    simulator="devices.lab.workstation:WinRMLab",
)
LINUX = replace(
    WINDOWS,
    name="linux",
    model=LinuxWorkstation,
    platform="linux",
    probes={"default": LINUX_LIVE, "station": STATION, "tcp": REACHABLE},
    choose_probe=_linux_probe,
    simulator="devices.lab.workstation:WorkstationLab",
    no_simulator_reason=None,
)
MACOS = replace(
    WINDOWS,
    name="macos",
    model=MacWorkstation,
    platform="macos",
    probes={"default": MACOS_LIVE, "tcp": REACHABLE},
    choose_probe=_macos_probe,
    simulator="devices.lab.workstation:WorkstationLab",  # flavour="macos": /Applications, Homebrew
    no_simulator_reason=None,
)
DECLARED = (WINDOWS, LINUX, MACOS)
