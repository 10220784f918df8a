"""The token rule at start-up, the Typer command, and the colour contrast of the style sheet."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from provision.cli.dashboard import dashboard_command
from provision.dashboard.server import resolve_token
from provision.errors import PlateauError
from provision.messages import render

STYLE = Path(__file__).resolve().parents[2] / "provision" / "dashboard" / "static" / "style.css"


def test_loopback_needs_no_token() -> None:
    assert resolve_token("127.0.0.1", None) is None
    assert resolve_token("::1", None) is None
    assert resolve_token("localhost", "un-jeton-assez-long") == "un-jeton-assez-long"


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.20", "::"])
def test_any_other_address_needs_a_token(host: str) -> None:
    with pytest.raises(PlateauError) as info:
        resolve_token(host, None)
    problem = info.value.problems[0]
    assert problem.key == "dashboard.cli.token_required" and problem.field == "--host"
    message = render(problem.key, problem.params)
    assert "visible sur le réseau" in message and "--token" in message
    generated = resolve_token(host, "auto")
    assert generated and len(generated) >= 16 and generated != resolve_token(host, "auto")


def test_a_short_token_is_refused() -> None:
    with pytest.raises(PlateauError) as info:
        resolve_token("0.0.0.0", "1234")
    assert info.value.problems[0].key == "dashboard.cli.token_short"


def test_the_command_refuses_to_start_on_the_network_without_token(tmp_path: Path) -> None:
    app = typer.Typer()
    app.command("dashboard")(dashboard_command)
    app.command("autre")(lambda: None)  # two commands: Typer keeps the sub-command name
    result = CliRunner().invoke(app, ["dashboard", "-i", str(tmp_path), "--host", "0.0.0.0"])
    assert isinstance(result.exception, PlateauError)  # plateau's main() prints it in French, exit 2
    assert result.exception.problems[0].key == "dashboard.cli.token_required"
    help_text = CliRunner().invoke(app, ["dashboard", "--help"]).output
    assert "--token" in help_text and "--port" in help_text and "--host" in help_text


def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_every_colour_pair_meets_wcag_aa() -> None:
    css = STYLE.read_text("utf-8")
    colours = dict(re.findall(r"--([a-z-]+):\s*(#[0-9a-fA-F]{6})", css))
    pairs = [
        (f"{name}-text", f"{name}-bg")
        for name in (
            "ok",
            "warn",
            "fail",
            "unknown",
            "unchecked",
            "tick",
            "ready",
            "notready",
            "primary",
            "header",
            "button",
        )
    ]
    pairs += [
        ("text", "bg"),
        ("text", "surface"),
        ("muted", "bg"),
        ("muted", "surface"),
        ("link", "surface"),
        ("link", "bg"),
        ("error-text", "surface"),
        ("link", "unchecked-bg"),
    ]
    for fg, bg in pairs:
        ratio = contrast(colours[fg], colours[bg])
        assert ratio >= 4.5, f"{fg} on {bg}: {ratio:.2f}"


def test_dashboard_help_is_french_and_readable_at_80_columns() -> None:
    import os
    import subprocess
    import sys

    entry = "import sys; from provision.cli import main; sys.argv[0] = 'plateau'; sys.exit(main())"
    env = dict(os.environ, COLUMNS="80", LANG="fr_FR.UTF-8")
    env.pop("PLATEAU_LANG", None)
    done = subprocess.run([sys.executable, "-c", entry, "dashboard", "--help"], env=env, capture_output=True,
                          text=True, timeout=60)  # fmt: skip
    assert done.returncode == 0, done.stderr
    text = done.stdout
    assert max(len(line) for line in text.splitlines()) <= 80
    assert "…" not in text  # nothing cut, neither an option name nor its help
    assert "Utilisation : plateau dashboard" in text and "Usage" not in text
    for name in ("--inventory", "--host", "--port", "--token", "--https", "--vault-password-file",
                 "--sans-verification", "--timeout", "--help"):  # fmt: skip
        assert f" {name} " in text, name
    for english in ("[default", "TEXT", "INTEGER", "FLOAT", "sweep", "Show this", "[required]", "x<="):
        assert english not in text, english
    assert "[défaut : 127.0.0.1]" in text and "[défaut : 10 s]" in text and "HTTPS" in text
