"""What every probe shares: its context, its declaration, and the Wi-Fi-joined rule."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from checks import grading as g
from checks.model import Status, Verdict
from devices.errors import BadAnswer
from devices.models import Device


@dataclass(frozen=True, slots=True, kw_only=True)
class PlannedTitle:
    """A catalog title as a probe checks it on a device: what identifies it there, and who wants it."""

    title_id: str  # catalog id, e.g. "vlc"
    name: str  # "VLC media player"
    ids: Mapping[str, Any]  # the title's ids on the device's platform (apt/flatpak, display_name, bundle_id...)
    requested_by: tuple[str, ...] = ()  # the plan's reasons: "candidat:C01", "référentiel:mn-2025"...
    provides: tuple[str, ...] = ()  # catalog capabilities: "web_browser", "pdf_reader"...


@dataclass(frozen=True, slots=True, kw_only=True)
class CapabilityRule:
    """What the référentiel requires of one workstation's software: {capability: count}."""

    label: str  # the référentiel rule's label
    needs: Mapping[str, int]


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
    #: host name -> every title the *current* plan puts there (never what a past run installed)
    planned: dict[str, tuple[PlannedTitle, ...]] = field(default_factory=dict)
    #: catalog platform -> the titles that provide a référentiel capability (to count what is found)
    capability_titles: dict[str, tuple[PlannedTitle, ...]] = field(default_factory=dict)
    #: host name -> the référentiel's software requirement for it
    capabilities_needed: dict[str, CapabilityRule] = field(default_factory=dict)
    #: the exam's web sites (group_vars/all internet_targets), reached from the workstations too
    internet_targets: tuple[str, ...] = ()
    #: plateau's own known_hosts: workstation SSH host keys pinned on first contact
    known_hosts_file: Path | None = None
    #: the command that re-provisions hosts, without ``--limit`` ("plateau provision -i DIR")
    provision_command: tuple[str, ...] = ("plateau", "provision")


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
        return g._v(
            device.name,
            "wifi_joined",
            Status.OK,
            "check.wifi_joined.no_ap",
            measured_at=now,
            probe=probe,
            room=device.room,
            blocking=False,
            value=ssid,
        )
    if ssid == expected:
        return g._v(
            device.name,
            "wifi_joined",
            Status.OK,
            "check.wifi_joined.ok",
            measured_at=now,
            probe=probe,
            room=device.room,
            value=ssid,
            ssid=ssid,
        )
    return g._v(
        device.name,
        "wifi_joined",
        Status.WARN,
        "check.wifi_joined.other",
        measured_at=now,
        probe=probe,
        room=device.room,
        value=ssid,
        found=ssid or g._msg("check.wifi_joined.no_network"),
        expected=expected,
    )
