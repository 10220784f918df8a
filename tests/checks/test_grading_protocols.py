"""False greens found by reading the protocols (RFC 8011, RFC 3805, eSCL, PJLink, dumpsys battery,
Marlin M115) against the rules: each case here graded OK (or « prête », « suffisants ») before."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from checks import grading as g
from checks import grading_more as gm
from checks import grading_printing as gp
from checks.facts import jsonable
from checks.model import Status, Verdict
from devices.android.parse import parse_battery
from devices.printer.models import PrinterStatus
from devices.printer.parse import error_state_reasons, parse_snmp_values
from devices.printer_3d.parse_marlin import parse_m115
from devices.projector import driver as projector_driver
from devices.projector.parse import Power, Reply, Severity, parse_reply
from devices.scanner.parse import ADF_FAULTS, ADF_READY, parse_status
from provision.messages import render

NOW = dt.datetime(2026, 12, 3, 6, 30, tzinfo=dt.UTC)
COMMON: dict[str, Any] = dict(measured_at=NOW, probe="test", room="salle_a")
DEVICES = Path(__file__).resolve().parents[1] / "devices"


def text(verdict: Verdict, lang: str = "fr") -> str:
    return render(verdict.key, verdict.params, lang)


# --------------------------------------------------------------------------- 1. printer-state-reasons
@pytest.mark.parametrize("reason", [
    "media-needed", "cover-open", "input-tray-missing", "paused", "toner-empty", "marker-supply-empty",
    "service-requested", "output-tray-missing", "marker-supply-missing", "output-area-full", "spool-area-full",
    "moving-to-paused", "shutdown", "door-open", "media-jam", "media-empty", "offline", "interlock-open",
    "something-new-from-a-vendor",
])  # fmt: skip
def test_a_reason_without_suffix_is_an_error(reason: str) -> None:
    """RFC 8011 §5.4.12: with no -report/-warning/-error suffix, all parties MUST assume an error."""
    verdict = gp.printer_state("p", state="idle", reasons=[reason], **COMMON)
    assert verdict.status is Status.FAIL
    assert "prête" not in text(verdict)


def test_idle_printer_with_snmp_error_bits_is_not_ready() -> None:
    """hrPrinterDetectedErrorState (RFC 3805): noToner, serviceRequested, inputTrayMissing,
    outputTrayMissing, markerSupplyMissing, outputFull, each alone, on an idle printer."""
    base = {"1.3.6.1.2.1.25.3.2.1.2.1": "1.3.6.1.2.1.25.3.1.5",
            "1.3.6.1.2.1.25.3.2.1.3.1": b"Brother HL-L2350DW series",
            "1.3.6.1.2.1.25.3.5.1.1.1": 3}  # hrPrinterStatus idle  # fmt: skip
    for octets, reason in ((b"\x10", "toner-empty"), (b"\x01", "service-requested"),
                           (b"\x00\x80", "input-tray-missing"), (b"\x00\x40", "output-tray-missing"),
                           (b"\x00\x20", "marker-supply-missing"), (b"\x00\x08", "output-area-full")):  # fmt: skip
        status = parse_snmp_values({**base, "1.3.6.1.2.1.25.3.5.1.2.1": octets}, measured_at=NOW)
        assert status.reasons == (reason,) and status.state is not None
        verdict = gp.printer_state("p", state=status.state.value, reasons=status.reasons, **COMMON)
        assert verdict.status is Status.FAIL, reason
        assert "prête" not in text(verdict)


def test_low_bits_from_snmp_stay_warnings() -> None:
    for reason in error_state_reasons(b"\xa0\x12"):  # media-low, toner-low, output almost full, maintenance
        assert gp.printer_state("p", state="idle", reasons=[reason], **COMMON).status is Status.WARN, reason


def test_paused_reason_and_stopped_state_are_fail() -> None:
    assert gp.printer_state("p", state="idle", reasons=["paused"], **COMMON).status is Status.FAIL
    stopped = gp.printer_state("p", state="stopped", reasons=["none"], **COMMON)
    assert stopped.status is Status.FAIL and "{" not in text(stopped)


def test_an_error_reason_fails_even_when_the_state_is_not_reported() -> None:
    assert gp.printer_state("p", state=None, reasons=["media-jam"], **COMMON).status is Status.FAIL
    assert gp.printer_state("p", state=None, reasons=[], **COMMON).status is Status.UNKNOWN


def test_empty_toner_is_not_told_to_check_paper() -> None:
    verdict = gp.printer_state("p", state="stopped", reasons=["toner-empty-error"], **COMMON)
    fr, en = text(verdict), text(verdict, "en")
    assert "toner vide" in fr and "toner" in en
    for word in ("papier", "bourrage", "toner-empty"):
        assert word not in fr


@pytest.mark.parametrize(("reason", "words"), [
    ("media-empty-error", "plus de papier"), ("media-jam-error", "papier coincé"), ("door-open-error", "porte"),
    ("cover-open", "capot"), ("toner-low-warning", "toner bientôt vide"), ("toner-empty", "toner vide"),
    ("marker-supply-low-report", "cartouche ou toner bientôt vide"), ("marker-supply-empty-error", "vide"),
    ("input-tray-missing", "bac à papier absent"), ("output-area-full", "bac de sortie plein"),
    ("offline-error", "hors ligne"), ("paused", "pause"), ("spool-area-full", "file d'attente"),
    ("service-requested", "maintenance"), ("service-needed-error", "intervention technique"),
])  # fmt: skip
def test_each_kind_of_reason_is_said_in_french(reason: str, words: str) -> None:
    verdict = gp.printer_state("p", state="idle", reasons=[reason], **COMMON)
    fr = text(verdict)
    assert words in fr and reason not in fr and printer_base(reason) not in fr


def printer_base(reason: str) -> str:
    return gp.printer_reason(reason)[0]


def test_every_known_reason_has_a_french_label_without_its_keyword() -> None:
    for keyword in gp.PRINTER_REASONS:
        verdict = gp.printer_state("p", state="idle", reasons=[keyword + "-error"], **COMMON)
        fr, en = text(verdict), text(verdict, "en")
        assert keyword not in fr and "{" not in fr + en, (keyword, fr)


def test_an_unknown_keyword_is_named_not_dropped() -> None:
    verdict = gp.printer_state("p", state="idle", reasons=["bander-jam-error"], **COMMON)
    assert verdict.status is Status.FAIL
    assert "signalé par l'imprimante : bander-jam-error" in text(verdict)
    warning = gp.printer_state("p", state="idle", reasons=["com.vendor.glitter-low-report"], **COMMON)
    assert warning.status is Status.WARN and "com.vendor.glitter-low-report" in text(warning)


# --------------------------------------------------------------------------- 2. supply levels
def supply(name: str = "Black Toner", kind: str | None = "toner", **fields: Any) -> dict[str, Any]:
    """A supply as checks/probes/printer.py hands it to the rule."""
    row = {"name": name, "colour": None, "kind": kind, "level_pct": None, "raw_level": None,
           "max_capacity": None, "low_level_pct": None}  # fmt: skip
    row.update(fields)
    row["some_remaining"] = row["raw_level"] == -3
    return row


def grade(rows: list[dict[str, Any]], **kwargs: Any) -> Verdict:
    return gp.supplies("p", supplies=rows, min_pct=10, **COMMON, **kwargs)


def test_some_remaining_alone_is_a_warning_not_ok() -> None:
    verdict = grade([supply(raw_level=-3)])
    assert verdict.status is Status.WARN
    assert "Reste du consommable, niveau non chiffré" in text(verdict)
    assert grade([supply(raw_level=-3), supply("Drum", "opc", level_pct=96, raw_level=96)]).status is Status.WARN


def test_unknown_level_is_not_ok_and_says_why() -> None:
    alone = grade([supply(raw_level=-2)])
    assert alone.status is Status.UNKNOWN and "niveau inconnu" in text(alone)
    beside = grade([supply(raw_level=-2), supply("Drum", "opc", level_pct=96, raw_level=96, max_capacity=100)])
    assert beside.status is Status.WARN and "Black Toner (niveau inconnu" in text(beside)
    assert "vérifier sur l'écran" in text(beside)


def test_level_above_the_maximum_is_unknown_not_full() -> None:
    """Printer-MIB: 250 of a maximum of 100 is a device contradicting itself, not 100 %."""
    values = {"1.3.6.1.2.1.43.11.1.1.6.1.1": b"Black Toner", "1.3.6.1.2.1.43.11.1.1.5.1.1": 3,
              "1.3.6.1.2.1.43.11.1.1.8.1.1": 100, "1.3.6.1.2.1.43.11.1.1.9.1.1": 250,
              "1.3.6.1.2.1.43.11.1.1.6.1.2": b"Drum", "1.3.6.1.2.1.43.11.1.1.5.1.2": 9,
              "1.3.6.1.2.1.43.11.1.1.8.1.2": 100, "1.3.6.1.2.1.43.11.1.1.9.1.2": 96}  # fmt: skip
    status = parse_snmp_values(values, measured_at=NOW)
    assert status.supplies[0].level_pct is None and status.supplies[0].raw_level == 250
    verdict = gp.supplies("p", supplies=probe_rows(status), min_pct=10, **COMMON)
    assert verdict.status is Status.WARN
    assert "niveau 250 au-delà du maximum annoncé 100" in text(verdict)
    # even if a driver clamps it, the rule reads the raw level against the capacity
    clamped = grade([supply(level_pct=100, raw_level=250, max_capacity=100)])
    assert clamped.status is Status.UNKNOWN


def probe_rows(status: PrinterStatus) -> list[dict[str, Any]]:
    return [{**jsonable(s), "some_remaining": s.some_remaining} for s in status.supplies]


def test_a_level_without_a_capacity_is_unknown() -> None:
    for maximum in (-1, -2, 0):
        assert grade([supply(level_pct=None, raw_level=40, max_capacity=maximum)]).status is Status.UNKNOWN


def test_printer_stopped_for_an_empty_toner_never_says_sufficient() -> None:
    rows = [supply(level_pct=50, raw_level=50, max_capacity=100)]
    for reason in ("toner-empty", "marker-supply-empty-error", "toner-empty-error"):
        assert gp.printer_state("p", state="stopped", reasons=[reason], **COMMON).status is Status.FAIL
        verdict = grade(rows, reasons=[reason])
        assert verdict.status is Status.FAIL and "suffisants" not in text(verdict)
    assert grade(rows, reasons=["toner-low-warning"]).status is Status.WARN
    assert grade(rows, reasons=["media-empty-error"]).status is Status.OK  # paper is not a consumable here


def test_sufficient_supplies_show_their_lowest_level() -> None:
    verdict = grade([supply(level_pct=62, raw_level=62), supply("Cyan", level_pct=48, raw_level=48)])
    assert verdict.status is Status.OK
    assert text(verdict) == "Consommables suffisants (le plus bas à 48 %)."


# --------------------------------------------------------------------------- 3. eSCL AdfState
@pytest.mark.parametrize("adf", sorted(ADF_FAULTS))
def test_every_adf_fault_the_parser_lists_is_fail(adf: str) -> None:
    xml = ("<scan:ScannerStatus xmlns:scan='http://schemas.hp.com/imaging/escl/2011/05/03' "
           "xmlns:pwg='http://www.pwg.org/schemas/2010/12/sm'><pwg:State>Idle</pwg:State>"
           f"<scan:AdfState>{adf}</scan:AdfState></scan:ScannerStatus>")  # fmt: skip
    status = parse_status(xml, measured_at=NOW)
    assert status.adf_fault
    verdict = gp.scanner_state("s", state="idle", adf_state=status.adf_state, **COMMON)
    assert verdict.status is Status.FAIL
    assert adf not in text(verdict) and "{" not in text(verdict)


@pytest.mark.parametrize("adf", [*sorted(ADF_READY), None, "ScannedAdfLoaded"])
def test_fine_feeder_states_are_ok(adf: str | None) -> None:
    state = ADF_READY_ALIASES.get(adf, adf)
    assert gp.scanner_state("s", state="Idle", adf_state=state, **COMMON).status is Status.OK


ADF_READY_ALIASES = {
    "ScannedAdfLoaded": parse_status(
        "<ScannerStatus><State>Idle</State><AdfState>ScannedAdfLoaded</AdfState></ScannerStatus>", measured_at=NOW
    ).adf_state
}  # NAPS2's misspelling


def test_an_unknown_adf_state_is_a_warning_naming_it() -> None:
    verdict = gp.scanner_state("s", state="Idle", adf_state="ScannerAdfPaperWrinkled", **COMMON)
    assert verdict.status is Status.WARN
    assert "paper wrinkled" in text(verdict) and "ScannerAdfPaperWrinkled" in text(verdict)


def test_scanner_messages_do_not_print_placeholders() -> None:
    for state in ("Processing", "Testing", "Stopped"):
        verdict = gp.scanner_state("s", state=state, adf_state=None, **COMMON)
        assert "{" not in text(verdict) and "{" not in text(verdict, "en")


# --------------------------------------------------------------------------- 4. PJLink ERRn
class CannedSession:
    """A PJLink session answering recorded-format lines (PJLink class 1 spec: ``%1CMND=ERRn``)."""

    answers: dict[str, str] = {}

    def __init__(self, host: str, port: int, *, password: str | None, timeout_s: float) -> None:
        pass

    def __enter__(self) -> CannedSession:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def command(self, command: str, parameter: str = "?", *, pjlink_class: int = 1) -> Reply:
        return parse_reply(self.answers[command] + "\r", command)


HEALTHY = {
    "CLSS": "%1CLSS=1",
    "POWR": "%1POWR=1",
    "INPT": "%1INPT=31",
    "LAMP": "%1LAMP=1234 1",
    "ERST": "%1ERST=000000",
    "NAME": "%1NAME=salle1",
    "INF1": "%1INF1=Panasonic",
    "INF2": "%1INF2=VX42Z",
}


def read_canned(monkeypatch: pytest.MonkeyPatch, **answers: str) -> Verdict:
    CannedSession.answers = {**HEALTHY, **answers}
    monkeypatch.setattr(projector_driver, "PJLinkSession", CannedSession)
    facts = projector_driver.read_projector("127.0.0.1", 4352)
    return gm.projector("vp", facts=facts, measured_at=NOW, probe="pjlink", room=None, facts_dict=jsonable(facts))


def test_healthy_projector_is_ok(monkeypatch: pytest.MonkeyPatch) -> None:
    verdict = read_canned(monkeypatch)
    assert verdict.status is Status.OK and text(verdict) == "Projecteur sans erreur (alimentation : allumé)."


@pytest.mark.parametrize("command", ["INPT", "LAMP", "NAME"])
def test_err4_to_any_query_is_a_failure(monkeypatch: pytest.MonkeyPatch, command: str) -> None:
    verdict = read_canned(monkeypatch, **{command: f"%1{command}=ERR4"})
    assert verdict.status is Status.FAIL and "ERR4" in text(verdict) and "{" not in text(verdict)


def test_err3_is_busy_or_standby_not_ok(monkeypatch: pytest.MonkeyPatch) -> None:
    verdict = read_canned(monkeypatch, POWR="%1POWR=0", INPT="%1INPT=ERR3")
    assert verdict.status is Status.WARN and "source d'entrée" in text(verdict) and "veille" in text(verdict)


def test_err1_err2_leave_that_part_unknown_never_ok() -> None:
    facts = projector_driver.ProjectorFacts(
        power=Power.ON, input=None, input_kind=None, lamps=None, errors=dict.fromkeys(
            ("fan", "lamp", "temperature", "cover", "filter", "other"), Severity.OK),
        name=None, manufacturer=None, model=None, pjlink_class=1, measured_at=NOW,
        unanswered={"lamps": "ERR1 undefined command", "input": "ERR2 out of parameter"})  # fmt: skip
    verdict = gm.projector("vp", facts=facts, measured_at=NOW, probe="pjlink", room=None, facts_dict={})
    assert verdict.status is Status.WARN and "durée de lampe" in text(verdict)


def test_err4_to_the_error_status_itself_is_a_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    assert read_canned(monkeypatch, ERST="%1ERST=ERR4").status is Status.FAIL
    assert read_canned(monkeypatch, ERST="%1ERST=ERR3").status is Status.UNKNOWN


def test_erst_parts_are_named_in_french(monkeypatch: pytest.MonkeyPatch) -> None:
    verdict = read_canned(monkeypatch, ERST="%1ERST=120000")
    assert verdict.status is Status.FAIL and "lampe" in text(verdict) and "lamp," not in text(verdict)


# --------------------------------------------------------------------------- 5. dumpsys battery
def battery_verdict(dumpsys: str, min_pct: int = 80) -> Verdict:
    facts = parse_battery(dumpsys, measured_at=NOW)
    return g.battery("tab", level_pct=facts.level_pct, charging=facts.charging, min_pct=min_pct, **COMMON,
                     plugged=facts.powered, status=facts.status.value if facts.status else None,
                     present=facts.present)  # fmt: skip


DUMPSYS = """Current Battery Service state:
  AC powered: {ac}
  USB powered: false
  Wireless powered: false
  status: {status}
  health: 2
  present: {present}
  level: {level}
  scale: 100
  voltage: 4200
  temperature: 250
  technology: Li-ion
