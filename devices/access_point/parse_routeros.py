"""Pure parsers for MikroTik RouterOS ``print`` output (legacy ``wireless`` package).

``print terse`` gives one line per item; ``print detail`` wraps items over indented
lines and quotes strings; both start with the item number and flags::

    Flags: X - disabled, R - running
     0  R ;;; exam room
          name="wlan1" mtu=1500 interface-type=Atheros AR9300 mode=ap-bridge ssid="EXAMEN"
          band=2ghz-b/g/n ... security-profile=default

Unquoted values may hold spaces (``interface-type=Atheros AR9300``): a value runs up to
the next `` key=``. ``print count-only`` prints a bare number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from devices.errors import BadAnswer

_ITEM_START = re.compile(r"^\s*(?P<index>\d+)\s+(?P<flags>(?:[A-Z*]\s+)*)(?P<body>[A-Za-z][\w/.-]*=.*|;;;.*)$")
_PAIR = re.compile(
    r"(?:^|(?<=\s))(?P<key>[A-Za-z][\w/.-]*)="
    r'(?P<value>"(?:[^"\\]|\\.)*"|(?:(?!\s+[A-Za-z][\w/.-]*=).)*)'
)


@dataclass(frozen=True, slots=True, kw_only=True)
class RouterOsItem:
    index: int
    flags: frozenset[str]  # "X" disabled, "R" running, "*" default
    fields: dict[str, str] = field(repr=False)  # repr=False: security profiles hold keys


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return re.sub(r"\\(.)", r"\1", value[1:-1])
    return value


def parse_print(text: str) -> list[RouterOsItem]:
    """``print terse`` / ``print detail`` -> items (empty output -> [])."""
    items: list[tuple[int, frozenset[str], list[str]]] = []
    for raw_line in text.splitlines():
        line = raw_line.rstrip()
        stripped = line.strip()
        if not stripped or stripped.lower().startswith("flags:") or stripped.startswith(";;;"):
            continue
        if match := _ITEM_START.match(line):
            body = "" if match["body"].startswith(";;;") else match["body"]  # ";;; comment" line
            items.append((int(match["index"]), frozenset(match["flags"].split()), [body]))
        elif items and line[:1] in (" ", "\t") and "=" in line:
            items[-1][2].append(stripped)  # continuation of a ``print detail`` item
        elif items or "=" in stripped:
            raise BadAnswer("unexpected line in RouterOS print output")
        else:
            raise BadAnswer("RouterOS answered an error or something else than print output")
    parsed = []
    for index, flags, parts in items:
        body = " ".join(parts)
        fields = {m["key"].lower(): _unquote(m["value"]) for m in _PAIR.finditer(body)}
        parsed.append(RouterOsItem(index=index, flags=flags, fields=fields))
    return parsed


def parse_count_only(text: str) -> int:
    """``print count-only`` -> the number it prints."""
    match = re.fullmatch(r"\s*(\d{1,6})\s*", text)
    if match is None:
        raise BadAnswer("RouterOS count-only output is not a number")
    return int(match[1])


def routeros_security(profile: dict[str, str]) -> str:
    """Security profile fields -> plateau security name (``wpa2-psk``, ``open``...)."""
    mode = profile.get("mode", "").lower()
    if mode == "none":
        return "open"
    if mode.startswith("static-keys"):
        return "wep"
    types = {t.strip() for t in profile.get("authentication-types", "").lower().split(",") if t.strip()}
    if mode != "dynamic-keys" or not types:
        # Prefixed so that a raw value can never pass for a known name ("open", "wpa2-psk").
        return f"unknown:{mode}" if mode else "unknown"
    if types == {"wpa2-psk"}:
        return "wpa2-psk"
    if types == {"wpa-psk"}:
        return "wpa-psk"
    if types == {"wpa-psk", "wpa2-psk"}:
        return "wpa-wpa2-psk"
    if "wpa2-eap" in types:
        return "wpa2-eap"
    if "wpa-eap" in types:
        return "wpa-eap"
    return "unknown:" + ",".join(sorted(types))


def routeros_key(profile: dict[str, str]) -> str | None:
    """The pre-shared key in use (WPA2's when WPA2 is on). Callers compare it, never keep it."""
    types = profile.get("authentication-types", "").lower()
    key = profile.get("wpa2-pre-shared-key") if "wpa2-psk" in types else profile.get("wpa-pre-shared-key")
    return key or None


def routeros_band(band: str | None) -> str | None:
    """``2ghz-b/g/n`` -> ``2.4ghz``; ``5ghz-a/n/ac`` -> ``5ghz``."""
    band = (band or "").lower()
    if band.startswith("2ghz"):
        return "2.4ghz"
    if band.startswith("5ghz"):
        return "5ghz"
    return None


def routeros_channel(frequency: str | None) -> str | None:
    """``frequency=2412`` -> ``1``, ``5180`` -> ``36``, ``auto`` -> ``auto``."""
    frequency = (frequency or "").strip().lower()
    if frequency == "auto":
        return "auto"
    if not frequency.isascii() or not frequency.isdigit():
        return None
    mhz = int(frequency)
    if mhz == 2484:
        return "14"
    if 2412 <= mhz <= 2472:
        return str((mhz - 2407) // 5)
    if 5000 < mhz < 5900:
        return str((mhz - 5000) // 5)
    return None
