"""Facts a printer driver returns, and the make/model splitting shared with the scanner family."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class PrinterState(StrEnum):
    """IPP printer-state (RFC 8011 §5.4.11); SNMP hrPrinterStatus mapped onto it."""

    IDLE = "idle"
    PROCESSING = "processing"
    STOPPED = "stopped"


@dataclass(frozen=True, slots=True, kw_only=True)
class Supply:
    """One consumable (IPP marker-* index, or one prtMarkerSuppliesTable row).

    ``level_pct`` is None when the device gives no percentage; ``raw_level`` keeps what it
    said (IPP marker-levels / Printer-MIB prtMarkerSuppliesLevel: -1 other, -2 unknown,
    -3 "some remaining"). For a receptacle (waste toner) the level is the space left, so a
    low value is bad for every supply.
    """

    name: str
    colour: str | None  # "black", "cyan"... or the raw value ("#112233"), None if not said
    kind: str | None  # IPP marker-types keyword: "toner", "ink-cartridge", "waste-toner"...
    level_pct: int | None
    raw_level: int | None
    max_capacity: int | None  # SNMP prtMarkerSuppliesMaxCapacity; None for IPP
    low_level_pct: int | None  # IPP marker-low-levels: the device's own "low" threshold

    @property
    def some_remaining(self) -> bool:
        """True when the device only says "some remaining" (level -3)."""
        return self.raw_level == -3


@dataclass(frozen=True, slots=True, kw_only=True)
class PrinterStatus:
    """What one IPP or SNMP query says about a printer."""

    source: str  # "ipp" or "snmp"
    host: str | None  # the address we queried
    state: PrinterState | None  # None: not reported
    reasons: tuple[str, ...]  # IPP printer-state-reasons keywords, "none" removed
    state_message: str | None
    supplies: tuple[Supply, ...]
    make_and_model: str | None
    make: str | None
    model: str | None
    uris: tuple[str, ...]  # printer-uri-supported
    name: str | None
    info: str | None
    location: str | None
    firmware: str | None
    measured_at: datetime

    @property
    def uri(self) -> str | None:
        """The first ipp:// URI the printer advertises (else the first of any scheme)."""
        plain = [u for u in self.uris if u.lower().startswith("ipp://")]
        return next(iter(plain or self.uris), None)


# --------------------------------------------------------------------------- make / model

_MAKES = (
    "Konica Minolta",
    "Fuji Xerox",
    "FUJIFILM Business Innovation",
    "TA Triumph-Adler",
    "Hewlett-Packard",
    "EPSON",
    "HP",
    "Canon",
    "Brother",
    "Kyocera",
    "Xerox",
    "Sharp",
    "Ricoh",
    "Lexmark",
    "Samsung",
    "OKI",
    "OKIDATA",
    "Toshiba",
    "Dell",
    "Pantum",
    "Sindoh",
    "Develop",
    "Olivetti",
    "UTAX",
    "FUJIFILM",
    "Panasonic",
    "Zebra",
    "DYMO",
    "Muratec",
    "Lanier",
    "Savin",
    "Gestetner",
    "Plustek",
    "Fujitsu",
    "Avision",
    "Visioneer",
    "Ambir",
    "Acme",
)
# Model families printed without the maker's name ("ECOSYS M2540dn").
_FAMILIES: tuple[tuple[str, str], ...] = (
    (r"ecosys|taskalfa", "Kyocera"),
    (r"(color )?laserjet|deskjet|officejet|envy|pagewide|smart tank|neverstop|photosmart", "HP"),
    (r"pixma|imagerunner|imageclass|i-sensys|maxify|selphy|imageformula", "Canon"),
    (r"workcentre|altalink|versalink|phaser|primelink|colorqube|docucentre", "Xerox"),
    (r"bizhub|magicolor", "Konica Minolta"),
    (r"workforce|ecotank|expression|surecolor", "EPSON"),
    (r"(mfc|dcp|hl|ads)-", "Brother"),
    (r"aficio|im c|mp c", "Ricoh"),
)
_NOT_A_MAKE = {
    "color",
    "colour",
    "laser",
    "printer",
    "mfp",
    "multifunction",
    "network",
    "generic",
    "ipp",
    "everywhere",
    "the",
}


def parse_device_id(device_id: str) -> dict[str, str]:
    """IEEE 1284 device ID ("MFG:EPSON;MDL:XP-6000 Series;...") as an upper-case-key dict."""
    fields: dict[str, str] = {}
    for part in device_id.split(";"):
        key, sep, value = part.partition(":")
        if sep and key.strip():
            fields.setdefault(key.strip().upper(), value.strip())
    return fields


def split_make_and_model(make_and_model: str | None) -> tuple[str | None, str | None]:
    """Split "EPSON XP-6000 Series" into ("EPSON", "XP-6000 Series").

    A string without its maker ("ECOSYS M2540dn") gets the maker of the known model
    family and stays whole as the model; an unknown single word keeps make None.
    """
    text = " ".join((make_and_model or "").split())
    if not text:
        return None, None
    lowered = text.lower()
    for make in _MAKES:
        if lowered == make.lower():
            return text, None
        if lowered.startswith(make.lower() + " "):
            return text[: len(make)], text[len(make) + 1 :].strip() or None
    for pattern, make in _FAMILIES:
        if re.match(pattern, lowered):
            return make, text
    first, _, rest = text.partition(" ")
    if rest and first.isalpha() and first.lower() not in _NOT_A_MAKE:
        return first, rest
    return None, text


def colour_name(value: str | None) -> str | None:
    """IPP marker-colors value ("#00FFFF") or a supply description -> "cyan"; raw if unknown."""
    if value is None:
        return None
    text = value.strip().lower()
    if not text or text == "none":
        return None
    hex_names = {
        "#000000": "black",
        "#00ffff": "cyan",
        "#ff00ff": "magenta",
        "#ffff00": "yellow",
        "#ffffff": "white",
        "#ff0000": "red",
        "#00ff00": "green",
        "#0000ff": "blue",
        "#808080": "grey",
    }
    if text in hex_names:
        return hex_names[text]
    words = set(re.findall(r"[a-z]+", text))
    for name in ("black", "cyan", "magenta", "yellow", "red", "green", "blue", "white"):
        if name in words:
            return name
    if "grey" in words or "gray" in words:
        return "grey"
    return value.strip() if text.startswith("#") else None
