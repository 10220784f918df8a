"""Make / model splitting and colour names (shared with the scanner family)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from devices.printer.models import colour_name, parse_device_id, split_make_and_model


@pytest.mark.parametrize(
    "text, make, model",
    [
        ("EPSON XP-6000 Series", "EPSON", "XP-6000 Series"),
        ("epson  xp-6000 series", "epson", "xp-6000 series"),
        ("ECOSYS M2540dn", "Kyocera", "ECOSYS M2540dn"),
        ("Kyocera ECOSYS M5521cdn", "Kyocera", "ECOSYS M5521cdn"),
        ("HP Color Laser MFP 179fnw", "HP", "Color Laser MFP 179fnw"),
        ("DeskJet 2700 All-in-One Printer series", "HP", "DeskJet 2700 All-in-One Printer series"),
        ("KONICA MINOLTA bizhub C258", "KONICA MINOLTA", "bizhub C258"),
        ("Xerox AltaLink C8045", "Xerox", "AltaLink C8045"),
        ("Acme Model 1", "Acme", "Model 1"),
        ("Zorglub Z-1", "Zorglub", "Z-1"),
        ("DS-940DW", None, "DS-940DW"),
        ("Color MFP 200", None, "Color MFP 200"),
        ("Canon", "Canon", None),
        ("", None, None),
        (None, None, None),
        ("  \r\n", None, None),
    ],
)
def test_split_make_and_model(text, make, model) -> None:
    assert split_make_and_model(text) == (make, model)


def test_device_id_keys_are_case_insensitive() -> None:
    assert parse_device_id("mfg:EPSON;Mdl: XP-6000 Series ;junk;;CMD:ESCPL2") == {
        "MFG": "EPSON",
        "MDL": "XP-6000 Series",
        "CMD": "ESCPL2",
    }


@pytest.mark.parametrize(
    "value, name",
    [
        ("#000000", "black"),
        ("#00ffff", "cyan"),
        ("none", None),
        ("", None),
        (None, None),
        ("#123456", "#123456"),
        ("#000000#00FFFF", "#000000#00FFFF"),
        ("Photo Black ink", "black"),
        ("Drum Cartridge (R1)", None),
        ("Light Gray", "grey"),
    ],
)
def test_colour_name(value, name) -> None:
    assert colour_name(value) == name


@given(st.text(max_size=60))
def test_split_never_crashes_and_keeps_text(text: str) -> None:
    make, model = split_make_and_model(text)
    joined = " ".join(text.split())
    assert (
        make is None
        or make.lower() in joined.lower()
        or make in ("Kyocera", "HP", "Canon", "Xerox", "Konica Minolta", "EPSON", "Brother", "Ricoh")
    )
    assert model is None or model in joined
