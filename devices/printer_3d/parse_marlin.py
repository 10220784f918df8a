"""Pure parsers for Marlin (and Marlin-derived: Prusa-Firmware, MarlinKimbra...) G-code replies.

Each parser takes the text the firmware printed in answer to one command (all lines up to
and including the ``ok`` line; banner/``echo:``/``busy:`` lines may be mixed in and are
ignored). Matching is case-insensitive and tolerates CRLF, extra spaces and the
``Recv:``/``Send:`` prefixes of OctoPrint's terminal log. Anything that is not a reply to
the command raises :class:`devices.errors.BadAnswer`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from devices.errors import BadAnswer
from devices.printer_3d.facts import FilamentSensor

_PREFIX = re.compile(r"^\s*(?:recv|send)\s*:\s*", re.I)
_OK = re.compile(r"^\s*ok\b", re.I)
_ERROR = re.compile(r"^\s*(?:echo\s*:\s*)?error\s*:\s*(?P<msg>.*)$", re.I)
# Errors after which Marlin stops printing: the printer needs a human (and often M999).
_FATAL = re.compile(
    r"halted|kill\(\)|stopped|thermal runaway|mintemp|maxtemp|heating failed|"
    r"temp(?:erature)? (?:sensor )?error",
    re.I,
)


def lines_of(reply: str | bytes) -> list[str]:
    """Split a reply into stripped lines (CR, LF or CRLF), dropping log prefixes and blanks."""
    if isinstance(reply, (bytes, bytearray)):
        reply = bytes(reply).decode("utf-8", errors="replace")
    if not isinstance(reply, str):
        raise BadAnswer(f"unexpected reply type {type(reply).__name__}")
    out = []
    for raw in re.split(r"\r\n|\r|\n", reply):
        line = _PREFIX.sub("", raw).strip().replace("\x00", "")
        if line:
            out.append(line)
    return out


def has_ok(reply: str | bytes) -> bool:
    return any(_OK.match(line) for line in lines_of(reply))


def error_lines(reply: str | bytes) -> tuple[str, ...]:
    """Messages of ``Error:...`` lines (e.g. ``Printer halted. kill() called!``)."""
    found = []
    for line in lines_of(reply):
        match = _ERROR.match(line)
        if match:
            found.append(match.group("msg").strip()[:200] or "error")
    return tuple(found)


def is_fatal(errors: tuple[str, ...]) -> bool:
    return any(_FATAL.search(e) for e in errors)


# --------------------------------------------------------------------------- M115
@dataclass(frozen=True, slots=True)
class FirmwareInfo:
    name: str | None  # FIRMWARE_NAME value, e.g. "Marlin 2.1.2.1 (Jul  2 2023)"
    machine_type: str | None
    extruder_count: int | None
    capabilities: dict[str, bool] = field(default_factory=dict)

    def capability(self, name: str) -> bool | None:
        """``Cap:NAME:0|1`` of M115; None when the firmware does not list it. A name and its aliases
        (:data:`CAPABILITY_ALIASES`) are one capability: ``capability("FILAMENT_RUNOUT")`` reads
        Marlin's real ``Cap:RUNOUT``."""
        names = CAPABILITY_ALIASES.get(name.upper(), (name.upper(),))
        said = [self.capabilities[n] for n in names if n in self.capabilities]
        return said[0] if said else None  # the real Marlin name wins if both are printed


#: Marlin prints the runout sensor capability as ``Cap:RUNOUT:0|1`` (Marlin/src/gcode/host/M115.cpp,
#: ``cap_line(F("RUNOUT"), ENABLED(FILAMENT_RUNOUT_SENSOR))``); ``FILAMENT_RUNOUT`` is the name this
#: module used first: both are read, whichever is asked.
_RUNOUT_NAMES = ("RUNOUT", "FILAMENT_RUNOUT")
CAPABILITY_ALIASES: dict[str, tuple[str, ...]] = {"RUNOUT": _RUNOUT_NAMES, "FILAMENT_RUNOUT": _RUNOUT_NAMES}


