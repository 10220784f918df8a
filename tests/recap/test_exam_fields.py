"""The exam file wants the printer's and scanner's brand and model on the recap: ``plateau
validate`` warns (host and field named) when one is missing, and the recap flags it."""

from __future__ import annotations

from pathlib import Path


def _drop(hosts: Path, *lines: str) -> None:
    text = hosts.read_text("utf-8")
    for line in lines:
        assert line in text
        text = text.replace(line, "", 1)
    hosts.write_text(text, "utf-8")


def test_validate_warns_and_the_recap_flags_a_missing_model(example: Path, plateau, pdf) -> None:
    assert plateau("validate", "-i", example).err.count("champ model") == 0  # the example is complete
    _drop(example / "hosts.yml", "          model: WorkForce Pro WF-C5790\n",
          "          brand: HP\n          model: Color LaserJet Pro MFP M283fdw\n")  # fmt: skip
    result = plateau("validate", "-i", example)
    assert result.code == 0  # a warning: the inventory still works
    assert "hosts.yml · hôte b-printer-01 · champ model" in result.err
    assert "hosts.yml · hôte a-mfp-01 · champ brand" in result.err
    assert result.err.count("hôte a-mfp-01 · champ model") == 1  # printer and scanner of one host: once
    assert "« model »" in result.err and "récapitulatif" in result.err

    forced = plateau("recap", "-i", example, "--jury", "jury-b", "--force", "-o", example / "r.pdf")
    assert forced.code == 0, forced.text
    text = " ".join(pdf.text((example / "r.pdf").read_bytes()).split())
    assert "à renseigner dans" in text and "(modèle)" in text and "Epson" in text

    from provision.context import load_all
    from provision.recap.data import build_recap

    [room] = build_recap(load_all(example), "jury-b").rooms
    [printer] = [row for row in room.peripherals if row.name == "b-printer-01"]
    assert (printer.model, printer.missing) == ("Epson", ("modèle",))
