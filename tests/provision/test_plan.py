"""`plateau validate` and `plateau plan` on the example centre: structure, gaps, no leaks."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "inventories" / "example"


def plan_json(plateau, inventory: Path) -> tuple[int, dict]:
    result = plateau("plan", "-i", inventory, "--format", "json")
    return result.code, json.loads(result.out)


def host(plan: dict, name: str, family: str | None = None) -> dict:
    return next(h for h in plan["hosts"] if h["name"] == name and (family is None or h["family"] == family))


def test_example_validates(plateau) -> None:
    result = plateau("validate", "-i", EXAMPLE)
    assert result.code == 0, result.err
    assert "Inventaire valide" in result.out and "23 équipements" in result.out


def test_plan_json_structure_is_stable(plateau) -> None:
    code, plan = plan_json(plateau, EXAMPLE)
    assert code == 0
    assert plan["schema"] == "plateau.plan/1"
    assert set(plan) == {
        "schema",
        "inventory",
        "centre",
        "date",
        "referentiel",
        "rooms",
        "hosts",
        "own_laptops",
        "attestations",
        "gaps",
        "warnings",
        "summary",
    }
    assert {r["id"] for r in plan["rooms"]} == {"salle_a", "salle_b"}
    for entry in plan["hosts"]:
        assert set(entry) == {"name", "family", "room", "role", "address", "software", "accounts", "settings"}
        for software in entry["software"]:
            assert set(software) == {"id", "name", "category", "install", "requested_by"}
            assert software["requested_by"]


def test_candidate_requests_land_on_their_room_with_who_asked(plateau) -> None:
    _, plan = plan_json(plateau, EXAMPLE)
    win_a = {s["id"]: s for s in host(plan, "a-pc-win-01")["software"]}
    assert win_a["thonny"]["requested_by"] == ["candidat:C02"]
    assert win_a["thonny"]["install"]["winget"]
    # requested by the référentiel and by a candidate: installed once, both reasons kept
    assert set(win_a["firefox"]["requested_by"]) == {"référentiel:mn-2025", "candidat:C01"}
    # screen reader need of C02 installs NVDA on Windows
    assert win_a["nvda"]["requested_by"] == ["accessibilité:C02"]
    # C03 is before jury B: nothing of theirs in room A
    assert "audacity" not in win_a
    assert "audacity" in {s["id"] for s in host(plan, "b-pc-win-01")["software"]}


def test_jury_workstation_gets_no_candidate_software(plateau) -> None:
    _, plan = plan_json(plateau, EXAMPLE)
    assert host(plan, "b-pc-win-02")["software"] == []


def test_own_laptop_candidates_are_listed_not_installed(plateau) -> None:
    _, plan = plan_json(plateau, EXAMPLE)
    assert plan["own_laptops"] == [{"candidate": "C04", "jury": "jury-b", "software": {"windows": ["OBS Studio"]}}]
    assert all("obs-studio" not in {s["id"] for s in h["software"]} for h in plan["hosts"])


def test_accounts_expected_with_secret_presence_never_value(plateau, vault_secrets) -> None:
    result = plateau("plan", "-i", EXAMPLE, "--format", "json")
    plan = json.loads(result.out)
    tablet = host(plan, "a-tab-android-01")
    assert {
        "kind": "google_account",
        "login": "plateau.salle.a@gmail.com",
        "secret_var": "google_password",
        "secret_present": True,
    } in tablet["accounts"]
    secrets = vault_secrets(EXAMPLE)
    assert len(secrets) >= 20
    table = plateau("plan", "-i", EXAMPLE)
    for secret in secrets:
        assert secret not in result.out + result.err
        assert secret not in table.out + table.err


def test_speakers_attestation_only_where_the_projection_has_none(plateau) -> None:
    _, plan = plan_json(plateau, EXAMPLE)
    speakers = {a["room"] for a in plan["attestations"] if a["id"] == "speakers"}
    assert speakers == {"salle_b"}  # salle_a's projector has speakers


def test_gap_when_the_centre_reduces_browsers_below_three(example: Path, plateau) -> None:
    hosts = example / "hosts.yml"
    data = yaml.safe_load(hosts.read_text("utf-8"))
    data["all"]["children"]["windows"]["hosts"]["b-pc-win-01"]["baseline_software"] = [
        "LibreOffice", "Firefox", "Microsoft Edge", "VLC", "SumatraPDF"]  # fmt: skip
    hosts.write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    # C03 asks for Google Chrome on salle_b: still 3 browsers, no gap
    code, plan = plan_json(plateau, example)
    assert code == 0 and plan["gaps"] == []
    session = example / "session.yml"
    session.write_text(session.read_text("utf-8").replace('"Google Chrome"', "GIMP"), "utf-8")
    code, plan = plan_json(plateau, example)
    assert code == 1
    (gap,) = plan["gaps"]
    assert gap["key"] == "referentiel.capability_short"
    assert gap["host"] == "b-pc-win-01"
    assert gap["params"]["capability"] == "web_browser" and gap["params"]["have"] == 2 and gap["params"]["need"] == 3
    assert "2 navigateur web" in gap["message"]


def test_gap_when_no_candidate_windows_workstation_is_on_the_projection(example: Path, plateau) -> None:
    hosts = example / "hosts.yml"
    data = yaml.safe_load(hosts.read_text("utf-8"))
    data["all"]["children"]["windows"]["hosts"]["a-pc-win-01"]["projection"] = False
    hosts.write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    code, plan = plan_json(plateau, example)
    assert code == 1
    keys = sorted((g["key"], g["params"]["room"]) for g in plan["gaps"])
    assert keys == [("referentiel.device_missing", "salle_a"), ("referentiel.device_unmet", "salle_a")]
    result = plateau("plan", "-i", example)
    assert "Manques par rapport au référentiel" in result.out


def test_unknown_software_in_inventory_baseline(example: Path, plateau) -> None:
    hosts = example / "hosts.yml"
    data = yaml.safe_load(hosts.read_text("utf-8"))
    data["all"]["children"]["linux"]["hosts"]["a-pc-linux-01"]["extra_software"] = ["Gimpp"]
    hosts.write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    result = plateau("plan", "-i", example)
    assert result.code == 2
    assert "hôte a-pc-linux-01" in result.err and "champ extra_software" in result.err and "GIMP" in result.err


def test_windows_title_plateau_cannot_install_offline_is_a_warning_with_the_catalogues_reason(
    example: Path, plateau
) -> None:
    """Discord ships a per-user installer only (catalogue ``windows.limits``): said before provisioning."""
    session = example / "session.yml"
    session.write_text(
        session.read_text("utf-8").replace(
            'windows: [Thonny, "Arduino IDE"]', 'windows: [Thonny, "Arduino IDE", Discord]'
        ),
        "utf-8",
    )
    reason = "Installateur par utilisateur seulement (manifeste winget : Scope user)"
    result = plateau("validate", "-i", example)
    assert result.code == 0, result.err  # a warning, not an error
    assert "! attention hôte a-pc-win-01" in result.err and "✗ erreur" not in result.err
    assert f"« Discord » sur a-pc-win-01 : {reason}" in result.err
    assert "Canva" not in result.err  # asked on Android only, where it installs fine
    code, plan = plan_json(plateau, example)
    assert code == 0
    [warning] = [w for w in plan["warnings"] if w["key"] == "validate.windows_limits"]
    assert warning["host"] == "a-pc-win-01" and warning["params"]["title"] == "Discord"
    assert warning["params"]["reason"].startswith(reason) and warning["severity"] == "warning"
    table = plateau("plan", "-i", example).out
    line = next(line for line in table.splitlines() if "Discord (C02)" in line)
    after = table[table.index(line) :]
    assert "⚠ Installateur par utilisateur seulement" in after.split("├")[0]  # in the same cell, under the title


def test_remn_2020_profile_lists_its_devices(example: Path, plateau) -> None:
    session = example / "session.yml"
    session.write_text(
        session.read_text("utf-8").replace("referentiel: mn-2025", "referentiel: remn-ccp1-2020"), "utf-8"
    )
    code, plan = plan_json(plateau, example)
    # salle_b has no Linux PC and no Mac: the 2020 plateau asks for both
    missing = {
        (g["params"]["room"], g["params"]["label"]) for g in plan["gaps"] if g["key"] == "referentiel.device_missing"
    }
    assert ("salle_b", "Poste Linux relié à internet par câble") in missing
    assert ("salle_b", "Mac relié à internet par câble") in missing
    assert not any(room == "salle_a" for room, _ in missing)
    assert code == 1