_M115_KEY = re.compile(
    r"(?:^|\s)((?i:firmware_name|firmware_url|firmware_version|source_code_url|protocol_version|"
    r"machine_type|extruder_count|uuid)|[A-Z][A-Z0-9_]{2,}):"
)
_ECHO = re.compile(r"^\s*echo\s*:\s*", re.I)
_CAP = re.compile(r"^\s*(?:echo\s*:\s*)?cap\s*:\s*([A-Z0-9_]+)\s*:\s*([01])\b", re.I)


def parse_m115(reply: str | bytes) -> FirmwareInfo:
    """``M115`` -> ``FIRMWARE_NAME:Marlin 2.1.2 ... MACHINE_TYPE:Ender-3 EXTRUDER_COUNT:1 UUID:...``
    followed by ``Cap:NAME:0|1`` lines."""
    info: dict[str, str] = {}
    caps: dict[str, bool] = {}
    for line in lines_of(reply):
        cap = _CAP.match(line)
        if cap:
            caps[cap.group(1).upper()] = cap.group(2) == "1"
            continue
        if "firmware_name" not in line.lower():
            continue
        line = _ECHO.sub("", line)
        keys = list(_M115_KEY.finditer(line))
        for i, key in enumerate(keys):
            end = keys[i + 1].start() if i + 1 < len(keys) else len(line)
            info[key.group(1).upper()] = line[key.end() : end].strip()
    if "FIRMWARE_NAME" not in info and not caps:
        raise BadAnswer("M115: no FIRMWARE_NAME and no Cap: line")
    count = info.get("EXTRUDER_COUNT", "")
    return FirmwareInfo(
        name=info.get("FIRMWARE_NAME") or None,
        machine_type=info.get("MACHINE_TYPE") or None,
        extruder_count=int(count) if re.fullmatch(r"[0-9]{1,3}", count) else None,
        capabilities=caps,
    )


# --------------------------------------------------------------------------- M105
@dataclass(frozen=True, slots=True)
class Temperatures:
    nozzle_c: float | None
    nozzle_target_c: float | None
    bed_c: float | None
    bed_target_c: float | None


_NUM = r"[-+]?[0-9]{1,4}(?:\.[0-9]{1,6})?"
_T = re.compile(rf"(?<![\w@])T\s*:\s*(?P<a>{_NUM})(?:\s*/\s*(?P<t>{_NUM}))?", re.I)
_B = re.compile(rf"(?<![\w@])B\s*:\s*(?P<a>{_NUM})(?:\s*/\s*(?P<t>{_NUM}))?", re.I)
_T0 = re.compile(rf"(?<![\w@])T0\s*:\s*(?P<a>{_NUM})(?:\s*/\s*(?P<t>{_NUM}))?", re.I)


def _f(value: str | None) -> float | None:
    return float(value) if value is not None else None


def parse_m105(reply: str | bytes) -> Temperatures:
    """``M105`` -> ``ok T:210.0 /210.0 B:60.0 /60.0 @:0 B@:0`` (``T:`` is the active hotend;
    ``T0:``/``T1:`` per-hotend values and ``W:?`` are ignored). A target is None when the
    firmware prints only the current value."""
    for line in lines_of(reply):
        t = _T.search(line) or _T0.search(line)  # Klipper answers "ok B:.. /.. T0:.. /.."
        b = _B.search(line)
        if t or b:
            return Temperatures(
                nozzle_c=_f(t.group("a")) if t else None,
                nozzle_target_c=_f(t.group("t")) if t else None,
                bed_c=_f(b.group("a")) if b else None,
                bed_target_c=_f(b.group("t")) if b else None,
            )
    raise BadAnswer("M105: no T: or B: temperature")


