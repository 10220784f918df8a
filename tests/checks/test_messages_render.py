"""Every check.* message a rule can produce renders completely, in both languages.

``provision.messages.render`` leaves an unknown placeholder as ``{name}`` (and shows a missing key
as ``key {params}``), so a verdict whose params do not fill its template prints braces to the
technician. Two nets: (1) every grading function is called on inputs reaching each of its keys and
the verdict is rendered; (2) every ``_v(...)`` call with a literal key anywhere in ``checks/`` and
``provision/`` passes, as keyword arguments, every placeholder of its template.
"""

from __future__ import annotations

import ast
import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from checks import grading as g
from checks import grading_more as gm
from checks import grading_printing as gp
from checks.model import Verdict
from checks.probes.common import ProbeContext, wifi_joined
from devices.errors import AuthenticationFailed, BadAnswer, DeviceError, Unreachable
from devices.projector.parse import Power, Severity
from provision.messages import LANGUAGES, catalogue, render

ROOT = Path(__file__).resolve().parents[2]
NOW = dt.datetime(2026, 12, 3, 6, 30, tzinfo=dt.UTC)
C: dict[str, Any] = dict(measured_at=NOW, probe="test", room="salle_a")
PARTS = ("fan", "lamp", "temperature", "cover", "filter", "other")


@dataclass
class Attested:
    by_name: str
    at: dt.datetime
    expires_at: dt.datetime

    def valid_at(self, now: dt.datetime) -> bool:
        return now < self.expires_at


def _supply(name: str, **fields: Any) -> dict[str, Any]:
    return {"name": name, "kind": "toner", "level_pct": None, "raw_level": None, "max_capacity": None,
            "some_remaining": fields.get("raw_level") == -3, **fields}  # fmt: skip


ALL_OK = dict.fromkeys(PARTS, Severity.OK)


def _projector(power: Power | None = Power.ON, errors: dict[str, Severity] | None = ALL_OK,
               unanswered: dict[str, str] | None = None) -> Verdict:  # fmt: skip
    facts = SimpleNamespace(power=power, errors=errors, unanswered=unanswered or {})
    return gm.projector("vp", facts=facts, facts_dict={}, **C)


def _ap(**fields: Any) -> list[Verdict]:
    facts = SimpleNamespace(**{"radio_enabled": True, "clients_count": 3, "ssid": "EXAM", "security": "wpa2",
                               "key_matches": True, **fields})  # fmt: skip
    return gm.access_point("ap", facts=facts, expected_ssid="EXAM", expected_security="wpa2", facts_dict={}, **C)


