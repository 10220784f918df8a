"""Read an iPad: identity, battery, installed apps.

Two paths, chosen with ``via``:

``"libimobiledevice"`` (USB, on this machine or wherever the runner runs)::

    ideviceinfo -u UDID                              DeviceName, ProductType, ProductVersion, SerialNumber
    ideviceinfo -u UDID -q com.apple.mobile.battery  BatteryCurrentCapacity, BatteryIsCharging, ExternalConnected
    ideviceinstaller -u UDID -l                      installed user apps (legacy or CSV format)

``"cfgutil"`` (Apple Configurator's automation tool, usually on a Mac over SSH)::

    cfgutil --ecid ECID --format JSON get batteryCurrentCapacity batteryIsCharging
            deviceType firmwareVersion installedApps name serialNumber

Failures: tool missing -> Unreachable with an install hint; ``ERROR: Could not connect
to lockdownd`` (not paired / not trusted / locked) or device not found -> Unreachable;
output we cannot read -> BadAnswer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from devices.errors import BadAnswer, Unreachable
from devices.ipad.parse import (
    bundle_ids_from_cfgutil,
    parse_cfgutil_json,
    parse_ideviceinfo,
    parse_installer_list,
    to_bool,
    to_pct,
)
from devices.ipad.runner import CommandResult, Runner, local_runner

CFGUTIL_PROPERTIES = (
    "batteryCurrentCapacity",
    "batteryIsCharging",
    "deviceType",
    "firmwareVersion",
    "installedApps",
    "name",
    "serialNumber",
)
_UNREACHABLE_PATTERNS = re.compile(
    r"could not connect to lockdownd|no device found|device .* not found|"
    r"no device connected|unable to connect|not paired",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True, kw_only=True)
class IpadFacts:
    name: str | None  # "iPad de la salle 1"
    model: str | None  # ProductType / deviceType, "iPad7,5"
    ios_version: str | None  # "17.1"
    serial: str | None
    battery_level_pct: int | None
    charging: bool | None
    external_power: bool | None  # plugged in (ExternalConnected); None via cfgutil
    installed_apps: frozenset[str]  # bundle ids
    source: str  # "libimobiledevice" | "cfgutil"
    measured_at: datetime


def _checked(result: CommandResult, argv: list[str]) -> str:
    if result.returncode == 0:
        return result.stdout
    message = (result.stderr.strip() or result.stdout.strip()).splitlines()
    first = message[0][:200] if message else f"exit status {result.returncode}"
    if "propertylist error" in first.lower():
        raise BadAnswer(f"{argv[0]}: {first}")  # the device answered, but not in lockdownd's protocol
    if _UNREACHABLE_PATTERNS.search(result.stderr + result.stdout):
        pairing = any(
            p in first.lower()
            for p in (
                "invalid hostid",
                "pairing dialog",
                "password protected",
                "user denied pairing",
                "not paired",
                "pairing",
            )
        )
        hint = " (unlock the iPad and accept 'Trust this computer', or run idevicepair pair)" if pairing else ""
        raise Unreachable(f"{argv[0]}: {first}{hint}")
    raise BadAnswer(f"{argv[0]} failed ({result.returncode}): {first}")


def _none_if_empty(value: object) -> str | None:
    return str(value).strip() or None if value is not None else None


def read_ipad_libimobiledevice(
    udid: str,
    *,
    runner: Runner,
    timeout_s: float,
    ideviceinfo: str = "ideviceinfo",
    ideviceinstaller: str = "ideviceinstaller",
) -> IpadFacts:
    def run(argv: list[str]) -> str:
        return _checked(runner(argv, timeout_s), argv)

    info = parse_ideviceinfo(run([ideviceinfo, "-u", udid]))
    battery = parse_ideviceinfo(run([ideviceinfo, "-u", udid, "-q", "com.apple.mobile.battery"]))
    apps = parse_installer_list(run([ideviceinstaller, "-u", udid, "-l"]))
    return IpadFacts(
        name=_none_if_empty(info.get("devicename")),
        model=_none_if_empty(info.get("producttype")),
        ios_version=_none_if_empty(info.get("productversion")),
        serial=_none_if_empty(info.get("serialnumber")),
        battery_level_pct=to_pct(battery.get("batterycurrentcapacity")),
        charging=to_bool(battery.get("batteryischarging")),
        external_power=to_bool(battery.get("externalconnected")),
        installed_apps=apps,
        source="libimobiledevice",
        measured_at=datetime.now(UTC),
    )


def read_ipad_cfgutil(ecid: str | None, *, runner: Runner, timeout_s: float, cfgutil: str = "cfgutil") -> IpadFacts:
    argv = [cfgutil] + (["--ecid", ecid] if ecid else []) + ["--format", "JSON", "get", *CFGUTIL_PROPERTIES]
    result = runner(argv, timeout_s)
    # cfgutil reports its own errors as JSON ({"Type":"Error",...}) with a non-zero status
    text = result.stdout if result.stdout.lstrip().startswith("{") else _checked(result, argv)
    try:
        props = parse_cfgutil_json(text, ecid)
    except LookupError as exc:
        raise Unreachable(f"cfgutil: {exc}") from exc
    version = props.get("firmwareVersion")
    return IpadFacts(
        name=_none_if_empty(props.get("name")),
        model=_none_if_empty(props.get("deviceType")),
        ios_version=_none_if_empty(version),
        serial=_none_if_empty(props.get("serialNumber")),
        battery_level_pct=to_pct(props.get("batteryCurrentCapacity")),
        charging=to_bool(props.get("batteryIsCharging")),
        external_power=None,
        installed_apps=bundle_ids_from_cfgutil(props.get("installedApps")),
        source="cfgutil",
        measured_at=datetime.now(UTC),
    )


def read_ipad(
    *,
    via: Literal["libimobiledevice", "cfgutil"] = "libimobiledevice",
    udid: str | None = None,
    ecid: str | None = None,
    runner: Runner | None = None,
    timeout_s: float = 15.0,
    executable: str | None = None,
) -> IpadFacts:
    """Facts of one iPad. ``runner`` defaults to a local subprocess; use
    :func:`devices.ipad.runner.ssh_runner` to reach cfgutil on a Mac.
    ``executable`` overrides the cfgutil path (e.g. ``/usr/local/bin/cfgutil``)."""
    runner = runner if runner is not None else local_runner()
    if via == "libimobiledevice":
        if not udid:
            raise ValueError("via='libimobiledevice' needs udid=")
        return read_ipad_libimobiledevice(udid, runner=runner, timeout_s=timeout_s)
    if via == "cfgutil":
        return read_ipad_cfgutil(ecid, runner=runner, timeout_s=timeout_s, cfgutil=executable or "cfgutil")
    raise ValueError(f"unknown via {via!r}; supported: libimobiledevice, cfgutil")
