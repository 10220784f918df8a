"""Property tests: random or half-valid answers never grade OK unless they are a well-formed,
healthy answer. Each oracle here is written from the protocol, not from the rule it checks."""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from checks import grading as g
from checks import grading_more as gm
from checks import grading_printing as gp
from checks.facts import jsonable
from checks.model import Status
from devices.android.parse import parse_battery
from devices.errors import BadAnswer
from devices.printer.parse import parse_snmp_values
from devices.printer_3d.marlin import build_facts
from devices.printer_3d.parse_marlin import parse_m115
from devices.projector.parse import Power, Severity
from devices.scanner.parse import ADF_FAULTS, ADF_READY

NOW = dt.datetime(2026, 12, 3, 6, 30, tzinfo=dt.UTC)
C: dict[str, Any] = dict(measured_at=NOW, probe="test", room="salle_a")
SETTINGS = settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# --------------------------------------------------------------------------- printer-state-reasons
SUFFIXES = ("-error", "-warning", "-report")
#: keywords that only say "soon" (RFC 8011 lists them with -warning/-report in practice)
SOON = ("media-low", "toner-low", "marker-supply-low", "output-area-almost-full", "developer-low", "opc-near-eol",
        "marker-waste-almost-full", "overdue-preventive-maintenance")  # fmt: skip
BASES = st.one_of(
    st.sampled_from(sorted(gp.PRINTER_REASONS) + ["frobnicator-jam", "com.acme.glitter"]),
    st.from_regex(r"[a-z][a-z.-]{0,20}", fullmatch=True),
)
KEYWORDS = st.tuples(BASES, st.sampled_from(("", *SUFFIXES))).map("".join)
STATES = st.one_of(st.sampled_from(["idle", "processing", "stopped"]), st.none(), st.text(max_size=10))


def severity(keyword: str) -> str:
    for suffix in SUFFIXES:
        if keyword.endswith(suffix) and keyword != suffix:
            return suffix[1:]
    return "error"  # RFC 8011 §5.4.12: no suffix means an error


@SETTINGS
@given(STATES, st.lists(st.one_of(KEYWORDS, st.just("none"), st.just("")), max_size=5))
def test_printer_is_ok_only_idle_or_processing_without_any_reason(state: str | None, reasons: list[str]) -> None:
    verdict = gp.printer_state("p", state=state, reasons=reasons, **C)
    real = [r.strip().lower() for r in reasons if r.strip() and r.strip().lower() != "none"]
    if verdict.status is Status.OK:
        assert state in ("idle", "processing") and not real
    if any(severity(r) == "error" for r in real):
        assert verdict.status is not Status.OK
    if any(r.endswith("-error") for r in real) or state == "stopped":
        assert verdict.status is Status.FAIL
    if any(severity(r) == "error" and r not in SOON for r in real):
        assert verdict.status is Status.FAIL


# --------------------------------------------------------------------------- supplies
KINDS = st.sampled_from(["toner", "ink", "opc", "developer", "fuser", None, "waste-toner", "ink-cartridge"])
SUPPLY_REASONS = st.sampled_from(
    [
        "toner-empty",
        "toner-empty-error",
        "marker-supply-empty",
        "toner-low",
        "marker-supply-low-warning",
        "media-empty-error",
        "toner-low-report",
    ]
)


@st.composite
def supply_row(draw: st.DrawFn) -> dict[str, Any]:
    raw = draw(st.one_of(st.none(), st.integers(-5, 400)))
    maximum = draw(st.one_of(st.none(), st.integers(-3, 300)))
    pct = draw(st.one_of(st.none(), st.integers(-10, 300), st.just(raw)))
    return {"name": draw(st.text(min_size=1, max_size=8)), "kind": draw(KINDS), "level_pct": pct,
            "raw_level": raw, "max_capacity": maximum, "some_remaining": raw == -3}  # fmt: skip


def well_formed_and_healthy(row: dict[str, Any], min_pct: int) -> bool:
    """A figure the device stands behind (RFC 3805 / IPP marker-levels), at or above the threshold."""
    raw, maximum, pct = row["raw_level"], row["max_capacity"], row["level_pct"]
    if pct is None or not min_pct <= pct <= 100:
        return False
    if raw is not None and (raw < 0 or (maximum is not None and (maximum <= 0 or raw > maximum))):
        return False
    return not (raw is not None and maximum is None and raw > 100)