def produced() -> Iterator[Verdict]:
    """Verdicts reaching every key of checks/grading.py, checks/grading_more.py, checks/probes/common.py."""
    for level, charging, extra in ((90, False, {}), (50, True, {}), (50, False, {}), (None, None, {}),
                                   (90, False, {"present": False}), (50, False, {"status": "not_charging"}),
                                   (50, False, {"plugged": True, "status": "discharging"})):  # fmt: skip
        yield g.battery("tab", level_pct=level, charging=charging, min_pct=80, **C, **extra)
    for volts in (4.1, 3.8, 3.2, None):
        yield g.battery_voltage("thymio", voltage_v=volts, **C)
    for state, reasons in (("idle", []), ("processing", []), ("idle", ["toner-low-warning"]), ("stopped", []),
                           (None, []), ("weird", []), ("idle", ["bander-jam-error"]),
                           ("processing", ["media-jam", "cover-open-error", "toner-low"])):  # fmt: skip
        yield gp.printer_state("p", state=state, reasons=reasons, **C)
    for keyword in gp.PRINTER_REASONS:
        for suffix in ("-error", "-warning", ""):
            yield gp.printer_state("p", state="idle", reasons=[keyword + suffix], **C)
    ok = _supply("Black", level_pct=60, raw_level=60, max_capacity=100)
    for rows, reasons in (([ok], []), ([_supply("Black", level_pct=4)], []), ([_supply("Black", level_pct=0)], []),
                          ([ok], ["toner-empty"]), ([ok], ["marker-supply-low-warning"]), ([], []),
                          ([_supply("Black", raw_level=-3)], []), ([_supply("Black", raw_level=-2)], []),
                          ([ok, _supply("Cyan", raw_level=-1)], []), ([ok, _supply("C", raw_level=40, max_capacity=-2)], []),
                          ([ok, _supply("C", raw_level=250, max_capacity=100)], []), ([ok, _supply("C", raw_level=-7)], []),
                          ([ok, _supply("C", raw_level=180)], []), ([ok, _supply("C", level_pct=130)], [])):  # fmt: skip
        yield gp.supplies("p", supplies=rows, min_pct=10, reasons=reasons, **C)
    for state, adf in (("Idle", None), ("Processing", None), ("Testing", None), ("Stopped", None), (None, None),
                       ("Idle", "ScannerAdfPaperWrinkled"), *(("Idle", a) for a in gp.ADF_FAULT_LABELS)):  # fmt: skip
        yield gp.scanner_state("s", state=state, adf_state=adf, **C)
    for sensor, grams in (("absent", None), ("present", 500.0), (None, 20.0), ("present", None), (None, None)):
        yield g.filament("p3d", sensor=sensor, remaining_g=grams, min_g=100, needed_g=None, **C)
    for connected, state, errors in ((True, "idle", []), (True, "printing", []), (True, "paused", []),
                                     (False, "offline", []), (True, "error", []), (True, "idle", ["MINTEMP"]),
                                     (None, "unknown", [])):  # fmt: skip
        yield g.printer_3d_state("p3d", connected=connected, state=state, errors=errors, **C)
    for error in (TimeoutError(), AuthenticationFailed("401"), BadAnswer("junk"), Unreachable("refused"),
                  DeviceError("x"), RuntimeError("bug")):  # fmt: skip
        yield gm.probe_failed("dev", "battery", error, timeout_s=12.5, **C)
    yield gm.probe_failed("dev", "battery", TimeoutError(), **C)
    for fields in ({}, {"radio_enabled": False}, {"radio_enabled": None, "clients_count": None}, {"ssid": "OpenWrt"},
                   {"ssid": None}, {"security": "open"}, {"key_matches": False}, {"key_matches": None}):  # fmt: skip
        yield from _ap(**fields)
    for power in Power:
        yield _projector(power)
    yield _projector(errors={**ALL_OK, "fan": Severity.WARNING})
    yield _projector(errors=dict.fromkeys(PARTS, Severity.ERROR))
    yield _projector(errors=None)
    yield _projector(power=None)
    everything = ("power", "input", "lamps", "errors", "name", "manufacturer", "model", "pjlink_class",
                  "serial_number", "software_version", "a_future_fact")  # fmt: skip
    for code in ("ERR1 undefined command", "ERR2 out of parameter", "ERR3 unavailable time",
                 "ERR4 projector failure", ""):  # fmt: skip
        yield _projector(power=Power.OFF, unanswered=dict.fromkeys(everything, code))
    yield gm.software("pc", expected={"org.a": "A"}, installed=["org.a"], **C)
    yield gm.software("pc", expected={"org.a": "A", "org.b": "B"}, installed=[], **C)
    yield gm.account("tab", expected="a@b.fr", found=["a@b.fr"], kind="google", **C)
    yield gm.account("tab", expected="a@b.fr", found=[], kind="google", **C)
    yield gm.reachable("pc", port=22, **C)
    attested = Attested("Ada", NOW - dt.timedelta(hours=2), NOW + dt.timedelta(hours=22))
    expired = Attested("Ada", NOW - dt.timedelta(hours=30), NOW - dt.timedelta(hours=6))
    for record in (None, attested, expired):
        yield gm.attestation("room", item="markers", label="Feutres", record=record, now=NOW, room="a",
                             validity_h=24)  # fmt: skip
    device = SimpleNamespace(name="tab", room="salle_a")
    for ssid, rooms in ((None, {}), ("EXAM", {"salle_a": "EXAM"}), ("Other", {"salle_a": "EXAM"}),
                        (None, {"salle_a": "EXAM"})):  # fmt: skip
        ctx = ProbeContext(timeout_s=1, key_dir=Path("."), room_ssid=rooms)
        yield wifi_joined(device, ssid, ctx, NOW, "adb")  # type: ignore[arg-type]


