"""Issue 13, the pieces the corpus (test_broken_corpus.py) does not pin down alone: the YAML reader's
limits and checks, where a message points, range messages, the device count, the docs."""

from __future__ import annotations

import re
import resource
import subprocess
import sys
import time
from pathlib import Path

import pytest

from provision import yamlmap
from provision.context import load_all
from provision.errors import InventoryError, PlateauError
from provision.inventory import load_inventory

ROOT = Path(__file__).resolve().parents[2]


def keys(text: str, loader=yamlmap.AnsibleLoader) -> list[str]:
    _data, problems, _node = yamlmap.check_yaml(text, "f.yml", loader)
    return [p.key for p in problems]


# --- the YAML reader -----------------------------------------------------------------------------


def test_alias_bomb_is_refused_before_expansion() -> None:
    bomb = 'a0: &a0 ["x","x","x","x","x","x","x","x","x"]\n' + "".join(
        f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]\n" for i in range(1, 12)
    )  # 9**12 values once expanded
    started = time.monotonic()
    assert keys(bomb) == ["yaml.alias_bomb"]
    assert time.monotonic() - started < 1.0


def test_a_few_aliases_are_fine() -> None:
    assert keys("base: &b {admin_user: jury}\nother:\n  <<: *b\n  x: 1\n") == []


def test_nesting_recursion_and_duplicates() -> None:
    assert keys("a: " + "[" * 500 + "]" * 500 + "\n") == ["yaml.too_deep"]
    assert keys("a: &a [*a]\n") == ["yaml.recursive_alias"]
    assert keys("a: 1\nb:\n  c: 1\n  c: 2\n") == ["yaml.duplicate_key"]


def test_impossible_values_name_their_line_and_column() -> None:
    _data, (problem,), _node = yamlmap.check_yaml("x: 1\nd: 2026-02-30\n", "f.yml")
    assert (problem.key, problem.line, problem.params["column"]) == ("yaml.bad_date", 2, 4)
    assert keys("d: 2026-13-45\n") == ["yaml.bad_date"]
    assert keys("n: !!int douze\n") == ["yaml.bad_value"]


def test_control_characters_with_line_and_column() -> None:
    text, problems = yamlmap.decode(b"a: 1\nb: x\x0cy\n", "f.yml")
    assert [(p.key, p.line, p.params["column"], p.params["char"]) for p in problems] == [
        ("yaml.control_char", 2, 5, "U+000C")
    ]


def test_latin1_is_named_with_its_line() -> None:
    _text, (problem,) = yamlmap.decode("a: 1\nlabel: Salle é\n".encode("latin-1"), "f.yml")
    assert (problem.key, problem.line, problem.params["column"]) == ("yaml.not_utf8", 2, 14)
    from provision.messages import render

    assert "enregistrez-le en UTF-8" in render(problem.key, problem.params, "fr")


def test_session_reads_10_15_as_text_the_inventory_warns() -> None:
    data, problems, _node = yamlmap.check_yaml("time: 10:15\n", "session.yml", yamlmap.TextTimesLoader)
    assert data == {"time": "10:15"} and problems == []
    data, problems, _node = yamlmap.check_yaml("x_t: 10:15\n", "all.yml", yamlmap.AnsibleLoader)
    assert data == {"x_t": 615} and [p.key for p in problems] == ["yaml.sexagesimal"]


def test_alias_bomb_through_the_real_cli_stays_small(example: Path, run_cli) -> None:
    """Before: a 6-level bomb took 9.7 s and 1.3 GB in Ansible, a 9-level one was killed at 7.8 GB."""
    with (example / "group_vars" / "all.yml").open("a", encoding="utf-8") as handle:
        handle.write('l0: &l0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n')
        for i in range(1, 9):
            handle.write(f"l{i}: &l{i} [" + ",".join([f"*l{i - 1}"] * 9) + "]\n")
    limit = 1024 * 1024 * 1024  # 1 GiB of address space is plenty for plateau, not for the bomb

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    exe = Path(sys.executable).parent / "plateau"
    started = time.monotonic()
    result = subprocess.run(
        [str(exe), "validate", "-i", str(example)], capture_output=True, text=True, timeout=60, preexec_fn=cap
    )
    assert result.returncode == 2, result.stderr
    assert "alias" in result.stderr and "group_vars/all.yml" in result.stderr
    assert time.monotonic() - started < 30


# --- where messages point ------------------------------------------------------------------------


def test_missing_wifi_key_points_at_the_access_point_entry(example: Path) -> None:
    (example / "host_vars" / "a-ap-01" / "vault.yml").unlink()
    with pytest.raises(InventoryError) as info:
        load_inventory(example)
    (problem,) = info.value.problems
    lines = (example / "hosts.yml").read_text("utf-8").splitlines()
    assert problem.key == "wifi.key_missing" and problem.host == "a-ap-01"
    assert lines[problem.line - 1] == "        a-ap-01:"  # under access_point:, not the room's list
    assert lines[problem.line].strip().startswith("platform:")


