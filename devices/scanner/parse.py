"""Pure functions: eSCL XML (Mopria / HP eSCL 2.x) -> scanner facts.

* ``GET /eSCL/ScannerCapabilities`` -> :func:`parse_capabilities`
* ``GET /eSCL/ScannerStatus``       -> :func:`parse_status`

Elements are matched by local name, case-insensitively, whatever the namespace prefix
(firmware differ: ``pwg:State``, ``scan:State``, no namespace at all).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from xml.etree.ElementTree import Element

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from devices.errors import BadAnswer
from devices.printer.models import split_make_and_model


class ScannerState(StrEnum):
    """pwg:State of ScannerStatus (PWG 5108.01 ScannerState)."""

    IDLE = "idle"
    PROCESSING = "processing"
    STOPPED = "stopped"
    TESTING = "testing"


# scan:AdfState values of the eSCL schema (and names some firmware send instead: DoorOpen for
# HatchOpen, PaperTooShort/TooLong, HardwareError), keyed by lower case for lenient matching.
ADF_STATES = {
    name.lower(): name
    for name in (
        "ScannerAdfProcessing",
        "ScannerAdfEmpty",
        "ScannerAdfJam",
        "ScannerAdfLoaded",
        "ScannerAdfMispick",
        "ScannerAdfHatchOpen",
        "ScannerAdfDuplexPageTooShort",
        "ScannerAdfDuplexPageTooLong",
        "ScannerAdfMultipickDetected",
        "ScannerAdfInputTrayFailed",
        "ScannerAdfInputTrayOverloaded",
        "ScannerAdfDoorOpen",
        "ScannerAdfPaperTooShort",
        "ScannerAdfPaperTooLong",
        "ScannerAdfHardwareError",
    )
}
# NAPS2's eSCL server sends the misspelt "ScannedAdfLoaded" (its EsclAdfState enum).
ADF_STATES["scannedadfloaded"] = "ScannerAdfLoaded"
# AdfState values that keep the feeder from scanning until someone acts.
ADF_FAULTS = frozenset(
    {
        "ScannerAdfJam",
        "ScannerAdfMispick",
        "ScannerAdfHatchOpen",
        "ScannerAdfMultipickDetected",
        "ScannerAdfInputTrayFailed",
        "ScannerAdfInputTrayOverloaded",
        "ScannerAdfDuplexPageTooShort",
        "ScannerAdfDuplexPageTooLong",
        "ScannerAdfDoorOpen",
        "ScannerAdfPaperTooShort",
        "ScannerAdfPaperTooLong",
        "ScannerAdfHardwareError",
    }
)
# AdfState values with which a scan can start.
ADF_READY = frozenset({"ScannerAdfEmpty", "ScannerAdfProcessing", "ScannerAdfLoaded"})


@dataclass(frozen=True, slots=True, kw_only=True)
class ScannerCapabilities:
    """From ScannerCapabilities: who the scanner is and which inputs it has."""

    make_and_model: str | None
    make: str | None
    model: str | None
    serial_number: str | None
    uuid: str | None
    escl_version: str | None
    has_platen: bool
    has_adf: bool
    adf_duplex: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class ScannerStatus:
    """From ScannerStatus: what the scanner is doing now."""

    state: ScannerState | None  # None: no pwg:State, or a value outside the schema
    state_raw: str | None
    adf_state: str | None  # canonical "ScannerAdfJam" when known, else as sent; None if absent
    active_jobs: int  # JobInfo entries whose JobState is Pending or Processing
    measured_at: datetime

    @property
    def adf_fault(self) -> bool:
        return self.adf_state in ADF_FAULTS


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1].rsplit(":", 1)[-1].lower() if isinstance(tag, str) else ""


def _root(xml: bytes | str, expected: str) -> Element:
    if isinstance(xml, str):
        xml = xml.encode("utf-8")
    if not isinstance(xml, (bytes, bytearray)):
        raise BadAnswer("eSCL answer is not text")
    # strip a BOM / leading blank lines some firmware send before <?xml
    data = bytes(xml).lstrip(b"\xef\xbb\xbf").lstrip()
    try:
        root = SafeET.fromstring(data)
    except (SafeET.ParseError, DefusedXmlException, ValueError) as exc:
        raise BadAnswer(f"eSCL {expected} is not well-formed XML") from exc
    if _local(root.tag) != expected.lower():
        raise BadAnswer(f"expected eSCL {expected}, got <{_local(root.tag) or '?'}>")
    return root


def _children(element: Element, name: str) -> list[Element]:
    return [child for child in element if _local(child.tag) == name]


def _text(element: Element, name: str) -> str | None:
    """Text of the first direct child called ``name`` (stripped; None if empty)."""
    for child in _children(element, name):
        text = " ".join((child.text or "").split())
        if text:
            return text
    return None


def _descendant(element: Element, name: str) -> bool:
    return any(_local(node.tag) == name for node in element.iter())


def parse_capabilities(xml: bytes | str) -> ScannerCapabilities:
    """Facts from the body of ``GET /eSCL/ScannerCapabilities``."""
    root = _root(xml, "ScannerCapabilities")
    make_and_model = _text(root, "makeandmodel")
    make, model = split_make_and_model(make_and_model)
    manufacturer = _text(root, "manufacturer")
    if manufacturer:
        make = manufacturer
        # "Canon TS5300 series" with Manufacturer "Canon": the model drops the maker
        prefix = re.compile(rf"^{re.escape(manufacturer)}\s+", re.IGNORECASE)
        model = prefix.sub("", make_and_model or "") or None
    adf = _children(root, "adf")
    return ScannerCapabilities(
        make_and_model=make_and_model,
        make=make,
        model=model,
        serial_number=_text(root, "serialnumber"),
        uuid=_text(root, "uuid"),
        escl_version=_text(root, "version"),
        has_platen=bool(_children(root, "platen")),
        has_adf=bool(adf),
        adf_duplex=any(_descendant(a, "adfduplexinputcaps") for a in adf),
    )


_STATES = {state.value: state for state in ScannerState}


def parse_status(xml: bytes | str, *, measured_at: datetime) -> ScannerStatus:
    """Facts from the body of ``GET /eSCL/ScannerStatus``."""
    root = _root(xml, "ScannerStatus")
    state_raw = _text(root, "state")
    adf_raw = _text(root, "adfstate")
    active = 0
    for jobs in _children(root, "jobs"):
        for job in _children(jobs, "jobinfo"):
            if (_text(job, "jobstate") or "").lower() in ("pending", "processing"):
                active += 1
    return ScannerStatus(
        state=_STATES.get((state_raw or "").lower()),
        state_raw=state_raw,
        adf_state=ADF_STATES.get(adf_raw.lower(), adf_raw) if adf_raw else None,
        active_jobs=active,
        measured_at=measured_at,
    )
