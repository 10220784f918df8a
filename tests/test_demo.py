"""The README's main command: `plateau demo` on a copy of the demo centre, end to end."""

from __future__ import annotations

import shutil
import stat
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_demo_runs_the_whole_chain(tmp_path: Path, plateau) -> None:
    demo = tmp_path / "demo"
    shutil.copytree(ROOT / "inventories" / "demo", demo)
    result = plateau("demo", "-i", demo, "--no-dashboard")
    assert result.code == 0, result.err
    text = result.out
    for step in (
        "1. Vérification de l'inventaire",
        "2. Plan de préparation",
        "3. Démarrage des équipements",
        "4. Préparation des appareils",
        "5. Vérification de tous les équipements",
        "6. Récapitulatif du jury",
    ):
        assert step in text
    assert "NON PRÊT" in text and "brancher l'appareil" in text  # the deliberately flat tablet
    assert "Réseau « Plateau-Demo » appliqué" in text  # the access point was provisioned
    written = sorted((demo / ".plateau").glob("*.pdf"))
    assert [p.name.split("-")[0] for p in written] == ["recap", "wifi"]
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in written)
    assert "Traceback" not in result.out + result.err
