"""What every probe shares: its context, its declaration, and the Wi-Fi-joined rule."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from checks import grading as g
from checks.model import Status, Verdict
from devices.errors import BadAnswer
from devices.models import Device


@dataclass
class ProbeContext:
    timeout_s: float
    key_dir: Path  # ADB keys of this plateau (never the user's ~/.android)
    inventory_file: Path | None = None  # hosts.yml, for probes that go through Ansible
    vault_password_file: Path | None = None
    #: host name -> {identifier on the device: display name} of software expected there
    expected_software: dict[str, dict[str, str]] = field(default_factory=dict)
    #: room -> SSID of the room's access point (what tablets should be joined to)
    room_ssid: dict[str, str] = field(default_factory=dict)


Probe = Callable[[Any, ProbeContext], list[Verdict]]


@dataclass(frozen=True, slots=True)
class ProbeSpec:
    """A probe as the sweep runs it: its name (shown as « sonde »), every check it may
    produce (all turn UNKNOWN when it fails) and the function."""

    name: str
    checks: tuple[str, ...]
    fn: Probe


def secret(device: Device, name: str) -> str | None:
    value = getattr(device, name, None)
    return None if value is None else str(value.get_secret_value())


def unreadable(what: str) -> BadAnswer:
    return BadAnswer(f"{what}: unreadable answer")


def wifi_joined(device: Device, ssid: str | None, ctx: ProbeContext, now: dt.datetime, probe: str) -> Verdict:
    """A tablet is joined to its room's network (the SSID of the room's access point)."""
    expected = ctx.room_ssid.get(device.room or "")
    if expected is None:
        return g._v(device.name, "wifi_joined", Status.OK, "check.wifi_joined.no_ap", measured_at=now, probe=probe,
                    room=device.room, blocking=False, value=ssid)
    if ssid == expected:
        return g._v(device.name, "wifi_joined", Status.OK, "check.wifi_joined.ok", measured_at=now, probe=probe,
                    room=device.room, value=ssid, ssid=ssid)
    return g._v(device.name, "wifi_joined", Status.WARN, "check.wifi_joined.other", measured_at=now, probe=probe,
                room=device.room, value=ssid, found=ssid or "aucun", expected=expected)
