"""``plateau secrets … --help`` at 80 columns, from the real console script: French words, arguments included."""

from __future__ import annotations

import os
import re

import pytest

#: what click and Typer print when a word was left untranslated (metavars, usage, panels)
ENGLISH = re.compile(r"\b(Usage|Show this|HOST|FIELD|TEXT|DIRECTORY|FILE)\b|\[default|\[required\]|\[env var")


def _help(run_cli, *args: str) -> str:
    env = dict(os.environ, COLUMNS="80", LANG="fr_FR.UTF-8")
    env.pop("PLATEAU_LANG", None)
    done = run_cli(*args, "--help", env=env)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.parametrize("command", ["init", "set"])
def test_secrets_help_is_french_and_fits_80_columns(run_cli, command: str) -> None:
    text = _help(run_cli, "secrets", command)
    assert max(len(line) for line in text.splitlines()) <= 80
    assert "…" not in text  # nothing cut, neither an option name nor its help
    assert f"Utilisation : plateau secrets {command} [OPTIONS]" in text
    assert not ENGLISH.search(text), ENGLISH.search(text)


def test_secrets_set_names_its_arguments_in_french(run_cli) -> None:
    assert "Utilisation : plateau secrets set [OPTIONS] HÔTE CHAMP" in _help(run_cli, "secrets", "set")
