"""Pure parsers for libimobiledevice and Apple Configurator (cfgutil) outputs."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from devices.errors import BadAnswer

# "Key: value", and "Key[3]: " for an array header (its items follow, indented)
_KEY_LINE = re.compile(r"^([A-Za-z][A-Za-z0-9_]*)(?:\[\d+\])?:[ \t]?(.*?)\s*$")
_BUNDLE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-]*$")


def parse_ideviceinfo(text: str) -> dict[str, str]:
    """``ideviceinfo [-q domain]``: top-level ``Key: value`` lines.

    Nested dictionaries (``NonVolatileRAM:`` then indented lines) and arrays are skipped:
    their children start with whitespace. Keys are returned lowercased
    (``"batterycurrentcapacity"``) so that a differently-cased tool version still parses.
    """
    if not isinstance(text, str):
        raise BadAnswer("ideviceinfo output is not text")
    values: dict[str, str] = {}
    for line in text.replace("\r", "").split("\n"):
        if not line.strip() or line[0] in " \t":
            continue
        match = _KEY_LINE.match(line)
        if match is None:
            raise BadAnswer("ideviceinfo output has a line that is not 'Key: value'")
        values[match.group(1).lower()] = match.group(2)
    if not values:
        raise BadAnswer("ideviceinfo output is empty")
    return values


def to_bool(value: object) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return {"true": True, "false": False, "yes": True, "no": False, "1": True, "0": False}.get(
            value.strip().lower()
        )
    if isinstance(value, int):
        return bool(value) if value in (0, 1) else None
    return None


def to_pct(value: object) -> int | None:
    """A 0-100 battery level from text or number; None when absent; BadAnswer when absurd."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise BadAnswer("battery level is a boolean")
    try:
        if not isinstance(value, (str, int, float)):
            raise TypeError(type(value).__name__)
        number = float(value.strip()) if isinstance(value, str) else float(value)
    except (TypeError, ValueError) as exc:
        raise BadAnswer(f"battery level {value!r} is not a number") from exc
    if not 0 <= number <= 100:
        raise BadAnswer(f"battery level {number} is not a percentage")
    return int(round(number))


def parse_installer_list(text: str) -> frozenset[str]:
    """Bundle ids from ``ideviceinstaller -l`` in its three known formats.

    legacy (before 1.1.1)::              1.1.x ``-o list_user`` / ``list`` (CSV-like)::

        Total: 2 apps                        CFBundleIdentifier, CFBundleShortVersionString, CFBundleDisplayName
        uk.co.bbc.iplayer - BBC iPlayer 4.10.0.196      org.example.App, "3.0.0", "Example"

    The legacy ``Total: N`` count must match the lines read (a cut output is BadAnswer).
    """
    if not isinstance(text, str):
        raise BadAnswer("ideviceinstaller output is not text")
    lines = [line.strip() for line in text.replace("\r", "").split("\n") if line.strip()]
    lines = [line for line in lines if not line.lower().startswith("browsing applications")]
    if not lines:
        raise BadAnswer("ideviceinstaller printed nothing")
    header = lines[0]
    bundles: set[str] = set()
    total = re.fullmatch(r"total:\s*(\d+)\s*apps?", header, re.IGNORECASE)
    if total:
        for line in lines[1:]:
            bundle, sep, _ = line.partition(" - ")
            if not sep or not _BUNDLE_ID.match(bundle.strip()):
                raise BadAnswer("ideviceinstaller legacy line is not 'bundle-id - Name version'")
            bundles.add(bundle.strip())
        if int(total.group(1)) != len(lines) - 1:
            raise BadAnswer(f"ideviceinstaller announced {total.group(1)} apps, listed {len(lines) - 1}")
        return frozenset(bundles)
    if re.match(r"cfbundleidentifier\s*,", header, re.IGNORECASE):
        for line in lines[1:]:
            bundle = line.split(",", 1)[0].strip()
            if not _BUNDLE_ID.match(bundle):
                raise BadAnswer("ideviceinstaller CSV line does not start with a bundle id")
            bundles.add(bundle)
        return frozenset(bundles)
    raise BadAnswer("ideviceinstaller output has neither a 'Total:' nor a 'CFBundleIdentifier,' header")


def parse_cfgutil_json(text: str, ecid: str | None) -> dict[str, Any]:
    """Properties of one device from ``cfgutil --format JSON get ...``.

    ``{"Command":"get","Output":{"<ECID>":{...}},"Type":"CommandOutput","Devices":[...]}``;
    on failure ``{"Type":"Error","Message":...}``. With ``ecid=None`` the single device
    is used. A device absent from ``Output`` raises LookupError (the driver maps it).
    """
    if not isinstance(text, str):
        raise BadAnswer("cfgutil output is not text")
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise BadAnswer("cfgutil output is not JSON") from exc
    if not isinstance(data, Mapping):
        raise BadAnswer("cfgutil JSON is not an object")
    if data.get("Type") == "Error":
        raise LookupError(str(data.get("Message") or "cfgutil reported an error"))
    output = data.get("Output")
    if data.get("Type") != "CommandOutput" or not isinstance(output, Mapping):
        raise BadAnswer("cfgutil JSON has no CommandOutput")
    devices = {k: v for k, v in output.items() if k != "Errors" and isinstance(v, Mapping)}
    if ecid is None:
        if len(devices) != 1:
            raise LookupError(f"cfgutil sees {len(devices)} devices; pass the ECID")
        return dict(next(iter(devices.values())))
    wanted = ecid.strip().lower()
    for key, props in devices.items():
        if key.strip().lower() == wanted or key.lower().removeprefix("0x") == wanted.removeprefix("0x"):
            return dict(props)
    raise LookupError(f"device {ecid} is not in cfgutil's output")


def bundle_ids_from_cfgutil(value: object) -> frozenset[str]:
    """``installedApps``: a list of app dictionaries (bundleIdentifier) or of strings."""
    if value is None:
        return frozenset()
    if not isinstance(value, list):
        raise BadAnswer("cfgutil installedApps is not a list")
    bundles = set()
    for app in value:
        bundle = app
        if isinstance(app, Mapping):
            bundle = next(
                (app[k] for k in ("bundleIdentifier", "CFBundleIdentifier", "bundleID", "identifier") if k in app), None
            )
        if not isinstance(bundle, str) or not _BUNDLE_ID.match(bundle.strip()):
            raise BadAnswer("cfgutil installedApps entry has no bundle identifier")
        bundles.add(bundle.strip())
    return frozenset(bundles)
