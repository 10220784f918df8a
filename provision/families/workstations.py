"""Windows, Linux and macOS workstations: provisioned by the Ansible playbooks, probed where
Ansible reaches them."""

from __future__ import annotations

from dataclasses import replace

from devices.models import LinuxWorkstation, MacWorkstation, WindowsWorkstation, Workstation
from provision.families.base import Account, Family, ProbeDecl, RecapRow, RowContext
from provision.messages import render

ADMIN = Account(kind="admin_session", login="admin_user", secret="admin_password")
REACHABLE = ProbeDecl(name="tcp", checks=("reachable",), fn="checks.probes.workstation:probe_workstation")
STATION = ProbeDecl(name="nmcli", checks=("reachable", "wifi_seen"), fn="checks.probes.workstation:probe_station")


def _row(device: Workstation, ctx: RowContext) -> RecapRow:
    details = [render(f"label.role.{device.role}")]
    if device.projection:
        details.append(render("recap.detail.projection"))
    return RecapRow(kind=ctx.family_label, details=tuple(details))


def _linux_probe(device: LinuxWorkstation) -> str:
    return "station" if device.wifi_station else "default"


WINDOWS = Family(
    name="windows", model=WindowsWorkstation, recap_section="computers", platform="windows",
    provisioning="ansible", accounts=(ADMIN,), probes={"default": REACHABLE}, recap_row=_row,
    port_field="ansible_port",
    no_simulator_reason="a real peer stands for it: Debian's sshd (tests/conftest.py) and openssl s_server for WinRM TLS",
)
LINUX = replace(WINDOWS, name="linux", model=LinuxWorkstation, platform="linux",
                probes={"default": REACHABLE, "station": STATION}, choose_probe=_linux_probe)
MACOS = replace(WINDOWS, name="macos", model=MacWorkstation, platform="macos")
DECLARED = (WINDOWS, LINUX, MACOS)
