"""iPads through libimobiledevice (USB) or Apple Configurator's cfgutil on a Mac (SSH): the
battery, and the apps the *current* plan puts there, checked by bundle id (the catalog's
``bundle_id`` beside the App Store id).

The app listing is guarded on its own: when ``ideviceinstaller`` fails, or cfgutil's
``installedApps`` cannot be read, the battery stays measured and the software is *unknown*
(never "missing", never "present").
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from typing import Any

from checks import grading as g
from checks import grading_workstation as gw
from checks.facts import jsonable
from checks.model import Verdict
from checks.probes.common import ProbeContext
from devices.errors import BadAnswer, DeviceError
from devices.ipad.driver import read_ipad
from devices.ipad.parse import bundle_ids_from_cfgutil, parse_cfgutil_json, parse_installer_list
from devices.ipad.runner import CommandResult, Runner, local_runner, ssh_runner
from devices.models import Ipad

#: what the driver is handed in place of an app listing that failed (the probe knows it failed)
_NO_APPS = CommandResult(0, "Total: 0 apps\n", "")


class _GuardedApps:
    """Wraps a runner: the app listing's failure is kept aside instead of failing the whole read."""

    def __init__(self, runner: Runner, ecid: str | None) -> None:
        self.runner = runner
        self.ecid = ecid
        self.failure: DeviceError | None = None

    def __call__(self, argv: Sequence[str], timeout_s: float) -> CommandResult:
        tool = os.path.basename(argv[0])
        if tool == "ideviceinstaller":
            return self._listing(argv, timeout_s)
        result = self.runner(argv, timeout_s)
        if tool == "cfgutil" and "installedApps" in argv:
            return self._cfgutil(result)
        return result

    def _listing(self, argv: Sequence[str], timeout_s: float) -> CommandResult:
        try:
            result = self.runner(argv, timeout_s)
            if result.returncode != 0:
                first = (result.stderr.strip() or result.stdout.strip() or f"exit {result.returncode}").splitlines()[0]
                raise BadAnswer(f"ideviceinstaller failed: {first[:200]}")
            parse_installer_list(result.stdout)
        except DeviceError as exc:
            self.failure = exc
            return _NO_APPS
        return result

    def _cfgutil(self, result: CommandResult) -> CommandResult:
        """cfgutil answers battery and apps in one JSON: drop only an unreadable ``installedApps``."""
        try:
            props = parse_cfgutil_json(result.stdout, self.ecid)
        except (DeviceError, LookupError):
            return result  # the driver reports it (the device itself was not read)
        try:
            if "installedApps" not in props:
                raise BadAnswer("cfgutil did not list installedApps")
            bundle_ids_from_cfgutil(props["installedApps"])
            return result
        except DeviceError as exc:
            self.failure = exc
        data: dict[str, Any] = json.loads(result.stdout)
        for key, value in data.get("Output", {}).items():
            if key != "Errors" and isinstance(value, dict):
                value["installedApps"] = []
        return CommandResult(result.returncode, json.dumps(data), result.stderr)


def probe_ipad(device: Ipad, ctx: ProbeContext) -> list[Verdict]:
    base = ssh_runner(device.cfgutil_host or "", username="admin") if device.access == "cfgutil" else local_runner()
    guarded = _GuardedApps(base, device.ecid)
    facts = read_ipad(via=device.access, udid=device.udid, ecid=device.ecid, runner=guarded, timeout_s=ctx.timeout_s)
    now, probe, room = facts.measured_at, facts.source, device.room
    out = [g.battery(device.name, level_pct=facts.battery_level_pct, charging=facts.charging,
                     min_pct=device.min_battery_pct, measured_at=now, probe=probe, room=room,
                     facts=jsonable(facts))]  # fmt: skip
    titles = ctx.planned.get(device.name, ())
    if guarded.failure is not None:
        out += gw.titles_unknown(device.name, titles, guarded.failure, measured_at=now, probe=probe, room=room)
        return out
    fix = gw.fix_command(ctx.provision_command, device.name)
    out += gw.title_verdicts(device.name, titles, lambda t: gw.match_bundle(t.ids, facts.installed_apps), fix=fix,
                             measured_at=now, probe=probe, room=room, host_label=device.display())  # fmt: skip
    return out