@pytest.mark.parametrize(
    ("error", "bounds", "key", "text"),
    [
        (
            {"type": "less_than_equal", "msg": "", "input": 120, "ctx": {"le": 100}},
            (0, 100),
            "field.out_of_range",
            "entre 0 et 100",
        ),
        (
            {"type": "greater_than_equal", "msg": "", "input": 0, "ctx": {"ge": 1}},
            (1, None),
            "field.too_small",
            "au moins 1",
        ),
        (
            {"type": "less_than_equal", "msg": "", "input": 9, "ctx": {"le": 5}},
            (None, 5),
            "field.too_large",
            "au plus 5",
        ),
    ],
)
def test_a_range_message_never_has_a_missing_bound(error, bounds, key, text) -> None:
    from provision.messages import render
    from provision.validation import describe

    got, params = describe(error, secret=False, bounds=bounds)
    assert got == key
    assert text in render(got, params, "fr") and "—" not in render(got, params, "fr")


def test_validate_and_plan_count_devices_the_same_way(plateau) -> None:
    example = ROOT / "inventories" / "example"
    validated = plateau("validate", "-i", example)
    planned = plateau("plan", "-i", example)
    counts = [re.search(r"(\d+) équipements", r.out.replace("\n", " ")).group(1) for r in (validated, planned)]
    assert counts[0] == counts[1] == "23"  # a multifunction printer is one device


def test_the_example_and_the_demo_have_no_warning() -> None:
    for name in ("example", "demo"):
        assert load_inventory(ROOT / "inventories" / name).warnings == []


# --- docs match the code ----------------------------------------------------------------------------


def test_every_model_field_is_in_the_inventory_reference() -> None:
    from devices.models import known_fields
    from provision.families import REGISTRY
    from provision.inventory.rules import CENTRE_PREFIX, CENTRE_VARS, ROOM_VARS

    reference = (ROOT / "docs" / "inventaire-reference.md").read_text("utf-8")
    documented = set(re.findall(r"`([a-z_0-9]+)`", reference))
    missing = {
        f"{name}.{field}"
        for name, family in REGISTRY.items()
        for field in known_fields(family.model)
        if field not in documented
    }
    missing |= {var for var in CENTRE_VARS | ROOM_VARS if var not in documented}
    assert not missing, f"fields missing from docs/inventaire-reference.md: {sorted(missing)}"
    assert f"`{CENTRE_PREFIX}`" in reference
    # every choice of a Literal field is listed too (probe: tdm...)
    for name, family in REGISTRY.items():
        for field, info in family.model.model_fields.items():
            choices = getattr(info.annotation, "__args__", ())
            if getattr(info.annotation, "__origin__", None) is not None and str(info.annotation).startswith(
                "typing.Literal"
            ):
                for choice in choices:
                    assert f"`{choice}`" in reference, f"{name}.{field}: {choice}"


@pytest.mark.parametrize("value", ["5 min", -1, 1000, True])
def test_dashboard_recheck_interval_is_checked(example: Path, value: object) -> None:
    """A mistyped interval is an error naming the field, never a silent default."""
    all_vars = example / "group_vars" / "all.yml"
    all_vars.write_text(
        all_vars.read_text(encoding="utf-8") + f"dashboard_recheck_min: {value!r}\n".replace("'", '"'), encoding="utf-8"
    )
    with pytest.raises(PlateauError) as info:
        load_all(example)
    problem = next(p for p in info.value.problems if p.field == "dashboard_recheck_min")
    assert problem.key == "field.out_of_range" and problem.file and "all.yml" in problem.file


def test_dashboard_recheck_interval_is_read(example: Path) -> None:
    from provision.dashboard.app import recheck_interval_s

    all_vars = example / "group_vars" / "all.yml"
    all_vars.write_text(all_vars.read_text(encoding="utf-8") + "dashboard_recheck_min: 2\n", encoding="utf-8")
    assert recheck_interval_s(load_all(example)) == 120


def test_the_playbooks_role_settings_may_be_set_in_the_inventory(example: Path) -> None:
    """A role default (playbooks/roles/*/defaults) is a setting the centre may change, not a typo;
    a typo of one is still an error."""
    from provision.inventory.rules import role_variables

    assert "baseline_apt_update_cache" in role_variables()
    linux = example / "group_vars" / "linux" / "main.yml"
    original = linux.read_text(encoding="utf-8")
    linux.write_text(original + "baseline_apt_update_cache: false\n", encoding="utf-8")
    load_all(example)
    linux.write_text(original + "baseline_apt_update_cahce: false\n", encoding="utf-8")
    with pytest.raises(PlateauError) as info:
        load_all(example)
    assert any(p.field == "baseline_apt_update_cahce" for p in info.value.problems)