@SETTINGS
@given(st.lists(supply_row(), max_size=5), st.lists(SUPPLY_REASONS, max_size=2), st.integers(1, 50))
def test_supplies_are_ok_only_when_every_consumable_has_a_healthy_figure(
        rows: list[dict[str, Any]], reasons: list[str], min_pct: int) -> None:  # fmt: skip
    verdict = gp.supplies("p", supplies=rows, min_pct=min_pct, reasons=reasons, **C)
    consumables = [r for r in rows if r["kind"] not in ("waste-toner",)]
    if any(r["raw_level"] in (-2, -3) for r in consumables):
        assert verdict.status is not Status.OK
    if any(r["raw_level"] is not None and r["max_capacity"] is not None and r["max_capacity"] > 0
           and r["raw_level"] > r["max_capacity"] for r in consumables):  # fmt: skip
        assert verdict.status is not Status.OK
    if verdict.status is Status.OK:
        assert consumables and all(well_formed_and_healthy(r, min_pct) for r in consumables)
        assert not [r for r in reasons if "toner" in r or "marker" in r]


SNMP_ROW = st.fixed_dictionaries(
    {"type": st.sampled_from([3, 4, 9, 15, 21, 1]), "max": st.integers(-2, 500), "level": st.integers(-3, 600)}
)


@SETTINGS
@given(st.lists(SNMP_ROW, min_size=1, max_size=4))
def test_snmp_supply_table_through_the_parser(rows: list[dict[str, int]]) -> None:
    """prtMarkerSuppliesTable rows (RFC 3805) -> parser -> the rows the probe builds -> the rule."""
    values: dict[str, Any] = {}
    for i, row in enumerate(rows, start=1):
        values[f"1.3.6.1.2.1.43.11.1.1.6.1.{i}"] = f"Supply {i}".encode()
        values[f"1.3.6.1.2.1.43.11.1.1.5.1.{i}"] = row["type"]
        values[f"1.3.6.1.2.1.43.11.1.1.8.1.{i}"] = row["max"]
        values[f"1.3.6.1.2.1.43.11.1.1.9.1.{i}"] = row["level"]
    status = parse_snmp_values(values, measured_at=NOW)
    supplies = [{**jsonable(s), "some_remaining": s.some_remaining} for s in status.supplies]
    verdict = gp.supplies("p", supplies=supplies, min_pct=10, **C)
    consumables = [r for r in rows if r["type"] != 4]  # 4 = wasteToner
    if verdict.status is Status.OK:
        assert consumables
        assert all(r["max"] > 0 and 0 <= r["level"] <= r["max"] and 100 * r["level"] / r["max"] >= 9.5
                   for r in consumables)  # fmt: skip


# --------------------------------------------------------------------------- eSCL
ADF = st.one_of(
    st.none(),
    st.sampled_from(sorted(ADF_FAULTS | ADF_READY)),
    st.from_regex(r"ScannerAdf[A-Za-z]{0,12}", fullmatch=True),
    st.text(max_size=12),
)
SCANNER_STATES = st.one_of(
    st.none(), st.sampled_from(["Idle", "idle", "Processing", "Testing", "Stopped", "Down"]), st.text(max_size=8)
)


@SETTINGS
@given(SCANNER_STATES, ADF)
def test_scanner_is_ok_only_idle_with_a_fine_feeder(state: str | None, adf: str | None) -> None:
    verdict = gp.scanner_state("s", state=state, adf_state=adf, **C)
    if adf in ADF_FAULTS:
        assert verdict.status is Status.FAIL
    if verdict.status is Status.OK:
        assert state is not None and state.strip().lower() == "idle"
        assert adf is None or not adf.strip() or adf.strip().lower() in {a.lower() for a in ADF_READY}


# --------------------------------------------------------------------------- PJLink
FACTS = ("power", "input", "lamps", "errors", "name", "manufacturer", "model", "pjlink_class")
CODES = st.sampled_from(
    ["ERR1 undefined command", "ERR2 out of parameter", "ERR3 unavailable time", "ERR4 projector failure"]
)


@SETTINGS
@given(st.one_of(st.none(), st.sampled_from(list(Power))),
       st.one_of(st.none(), st.fixed_dictionaries(
           {p: st.sampled_from(list(Severity)) for p in ("fan", "lamp", "temperature", "cover", "filter", "other")})),
       st.dictionaries(st.sampled_from(FACTS), CODES, max_size=3))  # fmt: skip
def test_projector_is_ok_only_with_every_query_answered_and_no_error(
        power: Power | None, errors: dict[str, Severity] | None, unanswered: dict[str, str]) -> None:  # fmt: skip
    from types import SimpleNamespace

    facts = SimpleNamespace(power=power, errors=errors, unanswered=unanswered)
    verdict = gm.projector("vp", facts=facts, facts_dict={}, **C)
    if any(code.startswith("ERR4") for code in unanswered.values()):
        assert verdict.status is Status.FAIL
    if verdict.status is Status.OK:
        assert power is not None and not unanswered
        assert errors is not None and set(errors.values()) == {Severity.OK}


