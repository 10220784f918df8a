"""``plateau secrets init -i DIR [--rotate]``: passwords of sessions and accounts, generated into
the ansible-vault files, never shown."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from provision.cli.common import InventoryOpt, VaultOpt, app, out, print_problems
from provision.messages import render
from provision.paths import shown

secrets_app = typer.Typer(
    name="secrets",
    help="Mots de passe des sessions et comptes, dans le coffre ansible-vault.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@secrets_app.command("init")
def secrets_init(
    inventory: InventoryOpt,
    rotate: Annotated[
        bool, typer.Option("--rotate", help="Régénère tous les secrets, clés Wi-Fi comprises (après l'examen).")
    ] = False,
    vault_password_file: VaultOpt = None,
) -> None:
    """Génère les mots de passe manquants dans host_vars/<équipement>/vault.yml (jamais affichés)."""
    from provision.secrets import init_secrets

    report = init_secrets(Path(inventory), vault_password_file, rotate=rotate)
    if report.password_file_created:
        out.print(render("secrets.password_file_created", {"path": shown(report.password_file)}), highlight=False)
    if report.warnings:
        print_problems(report.warnings)
    key = "secrets.rotated" if rotate else "secrets.summary"
    out.print(
        "[bold green]✓[/] " + render(key, {"generated": report.generated, "kept": report.kept, "hosts": report.hosts}),
        highlight=False,
    )
    if report.files:
        out.print(render("secrets.files", {"count": len(report.files)}), highlight=False)


app.add_typer(secrets_app, name="secrets", help="Génère ou renouvelle les mots de passe (coffre ansible-vault).")
