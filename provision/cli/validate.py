"""``plateau validate`` and ``plateau plan``: the inventory, the session and the catalog checked,
and what provisioning will do."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Annotated

import click
import typer

from provision.cli.common import EXIT_NOT_READY, EXIT_OK, InventoryOpt, VaultOpt, app, out, print_problems
from provision.messages import render

if TYPE_CHECKING:
    from provision.context import Loaded


def print_validated(loaded: Loaded) -> None:
    """The warnings, then « ✓ Inventaire valide : N équipements… » (validate and the demo)."""
    from provision.validation import exam_file_warnings

    warnings = [*loaded.warnings, *exam_file_warnings(loaded.inventory.devices)]
    if warnings:
        print_problems(warnings)
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


@app.command("validate")
def validate(inventory: InventoryOpt, vault_password_file: VaultOpt = None) -> None:
    """Vérifie l'inventaire, la session et le catalogue ; liste toutes les erreurs d'un coup."""
    from provision.context import load_all

    loaded = load_all(inventory, vault_password_file)
    print_validated(loaded)
    # --- Windows PCs plateau never reached: a hint, not an error (issue 15; provision/cli/bootstrap.py) ---
    from provision.cli.bootstrap import print_never_reached

    print_never_reached(loaded)
    # --- end ---


@app.command("plan")
def plan(
    inventory: InventoryOpt,
    vault_password_file: VaultOpt = None,
    format: Annotated[
        str,
        typer.Option(
            "--format",
            "-f",
            help="table (lisible) ou json (pour les scripts).",
            click_type=click.Choice(["table", "json"]),
        ),
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
