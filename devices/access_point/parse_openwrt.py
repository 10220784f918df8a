"""Pure parsers for OpenWrt answers: ``uci show wireless``, ``ubus``, ``iwinfo``.

``uci show wireless`` prints one line per section and option, values single-quoted with
``'\\''`` for an embedded quote, lists as several quoted words::

    wireless.radio0=wifi-device
    wireless.radio0.band='2g'
    wireless.default_radio0=wifi-iface          (or wireless.@wifi-iface[0]=wifi-iface,
    wireless.default_radio0.ssid='EXAMEN'        or wireless.cfg033579=wifi-iface with -X)
    wireless.default_radio0.encryption='psk2+ccmp'
"""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass, field

from devices.errors import BadAnswer

# OpenWrt ``encryption`` (before any "+cipher" suffix) -> plateau security name.
SECURITY_BY_ENCRYPTION = {
    "none": "open",
    "owe": "owe",
    "psk": "wpa-psk",
    "psk2": "wpa2-psk",
    "psk-mixed": "wpa-wpa2-psk",
    "sae": "wpa3-sae",
    "sae-mixed": "wpa2-wpa3",
    "wpa": "wpa-eap",
    "wpa2": "wpa2-eap",
    "wpa3": "wpa3-eap",
    "wpa-mixed": "wpa-wpa2-eap",
    "wep": "wep",
    "wep-open": "wep",
    "wep-shared": "wep",
}
ENCRYPTION_BY_SECURITY = {"open": "none", "wpa2-psk": "psk2", "wpa3-sae": "sae", "wpa2-wpa3": "sae-mixed"}

_SECTION = re.compile(r"^wireless\.(?P<name>@[\w-]+\[\d+\]|[\w-]+)=(?P<type>[\w-]+)$")
_OPTION = re.compile(r"^wireless\.(?P<name>@[\w-]+\[\d+\]|[\w-]+)\.(?P<option>[\w-]+)=(?P<value>.*)$")
_MAC_LINE = re.compile(r"^(?:[0-9A-Fa-f]{2}:){5}[0-9A-Fa-f]{2}\b")


@dataclass(frozen=True, slots=True, kw_only=True)
class UciSection:
    name: str  # "radio0", "default_radio0", "@wifi-iface[0]", "cfg033579"
    type: str  # "wifi-device", "wifi-iface"
    options: dict[str, str] = field(repr=False)  # repr=False: holds the Wi-Fi key


@dataclass(frozen=True, slots=True, kw_only=True)
class OpenWrtWireless:
    """The wifi-iface we manage and its radio. ``key`` never appears in repr."""

    iface_section: str  # uci name to use in ``uci set wireless.<name>.ssid=...``
    radio_section: str | None
    ssid: str | None
    encryption: str | None  # raw, e.g. "psk2+ccmp"; None = option absent (OpenWrt: none)
    key: str | None = field(repr=False)
    radio_disabled: bool
    iface_disabled: bool
    band: str | None  # "2.4ghz" | "5ghz" | "6ghz" | "60ghz"
    channel: str | None  # "36" | "auto"
    ifname: str | None


def _uci_value(raw: str) -> str:
    raw = raw.strip()
    try:
        words = shlex.split(raw)
    except ValueError:
        raise BadAnswer("uci value with unbalanced quotes") from None
    return " ".join(words)


def _uci_true(value: str | None) -> bool:
    """A uci boolean as netifd reads ``disabled`` (libuci's uci_blob: ``1`` or ``true``)."""
    return (value or "").strip().lower() in ("1", "true")


def parse_uci_show(text: str) -> list[UciSection]:
    """``uci show wireless`` -> sections in file order (order defines ``@type[N]``)."""
    sections: dict[str, tuple[str, dict[str, str]]] = {}
    for raw_line in text.splitlines():
        line = raw_line.strip()
        if match := _SECTION.match(line):
            sections.setdefault(match["name"], (match["type"], {}))
        elif match := _OPTION.match(line):
            if match["name"] not in sections:
                raise BadAnswer(f"uci option before its section {match['name'][:40]!r}")
            sections[match["name"]][1][match["option"]] = _uci_value(match["value"])
    if not sections:
        raise BadAnswer("no wireless configuration in uci output")
    return [UciSection(name=name, type=type_, options=opts) for name, (type_, opts) in sections.items()]


