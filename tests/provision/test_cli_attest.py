"""``plateau attest``: French item ids, the stored English ids still accepted and counted, and a
missing ``--par`` answered with the option's name and a command to copy."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from provision.cli.attest import item_shown, resolve_item


def _store(root: Path):
    from provision.state import open_store

    return open_store(root)


def test_french_ids_are_listed_and_typed(example: Path, plateau) -> None:
    listing = plateau("attest", "-i", example, "--liste")
    assert listing.code == 0
    assert " tableau " in listing.out and " feutres " in listing.out
    assert " board " not in listing.out and " markers " not in listing.out

    done = plateau("attest", "-i", example, "tableau", "--salle", "salle_a", "--par", "Mme Martin")
    assert done.code == 0, done.text
    [record] = [a for a in _store(example).attestations() if a.room == "salle_a"]
    assert (record.item, record.by_name, record.device) == ("board", "Mme Martin", None)  # the stored id


def test_an_attestation_stored_under_the_english_id_still_counts(example: Path, plateau) -> None:
    # recorded by an earlier plateau, whose ids were English, straight into the real store
    _store(example).add_attestation("salle_a", "markers", "M. Durand", validity=dt.timedelta(hours=24))
    listing = plateau("attest", "-i", example, "--liste").out
    [line] = [line for line in listing.splitlines() if "salle_a" in line and " feutres " in line]
    assert "M. Durand" in line and line.strip().startswith("prêt")
    [other] = [line for line in listing.splitlines() if "salle_b" in line and " feutres " in line]
    assert "à corriger" in other  # the other room's markers were never attested

    # and the English id is still accepted on the command line
    again = plateau("attest", "-i", example, "board", "--room", "salle_b", "--by", "Mme Roy")
    assert again.code == 0, again.text
    assert ("salle_b", "board") in {(a.room, a.item) for a in _store(example).attestations()}


def test_missing_par_names_the_option_with_a_command_to_copy(example: Path, plateau) -> None:
    result = plateau("attest", "-i", example, "tableau", "--salle", "salle_a")
    assert result.code == 2
    assert "Traceback" not in result.text
    assert "champ --par" in result.err
    assert "--par (obligatoire)" in result.err
    assert 'tableau --salle salle_a --par "Prénom Nom"' in result.err
    assert _store(example).attestations() == []  # nothing recorded without a name


def test_an_item_in_two_rooms_asks_which_one(example: Path, plateau) -> None:
    result = plateau("attest", "-i", example, "feutres", "--par", "Mme Martin")
    assert result.code == 2
    assert "2 endroits" in result.err and "--salle salle_a" in result.err
    assert _store(example).attestations() == []


def test_unknown_item_lists_the_french_ids(example: Path, plateau) -> None:
    result = plateau("attest", "-i", example, "chaises", "--salle", "salle_a", "--par", "X")
    assert result.code == 2
    assert "« chaises » inconnu" in result.err
    assert "tableau" in result.err and "board" not in result.err
    assert "attest -i" in result.err and "--liste" in result.err


def test_resolution_folds_case_accents_and_underscores() -> None:
    known = ["board", "screen_tested", "external_storage"]
    assert resolve_item("Tableau", known) == "board"
    assert resolve_item("écran", known) == "screen_tested"
    assert resolve_item("screen_tested", known) == "screen_tested"
    assert resolve_item("cle_usb", known) == "external_storage"
    assert resolve_item("chaises", known) is None
    assert item_shown("board", "fr") == "tableau" and item_shown("board", "en") == "board"


def test_every_referentiel_and_manual_item_has_a_french_id() -> None:
    from provision.families import REGISTRY
    from provision.referentiels import REFERENTIEL_IDS, load_referentiel

    items = {a.id for rid in REFERENTIEL_IDS for a in load_referentiel(rid).attestations}
    items |= {family.manual.item for family in REGISTRY.values() if family.manual}
    for item in items:
        assert item_shown(item, "fr") != f"attest.item.{item}"
        assert item_shown(item, "en") == item  # English: the stored id itself
    french = [item_shown(i, "fr") for i in items]
    assert len(set(french)) == len(french)  # no two items share a French id
