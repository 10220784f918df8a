"""``plateau`` command line (French help; ``PLATEAU_LANG=en`` for English messages).

Exit codes (README.md, « Codes de sortie »):
    0   success (validate: inventory valid; plan: référentiel minimum met)
    1   the command ran but the plateau is not ready (plan: référentiel gaps)
    2   the user's input is wrong (inventory, session, catalog, vault, options)
    70  internal error: a bug in plateau (log path printed; --debug shows the trace)
    130 interrupted (Ctrl-C)
"""

from __future__ import annotations

import json
import logging
import os
import sys
import traceback
from pathlib import Path
from typing import Annotated, Optional

import click
import typer
from rich.console import Console

from provision import __version__
from provision.errors import PlateauError, Problem
from provision.messages import render

EXIT_OK, EXIT_NOT_READY, EXIT_USAGE, EXIT_INTERNAL, EXIT_INTERRUPTED = 0, 1, 2, 70, 130

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
_state = {"debug": False}

InventoryOpt = Annotated[
    Path,
    typer.Option(
        "-i", "--inventory", envvar="PLATEAU_INVENTORY", help="Dossier d'inventaire du centre (inventories/<centre>).",
        file_okay=False, show_default=False,
    ),
]
VaultOpt = Annotated[
    Optional[Path],
    typer.Option(
        "--vault-password-file", envvar="PLATEAU_VAULT_PASSWORD_FILE",
        help="Fichier contenant le mot de passe du coffre ansible-vault (défaut : <inventaire>/.vault_pass).",
        dir_okay=False, show_default=False,
    ),
]


def log_path() -> Path:
    base = Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state")
    return base / "plateau" / "plateau.log"


@app.callback()
def _root(
    debug: Annotated[bool, typer.Option("--debug", help="Affiche la trace complète des erreurs internes.")] = False,
    version: Annotated[bool, typer.Option("--version", help="Affiche la version et quitte.")] = False,
) -> None:
    _state["debug"] = debug
    if version:
        out.print(f"plateau {__version__}")
        raise typer.Exit(EXIT_OK)


def print_problems(problems: list[Problem]) -> None:
    errors = [p for p in problems if p.is_error]
    warnings = [p for p in problems if not p.is_error]
    for problem in [*errors, *warnings]:
        mark = "[bold red]✗ erreur[/]" if problem.is_error else "[yellow]! attention[/]"
        where = _where_fr(problem)
        err.print(f"{mark} [bold]{where}[/]" if where else mark, highlight=False)
        err.print(f"    {render(problem.key, problem.params)}", highlight=False, markup=False, soft_wrap=True)
    if errors:
        err.print(f"[bold red]{render('cli.errors_found', {'count': len(errors)})}[/]")
    if warnings:
        err.print(f"[yellow]{render('cli.warnings_found', {'count': len(warnings)})}[/]")


def _where_fr(problem: Problem) -> str:
    parts = []
    if problem.file:
        parts.append(f"{problem.file}:{problem.line}" if problem.line else problem.file)
    if problem.host:
        parts.append(f"hôte {problem.host}")
    if problem.field:
        parts.append(f"champ {problem.field}")
    return " · ".join(parts)


@app.command("validate")
def validate(inventory: InventoryOpt, vault_password_file: VaultOpt = None) -> None:
    """Vérifie l'inventaire, la session et le catalogue ; liste toutes les erreurs d'un coup."""
    from provision.context import load_all

    loaded = load_all(inventory, vault_password_file)
    if loaded.warnings:
        print_problems(loaded.warnings)
    out.print(
        "[bold green]✓[/] "
        + render(
            "cli.ok_validate",
            {
                "hosts": len(loaded.inventory.hosts),
                "rooms": len(loaded.inventory.rooms),
                "candidates": len(loaded.session.candidates),
                "referentiel": loaded.session.referentiel,
            },
        ),
        highlight=False,
    )


@app.command("plan")
def plan(
    inventory: InventoryOpt,
    vault_password_file: VaultOpt = None,
    format: Annotated[
        str, typer.Option("--format", "-f", help="table (lisible) ou json (pour les scripts).", click_type=click.Choice(["table", "json"]))
    ] = "table",
) -> None:
    """Montre, équipement par équipement, ce qui sera installé et configuré, et ce qui manque au référentiel."""
    from provision.context import load_all
    from provision.plan_view import print_plan

    loaded = load_all(inventory, vault_password_file)
    data = loaded.plan.to_dict()
    if format == "json":
        sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
    else:
        if loaded.warnings:
            print_problems(loaded.warnings)
        print_plan(out, data)
    raise typer.Exit(EXIT_NOT_READY if data["gaps"] else EXIT_OK)


DEMO_INVENTORY = Path(__file__).resolve().parent.parent / "inventories" / "demo"


@app.command("demo")
def demo(
    inventory: Annotated[
        Path, typer.Option("-i", "--inventory", help="Inventaire de démonstration.", file_okay=False)
    ] = DEMO_INVENTORY,
) -> None:
    """Fait tourner plateau sur le centre simulé : vérification de l'inventaire puis plan."""
    from provision.context import load_all
    from provision.plan_view import print_plan

    out.rule("[bold]plateau — démonstration sur le plateau simulé[/]")
    out.print(f"Inventaire : {inventory}", highlight=False)
    loaded = load_all(inventory)
    out.print("[bold]1. Vérification de l'inventaire[/]")
    if loaded.warnings:
        print_problems(loaded.warnings)
    out.print(
        "[bold green]✓[/] "
        + render(
            "cli.ok_validate",
            {
                "hosts": len(loaded.inventory.hosts),
                "rooms": len(loaded.inventory.rooms),
                "candidates": len(loaded.session.candidates),
                "referentiel": loaded.session.referentiel,
            },
        ),
        highlight=False,
    )
    out.print("[bold]2. Plan de préparation[/]")
    print_plan(out, loaded.plan.to_dict())


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: maps every outcome to a documented exit code."""
    try:
        code = app(args=argv, standalone_mode=False)
    except PlateauError as exc:
        print_problems(exc.problems)
        code = EXIT_USAGE
    except click.exceptions.Abort:
        err.print(render("cli.interrupted"))
        code = EXIT_INTERRUPTED
    except KeyboardInterrupt:
        err.print(render("cli.interrupted"))
        code = EXIT_INTERRUPTED
    except BrokenPipeError:  # output piped into `head`: not an error
        sys.stderr = open(os.devnull, "w")  # noqa: SIM115 - silence the interpreter's flush at exit
        code = EXIT_OK
    except click.exceptions.ClickException as exc:
        exc.show()
        code = EXIT_USAGE
    except Exception:
        if _state["debug"]:
            raise
        code = _internal_error()
    sys.exit(code if isinstance(code, int) else EXIT_OK)


def _internal_error() -> int:
    path = log_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        logging.basicConfig(filename=path, level=logging.INFO)
        logging.getLogger("plateau").error("internal error\n%s", traceback.format_exc())
    except OSError:
        path = Path("(journal indisponible)")
    err.print(f"[bold red]{render('cli.internal_error', {'log': path})}[/]")
    return EXIT_INTERNAL


if __name__ == "__main__":  # pragma: no cover
    main()
