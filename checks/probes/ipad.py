"""iPads through libimobiledevice (USB) or Apple Configurator's cfgutil on a Mac (SSH)."""

from __future__ import annotations

from checks import grading as g
from checks.facts import jsonable
from checks.model import Verdict
from checks.probes.common import ProbeContext
from devices.ipad.driver import read_ipad
from devices.ipad.runner import ssh_runner
from devices.models import Ipad


def probe_ipad(device: Ipad, ctx: ProbeContext) -> list[Verdict]:
    runner = ssh_runner(device.cfgutil_host or "", username="admin") if device.access == "cfgutil" else None
    facts = read_ipad(via=device.access, udid=device.udid, ecid=device.ecid, runner=runner,
                      timeout_s=ctx.timeout_s)
    return [g.battery(device.name, level_pct=facts.battery_level_pct, charging=facts.charging,
                      min_pct=device.min_battery_pct, measured_at=facts.measured_at, probe=facts.source,
                      room=device.room, facts=jsonable(facts))]
