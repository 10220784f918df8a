"""scan:AdfState values: every one the parser knows is either a fault or a state a scan can start in."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from devices.scanner.parse import ADF_FAULTS, ADF_READY, ADF_STATES, parse_status

NOW = datetime(2026, 3, 2, 7, 30, tzinfo=UTC)


def status_with(adf: str) -> str:
    return ("<scan:ScannerStatus xmlns:scan='http://schemas.hp.com/imaging/escl/2011/05/03' "
            "xmlns:pwg='http://www.pwg.org/schemas/2010/12/sm'><pwg:State>Idle</pwg:State>"
            f"<scan:AdfState>{adf}</scan:AdfState></scan:ScannerStatus>")  # fmt: skip


def test_every_known_state_is_classified() -> None:
    assert set(ADF_STATES.values()) == ADF_FAULTS | ADF_READY
    assert not ADF_FAULTS & ADF_READY


@pytest.mark.parametrize(("sent", "canonical", "fault"), [
    ("ScannerAdfDoorOpen", "ScannerAdfDoorOpen", True), ("scanneradfhardwareerror", "ScannerAdfHardwareError", True),
    ("ScannerAdfPaperTooLong", "ScannerAdfPaperTooLong", True), ("ScannerAdfHatchOpen", "ScannerAdfHatchOpen", True),
    ("ScannedAdfLoaded", "ScannerAdfLoaded", False),  # NAPS2's eSCL server spells it so
    ("ScannerAdfEmpty", "ScannerAdfEmpty", False),
])  # fmt: skip
def test_adf_state_names(sent: str, canonical: str, fault: bool) -> None:
    status = parse_status(status_with(sent), measured_at=NOW)
    assert (status.adf_state, status.adf_fault) == (canonical, fault)
