"""The shipped software catalog: complete, unambiguous, and forgiving with names."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from provision.catalog import PLATFORMS, load_catalog
from provision.errors import CatalogError, UnknownSoftware


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


def test_at_least_forty_titles(catalog) -> None:
    assert len(catalog) >= 40


def test_every_title_says_something_for_every_platform(catalog) -> None:
    for title in catalog.titles.values():
        for platform in PLATFORMS:
            assert title.available_on(platform) != (platform in title.lacks), (title.id, platform)


@pytest.mark.parametrize(
    ("capability", "at_least"),
    [("web_browser", 3), ("office_suite", 1), ("presentation", 1), ("video_player", 1), ("pdf_reader", 1),
     ("screen_reader", 1)],
)  # fmt: skip
def test_windows_can_meet_the_2025_baseline(catalog, capability: str, at_least: int) -> None:
    titles = [t for t in catalog.with_capability(capability) if t.available_on("windows")]
    assert len(titles) >= at_least, capability


@pytest.mark.parametrize(
    ("asked", "expected"),
    [("VLC media player", "vlc"), ("vlc", "vlc"), ("VLC", "vlc"), ("libreoffice", "libreoffice"),
     ("Libre Office", "libreoffice"), ("Google Chrome", "google-chrome"), ("firefox", "firefox"),
     ("  Thonny ", "thonny"), ("GIMP", "gimp")],
)  # fmt: skip
def test_names_and_aliases_resolve(catalog, asked: str, expected: str) -> None:
    assert catalog.resolve(asked).id == expected


def test_misspelling_gets_the_closest_match_first(catalog) -> None:
    with pytest.raises(UnknownSoftware) as info:
        catalog.resolve("Libre Ofice")
    assert info.value.problems[0].params["suggestions"][0] == "LibreOffice"


def test_nonsense_gets_no_misleading_suggestion(catalog) -> None:
    with pytest.raises(UnknownSoftware) as info:
        catalog.resolve("zzqxw")
    assert info.value.problems[0].params["suggestions"] == []


def test_windows_ids_are_winget_or_choco_shaped(catalog) -> None:
    for title in catalog.titles.values():
        ids = title.ids_for("windows")
        if ids and "winget" in ids:
            assert "." in ids["winget"] and " " not in ids["winget"], title.id


def test_centre_catalog_adds_and_overrides(tmp_path: Path, catalog) -> None:
    extra = tmp_path / "catalog.yml"
    extra.write_text(
        """version: 1
titles:
  - id: logiciel-maison
    name: Logiciel Maison
    category: utility
    aliases: [LM]
    platforms:
      windows: {choco: logiciel-maison}
    lacks: {linux: "non", macos: "non", android: "non", ios: "non"}
""",
        "utf-8",
    )
    extended = load_catalog(extra)
    assert len(extended) == len(catalog) + 1
    assert extended.resolve("lm").ids_for("windows") == {"choco": "logiciel-maison"}


def test_broken_centre_catalog_names_file_title_and_field(tmp_path: Path) -> None:
    extra = tmp_path / "catalog.yml"
    extra.write_text(
        "version: 1\ntitles:\n  - id: bad\n    name: Bad\n    category: jeux\n    platforms: {}\n", "utf-8"
    )
    with pytest.raises(CatalogError) as info:
        load_catalog(extra)
    problems = info.value.problems
    assert all(p.file.endswith("catalog.yml") for p in problems)
    assert any(p.field == "titles.0.category" and p.params["title"] == "bad" for p in problems)


def test_alias_shared_by_two_titles_is_refused(tmp_path: Path) -> None:
    extra = tmp_path / "catalog.yml"
    extra.write_text(
        """version: 1
titles:
  - id: autre-lecteur
    name: Autre lecteur
    category: video_player
    aliases: [VLC]
    platforms: {windows: {choco: autre}}
    lacks: {linux: "non", macos: "non", android: "non", ios: "non"}
""",
        "utf-8",
    )
    with pytest.raises(CatalogError) as info:
        load_catalog(extra)
    assert info.value.problems[0].key == "catalog.ambiguous_alias"


# ---------------------------------------------------------------- a working Windows path for every title
RECORDED = Path(__file__).resolve().parents[1] / "provisioning" / "data" / "winget" / "manifests"
FRENCH = re.compile(r"\s[:;!?]|[éèêàâùûçôî]")  # French typography (space before « : ») or accents


def test_every_windows_title_has_a_working_path_or_says_why(catalog, tmp_path: Path) -> None:
    """winget id (its manifest cached by plateau cache, else winget on the PC), Chocolatey id, or
    a French reason under ``lacks.windows``; and an id that is not winget/Chocolatey-shaped is refused."""
    for title in catalog.titles.values():
        ids = title.ids_for("windows")
        if ids is None:
            reason = title.lacks["windows"]
            assert len(reason) > 20 and FRENCH.search(reason), (title.id, reason)
            continue
        assert ids.get("winget") or ids.get("choco"), title.id
    bad = tmp_path / "catalog.yml"
    bad.write_text(
        "version: 1\ntitles:\n  - id: x\n    name: X\n    category: utility\n"
        "    platforms: {windows: {winget: 'Not An Id', choco: 'pas un id'}}\n"
        "    lacks: {linux: non, macos: non, android: non, ios: non}\n",
        "utf-8",
    )
    with pytest.raises(CatalogError) as info:
        load_catalog(bad)
    fields = {p.field for p in info.value.problems}
    assert {"titles.0.platforms.windows.winget", "titles.0.platforms.windows.choco"} <= fields, fields


def test_recorded_manifests_give_a_per_machine_installer_or_the_catalog_says_why(catalog) -> None:
    """Each real winget manifest recorded for the tests (tests/provisioning/data/winget) either gives
    plateau cache a per-machine silent installer, or its title has a Chocolatey id or a French
    ``limits`` reason (Canva, Discord: per-user installers only)."""
    import yaml

    from provision.provisioning import winget

    by_winget = {
        t.ids_for("windows")["winget"]: t for t in catalog.titles.values() if (t.ids_for("windows") or {}).get("winget")
    }
    checked = []
    manifests = [yaml.safe_load(path.read_text("utf-8")) for path in sorted(RECORDED.rglob("*.installer.yaml"))]
    # besides the catalog's titles, the dependencies they declare (LibreOffice's Visual C++ runtime)
    declared = {d["PackageIdentifier"] for m in manifests for i in m.get("Installers", [])
                for d in (i.get("Dependencies") or {}).get("PackageDependencies", [])}  # fmt: skip
    for manifest in manifests:
        if manifest["PackageIdentifier"] not in by_winget:
            assert manifest["PackageIdentifier"] in declared, manifest["PackageIdentifier"]
            continue
        title = by_winget[manifest["PackageIdentifier"]]  # every other recorded manifest is a catalog title's
        ids = title.ids_for("windows") or {}
        try:
            winget.silent_arguments(winget.choose_installer(manifest))
        except winget.Unsupported as exc:
            assert ids.get("choco") or ids.get("limits"), (title.id, exc.args[0])
            checked.append((title.id, "limits" if ids.get("limits") else "choco"))
        else:
            assert not ids.get("limits"), f"{title.id}: limits says it cannot, its manifest says it can"
            checked.append((title.id, "cache"))
    assert ("canva", "limits") in checked and ("discord", "limits") in checked and ("vlc", "cache") in checked