VERDICTS = list(produced())


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_produced_message_renders_without_braces(lang: str) -> None:
    bad = []
    for verdict in VERDICTS:
        assert verdict.key in catalogue(lang), verdict.key
        shown = render(verdict.key, verdict.params, lang)
        if "{" in shown or "}" in shown:
            bad.append((verdict.key, shown))
    assert not bad


def _literal_keys(path: Path) -> set[str]:
    return set(re.findall(r'"(check\.[a-z0-9_]+(?:\.[a-z0-9_]+)*)"', path.read_text("utf-8")))


def _used_keys(value: Any) -> Iterator[str]:
    """A verdict's key and the keys of the messages nested in its params."""
    if isinstance(value, Verdict):
        yield value.key
        value = dict(value.params)
    if isinstance(value, dict):
        if isinstance(value.get("key"), str):
            yield value["key"]
        for item in value.values():
            yield from _used_keys(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _used_keys(item)


def test_the_table_reaches_every_key_the_rules_name() -> None:
    named = set()
    for name in ("grading.py", "grading_more.py", "probes/common.py"):
        named |= _literal_keys(ROOT / "checks" / name)
    named -= {"check.nothing"}  # the placeholder of an empty list: never reached by design
    used = {key for verdict in VERDICTS for key in _used_keys(verdict)}
    assert named - used == set()
    # and every label the rules build from a table (f-strings) exists in both catalogues
    for lang in LANGUAGES:
        assert used - set(catalogue(lang)) == set(), lang


# --------------------------------------------------------------------------- static: every _v call site
_NOT_PARAMS = {"measured_at", "probe", "room", "value", "unit", "facts", "blocking"}
_COMMON_SPLATS = {"common", "recorded"}  # _Common dicts: measured_at, probe, room, facts, unit


def _keys_of(arg: ast.expr, function: ast.AST) -> list[str] | None:
    """The literal key(s) a ``_v`` call may use: a string, or a name assigned literal strings."""
    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
        return [arg.value]
    if isinstance(arg, ast.Name):
        found = [node.value for assign in ast.walk(function) if isinstance(assign, ast.Assign)
                 and any(isinstance(t, ast.Name) and t.id == arg.id for t in assign.targets)
                 for node in ast.walk(assign.value) if isinstance(node, ast.Constant)
                 and isinstance(node.value, str) and node.value.startswith("check.")]  # fmt: skip
        return found or None
    return None


def _call_sites() -> Iterator[tuple[str, str, set[str]]]:
    for path in sorted([*(ROOT / "checks").rglob("*.py"), *(ROOT / "provision").rglob("*.py")]):
        tree = ast.parse(path.read_text("utf-8"))
        for function in ast.walk(tree):
            if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for call in ast.walk(function):
                if not isinstance(call, ast.Call) or len(call.args) < 4:
                    continue
                name = call.func.attr if isinstance(call.func, ast.Attribute) else getattr(call.func, "id", "")
                if name != "_v":
                    continue
                splats = {k.value.id if isinstance(k.value, ast.Name) else "?" for k in call.keywords if k.arg is None}
                if splats - _COMMON_SPLATS:
                    continue  # params built at run time (probe_failed): covered by the table above
                keys = _keys_of(call.args[3], function)
                if keys is None:
                    continue
                given = {k.arg for k in call.keywords if k.arg is not None} - _NOT_PARAMS
                for key in keys:
                    yield f"{path.relative_to(ROOT)}:{call.lineno}", key, given


def test_every_literal_call_site_supplies_its_placeholders() -> None:
    sites = list(_call_sites())
    assert len(sites) > 60
    missing = []
    for where, key, given in sites:
        for lang in LANGUAGES:
            template = catalogue(lang).get(key)
            if template is None:  # a missing key: tests/provision/test_messages.py says so
                continue
            if lacking := set(re.findall(r"{(\w+)}", template)) - given:
                missing.append((where, key, lang, sorted(lacking)))
    assert not missing
