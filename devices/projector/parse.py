"""Pure parsers for PJLink (class 1 and 2) answers.

A PJLink exchange is one ASCII line per direction, terminated by CR::

    projector -> "PJLINK 0\\r"                 greeting, no authentication
    projector -> "PJLINK 1 4d5a7b1c\\r"        greeting, authentication with this random
    client    -> "%1POWR ?\\r"
    projector -> "%1POWR=1\\r"                 or "%1POWR=ERR3\\r"
    projector -> "PJLINK ERRA\\r"              password refused

Real projectors bend the spec, so these parsers accept: lowercase replies (``%1powr=0``,
seen on an openHAB log), "Class 1" instead of "1" for CLSS (Optoma X351), CRLF and stray
whitespace. Anything else raises :class:`devices.errors.BadAnswer`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from devices.errors import AuthenticationFailed, BadAnswer


class Power(StrEnum):
    """``%1POWR ?`` values."""

    OFF = "off"  # 0 standby
    ON = "on"  # 1
    COOLING = "cooling"  # 2
    WARMING = "warming"  # 3


class Severity(StrEnum):
    """One digit of ``%1ERST ?``."""

    OK = "ok"  # 0
    WARNING = "warning"  # 1
    ERROR = "error"  # 2


# Order of the six ERST digits, from the PJLink spec (and the Panasonic manual table).
ERROR_PARTS = ("fan", "lamp", "temperature", "cover", "filter", "other")

# PJLink error codes answered in place of a value.
PJLINK_ERRORS = {
    "ERR1": "undefined command",
    "ERR2": "out of parameter",
    "ERR3": "unavailable time",
    "ERR4": "projector failure",
}

# First character of an INPT code: the kind of input (class 2 adds 6 = internal).
INPUT_KINDS = {
    "1": "rgb",
    "2": "video",
    "3": "digital",
    "4": "storage",
    "5": "network",
    "6": "internal",
}

_POWER = {"0": Power.OFF, "1": Power.ON, "2": Power.COOLING, "3": Power.WARMING}
_SEVERITY = {"0": Severity.OK, "1": Severity.WARNING, "2": Severity.ERROR}
_GREETING = re.compile(r"^PJLINK\s+(?:(?P<auth>[01])(?:\s+(?P<random>[0-9A-Fa-f]{8}))?|(?P<erra>ERRA))$", re.I)
_REPLY = re.compile(r"^%(?P<cls>[12])(?P<cmd>[A-Za-z0-9]{4})\s*=\s?(?P<value>.*)$", re.S)


@dataclass(frozen=True, slots=True, kw_only=True)
class Greeting:
    """What the projector says first. ``random`` is set when authentication is required."""

    auth_required: bool
    random: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class Reply:
    """One parsed answer line. ``error`` is ``"ERR1"``..``"ERR4"`` when the projector refused."""

    command: str  # upper case, e.g. "POWR"
    value: str | None
    error: str | None


def _clean(raw: bytes | str) -> str:
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8", errors="replace")
    return raw.strip().strip("\x00").strip()


def parse_greeting(raw: bytes | str) -> Greeting:
    """Parse ``PJLINK 0`` / ``PJLINK 1 <random>``; ``PJLINK ERRA`` -> AuthenticationFailed."""
    text = _clean(raw)
    match = _GREETING.match(text)
    if match is None:
        raise BadAnswer(f"not a PJLink greeting: {text[:40]!r}")
    if match["erra"]:
        raise AuthenticationFailed("projector refused the PJLink password (ERRA)")
    if match["auth"] == "1":
        if match["random"] is None:
            raise BadAnswer("PJLink greeting asks for authentication but gives no random")
        return Greeting(auth_required=True, random=match["random"])
    return Greeting(auth_required=False, random=None)


def parse_reply(raw: bytes | str, command: str) -> Reply:
    """Parse ``%1CMND=value``; check it answers ``command`` (case-insensitive).

    ``PJLINK ERRA`` (wrong password) raises AuthenticationFailed.
    """
    text = _clean(raw)
    if re.fullmatch(r"PJLINK\s+ERRA", text, re.I):
        raise AuthenticationFailed("projector refused the PJLink password (ERRA)")
    match = _REPLY.match(text)
    if match is None:
        raise BadAnswer(f"not a PJLink reply to {command}: {text[:40]!r}")
    got = match["cmd"].upper()
    if got != command.upper():
        raise BadAnswer(f"PJLink reply to {got} while waiting for {command.upper()}")
    value = match["value"].strip()
    if value.upper() in PJLINK_ERRORS:
        return Reply(command=got, value=None, error=value.upper())
    return Reply(command=got, value=value, error=None)


def parse_power(value: str) -> Power:
    """``%1POWR=<0|1|2|3>``."""
    try:
        return _POWER[value.strip()]
    except KeyError:
        raise BadAnswer(f"unknown PJLink power state {value[:10]!r}") from None


def parse_input(value: str) -> tuple[str, str | None]:
    """``%1INPT=31`` -> ("31", "digital"). Class 2 allows a letter as second character."""
    code = value.strip().upper()
    if not re.fullmatch(r"[1-9][0-9A-Z]", code):
        raise BadAnswer(f"unknown PJLink input {value[:10]!r}")
    return code, INPUT_KINDS.get(code[0])


def parse_lamps(value: str) -> tuple[tuple[int, bool], ...]:
    """``%1LAMP=1234 1 567 0`` -> ((1234, True), (567, False)): pairs of hours and on/off."""
    fields = value.split()
    if not fields or len(fields) % 2 or len(fields) > 16:
        raise BadAnswer(f"PJLink lamp answer is not hour/state pairs: {value[:40]!r}")
    lamps = []
    for hours, state in zip(fields[0::2], fields[1::2], strict=False):
        if not hours.isascii() or not hours.isdigit() or len(hours) > 5 or state not in ("0", "1"):
            raise BadAnswer(f"bad PJLink lamp pair {hours[:6]!r} {state[:3]!r}")
        lamps.append((int(hours), state == "1"))
    return tuple(lamps)


def parse_errors(value: str) -> dict[str, Severity]:
    """``%1ERST=000000``: fan, lamp, temperature, cover, filter, other (0 ok, 1 warning, 2 error)."""
    digits = value.strip()
    if len(digits) != 6 or any(d not in _SEVERITY for d in digits):
        raise BadAnswer(f"PJLink error status is not 6 digits 0-2: {value[:20]!r}")
    return {part: _SEVERITY[d] for part, d in zip(ERROR_PARTS, digits, strict=False)}


def parse_class(value: str) -> int:
    """``%1CLSS=1``; also the Optoma X351's non-standard ``%1CLSS=Class 1``."""
    match = re.fullmatch(r"(?:class\s*)?([1-9])", value.strip(), re.I)
    if match is None:
        raise BadAnswer(f"unknown PJLink class {value[:20]!r}")
    return int(match[1])


def parse_text(value: str) -> str | None:
    """NAME / INF1 / INF2 / INF0 / SNUM / SVER: free text; empty means not set (None)."""
    text = "".join(ch for ch in value if ch.isprintable()).strip()
    return text or None