# --------------------------------------------------------------------------- dumpsys battery
@SETTINGS
@given(st.fixed_dictionaries({
    "AC powered": st.sampled_from(["true", "false"]), "USB powered": st.sampled_from(["true", "false"]),
    "status": st.sampled_from(["1", "2", "3", "4", "5", "7", "x"]), "present": st.sampled_from(["true", "false", "?"]),
    "level": st.integers(-5, 120).map(str), "scale": st.sampled_from(["100", "0", "50"]),
}), st.integers(20, 95))  # fmt: skip
def test_battery_is_ok_only_when_present_and_above_the_minimum(fields: dict[str, str], min_pct: int) -> None:
    text = "Current Battery Service state:\n" + "".join(f"  {k}: {v}\n" for k, v in fields.items())
    try:
        facts = parse_battery(text, measured_at=NOW)
    except BadAnswer:
        return
    verdict = g.battery("tab", level_pct=facts.level_pct, charging=facts.charging, min_pct=min_pct, **C,
                        plugged=facts.powered, status=facts.status.value if facts.status else None,
                        present=facts.present)  # fmt: skip
    if fields["present"] == "false":
        assert verdict.status is not Status.OK
    if verdict.status is Status.OK:
        level = int(fields["level"]) * 100 / (int(fields["scale"]) or 100)  # dumpsys: no scale means 100
        assert round(level) >= min_pct and fields["present"] != "false"
    plugged = "true" in (fields["AC powered"], fields["USB powered"])
    if verdict.status is Status.FAIL and (fields["status"] == "4" or plugged):
        assert verdict.key != "check.battery.low"  # never "plug it in" to a plugged tablet


# --------------------------------------------------------------------------- Marlin
M105 = "ok T:21.8 /0.0 B:21.5 /0.0 @:0 B@:0\n"
M119_LINES = st.lists(st.sampled_from(["Reporting endstop status", "x_min: open", "y_min: TRIGGERED",
                                       "filament: open", "filament: TRIGGERED", "filament 2: open", "ok", "garbage"]),
                      max_size=5).map("\n".join)  # fmt: skip
CAPS = st.dictionaries(
    st.sampled_from(["RUNOUT", "FILAMENT_RUNOUT", "EEPROM"]), st.sampled_from(["0", "1"]), max_size=3
)
ERRORS = st.lists(st.sampled_from(["Printer halted. kill() called!", "MINTEMP triggered", "Unknown command",
                                   "checksum mismatch"]), max_size=2)  # fmt: skip


@SETTINGS
@given(
    CAPS,
    st.one_of(st.none(), M119_LINES),
    st.sampled_from([None, "Not SD printing\nok", "SD printing byte 5/10\nok", 'echo:Unknown command: "M27"\nok']),
    ERRORS,
)
def test_marlin_answers_never_grade_a_false_green(caps: dict[str, str], m119: str | None, m27: str | None,
                                                  errors: list[str]) -> None:  # fmt: skip
    m115 = "FIRMWARE_NAME:Marlin 2.1.2.1 EXTRUDER_COUNT:1\n" + "".join(f"Cap:{k}:{v}\n" for k, v in caps.items())
    firmware = parse_m115(m115 + "ok\n")
    if "RUNOUT" in caps:  # Marlin's real name (M115.cpp) is the runout capability, whatever it is asked as
        assert firmware.capability("FILAMENT_RUNOUT") is (caps["RUNOUT"] == "1")
    facts = build_facts(firmware, M105, m119, None, m27, errors=tuple(errors))
    state = g.printer_3d_state("p3d", connected=facts.connected, state=facts.state.value, errors=list(facts.errors),
                               **C)  # fmt: skip
    sensor = facts.filament_sensor.value if facts.filament_sensor else None
    filament = g.filament("p3d", sensor=sensor, remaining_g=facts.remaining_g, min_g=100, needed_g=None, **C)
    assert filament.status is not Status.OK  # Marlin never says how many grams are left
    if errors:
        assert state.status is not Status.OK
    if state.status is Status.OK:
        assert not errors and "SD printing byte" not in (m27 or "")
    if m119 and "filament: open" in m119 and "Reporting endstop status" in m119:
        assert filament.status is Status.FAIL  # TRIGGERED = present (Marlin 2.x): open = run out
