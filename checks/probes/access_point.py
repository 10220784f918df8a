"""Wi-Fi access points over SSH (OpenWrt, RouterOS): radio on, SSID, security, key."""

from __future__ import annotations

from checks import grading_more as gm
from checks.facts import jsonable
from checks.model import Verdict
from checks.probes.common import ProbeContext, secret
from devices.access_point.driver import read_access_point
from devices.models import AccessPoint


def probe_access_point(device: AccessPoint, ctx: ProbeContext) -> list[Verdict]:
    facts = read_access_point(
        device.platform,
        device.address or "",
        password=secret(device, "ssh_password") or "",
        port=device.ssh_port,
        username=device.ssh_user,
        timeout_s=ctx.timeout_s,
        expected_key=secret(device, "wifi_key"),
    )
    return gm.access_point(
        device.name,
        facts=facts,
        expected_ssid=device.wifi_ssid,
        expected_security=device.wifi_security,
        measured_at=facts.measured_at,
        probe=device.platform,
        room=device.room,
        facts_dict=jsonable(facts),
    )
