"""``plateau recap --help`` at 80 columns: French words (click's and Typer's), option names whole."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ENTRY = "import sys; from provision.cli import main; sys.argv[0] = 'plateau'; sys.exit(main())"


def _help(*args: str) -> str:
    env = dict(os.environ, COLUMNS="80", LANG="fr_FR.UTF-8")
    env.pop("PLATEAU_LANG", None)
    done = subprocess.run([sys.executable, "-c", ENTRY, *args, "--help"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=60)  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_recap_help_is_french_and_keeps_option_names_whole() -> None:
    text = _help("recap")
    assert max(len(line) for line in text.splitlines()) <= 80
    assert "Utilisation : plateau recap" in text and "Usage:" not in text
    assert "[défaut : 12.0]" in text and "[default" not in text
    assert "[obligatoire]" in text and "[required]" not in text
    assert "Affiche cette aide et" in text
    for name in (
        "--inventory",
        "--output",
        "--jury",
        "--force",
        "--poster",
        "--print-to",
        "--vault-password-file",
        "--print",
        "--max-age-h",
        "--help",
    ):
        assert f" {name} " in text, name  # whole, never « --vault-passwo… »
    assert "DIRECTORY" not in text and "FILE " not in text


def test_check_help_keeps_option_names_whole() -> None:
    text = _help("check")
    for name in ("--inventory", "--vault-password-file", "--room", "--junit", "--format", "--timeout"):
        assert f" {name} " in text, name
    assert "[défaut : table]" in text


@pytest.mark.slow
def test_every_command_help_is_french_and_fits_80_columns() -> None:
    import re

    from provision.cli import COMMANDS

    english = re.compile(r"\b(Usage|Show this|Options:|Commands|COMMAND|ARGS|TEXT|INTEGER|FLOAT|PATH|FILE|"
                         r"DIRECTORY|BOOLEAN|ITEM)\b|\[default|\[required\]|\[env var")  # fmt: skip
    for command in ("", *COMMANDS):
        text = _help(*command.split())
        assert max(len(line) for line in text.splitlines()) <= 80, command
        assert "Utilisation : plateau" in text, command
        assert not english.search(text), (command, english.search(text))
        assert "--vault-passwo…" not in text and "--inventor…" not in text
