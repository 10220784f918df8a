"""A corpus of broken inventories: each case is one mistake a technician makes, applied to a
private copy of inventories/example (issue 13: « bad input never ends in an internal error »).

``CASES`` lists ``Case(name, mutate, expect)``: ``mutate(root)`` breaks the copy in place;
``expect`` is the exit code of ``plateau validate`` (2: refused with a message, 0: accepted,
possibly with a warning) and, when it matters, the message key and where it must point.
``tests/provision/test_broken_corpus.py`` runs every case through ``validate`` and ``plan``
(and a sample through ``check`` and ``recap``).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "inventories" / "example"
VAULT_PASSWORD = (EXAMPLE / ".vault_pass").read_bytes().strip()


@dataclass(frozen=True)
class Expect:
    code: int = 2  # of `plateau validate`
    key: str | None = None  # one problem (error or warning) has this key...
    file: str | None = None  # ...and its file ends with this
    host: str | None = None
    field: str | None = None
    line: int | None = None


@dataclass(frozen=True)
class Case:
    name: str
    mutate: Callable[[Path], None]
    expect: Expect = field(default_factory=Expect)


def copy_example(target: Path) -> Path:
    shutil.copytree(EXAMPLE, target)
    return target


# --- small tools to break a copy ------------------------------------------------------------------


def replace(rel: str, old: str, new: str, count: int = 1) -> Callable[[Path], None]:
    def mutate(root: Path) -> None:
        path = root / rel
        text = path.read_text("utf-8")
        assert old in text, (rel, old)
        path.write_text(text.replace(old, new, count), "utf-8")

    return mutate


def append(rel: str, text: str) -> Callable[[Path], None]:
    def mutate(root: Path) -> None:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as handle:
            handle.write(text)

    return mutate


def write(rel: str, data: str | bytes) -> Callable[[Path], None]:
    def mutate(root: Path) -> None:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, bytes):
            path.write_bytes(data)
        else:
            path.write_text(data, "utf-8")

    return mutate


def reencode(rel: str, encoding: str, extra: str = "") -> Callable[[Path], None]:
    """Save the file in another encoding (Windows Notepad's ANSI is cp1252)."""

    def mutate(root: Path) -> None:
        path = root / rel
        text = path.read_text("utf-8") + extra
        path.write_bytes(text.encode(encoding, errors="replace"))

    return mutate


def insert_bytes(rel: str, after: str, data: bytes) -> Callable[[Path], None]:
    def mutate(root: Path) -> None:
        path = root / rel
        raw = path.read_bytes()
        anchor = after.encode("utf-8")
        assert anchor in raw, (rel, after)
        path.write_bytes(raw.replace(anchor, anchor + data, 1))

    return mutate


def delete(rel: str) -> Callable[[Path], None]:
    def mutate(root: Path) -> None:
        path = root / rel
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink()

    return mutate


def vault(rel: str, plain: str) -> Callable[[Path], None]:
    """Write ``plain`` YAML encrypted with the example's vault password."""

    def mutate(root: Path) -> None:
        from ansible.parsing.vault import VaultLib, VaultSecret

        password = (root / ".vault_pass").read_bytes().strip()
        lib = VaultLib([("default", VaultSecret(password))])
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(lib.encrypt(plain.encode("utf-8")))

    return mutate


def edit_yaml(rel: str, change: Callable[[dict], None]) -> Callable[[Path], None]:
    def mutate(root: Path) -> None:
        path = root / rel
        data = yaml.safe_load(path.read_text("utf-8"))
        change(data)
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")

    return mutate


def host_var(family: str, host: str, var: str, value: object) -> Callable[[Path], None]:
    def change(data: dict) -> None:
        data["all"]["children"][family]["hosts"][host][var] = value

    return edit_yaml("hosts.yml", change)


def drop_host_var(family: str, host: str, var: str) -> Callable[[Path], None]:
    def change(data: dict) -> None:
        del data["all"]["children"][family]["hosts"][host][var]

    return edit_yaml("hosts.yml", change)


def session(change: Callable[[dict], None]) -> Callable[[Path], None]:
    return edit_yaml("session.yml", change)


def both(*mutations: Callable[[Path], None]) -> Callable[[Path], None]:
    def mutate(root: Path) -> None:
        for mutation in mutations:
            mutation(root)

    return mutate


def chmod(rel: str, mode: int) -> Callable[[Path], None]:
    def mutate(root: Path) -> None:
        (root / rel).chmod(mode)

    return mutate


def alias_bomb(levels: int = 9) -> str:
    lines = ['l0: &l0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"l{i}: &l{i} [" + ",".join([f"*l{i - 1}"] * 9) + "]" for i in range(1, levels)]
    return "\n".join(lines) + "\n"


CUSTOM_VAULT_AP = 'ssh_password: "Gecko-Radis-58-Orgue"\nwifi_key: "{}"\n'
H = "hosts.yml"
S = "session.yml"
E = Expect  # short


CASES: list[Case] = [
    # --- encodings and invisible characters (were exit 70) -------------------------------------
    Case("session_saved_in_latin1", reencode(S, "latin-1", "# Préparé par Hélène\n"), E(key="yaml.not_utf8", file=S)),
    Case("hosts_saved_in_cp1252", reencode(H, "cp1252"), E(key="yaml.not_utf8", file=H, line=1)),
    Case(
        "group_vars_saved_in_latin1",
        reencode("group_vars/salle_a.yml", "latin-1"),
        E(key="yaml.not_utf8", file="group_vars/salle_a.yml"),
    ),
    Case(
        "host_vars_saved_in_utf16",
        write("host_vars/a-mfp-01/main.yml", "label: Imprimante é\n".encode("utf-16")),
        E(key="yaml.not_utf8", file="host_vars/a-mfp-01/main.yml"),
    ),
    Case(
        "catalog_saved_in_latin1",
        write("catalog.yml", "titles:\n  - name: Éditeur\n".encode("latin-1")),
        E(key="yaml.not_utf8", file="catalog.yml"),
    ),
    Case(
        "session_with_utf8_bom",
        lambda root: (root / S).write_bytes(b"\xef\xbb\xbf" + (root / S).read_bytes()),
        E(code=0),
    ),
    Case("nul_in_hosts", insert_bytes(H, 'label: "PC candidat salle A"', b"\x00"), E(key="yaml.control_char", file=H)),
    Case(
        "form_feed_in_group_vars",
        insert_bytes("group_vars/all.yml", "centre_name", b"\x0c"),
        E(key="yaml.control_char", file="group_vars/all.yml", line=1),
    ),
    Case("nul_in_session", insert_bytes(S, "referentiel: mn-2025", b"\x00"), E(key="yaml.control_char", file=S)),
    Case(
        "escape_char_in_catalog",
        write("catalog.yml", 'titles:\n  - name: "a\x1bb"\n'),
        E(key="yaml.control_char", file="catalog.yml"),
    ),
    Case(
        "vertical_tab_in_host_vars",
        write("host_vars/a-mfp-01/main.yml", 'label: "x\x0by"\n'),
        E(key="yaml.control_char", file="host_vars/a-mfp-01/main.yml"),
    ),
    Case(
        "many_nuls_in_group_vars",
        write("group_vars/android.yml", "min_battery_pct: 80\n" + "\x00" * 12),
        E(key="yaml.control_chars_more", file="group_vars/android.yml"),
    ),
    Case(
        "binary_garbage_in_host_vars",
        write("host_vars/a-mfp-01/main.yml", bytes(range(256)) * 4),
        E(file="host_vars/a-mfp-01/main.yml"),
    ),
    # --- dates and times ------------------------------------------------------------------------
    Case(
        "session_date_february_30",
        replace(S, "date: 2026-12-03", "date: 2026-02-30"),
        E(key="yaml.bad_date", file=S, line=4),
    ),
    Case(
        "session_date_month_13",
        replace(S, "date: 2026-12-03", "date: 2026-13-45"),
        E(key="yaml.bad_date", file=S, line=4),
    ),
    Case(
        "session_date_quoted_impossible",
        replace(S, "date: 2026-12-03", 'date: "2026-02-30"'),
        E(key="session.invalid", file=S, field="date"),
    ),
    Case(
        "session_date_in_words",
        replace(S, "date: 2026-12-03", "date: le 3 décembre"),
        E(key="session.invalid", field="date"),
    ),
    Case("session_date_missing", replace(S, "date: 2026-12-03\n", ""), E(key="session.invalid", field="date")),
    Case(
        "session_date_hour_25",
        replace(S, "date: 2026-12-03", "date: 2026-12-03 25:00:00"),
        E(key="yaml.bad_date", file=S),
    ),
    Case(
        "impossible_date_in_group_vars",
        append("group_vars/android.yml", "x_achat: 2026-02-30\n"),
        E(key="yaml.bad_date", file="group_vars/android.yml", line=3),
    ),
    Case(
        "impossible_date_as_label",
        replace(H, 'label: "PC candidat salle A"', "label: 2026-04-31"),
        E(key="yaml.bad_date", file=H),
    ),
    Case("time_unquoted_10_15", replace(S, 'time: "09:00"', "time: 10:15"), E(code=0)),
    Case(
        "time_without_leading_zero",
        replace(S, 'time: "09:00"', "time: 9:00"),
        E(key="session.invalid", field="candidates.0.time"),
    ),
    Case(
        "time_as_number", replace(S, 'time: "09:00"', "time: 900"), E(key="session.invalid", field="candidates.0.time")
    ),
    Case(
        "sexagesimal_in_group_vars",
        append("group_vars/all.yml", "x_heure: 10:15\n"),
        E(code=0, key="yaml.sexagesimal", file="group_vars/all.yml"),
    ),
    # --- YAML structure, limits ------------------------------------------------------------------
    Case(
        "alias_bomb_in_group_vars",
        append("group_vars/all.yml", alias_bomb()),
        E(key="yaml.alias_bomb", file="group_vars/all.yml"),
    ),
    Case(
        "alias_bomb_in_hosts",
        append(H, "x_bomb:\n" + "".join("  " + line + "\n" for line in alias_bomb().splitlines())),
        E(key="yaml.alias_bomb", file=H),
    ),
    Case(
        "alias_bomb_in_session",
        append(S, "x_bomb:\n" + "".join("  " + line + "\n" for line in alias_bomb().splitlines())),
        E(key="yaml.alias_bomb", file=S),
    ),
    Case("alias_bomb_in_catalog", write("catalog.yml", alias_bomb()), E(key="yaml.alias_bomb", file="catalog.yml")),
    Case("recursive_alias", append("group_vars/all.yml", "x_loop: &loop [*loop]\n"), E(file="group_vars/all.yml")),
    Case(
        "nesting_too_deep",
        append("group_vars/all.yml", "x_deep: " + "[" * 200 + "]" * 200 + "\n"),
        E(key="yaml.too_deep", file="group_vars/all.yml"),
    ),
    Case(
        "file_too_large",
        write("host_vars/a-mfp-01/main.yml", 'x_pad: "' + "a" * (3 * 1024 * 1024) + '"\n'),
        E(key="yaml.too_large", file="host_vars/a-mfp-01/main.yml"),
    ),
    Case(
        "host_defined_twice_in_one_group",
        replace(H, "\n        b-pc-win-02:\n", "\n        b-pc-win-02:\n          role: spare\n        b-pc-win-02:\n"),
        E(key="yaml.duplicate_key", file=H),
    ),
    Case(
        "variable_written_twice_in_group_vars",
        append("group_vars/android.yml", "min_battery_pct: 30\n"),
        E(key="yaml.duplicate_key", file="group_vars/android.yml", line=3),
    ),
    Case(
        "date_written_twice_in_session",
        replace(S, "date: 2026-12-03\n", "date: 2026-12-03\ndate: 2026-12-04\n"),
        E(key="yaml.duplicate_key", file=S, line=5),
    ),
    Case("syntax_error_in_hosts", replace(H, "    windows:\n", "    windows: [\n"), E(key="yaml.syntax", file=H)),
    Case(
        "tab_indentation_in_group_vars",
        write("group_vars/android.yml", "min_battery_pct: 80\n\tscreen_timeout_s: 600\n"),
        E(key="yaml.syntax", file="group_vars/android.yml"),
    ),
    Case("unclosed_quote_in_session", replace(S, '"Jury A"', '"Jury A'), E(key="yaml.syntax", file=S)),
    Case("empty_hosts_file", write(H, ""), E(file=H)),
    Case("hosts_is_a_list", write(H, "- a\n- b\n"), E(file=H)),
    Case("hosts_is_a_sentence", write(H, "bonjour\n"), E(file=H)),
    Case(
        "group_vars_is_a_list",
        write("group_vars/android.yml", "- min_battery_pct: 80\n"),
        E(file="group_vars/android.yml"),
    ),
    Case("session_empty", write(S, ""), E(key="session.not_mapping", file=S)),
    Case("session_is_a_list", write(S, "- date: 2026-12-03\n"), E(key="session.not_mapping", file=S)),
    Case(
        "bad_explicit_int",
        append("group_vars/all.yml", "x_n: !!int abc\n"),
        E(key="yaml.bad_value", file="group_vars/all.yml"),
    ),
    Case(
        "python_tag",
        append("group_vars/all.yml", "x_p: !!python/object/apply:os.system ['true']\n"),
        E(key="yaml.syntax", file="group_vars/all.yml"),
    ),
    Case(
        "python_tag_in_session",
        append(S, "x: !!python/object/apply:os.system ['true']\n"),
        E(key="yaml.syntax", file=S),
    ),
    Case("unhashable_key", append("group_vars/all.yml", "? [a, b]\n: 1\n"), E(file="group_vars/all.yml")),
    Case(
        "json_group_vars_broken",
        write("group_vars/android.json", '{"min_battery_pct": 80,'),
        E(file="group_vars/android.json"),
    ),
    # --- vault ---------------------------------------------------------------------------------
    Case("vault_password_missing", delete(".vault_pass"), E(key="vault.no_password")),
    Case("vault_password_wrong", write(".vault_pass", "pas-le-bon\n"), E(key="vault.wrong_password")),
    Case(
        "vault_file_damaged",
        write("host_vars/a-ap-01/vault.yml", "$ANSIBLE_VAULT;1.1;AES256\nzzzz\n"),
        E(key="vault.wrong_password", file="host_vars/a-ap-01/vault.yml"),
    ),
    Case(
        "inline_vault_damaged",
        append("group_vars/all.yml", "x_s: !vault |\n  $ANSIBLE_VAULT;1.1;AES256\n  3132\n"),
        E(key="vault.wrong_password", file="group_vars/all.yml"),
    ),
    # --- unknown variables: a typo never silently keeps a default ---------------------------------
    Case(
        "typo_in_family_group_vars",
        append("group_vars/android.yml", "min_battery_pcd: 90\n"),
        E(key="field.unknown_did_you_mean", file="group_vars/android.yml", field="min_battery_pcd", line=3),
    ),
    Case(
        "typo_in_hosts_host_entry",
        host_var("android", "b-tab-android-01", "min_batery_pct", 90),
        E(key="field.unknown_did_you_mean", file=H, host="b-tab-android-01", field="min_batery_pct"),
    ),
    Case(
        "typo_in_host_vars_file",
        write("host_vars/a-ap-01/main.yml", "wifi_sid: Examen\n"),
        E(key="field.unknown_did_you_mean", file="host_vars/a-ap-01/main.yml", host="a-ap-01", field="wifi_sid"),
    ),
    Case(
        "typo_in_group_vars_all",
        append("group_vars/all.yml", "centre_nme: Centre\n"),
        E(key="field.unknown_did_you_mean", file="group_vars/all.yml", field="centre_nme"),
    ),
    Case(
        "typo_in_room_group_vars",
        write("group_vars/salle_a.yml", "room_lable: Salle A\n"),
        E(key="field.unknown_did_you_mean", file="group_vars/salle_a.yml", field="room_lable"),
    ),
    Case(
        "typo_in_workstation_dir_group_vars",
        append("group_vars/windows/main.yml", "admin_usr: jury\n"),
        E(key="field.unknown_did_you_mean", file="group_vars/windows/main.yml", field="admin_usr"),
    ),
    Case(
        "room_label_in_a_family",
        append("group_vars/android.yml", "room_label: Salle\n"),
        E(key="field.misplaced", file="group_vars/android.yml", field="room_label"),
    ),
    Case(
        "field_of_another_family",
        append("group_vars/windows/main.yml", "google_account: a@b.fr\n"),
        E(key="field.misplaced", file="group_vars/windows/main.yml", field="google_account"),
    ),
    Case(
        "internet_targets_in_a_room",
        append("group_vars/salle_a.yml", "internet_targets: [https://a.fr/]\n"),
        E(key="field.misplaced", file="group_vars/salle_a.yml", field="internet_targets"),
    ),
    Case(
        "unknown_variable_no_suggestion",
        append("group_vars/android.yml", "couleur: bleu\n"),
        E(key="field.unknown_var", file="group_vars/android.yml", field="couleur"),
    ),
    Case(
        "inline_group_vars_typo",
        replace(
            H, "    android:\n      hosts:\n", "    android:\n      vars:\n        min_battry_pct: 70\n      hosts:\n"
        ),
        E(key="field.unknown_did_you_mean", file=H, field="min_battry_pct"),
    ),
    Case("centre_prefixed_variable_accepted", append("group_vars/android.yml", "x_inventaire: T-042\n"), E(code=0)),
    Case(
        "ansible_variable_accepted",
        append("group_vars/linux/main.yml", "ansible_python_interpreter: /usr/bin/python3\n"),
        E(code=0),
    ),
    # --- addresses --------------------------------------------------------------------------------
    Case(
        "ip_out_of_range",
        replace(H, "192.168.10.11", "192.168.10.300"),
        E(key="field.bad_address", file=H, host="a-pc-win-01", field="ansible_host"),
    ),
    Case("ip_three_numbers", replace(H, "192.168.10.11", "192.168.10"), E(key="field.bad_address", host="a-pc-win-01")),
    Case(
        "ip_with_port",
        replace(H, "192.168.10.11", '"192.168.10.11:5986"'),
        E(key="field.bad_address", host="a-pc-win-01"),
    ),
    Case(
        "address_as_url",
        replace(H, "192.168.10.50", "http://192.168.10.50"),
        E(key="field.bad_address", host="a-proj-01"),
    ),
    Case(
        "address_with_space", replace(H, "192.168.10.50", '"projo salle a"'), E(host="a-proj-01", field="ansible_host")
    ),
    Case("address_empty", replace(H, "192.168.10.50", '""'), E(host="a-proj-01", field="ansible_host")),
    Case("address_as_number", replace(H, "192.168.10.50", "4352"), E(host="a-proj-01", field="ansible_host")),
    Case("address_as_list", replace(H, "192.168.10.50", "[192.168.10.50]"), E(host="a-proj-01", field="ansible_host")),
    Case("address_ipv6_accepted", replace(H, "192.168.10.50", '"fd00::50"'), E(code=0)),
    Case("address_host_name_accepted", replace(H, "192.168.10.50", "projo-a.centre.lan"), E(code=0)),
    Case(
        "address_duplicated",
        replace(H, "192.168.20.12", "192.168.20.11"),
        E(key="inventory.duplicate", field="ansible_host"),
    ),
    # --- references between hosts, orphan files ---------------------------------------------------
    Case(
        "attached_to_unknown_host",
        replace(H, "attached_to: a-pc-win-01", "attached_to: a-pc-win-1"),
        E(key="field.unknown_host", file=H, host="a-microbit-01", field="attached_to"),
    ),
    Case(
        "attached_to_empty",
        replace(H, "attached_to: a-pc-win-01", 'attached_to: ""'),
        E(host="a-microbit-01", field="attached_to"),
    ),
    Case(
        "group_vars_for_missing_group",
        write("group_vars/salle_c.yml", "room_label: Salle C\n"),
        E(code=0, key="inventory.orphan_group_vars_did_you_mean", file="group_vars/salle_c.yml"),
    ),
    Case(
        "host_vars_for_missing_host",
        write("host_vars/a-pc-win-99/main.yml", "label: PC\n"),
        E(code=0, key="inventory.orphan_host_vars_did_you_mean", file="host_vars/a-pc-win-99"),
    ),
    # --- secrets --------------------------------------------------------------------------------
    Case(
        "admin_password_in_clear_in_hosts",
        host_var("windows", "b-pc-win-02", "admin_password", "Toto-Gare-123"),
        E(code=0, key="secrets.clear_text", file=H, host="b-pc-win-02", field="admin_password"),
    ),
    Case(
        "admin_password_in_clear_in_group_vars",
        append("group_vars/windows/main.yml", "admin_password: Toto-Gare-123\n"),
        E(code=0, key="secrets.clear_text", file="group_vars/windows/main.yml", field="admin_password"),
    ),
    Case(
        "ansible_password_in_clear",
        append("group_vars/windows/main.yml", "ansible_password: Toto-Gare-123\n"),
        E(code=0, key="secrets.clear_text", field="ansible_password"),
    ),
    Case(
        "jinja_in_admin_password",
        vault("host_vars/a-pc-win-01/vault.yml", 'admin_password: "Ab-{{ x }}-12"\n'),
        E(key="secrets.jinja", file="host_vars/a-pc-win-01/vault.yml", host="a-pc-win-01", field="admin_password"),
    ),
    Case(
        "jinja_statement_in_wifi_key",
        vault("host_vars/a-ap-01/vault.yml", CUSTOM_VAULT_AP.format("{% raw %}abcdefgh")),
        E(key="secrets.jinja", host="a-ap-01", field="wifi_key"),
    ),
    Case(
        "jinja_comment_in_clear_secret",
        host_var("projector", "b-screen-01", "pjlink_password", "{# x #}"),
        E(key="secrets.jinja", host="b-screen-01", field="pjlink_password"),
    ),
    Case(
        "wifi_key_missing",
        delete("host_vars/a-ap-01/vault.yml"),
        E(key="wifi.key_missing", file=H, host="a-ap-01", field="wifi_key"),
    ),
    Case(
        "wifi_key_too_short",
        vault("host_vars/a-ap-01/vault.yml", CUSTOM_VAULT_AP.format("court")),
        E(key="wifi.key_length", host="a-ap-01", field="wifi_key"),
    ),
    Case(
        "secret_as_number",
        vault("host_vars/a-pc-win-01/vault.yml", "admin_password: 123456\n"),
        E(host="a-pc-win-01", field="admin_password"),
    ),
    # --- regex and other values -----------------------------------------------------------------
    Case(
        "expect_invalid_regex",
        replace(H, "handshake: micropython", 'handshake: custom\n          probe_string: "v"\n          expect: "("'),
        E(key="field.bad_regex", file=H, host="a-microbit-01", field="expect"),
    ),
    Case(
        "battery_over_100",
        host_var("android", "b-tab-android-01", "min_battery_pct", 120),
        E(key="field.out_of_range", host="b-tab-android-01", field="min_battery_pct"),
    ),
    Case(
        "battery_negative", host_var("android", "b-tab-android-01", "min_battery_pct", -5), E(key="field.out_of_range")
    ),
    Case(
        "battery_in_words",
        host_var("android", "b-tab-android-01", "min_battery_pct", "quatre-vingts"),
        E(key="field.not_integer"),
    ),
    Case(
        "battery_decimal", host_var("android", "b-tab-android-01", "min_battery_pct", 85.5), E(field="min_battery_pct")
    ),
    Case(
        "port_zero",
        replace("group_vars/windows/main.yml", "ansible_port: 5986", "ansible_port: 0"),
        E(key="field.out_of_range", file="group_vars/windows/main.yml", field="ansible_port"),
    ),
    Case(
        "port_too_large",
        host_var("printer", "a-mfp-01", "ipp_port", 70000),
        E(key="field.out_of_range", field="ipp_port"),
    ),
    Case(
        "spool_id_zero",
        replace(H, "spool_id: 3", "spool_id: 0"),
        E(key="field.too_small", host="b-printer3d-01", field="spool_id"),
    ),
    Case(
        "boolean_in_french", host_var("projector", "a-proj-01", "speakers", "oui peut-être"), E(key="field.not_boolean")
    ),
    Case(
        "unknown_driver",
        host_var("printer_3d", "a-printer3d-01", "driver", "bambu"),
        E(key="field.choice", field="driver"),
    ),
    Case(
        "google_account_missing",
        drop_host_var("android", "a-tab-android-01", "google_account"),
        E(key="field.missing", host="a-tab-android-01", field="google_account"),
    ),
    Case("ssid_too_long", host_var("access_point", "a-ap-01", "wifi_ssid", "X" * 40), E(key="wifi.ssid_too_long")),
    Case(
        "internet_targets_not_a_list",
        replace("group_vars/all.yml", "internet_targets:\n", "internet_targets: https://a.fr/\nx_old:\n"),
        E(key="field.not_list", file="group_vars/all.yml", field="internet_targets"),
    ),
    Case(
        "internet_target_not_a_url",
        replace("group_vars/all.yml", "https://fr.wikipedia.org/", "fr.wikipedia.org"),
        E(key="field.format", file="group_vars/all.yml", field="internet_targets"),
    ),
    Case(
        "centre_name_a_list",
        replace("group_vars/all.yml", 'centre_name: "Centre', 'centre_name: ["Centre'),
        E(file="group_vars/all.yml"),
    ),
    Case(
        "room_label_empty",
        write("group_vars/salle_a.yml", 'room_label: ""\n'),
        E(key="field.not_text", field="room_label"),
    ),
    Case(
        "host_vars_value_a_mapping",
        write("host_vars/a-proj-01/main.yml", "label: {a: 1}\n"),
        E(host="a-proj-01", field="label"),
    ),
    # --- groups -----------------------------------------------------------------------------------
    Case(
        "host_in_no_family",
        replace(H, "            a-proj-01:\n", "            a-proj-01:\n            a-mystere-01:\n"),
        E(key="inventory.no_family", file=H, host="a-mystere-01"),
    ),
    Case(
        "host_in_two_families",
        replace(H, "    linux:\n      hosts:\n", "    linux:\n      hosts:\n        a-pc-win-01:\n"),
        E(key="inventory.incompatible_families", host="a-pc-win-01"),
    ),
    Case(
        "host_in_no_room",
        replace(H, "            b-printer-01:\n", ""),
        E(key="inventory.no_room", host="b-printer-01"),
    ),
    Case(
        "host_in_two_rooms",
        replace(H, "            b-printer-01:\n", "            b-printer-01:\n            a-proj-01:\n"),
        E(key="inventory.many_rooms", host="a-proj-01"),
    ),
    Case("no_rooms_group", replace(H, "    rooms:\n", "    salles:\n"), E(file=H)),
    Case("group_name_typo_family", replace(H, "    projector:\n", "    projecteur:\n"), E(key="inventory.no_family")),
    # --- session ----------------------------------------------------------------------------------
    Case(
        "session_unknown_jury",
        session(lambda d: d["candidates"][0].update(jury="jury-z")),
        E(key="session.unknown_jury", file=S),
    ),
    Case(
        "session_unknown_room",
        session(lambda d: d["juries"][0].update(room="salle_z")),
        E(key="session.unknown_room", file=S),
    ),
    Case(
        "session_order_zero",
        session(lambda d: d["candidates"][0].update(order=0)),
        E(key="session.invalid", field="candidates.0.order"),
    ),
    Case(
        "session_duplicate_candidate",
        session(lambda d: d["candidates"][1].update(id="C01")),
        E(key="session.duplicate_candidate"),
    ),
    Case(
        "session_unknown_software",
        session(lambda d: d["candidates"][0]["software"]["windows"].append("Libre Ofice")),
        E(key="session.unknown_software", file=S),
    ),
    Case(
        "session_unknown_accessibility",
        session(lambda d: d["candidates"][0].update(accessibility=["télépathie"])),
        E(key="session.unknown_accessibility"),
    ),
    Case(
        "session_unknown_device_kind",
        session(lambda d: d["candidates"][0]["software"].update(tablette=["Canva"])),
        E(key="session.invalid", file=S),
    ),
    Case(
        "session_unknown_referentiel",
        replace(S, "referentiel: mn-2025", "referentiel: mn-2030"),
        E(key="session.invalid", field="referentiel"),
    ),
    Case(
        "session_candidates_not_a_list",
        session(lambda d: d.update(candidates="C01")),
        E(key="session.invalid", field="candidates"),
    ),
    Case("session_no_jury", session(lambda d: d.update(juries=[])), E(key="session.invalid", field="juries")),
    Case("session_unknown_field", session(lambda d: d.update(salle="A")), E(key="session.invalid", field="salle")),
    # --- catalog ------------------------------------------------------------------------------
    Case("catalog_syntax_error", write("catalog.yml", "titles: [\n"), E(key="yaml.syntax", file="catalog.yml")),
    Case("catalog_wrong_shape", write("catalog.yml", "titles: 3\n"), E(file="catalog.yml")),
    Case(
        "catalog_duplicate_key",
        write("catalog.yml", "titles: []\ntitles: []\n"),
        E(key="yaml.duplicate_key", file="catalog.yml"),
    ),
    # --- files and folders ------------------------------------------------------------------------
    Case("session_missing", delete(S), E(key="session.missing", file=S)),
    Case("hosts_missing", delete(H), E(key="inventory.no_hosts_file")),
    Case("session_is_a_folder", both(delete(S), lambda root: (root / S).mkdir()), E(key="session.missing")),
    Case("group_vars_is_a_file", both(delete("group_vars"), write("group_vars", "min_battery_pct: 80\n")), E()),
]
