"""Secrets typed right first time: hostile secrets through the real PDF, read back by pdftotext.

Every printable ASCII symbol, spaces at group edges and at both ends, HTML-looking text,
plateau's own generated shape and a 63-character Wi-Fi key: each comes back verbatim from the
PDF text layer, on one line (no secret wraps), and the Wi-Fi block is on page 1 of every recap,
forced (with blockers) or not. Runs of two or more spaces cannot round-trip through poppler
(it drops space glyphs and re-infers spaces from gaps): for those the page draws one ␣ per
space and the page's data keeps them all; see test_runs_of_spaces_are_all_drawn.
"""

from __future__ import annotations

import datetime as dt
import itertools
import string
import subprocess
from pathlib import Path

import pytest

from checks.model import Status, Verdict
from provision.recap.data import Secret, build_recap
from provision.recap.document import secret_doc, secret_groups
from provision.recap.readiness import Readiness
from provision.recap.render import TEMPLATES, recap_pdf
from provision.secrets import generate_password

NOW = dt.datetime(2026, 12, 1, 7, 30, tzinfo=dt.UTC)
SYMBOLS = string.punctuation  # !"#$%&'()*+,-./:;<=>?@[\]^_`{|}~

HOSTILE = [
    SYMBOLS[:16],  # !"#$%&'()*+,-./
    SYMBOLS[16:],  # :;<=>?@[\]^_`{|}~
    " lead",  # a space first
    "trail ",  # a space last
    "abc def ghi",  # spaces at the end of a group of 4, then at the start of one
    "Ab1 Cd2 ",  # at both edges of groups
    "<b>&amp;</b>",  # looks like HTML
    "O0Il1|'`\"",  # the look-alikes
    "Feciju-Donuje-Kafefe-542",  # plateau's generated shape
    generate_password(),
    "%s%s",  # format strings
    "\\n\\t{{ x }}",  # escapes and Jinja
    "#x *y* $z$ @w",  # looks like Typst markup: the page prints it, never reads it
]
# 63 characters, the WPA2 maximum: symbols, digits, letters, single spaces at group edges
WIFI_KEYS = [
    ("Wi " + SYMBOLS + "Zz9 ab cd 0Ol1I" + string.ascii_letters)[:63],
    (string.digits + SYMBOLS + " " + string.ascii_uppercase)[:63],
]


def _secrets(recap):
    """Every Secret object of the recap, the Wi-Fi keys apart."""
    wifi, others = [], []
    for room in recap.rooms:
        for w in room.wifi:
            if w.key is not None:
                wifi.append(w.key)
            others.extend(a.secret for a in w.access_point.accounts if a.secret is not None)
        for row in (*room.computers, *room.tablets, *room.peripherals, *room.others):
            others.extend(a.secret for a in row.accounts if a.secret is not None)
    return wifi, others


def _hostile(recap) -> list[str]:
    """Give the recap's secrets hostile values (Secret is mutable on purpose here); return them."""
    wifi, others = _secrets(recap)
    assert wifi and len(others) >= len(HOSTILE) // 2
    given = []
    for secret, value in zip(wifi, itertools.cycle(WIFI_KEYS)):
        secret.value = value
        given.append(value)
    for secret, value in zip(others, itertools.cycle(HOSTILE)):
        secret.value = value
        given.append(value)
    return given


def _ready(loaded) -> Readiness:
    verdicts = [
        Verdict(
            device=d.name, check="reachable", status=Status.OK, key="check.reachable.ok", room=d.room, measured_at=NOW
        )
        for d in loaded.inventory.devices
    ]
    return Readiness.of(verdicts, NOW - dt.timedelta(minutes=20))