"""


def test_no_battery_present_is_not_ok() -> None:
    verdict = battery_verdict(DUMPSYS.format(ac="true", status=5, present="false", level=90))
    assert verdict.status is Status.FAIL and "non détectée" in text(verdict)


def test_plugged_but_not_charging_is_not_told_to_plug_it_in() -> None:
    """The real Android 14 capture: AC powered, status 4 (not charging), 80 %."""
    capture = DEVICES / ("android/captures/android14_ac_plugged_but_not_charging_extra_charging_state_lines/"
                         "dumpsys_battery_android14_ac_not_charging_80pct_capacity_level.txt")  # fmt: skip
    verdict = battery_verdict(capture.read_text("utf-8"), min_pct=90)
    assert verdict.status is Status.FAIL
    fr = text(verdict)
    assert "branchée mais ne charge pas" in fr and "chargeur" in fr and "brancher l'appareil" not in fr
    plain = battery_verdict(DUMPSYS.format(ac="false", status=3, present="true", level=34))
    assert plain.key == "check.battery.low"  # on battery: plug it in


# --------------------------------------------------------------------------- 6. Marlin Cap:RUNOUT
# Marlin 2.1 M115 answer as Marlin/src/gcode/host/M115.cpp prints it (cap_line(F("RUNOUT"), ...)).
M115_MARLIN_2_1 = (
    "FIRMWARE_NAME:Marlin 2.1.2.1 (Jul  2 2023 12:00:00) SOURCE_CODE_URL:github.com/MarlinFirmware/Marlin "
    "PROTOCOL_VERSION:1.0 MACHINE_TYPE:Ender-3 Pro EXTRUDER_COUNT:1 UUID:cede2a2f-41a2-4748-9b12-c55c62f367ff\n"
    "Cap:SERIAL_XON_XOFF:0\nCap:EEPROM:1\nCap:AUTOLEVEL:1\nCap:RUNOUT:{runout}\nCap:Z_PROBE:1\nok\n"
)


@pytest.mark.parametrize(("runout", "expected"), [("0", False), ("1", True)])
def test_marlin_runout_capability_is_read_under_its_real_name(runout: str, expected: bool) -> None:
    firmware = parse_m115(M115_MARLIN_2_1.format(runout=runout))
    assert firmware.capability("FILAMENT_RUNOUT") is expected
    assert firmware.capability("RUNOUT") is expected


def test_marlin_old_capability_name_still_read() -> None:
    firmware = parse_m115("FIRMWARE_NAME:Marlin 2.0\nCap:FILAMENT_RUNOUT:1\nok\n")
    assert firmware.capability("FILAMENT_RUNOUT") is True
    prusa = (DEVICES / "printer_3d/captures/marlin/m115_prusa_firmware_no_runout_cap/"
             "M115_prusa_i3_mk3s_fw3.10.1_dev_with_mmu2_cap.txt").read_text("utf-8")  # fmt: skip
    assert parse_m115(prusa).capability("FILAMENT_RUNOUT") is None