# --------------------------------------------------------------------------- M119
@dataclass(frozen=True, slots=True)
class EndstopReport:
    endstops: dict[str, bool]  # name -> TRIGGERED
    filament_triggered: tuple[bool, ...]  # one per "filament[ N]:" line, in order

    def filament_sensor(self, *, triggered_means_present: bool = True) -> FilamentSensor | None:
        """Present/absent from the ``filament:`` lines; None if the report has none.

        Marlin 2.x prints TRIGGERED when the runout pin is *not* in its runout state
        (``READ(FIL_RUNOUT_PIN) != FIL_RUNOUT_STATE``), i.e. TRIGGERED = filament present:
        that is the default. Some forks and old 1.1 builds print the inverse; pass
        ``triggered_means_present=False`` for those (check once with the spool removed).
        """
        if not self.filament_triggered:
            return None
        present = [t == triggered_means_present for t in self.filament_triggered]
        return FilamentSensor.PRESENT if all(present) else FilamentSensor.ABSENT


_ENDSTOP = re.compile(r"^\s*(?P<name>[A-Za-z][\w ]{0,30}?)\s*:\s*(?P<st>open|triggered)\b", re.I)
_FILAMENT_NAME = re.compile(r"^filament(?:[ _]?runout(?:[ _]sensor)?)?(?:[ _]?\d+)?$", re.I)


def parse_m119(reply: str | bytes) -> EndstopReport:
    """``M119`` -> ``Reporting endstop status`` then ``x_min: open`` ... and, with a runout
    sensor, ``filament: TRIGGERED|open`` (``filament 2: ...`` for more sensors)."""
    endstops: dict[str, bool] = {}
    filament: list[bool] = []
    header = False
    for line in lines_of(reply):
        if "endstop status" in line.lower():
            header = True
            continue
        match = _ENDSTOP.match(_ECHO.sub("", line))
        if not match:
            continue
        name = " ".join(match.group("name").lower().split())
        triggered = match.group("st").lower() == "triggered"
        if _FILAMENT_NAME.match(name):
            filament.append(triggered)
        else:
            endstops[name] = triggered
    if not header and not endstops and not filament:
        raise BadAnswer("M119: no endstop report")
    return EndstopReport(endstops=endstops, filament_triggered=tuple(filament))


# --------------------------------------------------------------------------- M412 / M27
_RUNOUT = re.compile(r"filament\s+runout\s*:?\s*(on|off)\b", re.I)
_RUNOUT_ALT = re.compile(r"runout\s+(enabled|disabled)\b", re.I)
_UNKNOWN = re.compile(r"unknown\s+command", re.I)


def parse_m412(reply: str | bytes) -> bool | None:
    """``M412`` -> ``echo:Filament runout ON[ ; Distance 7.00mm ...]``; None when the firmware
    does not know M412 (``echo:Unknown command: "M412"``) or prints nothing about it."""
    for line in lines_of(reply):
        match = _RUNOUT.search(line) or _RUNOUT_ALT.search(line)
        if match:
            return match.group(1).lower() in ("on", "enabled")
    return None


def is_unknown_command(reply: str | bytes) -> bool:
    return any(_UNKNOWN.search(line) for line in lines_of(reply))


_SD_BYTES = re.compile(r"sd printing byte\s+([0-9]{1,12})\s*/\s*([0-9]{1,12})", re.I)


def parse_m27(reply: str | bytes) -> tuple[bool | None, float | None]:
    """``M27`` -> ``Not SD printing`` or ``SD printing byte 1234/56789``: (printing, progress_pct).

    Only prints started from the printer's own SD card are visible; a print streamed by a
    host over USB is not reported by the firmware.
    """
    for line in lines_of(reply):
        if re.search(r"not\s+sd\s+printing", line, re.I):
            return False, None
        match = _SD_BYTES.search(line)
        if match:
            done, total = int(match.group(1)), int(match.group(2))
            pct = min(100.0, 100.0 * done / total) if total > 0 else None
            return True, pct
    return None, None
