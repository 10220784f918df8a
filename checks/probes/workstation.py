"""Workstations: the management service Ansible uses answers with its own protocol; a Linux PC
with ``wifi_station: true`` also lists the Wi-Fi networks it hears (nmcli through Ansible)."""

from __future__ import annotations

from checks import grading as g
from checks import grading_more as gm
from checks.model import Status, Verdict, utcnow
from checks.probes.common import ProbeContext
from devices.errors import Unreachable
from devices.models import LinuxWorkstation, Workstation
from devices.workstation.nmcli import list_networks
from devices.workstation.transport import management_handshake

#: signal (in %) under which the room's network is heard but weak
WEAK_SIGNAL_PCT = 30


def probe_workstation(device: Workstation, ctx: ProbeContext) -> list[Verdict]:
    now = utcnow()
    if device.ansible_connection == "local":
        return [g._v(device.name, "reachable", Status.OK, "check.reachable.local", measured_at=now, probe="local",
                     room=device.room)]
    port = device.management_port()
    probe = management_handshake(device.address or "", port, device.ansible_connection or "ssh",
                                 timeout_s=ctx.timeout_s)
    return [gm.reachable(device.name, port=port, measured_at=now, probe=probe, room=device.room)]


def probe_station(device: LinuxWorkstation, ctx: ProbeContext) -> list[Verdict]:
    """Reachability, then: does this Linux PC hear the room's Wi-Fi network?"""
    verdicts = probe_workstation(device, ctx)
    expected = ctx.room_ssid.get(device.room or "")
    now = utcnow()
    if expected is None:
        verdicts.append(g._v(device.name, "wifi_seen", Status.OK, "check.wifi_joined.no_ap", measured_at=now,
                             probe="nmcli", room=device.room, blocking=False))
        return verdicts
    if ctx.inventory_file is None:
        raise Unreachable("no inventory file to reach the PC through Ansible")
    heard = list_networks(ctx.inventory_file, device.name, vault_password_file=ctx.vault_password_file,
                          timeout_s=ctx.timeout_s, nmcli=device.nmcli_path)
    match = [n for n in heard if n.ssid == expected]
    facts = {"heard": [n.ssid for n in heard][:30]}
    if match:
        signal = max((n.signal_pct or 0) for n in match)
        status = Status.OK if signal >= WEAK_SIGNAL_PCT else Status.WARN
        key = "check.wifi_seen.ok" if status is Status.OK else "check.wifi_seen.weak"
        verdicts.append(g._v(device.name, "wifi_seen", status, key, measured_at=now, probe="nmcli",
                             room=device.room, value=signal, unit="%", ssid=expected, signal_pct=signal,
                             facts=facts))
    else:
        verdicts.append(g._v(device.name, "wifi_seen", Status.FAIL, "check.wifi_seen.absent", measured_at=now,
                             probe="nmcli", room=device.room, ssid=expected, count=len(heard), facts=facts))
    return verdicts