def _pages(pdf: bytes, tmp_path: Path) -> list[str]:
    """pdftotext (reading order, whitespace as extracted), one string per page."""
    source = tmp_path / "typeset.pdf"
    source.write_bytes(pdf)
    text = subprocess.run(
        ["pdftotext", str(source), "-"], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    return text.split("\f")[:-1]


CASES = [("jury-a", False), ("jury-a", True), ("jury-b", True), (None, False), (None, True)]


@pytest.mark.parametrize(
    ("jury", "forced"), CASES, ids=[f"{j or 'centre'}-{'forced' if f else 'ready'}" for j, f in CASES]
)
def test_hostile_secrets_come_back_verbatim_on_one_line(loaded, tmp_path, jury, forced) -> None:
    recap = build_recap(loaded, jury, Readiness() if forced else _ready(loaded), now=NOW, forced=forced)
    assert not forced or not recap.ready  # forced: no sweep at all, so blockers
    given = _hostile(recap)
    pages = _pages(recap_pdf(recap).data, tmp_path)
    lines = [line for page in pages for line in page.split("\n")]
    for value in given:
        # verbatim, on one line: a secret that wrapped would be cut across two lines. A space at
        # either end of a line never reaches the text layer (poppler infers spaces from gaps
        # between glyphs); it is drawn as ␣ on the page (test_runs_of_spaces_are_all_drawn).
        found = value.strip(" ")
        assert any(found in line for line in lines), f"{value!r} not found verbatim on one line"
    # page 1 holds the Wi-Fi of the (first) room: SSID and key
    first = recap.rooms[0].wifi[0]
    assert "Wi-Fi de la salle" in pages[0]
    assert first.ssid in pages[0] and first.key.value.strip(" ") in pages[0]
    if jury:  # a jury's recap: its logins and its tablets' accounts on page 1 too
        for row in (*recap.rooms[0].computers, *recap.rooms[0].tablets):
            for account in row.accounts:
                if account.secret is not None:
                    assert account.secret.value.strip(" ") in pages[0], (row.name, account.what)
    if not recap.ready:  # the blockers follow the access data
        assert "NON PRÊT" in pages[0]
        full = "\n".join(pages)
        assert full.index("point(s) bloquant(s), regroupés") > full.index(first.ssid)


def test_generated_passwords_are_cut_at_their_own_hyphens() -> None:
    assert secret_groups("Feciju-Donuje-Kafefe-542") == ["Feciju-", "Donuje-", "Kafefe-", "542"]
    for _ in range(20):
        value = generate_password()
        assert "".join(secret_groups(value)) == value and all(g.endswith("-") for g in secret_groups(value)[:-1])
    assert secret_groups("abcdefghij") == ["abcd", "efgh", "ij"]
    assert secret_groups("482915") == ["482", "915"]


def test_runs_of_spaces_are_all_drawn() -> None:
    doc = secret_doc(Secret(" ab  cd   e "))
    runs = [run for group in doc["groups"] for run in group]
    assert [run for run in runs if run[0] == "sp"] == [["sp", " "]] * 7  # one ␣ each, at the edges too
    assert "".join(chars for _, chars in runs) == " ab  cd   e "  # nothing added, nothing collapsed
    assert "sp" in (TEMPLATES / "plateau.typ").read_text("utf-8")  # the template draws that class


def test_no_word_breaks_and_french_date(loaded, tmp_path) -> None:
    pages = _pages(recap_pdf(build_recap(loaded, "jury-a", _ready(loaded), now=NOW)).data, tmp_path)
    assert "1er décembre 2026" in pages[0]  # generated_at is the 1st
    lines = [line for page in pages for line in page.split("\n")]
    assert not any(line.endswith("-") and len(line) > 1 for line in lines if not line.startswith(("•", "Kiwi"))), [
        line for line in lines if line.endswith("-")
    ]
    assert "hyphenate: false" in (TEMPLATES / "plateau.typ").read_text("utf-8")


def test_a_very_long_secret_in_a_narrow_cell_breaks_between_groups_only(loaded, tmp_path) -> None:
    recap = build_recap(loaded, "jury-a", _ready(loaded), now=NOW)
    value = (string.ascii_letters + string.digits)[:52]  # 52 characters: wider than the cell
    recap.rooms[0].computers[0].accounts[0].secret.value = value
    lines = [line for page in _pages(recap_pdf(recap).data, tmp_path) for line in page.split("\n")]
    if value in lines:
        return  # it fitted on one line after all
    head = next(line for line in lines if len(line) >= 4 and value.startswith(line))
    assert len(head) % 4 == 0, head  # cut between two groups of 4, never inside one
    assert value[len(head) :] in lines  # the rest on the next line of the cell, whole


def test_any_text_of_the_inventory_typesets_as_typed(loaded, tmp_path) -> None:
    """Whatever printable text of the Latin scripts a centre name or a secret holds (Typst
    markup, quotes, brackets, accents, symbols), Typst lays it out and the text layer gives it
    back: the data is JSON for the template, never source. (Scripts DejaVu does not cover, e.g.
    Bengali, print as missing glyphs: the font check names the fonts plateau relies on.)"""
    import dataclasses

    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    base = build_recap(loaded, "jury-a", _ready(loaded), now=NOW)
    printable = st.text(
        st.characters(
            min_codepoint=0x21, max_codepoint=0x24F, categories=("L", "N", "P", "S"), exclude_characters="\u00ad"
        ),
        min_size=1,
        max_size=24,
    )

    @settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(centre=printable, secret=printable)
    def typeset(centre: str, secret: str) -> None:
        recap = dataclasses.replace(base, centre=centre)
        recap.rooms[0].computers[0].accounts[0].secret.value = secret
        text = " ".join(" ".join(_pages(recap_pdf(recap).data, tmp_path)).split())
        assert secret in text

    typeset()
