"""Every kind of bad input gets a clear message naming file, host and field, exit 2, no traceback.

Each test breaks a private copy of the example inventory in one precise way and checks the
message key and its location (keys and params, not prose), then that the CLI says it in French.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from provision.errors import InventoryError, SessionError, VaultError
from provision.inventory import load_inventory


def problems_of(root: Path, exc_type=InventoryError):
    with pytest.raises(exc_type) as info:
        load_inventory(root)
    return info.value.problems


def edit_yaml(path: Path, change) -> None:
    data = yaml.safe_load(path.read_text("utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")


def hosts_of(data: dict) -> dict:
    return data["all"]["children"]


def test_yaml_syntax_error_names_file_and_line(example: Path, plateau) -> None:
    hosts = example / "hosts.yml"
    lines = hosts.read_text("utf-8").splitlines()
    lines[12] = lines[12] + " [broken"  # an unclosed flow sequence on line 13
    hosts.write_text("\n".join(lines) + "\n", "utf-8")
    (problem,) = problems_of(example)
    assert problem.key == "yaml.syntax"
    assert problem.file.endswith("hosts.yml")
    assert problem.line is not None and 13 <= problem.line <= 15
    result = plateau("validate", "-i", example)
    assert result.code == 2
    assert "Erreur de syntaxe YAML" in result.err and "hosts.yml:" in result.err
    assert "Traceback" not in result.text


def test_syntax_errors_in_several_files_are_all_reported(example: Path) -> None:
    (example / "group_vars" / "android.yml").write_text("min_battery_pct: [80\n", "utf-8")
    (example / "group_vars" / "printer_3d.yml").write_text("min_filament_g: {100\n", "utf-8")
    problems = problems_of(example)
    files = sorted(Path(p.file).name for p in problems if p.key == "yaml.syntax")
    assert files == ["android.yml", "printer_3d.yml"]


def test_host_in_no_family(example: Path) -> None:
    def change(data):
        hosts_of(data)["rooms"]["children"]["salle_a"]["hosts"]["a-mystere-01"] = None

    edit_yaml(example / "hosts.yml", change)
    (problem,) = problems_of(example)
    assert problem.key == "inventory.no_family"
    assert problem.host == "a-mystere-01"
    assert problem.file.endswith("hosts.yml") and problem.line
    assert "windows" in problem.params["families"]


def test_host_in_two_incompatible_families(example: Path) -> None:
    def change(data):
        hosts_of(data)["linux"]["hosts"]["a-pc-win-01"] = None

    edit_yaml(example / "hosts.yml", change)
    (problem,) = problems_of(example)
    assert problem.key == "inventory.incompatible_families"
    assert problem.host == "a-pc-win-01"
    assert sorted(problem.params["families"]) == ["linux", "windows"]


def test_multifunction_printer_is_printer_and_scanner(example: Path) -> None:
    inventory = load_inventory(example)
    assert sorted(d.family for d in inventory.hosts["a-mfp-01"]) == ["printer", "scanner"]


def test_missing_required_field_names_host_and_field(example: Path) -> None:
    def change(data):
        del hosts_of(data)["android"]["hosts"]["a-tab-android-01"]["google_account"]

    edit_yaml(example / "hosts.yml", change)
    (problem,) = problems_of(example)
    assert (problem.key, problem.host, problem.field) == ("field.missing", "a-tab-android-01", "google_account")
    assert problem.file.endswith("hosts.yml")


def test_missing_field_from_group_vars_is_reported_per_host(example: Path) -> None:
    path = example / "group_vars" / "windows" / "main.yml"
    path.write_text(path.read_text().replace("admin_user: jury\n", ""), "utf-8")
    problems = problems_of(example)
    assert {(p.key, p.field) for p in problems} == {("field.missing", "admin_user")}
    assert sorted(p.host for p in problems) == ["a-pc-win-01", "b-pc-win-01", "b-pc-win-02"]


def test_out_of_range_battery_names_the_file_that_set_it(example: Path, plateau) -> None:
    def change(data):
        hosts_of(data)["android"]["hosts"]["b-tab-android-01"]["min_battery_pct"] = 120

    edit_yaml(example / "hosts.yml", change)
    (problem,) = problems_of(example)
    assert problem.key == "field.out_of_range"
    assert (problem.host, problem.field) == ("b-tab-android-01", "min_battery_pct")
    assert problem.params["value"] == 120 and problem.params["max"] == 100
    assert problem.file.endswith("hosts.yml") and problem.line
    result = plateau("validate", "-i", example)
    assert result.code == 2
    assert "hôte b-tab-android-01" in result.err and "champ min_battery_pct" in result.err
    assert "120" in result.err and "Traceback" not in result.text


@pytest.mark.parametrize(("lang", "where"), [("fr", "hôte b-tab-android-01 · champ min_battery_pct"),
                                              ("en", "host b-tab-android-01 · field min_battery_pct")])  # fmt: skip
def test_error_location_speaks_the_readers_language(example: Path, plateau, monkeypatch, lang, where) -> None:
    monkeypatch.setenv("PLATEAU_LANG", lang)
    edit_yaml(
        example / "hosts.yml",
        lambda data: hosts_of(data)["android"]["hosts"]["b-tab-android-01"].update(min_battery_pct=120),
    )
    result = plateau("validate", "-i", example)
    assert result.code == 2 and "Traceback" not in result.text
    assert "hosts.yml:" in result.err and where in result.err, result.err


def test_group_vars_value_is_located_in_group_vars(example: Path) -> None:
    (example / "group_vars" / "android.yml").write_text("min_battery_pct: 150\nscreen_timeout_s: 600\n", "utf-8")
    problems = problems_of(example)
    # b-tab-android-01 overrides it in hosts.yml (90): only a-tab-android-01 inherits 150
    assert [p.host for p in problems] == ["a-tab-android-01"]
    assert all(p.file.endswith("group_vars/android.yml") and p.line == 1 for p in problems)


def test_wrong_type(example: Path) -> None:
    def change(data):
        hosts_of(data)["projector"]["hosts"]["a-proj-01"]["speakers"] = "peut-être"

    edit_yaml(example / "hosts.yml", change)
    (problem,) = problems_of(example)
    assert (problem.host, problem.field) == ("a-proj-01", "speakers")
    assert problem.params["value"] == "peut-être"


def test_unknown_choice_lists_the_possible_values(example: Path) -> None:
    def change(data):
        hosts_of(data)["printer_3d"]["hosts"]["a-printer3d-01"]["driver"] = "bambu"

    edit_yaml(example / "hosts.yml", change)
    (problem,) = problems_of(example)
    assert problem.key == "field.choice" and problem.field == "driver"
    assert "octoprint" in problem.params["expected"]


@pytest.mark.parametrize(
    ("family", "host", "field", "value"),
    [
        ("windows", "b-pc-win-02", "ansible_host", "192.168.20.11"),  # same IP as b-pc-win-01
        ("android", "a-tab-android-01", "adb_serial", "R52T80ABCDE"),  # same serial as the USB tablet
        ("microcontroller", "b-arduino-01", "usb_serial", "9904360259994e450036401000000049000000009796990b"),
    ],
)
def test_duplicates_are_refused(example: Path, family, host, field, value) -> None:
    def change(data):
        hosts_of(data)[family]["hosts"][host][field] = value

    edit_yaml(example / "hosts.yml", change)
    (problem,) = problems_of(example)
    assert problem.key == "inventory.duplicate"
    assert problem.field == field and problem.params["value"] == value
    assert {problem.host, problem.params["other"]} >= {host}


def test_ssid_over_32_bytes(example: Path, plateau) -> None:
    ssid = "Réseau-Examen-Salle-Médiathèque-A"  # 33 characters, 36 bytes in UTF-8

    def change(data):
        hosts_of(data)["access_point"]["hosts"]["a-ap-01"]["wifi_ssid"] = ssid

    edit_yaml(example / "hosts.yml", change)
    (problem,) = problems_of(example)
    assert problem.key == "wifi.ssid_too_long"
    assert problem.params["bytes"] == len(ssid.encode()) > 32
    assert (problem.host, problem.field) == ("a-ap-01", "wifi_ssid")
    result = plateau("validate", "-i", example)
    assert "32 au maximum" in result.err


def test_ssid_of_32_bytes_with_accents_is_accepted(example: Path) -> None:
    ssid = "é" * 16  # 16 characters, exactly 32 bytes

    def change(data):
        hosts_of(data)["access_point"]["hosts"]["a-ap-01"]["wifi_ssid"] = ssid

    edit_yaml(example / "hosts.yml", change)
    assert load_inventory(example).hosts["a-ap-01"][0].wifi_ssid == ssid


@pytest.mark.parametrize("key", ["court77", "x" * 64, "clé-avec-accent"])
def test_wpa_key_length_is_checked_and_never_shown(example: Path, plateau, key: str) -> None:
    from ansible.parsing.vault import VaultLib, VaultSecret

    password = (example / ".vault_pass").read_bytes().strip()
    vault = VaultLib([("default", VaultSecret(password))])
    plain = f'ssh_password: "Gecko-Radis-58-Orgue"\nwifi_key: "{key}"\n'
    (example / "host_vars" / "a-ap-01" / "vault.yml").write_bytes(vault.encrypt(plain.encode()))
    (problem,) = problems_of(example)
    assert problem.key == "wifi.key_length"
    assert problem.params == {"length": len(key)}
    assert problem.file.endswith("host_vars/a-ap-01/vault.yml")
    result = plateau("validate", "-i", example)
    assert result.code == 2
    assert key not in result.text


def test_vault_without_password_names_each_file(example: Path, plateau) -> None:
    (example / ".vault_pass").unlink()
    problems = problems_of(example, VaultError)
    assert {p.key for p in problems} == {"vault.no_password"}
    assert {Path(p.file).parent.name for p in problems} >= {"a-pc-win-01", "b-ap-01"}
    result = plateau("validate", "-i", example)
    assert result.code == 2
    assert ".vault_pass" in result.err and "Traceback" not in result.text


def test_wrong_vault_password(example: Path, tmp_path: Path, plateau) -> None:
    wrong = tmp_path / "wrong-pass"
    wrong.write_text("pas-le-bon\n")
    result = plateau("validate", "-i", example, "--vault-password-file", wrong)
    assert result.code == 2
    assert "Impossible de déchiffrer" in result.err and "wrong-pass" in result.err


def test_all_errors_are_reported_at_once(example: Path) -> None:
    def change(data):
        children = hosts_of(data)
        children["android"]["hosts"]["b-tab-android-01"]["min_battery_pct"] = 120
        children["access_point"]["hosts"]["b-ap-01"]["wifi_ssid"] = "X" * 40
        children["windows"]["hosts"]["b-pc-win-02"]["ansible_host"] = "192.168.20.11"

    edit_yaml(example / "hosts.yml", change)
    keys = sorted(p.key for p in problems_of(example))
    assert keys == ["field.out_of_range", "inventory.duplicate", "wifi.ssid_too_long"]


def test_host_in_no_room(example: Path) -> None:
    def change(data):
        del hosts_of(data)["rooms"]["children"]["salle_b"]["hosts"]["b-printer-01"]

    edit_yaml(example / "hosts.yml", change)
    (problem,) = problems_of(example)
    assert (problem.key, problem.host) == ("inventory.no_room", "b-printer-01")


def test_typo_in_a_host_variable_gets_a_suggestion(example: Path) -> None:
    def change(data):
        hosts_of(data)["android"]["hosts"]["b-tab-android-01"]["min_batery_pct"] = 90

    edit_yaml(example / "hosts.yml", change)
    # an error, not a warning: the misspelt threshold would silently keep its default (issue 13)
    (problem,) = problems_of(example)
    assert problem.key == "field.unknown_did_you_mean" and problem.is_error
    assert problem.params["suggestion"] == "min_battery_pct" and problem.host == "b-tab-android-01"


def test_missing_inventory_folder_and_hosts_file(tmp_path: Path, plateau) -> None:
    result = plateau("validate", "-i", tmp_path / "nulle-part")
    assert result.code == 2 and "n'existe pas" in result.err
    (tmp_path / "vide").mkdir()
    result = plateau("validate", "-i", tmp_path / "vide")
    assert result.code == 2 and "hosts.yml" in result.err


# --- session.yml -------------------------------------------------------------------------


def edit_session(example: Path, change) -> None:
    edit_yaml(example / "session.yml", change)


def session_problems(example: Path):
    from provision.context import load_all

    with pytest.raises(SessionError) as info:
        load_all(example)
    return info.value.problems


def test_candidate_asking_for_unknown_software_gets_suggestions(example: Path, plateau) -> None:
    def change(data):
        data["candidates"][0]["software"]["windows"].append("Libre Ofice")

    edit_session(example, change)
    (problem,) = session_problems(example)
    assert problem.key == "session.unknown_software"
    assert problem.params["suggestions"][0] == "LibreOffice"
    assert problem.file.endswith("session.yml") and problem.line
    result = plateau("validate", "-i", example)
    assert result.code == 2 and "Vouliez-vous dire : LibreOffice" in result.err


def test_title_on_a_platform_where_it_does_not_exist(example: Path) -> None:
    def change(data):
        data["candidates"][2]["software"]["ipad"] = ["Scratch"]

    edit_session(example, change)
    (problem,) = session_problems(example)
    assert problem.key == "session.not_on_platform"
    assert problem.params["name"] == "Scratch" and problem.params["kind"] == "ipad"
    assert problem.params["reason"]


def test_jury_room_that_does_not_exist(example: Path) -> None:
    def change(data):
        data["juries"][1]["room"] = "salle_z"

    edit_session(example, change)
    problems = session_problems(example)
    assert [p.key for p in problems] == ["session.unknown_room"]
    assert problems[0].params["room"] == "salle_z" and "salle_a" in problems[0].params["rooms"]


def test_session_errors_all_at_once(example: Path) -> None:
    def change(data):
        data["candidates"][1]["order"] = 1  # same as C01 before jury-a
        data["candidates"][1]["accessibility"] = ["télépathie"]
        data["candidates"][3]["jury"] = "jury-z"

    edit_session(example, change)
    keys = sorted(p.key for p in session_problems(example))
    assert keys == ["session.duplicate_order", "session.unknown_accessibility", "session.unknown_jury"]


def test_session_type_error_names_the_candidate(example: Path) -> None:
    def change(data):
        data["candidates"][0]["order"] = "premier"

    edit_session(example, change)
    (problem,) = session_problems(example)
    assert problem.key == "session.invalid" and problem.params["who"] == "candidat C01"
    assert problem.field == "candidates.0.order"


def test_no_traceback_from_the_real_console_script(example: Path, run_cli) -> None:
    (example / "session.yml").write_text("date: [\n", "utf-8")
    result = run_cli("validate", "-i", str(example))
    assert result.returncode == 2, result.stderr
    assert "session.yml" in result.stderr and "Traceback" not in result.stderr + result.stdout


def test_session_mistakes_are_reported_with_the_inventory_ones(example: Path, plateau) -> None:
    def change(data):
        hosts_of(data)["android"]["hosts"]["b-tab-android-01"]["min_battery_pct"] = 120

    edit_yaml(example / "hosts.yml", change)
    edit_session(example, lambda data: data["candidates"][0].update(order="premier"))
    result = plateau("validate", "-i", example)
    assert result.code == 2
    assert "min_battery_pct" in result.err and "candidates.0.order" in result.err
    assert "2 erreur(s)" in result.err


def test_a_vars_file_or_session_that_is_a_list_says_so_in_words(example: Path, plateau) -> None:
    (example / "group_vars" / "salle_a.yml").write_text("- wifi_ssid: Examen\n- x: 1\n", encoding="utf-8")
    result = plateau("validate", "-i", example)
    assert result.code == 2
    assert "(ici : une liste)" in " ".join(result.err.split()), result.err
    (example / "group_vars" / "salle_a.yml").write_text("{}\n", encoding="utf-8")
    (example / "session.yml").write_text("- date: 2026-12-03\n", encoding="utf-8")
    result = plateau("validate", "-i", example)
    assert result.code == 2 and "pas une liste." in " ".join(result.err.split()), result.err


def test_windows_over_openssh_needs_the_powershell_shell_type(example: Path, plateau) -> None:
    """Without « ansible_shell_type: powershell » Ansible would send sh commands to Windows."""
    vars_file = example / "group_vars" / "windows" / "main.yml"
    text = vars_file.read_text(encoding="utf-8").replace("ansible_connection: winrm", "ansible_connection: ssh")
    vars_file.write_text(text.replace("ansible_port: 5986", "ansible_port: 22"), encoding="utf-8")
    result = plateau("validate", "-i", example)
    assert result.code == 2 and "champ ansible_shell_type" in result.err, result.err
    assert "ansible_shell_type: powershell" in " ".join(result.err.split())
    vars_file.write_text(vars_file.read_text(encoding="utf-8") + "ansible_shell_type: powershell\n", encoding="utf-8")
    result = plateau("validate", "-i", example)
    assert "ansible_shell_type" not in result.err, result.err
