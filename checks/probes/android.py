"""Android tablets over ADB: battery, Google account, planned apps, Wi-Fi network joined."""

from __future__ import annotations

from checks import grading as g
from checks import grading_more as gm
from checks.facts import jsonable
from checks.model import Verdict
from checks.probes.common import ProbeContext, unreadable, wifi_joined
from devices.android.adb_cli import AdbCliSession
from devices.android.driver import collect_facts, read_android
from devices.android.facts import AndroidFacts
from devices.errors import Unreachable
from devices.models import AndroidTablet


def probe_android(device: AndroidTablet, ctx: ProbeContext) -> list[Verdict]:
    facts = _read(device, ctx)
    now, room, probe = facts.measured_at, device.room, "adb"
    battery = facts.battery
    out = [
        g.battery(
            device.name,
            level_pct=battery.level_pct if battery else None,
            charging=battery.charging if battery else None,
            min_pct=device.min_battery_pct,
            measured_at=now,
            probe=probe,
            room=room,
            facts=jsonable(battery) if battery else {},
            plugged=battery.powered if battery else None,
            status=battery.status.value if battery and battery.status else None,
            present=battery.present if battery else None,
        ),
        gm.account(
            device.name,
            expected=device.google_account,
            found=facts.google_accounts or (),
            kind="google",
            measured_at=now,
            probe=probe,
            room=room,
        ),
        gm.software(
            device.name,
            expected=ctx.expected_software.get(device.name, {}),
            installed=facts.packages or (),
            measured_at=now,
            probe=probe,
            room=room,
        ),
    ]
    if facts.packages is None:  # `pm list packages` failed: do not claim anything is missing or present
        out[2] = gm.probe_failed(
            device.name, "software", unreadable("pm list packages"), measured_at=now, probe=probe, room=room
        )
    if facts.google_accounts is None:
        out[1] = gm.probe_failed(
            device.name, "account", unreadable("dumpsys account"), measured_at=now, probe=probe, room=room
        )
    out.append(wifi_joined(device, facts.wifi.ssid if facts.wifi else None, ctx, now, probe))
    return out


def _read(device: AndroidTablet, ctx: ProbeContext) -> AndroidFacts:
    if device.address:
        return read_android(device.address, device.adb_port, key_dir=ctx.key_dir, timeout_s=ctx.timeout_s)
    if not device.adb_serial:
        raise Unreachable("neither an address nor a USB serial")
    # on USB: through this machine's adb server, which owns the USB link
    with AdbCliSession(device.adb_serial, timeout_s=ctx.timeout_s) as session:
        return collect_facts(session)
