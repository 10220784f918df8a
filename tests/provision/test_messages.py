"""The French and English catalogues stay in step, and every key the code uses exists."""

from __future__ import annotations

import re
from pathlib import Path

from provision.messages import catalogue, render

ROOT = Path(__file__).resolve().parents[2]


def test_french_and_english_have_the_same_keys() -> None:
    assert set(catalogue("fr")) == set(catalogue("en"))


def test_same_placeholders_in_both_languages() -> None:
    fr, en = catalogue("fr"), catalogue("en")
    for key in fr:
        assert set(re.findall(r"{(\w+)}", fr[key])) == set(re.findall(r"{(\w+)}", en[key])), key


def test_every_key_used_in_code_exists() -> None:
    used = set()
    for path in [*(ROOT / "provision").rglob("*.py"), *(ROOT / "checks").rglob("*.py")]:
        used |= set(re.findall(r'key="([a-z_]+\.[a-z_.]+)"', path.read_text("utf-8")))
        used |= set(
            re.findall(
                r'"((?:field|wifi|session|inventory|vault|yaml|catalog|referentiel|secrets|cli|check|recap|provision|dashboard|report|plan_view|label)'
                r'\.(?!yml")[a-z_]+(?:\.[a-z_]+)*)"',
                path.read_text("utf-8"),
            )
        )
    modules = {k for k in used if (ROOT / k.replace(".", "/")).exists()}  # e.g. "provision.catalog"
    missing = sorted(k for k in used - modules if k not in catalogue("fr"))
    assert not missing
    assert len(used) > 30


def test_every_cli_and_recap_key_is_used() -> None:
    """No dead text in the CLI and recap catalogues: each key is quoted in the code, or built from a prefix
    (``f"recap.field.{f}"``)."""
    code = "".join(
        p.read_text("utf-8")
        for top in ("provision", "checks", "devices")
        for p in (ROOT / top).rglob("*")
        if p.suffix in {".py", ".j2", ".js"}
    )
    built = set(re.findall(r'f"([a-z_.]+)\{', code))
    unused = sorted(
        key
        for key in catalogue("fr")
        if key.startswith(("cli.", "recap."))
        and f'"{key}"' not in code
        and f"'{key}'" not in code
        and not key.startswith(tuple(built))
    )
    assert not unused


def test_missing_param_does_not_crash() -> None:
    assert "{name}" in render("catalog.unknown", {})


def test_capability_is_shown_by_name() -> None:
    text = render(
        "referentiel.capability_short",
        {"room": "salle_a", "label": "Poste", "capability": "web_browser", "have": 2, "need": 3},
        "fr",
    )
    assert "2 navigateur web" in text


def test_french_numbers_take_the_decimal_comma() -> None:
    """« 3,86 V » in French, « 3.86 V » in English; a whole number shows no decimals."""
    assert "3,86 V" in render("check.battery.volts_mid", {"volts": 3.86}, "fr")
    assert "3.86 V" in render("check.battery.volts_mid", {"volts": 3.86}, "en")
    assert "en 10 s" in render("check.probe.timeout", {"timeout_s": 10.0}, "fr")