def _band(radio: dict[str, str]) -> str | None:
    band = radio.get("band", "").lower()
    if band in ("2g", "5g", "6g", "60g"):
        return {"2g": "2.4ghz", "5g": "5ghz", "6g": "6ghz", "60g": "60ghz"}[band]
    hwmode = radio.get("hwmode", "").lower()  # before OpenWrt 21.02
    if hwmode in ("11b", "11g", "11ng"):
        return "2.4ghz"
    if hwmode in ("11a", "11na", "11ac"):
        return "5ghz"
    return None


def parse_openwrt_wireless(text: str, iface_index: int = 0) -> OpenWrtWireless:
    """Pick the ``iface_index``-th wifi-iface of ``uci show wireless`` and its radio."""
    sections = parse_uci_show(text)
    ifaces = [s for s in sections if s.type == "wifi-iface"]
    if len(ifaces) <= iface_index:
        raise BadAnswer(f"no wifi-iface number {iface_index} in uci output ({len(ifaces)} found)")
    iface = ifaces[iface_index]
    device = iface.options.get("device")
    radios = [s for s in sections if s.type == "wifi-device"]
    radio = next((s for s in radios if s.name == device), radios[0] if len(radios) == 1 else None)
    radio_opts = radio.options if radio else {}
    return OpenWrtWireless(
        iface_section=iface.name,
        radio_section=radio.name if radio else None,
        ssid=iface.options.get("ssid"),
        encryption=iface.options.get("encryption"),
        key=iface.options.get("key"),
        radio_disabled=_uci_true(radio_opts.get("disabled")),
        iface_disabled=_uci_true(iface.options.get("disabled")),
        band=_band(radio_opts),
        channel=radio_opts.get("channel", "").lower() or None,
        ifname=iface.options.get("ifname"),
    )


def openwrt_security(encryption: str | None) -> str:
    """``psk2+ccmp`` -> ``wpa2-psk``; absent -> ``open`` (OpenWrt's default).

    Unknown values come back as ``unknown:<value>``, so they can never pass for a known name.
    """
    if encryption is None:
        return "open"
    base = encryption.strip().lower().split("+", 1)[0]
    return SECURITY_BY_ENCRYPTION.get(base, f"unknown:{base}")


def parse_ubus_list(text: str) -> list[str]:
    """``ubus list 'hostapd.*'`` -> ["hostapd.phy0-ap0", ...] (empty when the radio is down)."""
    if "not found" in text.lower():
        raise BadAnswer("ubus is not available")
    names = [line.strip() for line in text.splitlines() if line.strip()]
    if any(not re.fullmatch(r"hostapd\.[\w.-]+", name) for name in names):
        raise BadAnswer("unexpected ubus list output")
    return names


def parse_hostapd_clients(text: str) -> int:
    """``ubus call hostapd.<if> get_clients`` -> number of entries in ``clients``."""
    start = text.find("{")
    try:
        data = json.loads(text[start:]) if start >= 0 else None
    except (ValueError, RecursionError):
        data = None
    if not isinstance(data, dict) or not isinstance(data.get("clients"), dict):
        raise BadAnswer("hostapd get_clients did not return a clients object")
    return len(data["clients"])


def parse_iwinfo_assoclist(text: str) -> int:
    """``iwinfo <if> assoclist``: one block per station starting with its MAC address."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if len(lines) == 1 and lines[0].lower() == "no station connected":
        return 0
    count = sum(1 for line in lines if _MAC_LINE.match(line))
    if count == 0:
        raise BadAnswer("iwinfo assoclist output has no station line")
    return count
