"""Pure rules for printers (RFC 8011 printer-state-reasons, Printer-MIB supply levels) and scanners (eSCL).

Like :mod:`checks.grading`: table-tested, no I/O, a fact that is ``None`` never grades OK.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from typing import Any

from checks.grading import _Common, _joined, _msg, _v
from checks.model import Status, Verdict

# --------------------------------------------------------------------------- printers
#: RFC 8011 §5.4.12 printer-state-reasons: "-report" is informational, "-warning" a warning,
#: "-error" an error, and a keyword with none of these suffixes MUST be taken as an error.
REASON_SUFFIXES = {"-error": "error", "-warning": "warning", "-report": "report"}
#: bare keywords whose very meaning is "soon" (the printer still prints): graded as warnings
_SOON = re.compile(r"-(?:low|almost-full|almost-empty|near-eol|near-limit)$")
_SOON_NAMES = frozenset({"overdue-preventive-maintenance"})

#: keyword without suffix -> (label: check.printer.reason.<label>, what to do: check.printer.action.<action>).
#: RFC 8011 §5.4.12 and PWG 5100.9 names, plus the names plateau gives hrPrinterDetectedErrorState bits
#: (devices/printer/parse.py: ``service-requested``, ``input-tray-empty``).
PRINTER_REASONS: dict[str, tuple[str, str]] = {
    "other": ("other_unnamed", "screen"),
    "media-needed": ("media_needed", "paper"),
    "media-empty": ("media_empty", "paper"),
    "media-low": ("media_low", "paper_low"),
    "media-jam": ("media_jam", "jam"),
    "input-tray-missing": ("input_tray_missing", "paper"),
    "input-tray-empty": ("input_tray_empty", "paper"),
    "output-tray-missing": ("output_tray_missing", "output"),
    "output-area-almost-full": ("output_area_almost_full", "output"),
    "output-area-full": ("output_area_full", "output"),
    "door-open": ("door_open", "cover"),
    "cover-open": ("cover_open", "cover"),
    "interlock-open": ("interlock_open", "cover"),
    "toner-low": ("toner_low", "supply_low"),
    "toner-empty": ("toner_empty", "supply"),
    "marker-supply-low": ("marker_supply_low", "supply_low"),
    "marker-supply-empty": ("marker_supply_empty", "supply"),
    "marker-supply-missing": ("marker_supply_missing", "supply"),
    "marker-waste-almost-full": ("marker_waste_almost_full", "waste"),
    "marker-waste-full": ("marker_waste_full", "waste"),
    "developer-low": ("developer_low", "supply_low"),
    "developer-empty": ("developer_empty", "supply"),
    "opc-near-eol": ("opc_near_eol", "supply_low"),
    "opc-life-over": ("opc_life_over", "supply"),
    "fuser-over-temp": ("fuser_over_temp", "service"),
    "fuser-under-temp": ("fuser_under_temp", "wait"),
    "offline": ("offline", "online"),
    "shutdown": ("shutdown", "online"),
    "timed-out": ("timed_out", "online"),
    "connecting-to-device": ("connecting_to_device", "wait"),
    "stopping": ("stopping", "online"),
    "stopped-partly": ("stopped_partly", "screen"),
    "paused": ("paused", "resume"),
    "moving-to-paused": ("moving_to_paused", "resume"),
    "spool-area-full": ("spool_area_full", "spool"),
    "service-requested": ("service_needed", "service"),
    "service-needed": ("service_needed", "service"),
    "overdue-preventive-maintenance": ("overdue_preventive_maintenance", "service"),
    "interpreter-resource-unavailable": ("interpreter_resource_unavailable", "screen"),
}
#: reasons that say a consumable is out (with error severity the consumables line is FAIL) or running low
_SUPPLY_OUT = frozenset(
    {
        "toner-empty",
        "marker-supply-empty",
        "marker-supply-missing",
        "developer-empty",
        "opc-life-over",
        "marker-waste-full",
    }
)
_SUPPLY_LOW = frozenset({"toner-low", "marker-supply-low", "developer-low", "opc-near-eol", "marker-waste-almost-full"})


def printer_reason(keyword: str) -> tuple[str, str]:
    """``"media-jam-error"`` -> ``("media-jam", "error")``; a bare keyword is an error (RFC 8011), except
    the ones that only say "soon" (``toner-low``, ``output-area-almost-full``...), which are warnings."""
    keyword = keyword.strip().lower()
    for suffix, severity in REASON_SUFFIXES.items():
        if keyword.endswith(suffix) and len(keyword) > len(suffix):
            return keyword[: -len(suffix)], severity
    if _SOON.search(keyword) or keyword in _SOON_NAMES:
        return keyword, "warning"
    return keyword, "error"


def _reason_label(keyword: str) -> dict[str, Any]:
    base, _ = printer_reason(keyword)
    if base in PRINTER_REASONS:
        return _msg(f"check.printer.reason.{PRINTER_REASONS[base][0]}")
    return _msg("check.printer.reason.other", keyword=keyword)  # said as sent, never silently dropped


def _reason_action(keyword: str) -> dict[str, Any]:
    base, _ = printer_reason(keyword)
    return _msg(f"check.printer.action.{PRINTER_REASONS.get(base, ('', 'screen'))[1]}")


def _clean_reasons(reasons: Iterable[str]) -> list[str]:
    cleaned = (str(r).strip().lower() for r in reasons if r is not None)
    return list(dict.fromkeys(r for r in cleaned if r and r != "none"))


def printer_state(device: str, *, state: str | None, reasons: Iterable[str], measured_at: dt.datetime,
                  probe: str, room: str | None, facts: dict[str, Any] | None = None) -> Verdict:  # fmt: skip
    """Any error reason (``-error`` or bare, RFC 8011 §5.4.12) or printer-state ``stopped``: FAIL;
    ``-warning``/``-report`` or a "low" reason: WARN; idle or processing with no reason: OK."""
    keywords = _clean_reasons(reasons)
    errors = [r for r in keywords if printer_reason(r)[1] == "error"]
    common = _Common(measured_at=measured_at, probe=probe, room=room, facts=facts)
    if state == "stopped" or errors:
        shown = errors or keywords
        labels = [_reason_label(r) for r in shown] or [_msg("check.printer.reason.state_stopped")]
        actions = [_reason_action(r) for r in shown] or [_msg("check.printer.action.screen")]
        return _v(
            device,
            "printer_state",
            Status.FAIL,
            "check.printer.stopped",
            value=state,
            reasons=_joined(labels),
            actions=_joined(actions),
            **common,
        )
    if state is None:
        return _v(device, "printer_state", Status.UNKNOWN, "check.printer.state_unknown", **common)
    if keywords:
        return _v(
            device,
            "printer_state",
            Status.WARN,
            "check.printer.warning",
            value=state,
            reasons=_joined([_reason_label(r) for r in keywords]),
            actions=_joined([_reason_action(r) for r in keywords]),
            **common,
        )
    if state not in ("idle", "processing"):  # a value outside RFC 8011's three: not a state we know
        return _v(device, "printer_state", Status.UNKNOWN, "check.printer.state_unknown", value=state, **common)
    return _v(
        device,
        "printer_state",
        Status.OK,
        "check.printer.ok",
        value=state,
        state=_msg(f"check.printer.state_name.{state}"),
        **common,
    )


#: prtMarkerSuppliesType / marker-types of receptacles (their level is the space left, not a refill)
_WASTE_KINDS = frozenset(
    {"waste-toner", "wastetoner", "waste-ink", "wasteink", "waste-wax", "waste-water", "waste-paper"}
)


def _supply_level(supply: Mapping[str, Any]) -> tuple[str, int | None, dict[str, Any] | None]:
    """("known", pct, None) | ("some", None, None) | ("unknown", None, why) for one supply.

    Printer-MIB prtMarkerSuppliesLevel (RFC 3805) and IPP marker-levels: -1 other / no restriction,
    -2 unknown, -3 "some remaining"; a level above prtMarkerSuppliesMaxCapacity, or a level with a
    capacity of 0, -1 or -2, gives no percentage (it would be a guess)."""
    raw, maximum, pct = supply.get("raw_level"), supply.get("max_capacity"), supply.get("level_pct")
    if supply.get("some_remaining") or raw == -3:
        return "some", None, None
    if isinstance(raw, int) and not isinstance(raw, bool):
        if raw == -2:
            return "unknown", None, _msg("check.supplies.why.unknown")
        if raw == -1:
            return "unknown", None, _msg("check.supplies.why.not_reported")
        if raw < 0:
            return "unknown", None, _msg("check.supplies.why.out_of_range", level=raw)
        if isinstance(maximum, int) and not isinstance(maximum, bool):
            if maximum <= 0:
                return "unknown", None, _msg("check.supplies.why.no_max", level=raw)
            if raw > maximum:
                return "unknown", None, _msg("check.supplies.why.over_max", level=raw, max_capacity=maximum)
        elif raw > 100:  # no capacity (IPP marker-levels): the level is a percentage, above 100 is not one
            return "unknown", None, _msg("check.supplies.why.out_of_range", level=raw)
    if isinstance(pct, (int, float)) and not isinstance(pct, bool):
        if 0 <= pct <= 100:
            return "known", round(pct), None
        return "unknown", None, _msg("check.supplies.why.out_of_range", level=pct)
    return "unknown", None, _msg("check.supplies.why.not_reported")


def supplies(device: str, *, supplies: list[dict[str, Any]], min_pct: int, measured_at: dt.datetime,
             probe: str, room: str | None, reasons: Iterable[str] = ()) -> Verdict:  # fmt: skip
    """Each supply dict: name, kind, level_pct (None = no percentage), raw_level, max_capacity,
    some_remaining. ``reasons``: the printer-state-reasons, so that a printer stopped for an empty
    toner never has its consumables called sufficient.

    Empty (level or error reason): FAIL; low (level or reason): WARN; any consumable without a figure
    (-1, -2, over the maximum...): WARN « à vérifier », UNKNOWN when none has any; -3 "some
    remaining": WARN; OK only when every consumable has a level and all are above ``min_pct``."""
    common = _Common(measured_at=measured_at, probe=probe, room=room, facts={"supplies": supplies}, unit="%")
    consumable = [s for s in supplies if str(s.get("kind") or "").lower() not in _WASTE_KINDS]
    keywords = _clean_reasons(reasons)
    out = [r for r in keywords if printer_reason(r)[1] == "error" and printer_reason(r)[0] in _SUPPLY_OUT]
    low_said = [r for r in keywords if r not in out and printer_reason(r)[0] in _SUPPLY_OUT | _SUPPLY_LOW]
    levels = [(str(s.get("name") or "?"), *_supply_level(s)) for s in consumable]
    known = [(name, pct) for name, how, pct, _ in levels if how == "known" and pct is not None]
    lowest = min((pct for _, pct in known), default=None)
    empty = [name for name, pct in known if pct <= 0]
    if empty:
        return _v(
            device, "consumables", Status.FAIL, "check.supplies.empty", value=lowest, supplies_list=empty, **common
        )
    if out:
        return _v(
            device,
            "consumables",
            Status.FAIL,
            "check.supplies.empty_reported",
            value=lowest,
            reasons=_joined([_reason_label(r) for r in out]),
            **common,
        )
    if not consumable:
        return _v(device, "consumables", Status.UNKNOWN, "check.supplies.unknown", **common)
    low = [f"{name} {pct} %" for name, pct in known if pct < min_pct]
    if low:
        return _v(
            device,
            "consumables",
            Status.WARN,
            "check.supplies.low",
            value=lowest,
            supplies_list=low,
            min_pct=min_pct,
            **common,
        )
    if low_said:
        return _v(
            device,
            "consumables",
            Status.WARN,
            "check.supplies.low_reported",
            value=lowest,
            reasons=_joined([_reason_label(r) for r in low_said]),
            **common,
        )
    unknown = [
        _msg("check.supplies.item_unknown", name=name, why=why) for name, how, _, why in levels if how == "unknown"
    ]
    some = [name for name, how, _, _ in levels if how == "some"]
    if unknown and not known and not some:
        return _v(
            device,
            "consumables",
            Status.UNKNOWN,
            "check.supplies.all_unknown",
            supplies_list=_joined(unknown),
            **common,
        )
    if unknown:
        return _v(
            device,
            "consumables",
            Status.WARN,
            "check.supplies.partly_unknown",
            value=lowest,
            supplies_list=_joined(unknown),
            **common,
        )
    if some:
        return _v(
            device,
            "consumables",
            Status.WARN,
            "check.supplies.some_remaining",
            value=lowest,
            supplies_list=some,
            **common,
        )
    return _v(device, "consumables", Status.OK, "check.supplies.ok", value=lowest, lowest_pct=lowest, **common)


