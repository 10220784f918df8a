"""Every broken inventory of the corpus (tests/provision/broken_corpus.py) ends in a French
message naming the file (and host and field where there is one), exit 2 (or 0 when it is only a
warning), never exit 70 « Erreur interne » and never a traceback — for validate and plan, and
for a sample through check and recap as real subprocesses. Plus a bounded hypothesis fuzz of
the loader over mutated copies of the example.
"""

from __future__ import annotations

import importlib.util
import random
import re
import shutil
import sys
from pathlib import Path

import pytest

# the corpus is a plain module beside this one (tests run with --import-mode=importlib)
_spec = importlib.util.spec_from_file_location("broken_corpus", Path(__file__).with_name("broken_corpus.py"))
assert _spec is not None and _spec.loader is not None
corpus = importlib.util.module_from_spec(_spec)
sys.modules.setdefault("broken_corpus", corpus)
_spec.loader.exec_module(corpus)
CASES, EXAMPLE, Case, copy_example = corpus.CASES, corpus.EXAMPLE, corpus.Case, corpus.copy_example

EXIT_INTERNAL = 70
assert len(CASES) >= 100
assert len({c.name for c in CASES}) == len(CASES), "case names are unique"


@pytest.fixture
def captured(monkeypatch):
    """The Problems the CLI prints (errors from main(), warnings from validate)."""
    import provision.cli as cli
    import provision.cli.validate as validate

    seen: list = []
    original = cli.print_problems

    def capture(problems):
        seen.extend(problems)
        original(problems)

    monkeypatch.setattr(cli, "print_problems", capture)
    monkeypatch.setattr(validate, "print_problems", capture)
    return seen


def _assert_named(problems, text: str) -> None:
    """Each problem names its file (in the output too)."""
    for problem in problems:
        assert problem.file, f"{problem.key} names no file: {problem}"
        assert problem.file in text, problem.file


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_broken_inventory_gets_a_clear_message(case: Case, tmp_path: Path, plateau, captured) -> None:
    root = copy_example(tmp_path / "centre")
    case.mutate(root)
    expect = case.expect

    result = plateau("validate", "-i", root)
    assert result.code != EXIT_INTERNAL, result.err
    assert "Traceback" not in result.text and "Erreur interne" not in result.text
    assert result.code == expect.code, result.text
    if expect.code == 2:
        assert any(p.is_error for p in captured), result.text
        assert "✗ erreur" in result.err
    _assert_named(captured, result.err)
    if expect.key or expect.file or expect.host or expect.field:
        matching = [
            p for p in captured
            if (expect.key is None or p.key == expect.key)
            and (expect.file is None or (p.file or "").endswith(expect.file))
            and (expect.host is None or p.host == expect.host)
            and (expect.field is None or p.field == expect.field)
            and (expect.line is None or p.line == expect.line)
        ]  # fmt: skip
        assert matching, f"expected {expect}, got {[(p.key, p.file, p.line, p.host, p.field) for p in captured]}"
        assert not any(re.search(r"\{[a-z_]+\}", _render(p)) for p in matching), [_render(p) for p in matching]

    captured.clear()
    planned = plateau("plan", "-i", root, "-f", "json")
    assert planned.code != EXIT_INTERNAL, planned.err
    assert "Traceback" not in planned.text
    assert planned.code in ((0, 1) if expect.code == 0 else (2,)), planned.text


def _render(problem) -> str:
    from provision.messages import render

    return render(problem.key, problem.params)


SAMPLE = [
    "session_saved_in_latin1",
    "session_date_february_30",
    "nul_in_hosts",
    "alias_bomb_in_group_vars",
    "typo_in_family_group_vars",
    "ip_out_of_range",
    "jinja_in_admin_password",
    "vault_password_wrong",
    "host_defined_twice_in_one_group",
    "catalog_saved_in_latin1",
]


@pytest.mark.parametrize("name", SAMPLE)
def test_check_and_recap_on_a_broken_inventory(name: str, tmp_path: Path, run_cli) -> None:
    """The real console script, as a technician runs it: exit 2, French message, no traceback."""
    case = next(c for c in CASES if c.name == name)
    root = copy_example(tmp_path / "centre")
    case.mutate(root)
    for command in (["check", "--timeout", "1"], ["recap", "--force"]):
        result = run_cli(command[0], "-i", str(root), *command[1:])
        text = result.stdout + result.stderr
        assert result.returncode == 2, (command, text)
        assert "Traceback" not in text and "Erreur interne" not in text
        assert "✗ erreur" in result.stderr


# --- hypothesis: random damage to random files of the example -----------------------------------

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_FILES = sorted(str(p.relative_to(EXAMPLE)) for p in EXAMPLE.rglob("*") if p.is_file() and p.name != ".vault_pass")
_NASTY = [
    b"\x00",
    b"\x0c",
    b"\xe9",
    b"\xff\xfe",
    b"\t",
    b": ",
    b"- ",
    b"&a ",
    b"*a",
    b"{{ x }}",
    b"[",
    b"}",
    b'"',
    b"'",
    b"\n  ",
    b"\n",
    b"!vault ",
    b"!!int ",
    b"2026-02-30",
    b"10:15",
    b"192.168.10.300",
    b"<<: ",
    b"? ",
    b"%",
    b"#",
]


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(
    target=st.sampled_from(_FILES),
    edits=st.lists(st.tuples(st.floats(0, 1), st.sampled_from(_NASTY), st.integers(0, 3)), min_size=1, max_size=4),
    seed=st.integers(0, 2**16),
)
def test_fuzz_the_loader_never_fails_internally(tmp_path_factory, target: str, edits, seed: int) -> None:
    """Insert, overwrite or delete bytes anywhere in one file: never an internal error."""
    from provision.context import load_all
    from provision.errors import PlateauError

    root = tmp_path_factory.mktemp("fuzz") / "centre"
    shutil.copytree(EXAMPLE, root)
    path = root / target
    data = bytearray(path.read_bytes())
    rng = random.Random(seed)
    for where, chunk, how in edits:
        at = int(where * len(data))
        if how == 0:
            data[at:at] = chunk
        elif how == 1:
            data[at : at + len(chunk)] = chunk
        elif how == 2:
            del data[at : at + rng.randint(1, 40)]
        else:  # duplicate a line (a duplicate key, a host twice)
            start = data.rfind(b"\n", 0, at) + 1
            end = data.find(b"\n", at)
            end = len(data) if end < 0 else end + 1
            data[end:end] = data[start:end]
    path.write_bytes(bytes(data))
    try:
        load_all(root)
    except PlateauError as exc:
        for problem in exc.problems:
            assert problem.key and (problem.file or problem.params), problem
    # any other exception fails the test: it would have been exit 70
