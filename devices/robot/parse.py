"""Pure parsers for robot battery readings (BLE characteristic, BlueZ, UPower, REPL)."""

from __future__ import annotations

import re

from devices.errors import BadAnswer
from devices.robot.facts import BluezDeviceInfo

BATTERY_SERVICE_UUID = "0000180f-0000-1000-8000-00805f9b34fb"
BATTERY_LEVEL_UUID = "00002a19-0000-1000-8000-00805f9b34fb"

_MAC = r"[0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2}){5}"


def _check_pct(value: float, what: str) -> int:
    if not 0 <= value <= 100:
        raise BadAnswer(f"{what}: {value} is not a percentage")
    return int(round(value))


def parse_battery_level(value: bytes | bytearray) -> int:
    """GATT Battery Level (0x2A19): one unsigned byte, 0-100 percent."""
    if not isinstance(value, (bytes, bytearray)) or len(value) != 1:
        raise BadAnswer("Battery Level characteristic must be exactly one byte")
    return _check_pct(value[0], "Battery Level")


def parse_bluetoothctl_info(text: str) -> BluezDeviceInfo:
    """``bluetoothctl info <address>``; the battery line needs BlueZ's Battery1 interface.

    Device 4C:B9:9B:E3:1A:C4 (public)
    \tName: Wireless Controller
    \tConnected: yes
    \tBattery Percentage: 0x64 (100)
    """
    if not isinstance(text, str):
        raise BadAnswer("bluetoothctl output is not text")
    text = text.replace("\r", "")
    if re.search(rf"Device\s+{_MAC}\s+not available", text, re.IGNORECASE):
        address = re.search(_MAC, text)
        return BluezDeviceInfo(
            available=False,
            address=address.group(0).upper() if address else None,
            name=None,
            connected=None,
            battery_pct=None,
        )
    fields: dict[str, str] = {}
    for line in text.split("\n"):
        match = re.match(r"^\s*([A-Za-z][A-Za-z0-9 ]*?)\s*:\s*(.*?)\s*$", line)
        if match:
            fields.setdefault(match.group(1).lower(), match.group(2))
    header = re.search(rf"^\s*Device\s+({_MAC})", text, re.IGNORECASE | re.MULTILINE)
    battery = None
    if "battery percentage" in fields:
        raw = fields["battery percentage"]
        match = re.fullmatch(r"(?:0x([0-9A-Fa-f]{1,2}))?\s*(?:\((\d{1,3})\))?", raw)
        if not match or not (match.group(1) or match.group(2)):
            raise BadAnswer("unreadable 'Battery Percentage' line")
        value = int(match.group(2)) if match.group(2) else int(match.group(1), 16)
        battery = _check_pct(value, "Battery Percentage")
    if header is None and battery is None and not ({"name", "paired", "connected"} & set(fields)):
        raise BadAnswer("not a bluetoothctl info listing")
    connected = fields.get("connected", "").lower()
    return BluezDeviceInfo(
        available=True,
        address=header.group(1).upper() if header else None,
        name=fields.get("name") or None,
        connected={"yes": True, "no": False}.get(connected),
        battery_pct=battery,
    )


def parse_upower(text: str) -> int | None:
    """``upower -i <device>``: the ``percentage: 100%`` line; None when the device has none.

    UPower marks estimated values ``(should be ignored)``: those count as not measured.
    """
    if not isinstance(text, str):
        raise BadAnswer("upower output is not text")
    if not re.search(
        r"^\s*(native-path|model|percentage|power supply|updated)\s*:", text, re.IGNORECASE | re.MULTILINE
    ):
        raise BadAnswer("not an upower -i listing")
    match = re.search(
        r"^\s*percentage:\s*([0-9]+(?:[.,][0-9]+)?)\s*%[ \t]*(\(should be ignored\))?[ \t\r]*$",
        text,
        re.IGNORECASE | re.MULTILINE,
    )
    if match is None or match.group(2):
        return None
    return _check_pct(float(match.group(1).replace(",", ".")), "upower percentage")


def parse_busctl_battery1(text: str) -> int | None:
    """``busctl introspect org.bluez <device path>``: ``.Percentage property y 100``."""
    if not isinstance(text, str):
        raise BadAnswer("busctl output is not text")
    if "org.bluez" not in text.lower():
        raise BadAnswer("not a busctl introspection of a BlueZ object")
    match = re.search(r"^\s*\.Percentage\s+property\s+y\s+(\d+)", text, re.MULTILINE | re.IGNORECASE)
    return _check_pct(int(match.group(1)), "Battery1.Percentage") if match else None


def parse_thymio_vbat(words: object) -> float:
    """Thymio II ``_vbat`` (two ADC words) -> battery volts.

    The firmware's own battery gauge (aseba-target-thymio2 ``behavior.c``,
    ``behavior_battery``) computes centivolts as ``(vbat[0] + vbat[1]) * 1000 / 3978`` and
    lights 3/2/1 LEDs above 3.90/3.60/3.40 V; no percentage mapping is documented.
    A Thymio's Li-ion cell reads 3-4.2 V (more on USB power); beyond 0-6 V is not a reading.
    """
    if (
        not isinstance(words, (list, tuple))
        or len(words) != 2
        or not all(isinstance(w, int) and not isinstance(w, bool) and 0 <= w <= 0xFFFF for w in words)
    ):
        raise BadAnswer("_vbat must be two unsigned 16-bit words")
    volts = round(float(words[0] + words[1]) * 10 / 3978, 2)
    if not 0 < volts <= 6:
        raise BadAnswer(f"_vbat={words[0]},{words[1]} gives {volts} V: not a Thymio battery")
    return volts


_TRACEBACK = re.compile(r"Traceback \(most recent call last\)|(?:Attribute|Import|Name)Error")


def parse_repl_battery(text: str, marker: str = "BAT=") -> int | None:
    """The answer of a hub's REPL to ``print('BAT=%d' % <expression>)``.

    Returns the percentage, or None when the firmware raised (API absent on this
    firmware: ``AttributeError``/``ImportError``). The echoed command holds ``BAT=%d``,
    never ``BAT=<digits>``, so it cannot be mistaken for the answer.
    """
    if not isinstance(text, str):
        raise BadAnswer("REPL answer is not text")
    match = re.search(re.escape(marker) + r"(-?\d+(?:\.\d+)?)", text)
    if match:
        return _check_pct(float(match.group(1)), "hub battery")
    if _TRACEBACK.search(text):
        return None
    raise BadAnswer("no battery value and no error in the REPL answer")