#: eSCL ScannerStatus AdfState (Mopria eSCL scan:AdfState) -> the problem's label
#: (check.scanner.adf.<label>). These stop the feeder until someone acts: FAIL.
ADF_FAULT_LABELS: dict[str, str] = {
    "ScannerAdfJam": "jam",
    "ScannerAdfMispick": "mispick",
    "ScannerAdfHatchOpen": "open",
    "ScannerAdfDoorOpen": "open",
    "ScannerAdfMultipickDetected": "multipick",
    "ScannerAdfInputTrayFailed": "tray_failed",
    "ScannerAdfInputTrayOverloaded": "tray_overloaded",
    "ScannerAdfDuplexPageTooShort": "too_short",
    "ScannerAdfDuplexPageTooLong": "too_long",
    "ScannerAdfPaperTooShort": "too_short",
    "ScannerAdfPaperTooLong": "too_long",
    "ScannerAdfHardwareError": "hardware",
}
#: feeder states that let a scan start (empty: the flatbed still works, and sheets are added on the day)
ADF_FINE = frozenset({"ScannerAdfEmpty", "ScannerAdfProcessing", "ScannerAdfLoaded"})
_SCANNER_BUSY = ("processing", "testing")


def scanner_state(device: str, *, state: str | None, adf_state: str | None, measured_at: dt.datetime,
                  probe: str, room: str | None, facts: dict[str, Any] | None = None) -> Verdict:  # fmt: skip
    """A feeder fault: FAIL; pwg:State Idle with a feeder that is fine (or absent): OK; Processing or
    Testing: WARN; Stopped, Down or anything else: FAIL; an AdfState we do not know: WARN at best."""
    common = _Common(measured_at=measured_at, probe=probe, room=room, facts=facts)
    adf = {name.lower(): name for name in (*ADF_FAULT_LABELS, *ADF_FINE)}.get((adf_state or "").strip().lower())
    if adf in ADF_FAULT_LABELS:
        return _v(
            device,
            "scanner_state",
            Status.FAIL,
            "check.scanner.adf_fault",
            value=adf_state,
            problem=_msg(f"check.scanner.adf.{ADF_FAULT_LABELS[adf]}"),
            **common,
        )
    if state is None:
        return _v(device, "scanner_state", Status.UNKNOWN, "check.scanner.state_unknown", **common)
    state = str(state).strip().lower()
    if state in _SCANNER_BUSY:
        return _v(
            device,
            "scanner_state",
            Status.WARN,
            "check.scanner.busy",
            value=state,
            state=_msg(f"check.scanner.state_name.{state}"),
            **common,
        )
    if state != "idle":
        return _v(device, "scanner_state", Status.FAIL, "check.scanner.stopped", value=state, **common)
    if (
        adf_state is not None and adf_state.strip() and adf is None
    ):  # a feeder state outside the schema: say it, do not guess
        return _v(
            device,
            "scanner_state",
            Status.WARN,
            "check.scanner.adf_unknown",
            value=adf_state,
            adf_state=adf_state,
            adf_words=_words(adf_state),
            **common,
        )
    return _v(device, "scanner_state", Status.OK, "check.scanner.ok", value=state, **common)


def _words(camel: str) -> str:
    """``"ScannerAdfPaperWrinkled"`` -> ``"paper wrinkled"``: the state in words, prefix dropped."""
    text = re.sub(r"^\s*(?:scanner)?(?:adf)?", "", camel.strip(), flags=re.I) or camel.strip()
    return " ".join(re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", text).replace("_", " ").split()).lower()[:60]
