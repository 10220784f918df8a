"""Pure parsers: text printed by Android shell commands -> typed facts.

Every parser accepts CRLF, stray whitespace and key case variants, and raises
:class:`devices.errors.BadAnswer` (never anything else) when the text is not what the command prints.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from devices.android.facts import (
    AccessibilityFacts,
    BatteryFacts,
    BatteryHealth,
    BatteryStatus,
    WifiFacts,
)
from devices.errors import BadAnswer

_STATUS = {
    1: BatteryStatus.UNKNOWN,
    2: BatteryStatus.CHARGING,
    3: BatteryStatus.DISCHARGING,
    4: BatteryStatus.NOT_CHARGING,
    5: BatteryStatus.FULL,
}
_HEALTH = {
    1: BatteryHealth.UNKNOWN,
    2: BatteryHealth.GOOD,
    3: BatteryHealth.OVERHEAT,
    4: BatteryHealth.DEAD,
    5: BatteryHealth.OVER_VOLTAGE,
    6: BatteryHealth.UNSPECIFIED_FAILURE,
    7: BatteryHealth.COLD,
}
_POWER_KEYS = {"ac powered": "ac", "usb powered": "usb", "wireless powered": "wireless", "dock powered": "dock"}
_BATTERY_KEYS = {"level", "scale", "status", "health", "present", "temperature", "voltage", *_POWER_KEYS}
# Signs that the shell printed an error instead of the command's output.
_ERROR_PREFIXES = (
    "error",
    "exception",
    "java.",
    "/system/bin/sh:",
    "sh:",
    "cmd:",
    "invalid command",
    "unknown command",
    "security exception",
    "usage:",
)
_ERROR_MARKERS = ("can't find service", "inaccessible or not found", "permission denial", "is the system running")


def _now(measured_at: datetime | None) -> datetime:
    return measured_at if measured_at is not None else datetime.now(UTC)


def _lines(text: str) -> list[str]:
    if not isinstance(text, str):
        raise BadAnswer(f"expected text, got {type(text).__name__}")
    return [line.strip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]


def _int(value: str | None) -> int | None:
    if value is None:
        return None
    match = re.fullmatch(r"[+-]?\d+", value.strip())
    return int(match.group()) if match and len(match.group()) < 19 else None


def _bool(value: str | None) -> bool | None:
    if value is None:
        return None
    value = value.strip().lower()
    return {"true": True, "1": True, "false": False, "0": False}.get(value)


def _looks_like_error(text: str) -> bool:
    head = text.strip().lower()[:200]
    return head.startswith(_ERROR_PREFIXES) or any(marker in head for marker in _ERROR_MARKERS)


def parse_battery(text: str, *, measured_at: datetime | None = None) -> BatteryFacts:
    """``dumpsys battery``: ``key: value`` lines (AOSP keys; OEM extras such as Samsung's are ignored).

    The first occurrence of a key wins (Samsung prints ``charge counter`` twice); ``Charging state``
    (Android 14) is a different key from ``status``.
    """
    values: dict[str, str] = {}
    for line in _lines(text):
        key, sep, value = line.partition(":")
        key = " ".join(key.split()).lower()
        if sep and key in _BATTERY_KEYS and key not in values:
            values[key] = value.strip()
    if not values or ("level" not in values and "status" not in values):
        raise BadAnswer("not a 'dumpsys battery' output (no level nor status line)")
    level, scale = _int(values.get("level")), _int(values.get("scale"))
    level_pct: float | None = None
    if level is not None:
        scale = scale if scale and scale > 0 else 100
        if not 0 <= level <= scale:
            raise BadAnswer(f"battery level {level} outside 0..{scale}")
        level_pct = round(level * 100 / scale, 1)
    status = _STATUS.get(_int(values.get("status")) or 0) if "status" in values else None
    if status is None and "status" in values:
        word = values["status"].strip().lower().replace(" ", "_")
        status = next((s for s in BatteryStatus if s.value == word), None)
    health = _HEALTH.get(_int(values.get("health")) or 0) if "health" in values else None
    if health is None and "health" in values:
        word = values["health"].strip().lower().replace(" ", "_")
        health = next((h for h in BatteryHealth if h.value == word), None)
    plugged: frozenset[str] | None = None
    power = {source: _bool(values.get(key)) for key, source in _POWER_KEYS.items() if key in values}
    if power:
        plugged = frozenset(source for source, on in power.items() if on)
    temperature = _int(values.get("temperature"))
    temperature_c = temperature / 10 if temperature is not None and -400 < temperature < 1500 else None
    return BatteryFacts(
        level_pct=level_pct,
        charging=None if status is None or status is BatteryStatus.UNKNOWN else status is BatteryStatus.CHARGING,
        plugged=plugged,
        status=status,
        temperature_c=temperature_c,
        health=health,
        voltage_mv=_int(values.get("voltage")),
        present=_bool(values.get("present")),
        measured_at=_now(measured_at),
    )


def parse_packages(text: str) -> frozenset[str]:
    """``pm list packages`` (also ``-f``: ``package:/data/app/.../base.apk=com.x``) -> package names."""
    names = set()
    for line in _lines(text):
        if line.lower().startswith("package:"):
            name = line[len("package:") :].strip()
            if "=" in name:  # -f form: path=name (the path may itself contain '=')
                name = name.rsplit("=", 1)[1]
            name = name.split()[0] if name.split() else ""
            if re.fullmatch(r"[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*", name):
                names.add(name)
    if not names:
        raise BadAnswer("not a 'pm list packages' output (no package: line)")
    return frozenset(names)


_ACCOUNT = re.compile(
    r"account\s*\{\s*name=(?P<name>[^,{}]*?)\s*,(?:\s*user=\d+\s*,)?\s*type=(?P<type>[^,{}\s]+)", re.IGNORECASE
)


def parse_accounts(text: str) -> tuple[tuple[str, str], ...]:
    """``dumpsys account`` -> ((name, type), ...) from ``Account {name=..., type=...}`` lines, deduplicated.

    An empty list is only trusted when the dump says ``Accounts: 0``; anything else is BadAnswer.
    """
    lines = _lines(text)
    found: dict[tuple[str, str], None] = {}
    for line in lines:
        for match in _ACCOUNT.finditer(line):
            found.setdefault((match.group("name"), match.group("type")), None)
    if not found and not any(re.match(r"accounts:\s*\d+\s*$", line, re.IGNORECASE) for line in lines):
        raise BadAnswer("not a 'dumpsys account' output (no 'Accounts: N' line)")
    return tuple(found)


def google_accounts(accounts: tuple[tuple[str, str], ...]) -> tuple[str, ...]:
    """Names of the accounts of type ``com.google``."""
    return tuple(name for name, kind in accounts if kind.lower() == "com.google")


_WIFI_INFO = re.compile(r'm?wifiinfo:?\s+ssid:\s*(".*"(?=\s*,\s*bssid)|".*?"|[^,]*)', re.IGNORECASE)
_NETWORK_INFO = re.compile(
    r'mnetworkinfo\s*\[type:\s*wifi.*?state:\s*(\w+)(?:/\w+)?.*?extra:\s*("[^"]*"|[^,]*)', re.IGNORECASE
)
_UNKNOWN_SSIDS = {"<unknown ssid>", "<unknown>", "", "0x", "<none>"}


def _ssid(raw: str) -> str | None:
    raw = raw.strip()
    if len(raw) >= 2 and raw[0] == raw[-1] == '"':
        raw = raw[1:-1]
    return None if raw.lower() in _UNKNOWN_SSIDS else raw


def parse_wifi(text: str, *, measured_at: datetime | None = None) -> WifiFacts:
    """``cmd wifi status`` (Android 11+) or ``dumpsys wifi`` -> current Wi-Fi state.

    Sources, most reliable first: ``Wifi is connected to "X"`` / ``Wifi is not connected``, then the
    current-connection line ``WifiInfo: SSID: "X", ...`` (cmd) or ``mWifiInfo SSID: X, ...`` (dumpsys),
    whose ``Supplicant state`` tells if it is associated. Saved and scanned networks are ignored.
    """
    enabled = connected = None  # from the explicit "Wifi is ..." lines (authoritative)
    ssid: str | None = None
    info: tuple[bool, str | None] | None = None  # (associated, ssid) from the first associated WifiInfo line
    for line in _lines(text):
        low = line.lower()
        if re.match(r"wi-?fi is (enabled|disabled)\b", low):
            enabled = low.startswith("enabled", low.index(" is ") + 4)
        elif match := re.match(r'wi-?fi is connected to (".*"|\S.*)$', line, re.IGNORECASE):
            connected, ssid = True, _ssid(match.group(1))
        elif re.match(r"wi-?fi is (not connected|disconnected)\b", low):
            connected = False
        elif match := _WIFI_INFO.match(line):
            state = re.search(r"supplicant state:\s*(\w+)", line, re.IGNORECASE)
            line_ssid = _ssid(match.group(1))
            associated = (state.group(1).upper() == "COMPLETED") if state else line_ssid is not None
            if info is None or (associated and not info[0]):
                info = (associated, line_ssid)
        elif (match := _NETWORK_INFO.search(line)) and info is None:
            info = (match.group(1).upper() == "CONNECTED", _ssid(match.group(2) or ""))
    if enabled is None and connected is None and info is None:
        raise BadAnswer("not a 'cmd wifi status' / 'dumpsys wifi' output")
    if connected is None and info is not None:
        connected = info[0] and enabled is not False
    if connected and ssid is None and info is not None and info[0]:
        ssid = info[1]
    if enabled is False:
        connected = False
    elif connected and enabled is None:
        enabled = True
    return WifiFacts(
        enabled=enabled, connected=connected, ssid=ssid if connected else None, measured_at=_now(measured_at)
    )


def parse_getprop(text: str) -> str | None:
    """``getprop <name>`` -> the value, ``None`` when the property is unset (empty line)."""
    lines = [line for line in _lines(text) if line]
    if not lines:
        return None
    if len(lines) > 1 or _looks_like_error(lines[0]) or not lines[0].isprintable():
        raise BadAnswer("not a single-property 'getprop' output")
    return lines[0]


def parse_setting(text: str) -> str | None:
    """``settings get <ns> <key>`` -> the raw value, ``None`` for ``null`` (unset)."""
    lines = [line for line in _lines(text) if line]
    if not lines or lines[0] == "null":
        return None
    if len(lines) > 1 or _looks_like_error(lines[0]) or not lines[0].isprintable():
        raise BadAnswer("not a 'settings get' output")
    return lines[0]


def parse_screen_off_timeout_s(value: str | None) -> float | None:
    """``screen_off_timeout`` (milliseconds) -> seconds."""
    if value is None:
        return None
    ms = _int(value)
    if ms is None or ms < 0:
        raise BadAnswer("screen_off_timeout is not a number of milliseconds")
    return ms / 1000


def parse_flag(value: str | None) -> bool | None:
    """A ``0`` / ``1`` secure setting -> bool (``None`` when unset)."""
    if value is None:
        return None
    flag = _bool(value)
    if flag is None:
        raise BadAnswer("expected 0 or 1")
    return flag


def parse_services(value: str | None) -> frozenset[str]:
    """``enabled_accessibility_services``: ``pkg/cls:pkg/cls`` -> components."""
    if value is None:
        return frozenset()
    services = frozenset(part.strip() for part in value.split(":") if part.strip())
    if any("/" not in service for service in services):
        raise BadAnswer("enabled_accessibility_services is not a list of pkg/class components")
    return services


def accessibility_facts(
    magnification: str | None, high_contrast: str | None, services: str | None, *, measured_at: datetime | None = None
) -> AccessibilityFacts:
    """Combine the three ``settings get secure`` values (already through :func:`parse_setting`)."""
    return AccessibilityFacts(
        magnification_enabled=parse_flag(magnification),
        high_contrast_text_enabled=parse_flag(high_contrast),
        enabled_services=parse_services(services),
        measured_at=_now(measured_at),
    )


def parse_pm_install(text: str) -> tuple[bool, str | None]:
    """``pm install`` -> (success, failure code). ``Success`` or ``Failure [CODE: detail]``."""
    for line in _lines(text):
        if line == "Success":
            return True, None
        if match := re.search(r"Failure\s*\[([A-Z0-9_]+)", line):
            return False, match.group(1)
    raise BadAnswer("'pm install' printed neither Success nor Failure [...]")
