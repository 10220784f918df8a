"""What every ``plateau`` command shares: the Typer app, the consoles, the options, the exit
codes, and how a user's mistakes are printed.

Exit codes (README.md, « Codes de sortie »):
    0   success (validate: inventory valid; plan: référentiel minimum met)
    1   the command ran but the plateau is not ready (plan: référentiel gaps)
    2   the user's input is wrong (inventory, session, catalog, vault, options)
    70  internal error: a bug in plateau (log path printed; --debug shows the trace)
    130 interrupted (Ctrl-C)
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from provision.errors import Problem
from provision.messages import render

EXIT_OK, EXIT_NOT_READY, EXIT_USAGE, EXIT_INTERNAL, EXIT_INTERRUPTED = 0, 1, 2, 70, 130


def _french_click() -> None:
    """click translates its own words through gettext, Typer's help panels through constants:
    give them the French ones we show (usage line, panel titles, [défaut : …], type names)."""
    import click.core
    import click.decorators
    import click.formatting
    import click.types
    import typer.rich_utils as rich_help

    from provision.messages import current_language

    words = {
        "Show this message and exit.": "Affiche cette aide et quitte.",
        "Usage:": "Utilisation :",
        "Options": "Options",
        "Arguments": "Arguments",
        "Commands": "Commandes",
        "file": "fichier",
        "directory": "dossier",
        "path": "chemin",
    }
    english = click.decorators._  # click's gettext alias, private but stable since click 8.0

    def translate(message: str) -> str:
        return words.get(message, english(message)) if current_language() == "fr" else english(message)

    for module in (click.decorators, click.formatting, click.types, click.core):
        module._ = translate  # type: ignore[attr-defined]
    if current_language() == "fr":
        # Typer reads these module constants each time it draws a help panel
        rich_help.DEFAULT_STRING = "[défaut : {}]"
        rich_help.ENVVAR_STRING = "[variable : {}]"
        rich_help.REQUIRED_LONG_STRING = "[obligatoire]"
        rich_help.ARGUMENTS_PANEL_TITLE = "Arguments"
        rich_help.OPTIONS_PANEL_TITLE = "Options"
        rich_help.COMMANDS_PANEL_TITLE = "Commandes"
        rich_help.ERRORS_PANEL_TITLE = "Erreur"
        rich_help.ABORTED_TEXT = "Interrompu."
        rich_help.RICH_HELP = "Aide : [blue]'{command_path} {help_option}'[/]."
        rich_help.OptionHighlighter.highlights = [*rich_help.OptionHighlighter.highlights, r"(?P<usage>Utilisation : )"]
        # the type names shown as metavars (TEXT, FLOAT...): short French words keep the
        # option names whole at 80 columns
        for cls, name in ((click.types.StringParamType, "texte"), (click.types.FloatParamType, "nombre"),
                          (click.types.IntParamType, "entier"), (click.types.FloatRange, "nombre"),
                          (click.types.IntRange, "entier")):  # fmt: skip
            cls.name = name
        group_usage = click.core.Group.collect_usage_pieces

        def french_usage(self: click.core.Group, ctx: click.Context) -> list[str]:
            # "plateau [OPTIONS] COMMAND [ARGS]...": click's metavar is not translatable
            return [{"COMMAND [ARGS]...": "COMMANDE [ARGUMENTS]..."}.get(p, p) for p in group_usage(self, ctx)]

        click.core.Group.collect_usage_pieces = french_usage  # type: ignore[method-assign]
    rich_help.Table = _WholeOptionNames  # type: ignore[misc,assignment]  # option names never cut at 80 columns


def _whole_option_names() -> type:
    from rich.table import Table

    class WholeOptionNames(Table):
        """Typer's help table, whose option-name columns never shrink (the metavar folds,
        the help text wraps)."""

        def add_row(self, *renderables, **kwargs):
            super().add_row(*renderables, **kwargs)
            for column in self.columns[:-2]:
                column.no_wrap = True

    return WholeOptionNames


_WholeOptionNames = _whole_option_names()
_french_click()

app = typer.Typer(
    name="plateau",
    help="Prépare, vérifie et documente le plateau technique d'une session d'examen.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)
out = Console()
err = Console(stderr=True)
state = {"debug": False}

#: -i/--inventory, the centre's folder: every command takes it
InventoryOpt = Annotated[
    Path,
    typer.Option(
        "-i",
        "--inventory",
        envvar="PLATEAU_INVENTORY",
        help="Dossier d'inventaire du centre (inventories/<centre>).",
        file_okay=False,
        show_default=False,
    ),
]
VaultOpt = Annotated[
    Path | None,
    typer.Option(
        "--vault-password-file",
        envvar="PLATEAU_VAULT_PASSWORD_FILE",
        help="Fichier contenant le mot de passe du coffre ansible-vault (défaut : <inventaire>/.vault_pass).",
        dir_okay=False,
        show_default=False,
    ),
]


def log_path() -> Path:
    base = Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state")
    return base / "plateau" / "plateau.log"


def print_problems(problems: list[Problem]) -> None:
    errors = [p for p in problems if p.is_error]
    warnings = [p for p in problems if not p.is_error]
    for problem in [*errors, *warnings]:
        mark = (
            f"[bold red]✗ {render('cli.mark.error')}[/]"
            if problem.is_error
            else f"[yellow]! {render('cli.mark.warning')}[/]"
        )
        where = _where(problem)
        err.print(f"{mark} [bold]{where}[/]" if where else mark, highlight=False, soft_wrap=True)
        err.print(f"    {render(problem.key, problem.params)}", highlight=False, markup=False, soft_wrap=True)
    if errors:
        err.print(f"[bold red]{render('cli.errors_found', {'count': len(errors)})}[/]")
    if warnings:
        err.print(f"[yellow]{render('cli.warnings_found', {'count': len(warnings)})}[/]")


def _where(problem: Problem) -> str:
    """« hosts.yml:12 · hôte a-pc-01 · champ model »: the file, host and field, in the reader's language."""
    parts = []
    if problem.file:
        parts.append(f"{problem.file}:{problem.line}" if problem.line else problem.file)
    if problem.host:
        parts.append(render("cli.where.host", {"host": problem.host}))
    if problem.field:
        parts.append(render("cli.where.field", {"field": problem.field}))
    return " · ".join(parts)
