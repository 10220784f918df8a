"""The plan as the technician reads it: settings and roles in words, in the reader's language."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from rich.console import Console

from provision.context import load_all
from provision.plan_view import print_plan

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("lang", ["fr", "en"])
@pytest.mark.parametrize("inventory", ["example", "demo"])
def test_plan_shows_settings_and_roles_in_words(inventory: str, lang: str, monkeypatch) -> None:
    monkeypatch.setenv("PLATEAU_LANG", lang)
    console = Console(record=True, width=160)
    print_plan(console, load_all(ROOT / "inventories" / inventory).plan.to_dict())
    text = console.export_text()
    for raw in ("= True", "accessibility.", "wifi_security", "screen_timeout_s", "plan_view."):
        assert raw not in text, raw
    assert not re.search(r"· (candidate|jury|spare)\s*│", text)  # the role in words, not its id
    if lang == "en":
        assert "Équipement" not in text and "Device" in text
