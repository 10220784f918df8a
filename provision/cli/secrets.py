"""``plateau secrets init -i DIR [--rotate] [--no-input]``: passwords of sessions and accounts in
the ansible-vault files, never shown: generated when plateau owns them, typed without echo (or
left « à saisir ») for accounts that exist elsewhere; ``plateau secrets set -i DIR HOST FIELD``
stores one of those."""

from __future__ import annotations

import getpass
import shlex
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from provision.cli.common import InventoryOpt, VaultOpt, app, out, print_problems
from provision.messages import render
from provision.paths import shown

if TYPE_CHECKING:
    from provision.secrets import ExpectedSecret

secrets_app = typer.Typer(
    name="secrets",
    help="Mots de passe des sessions et comptes, dans le coffre ansible-vault.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _terminal() -> bool:
    """Someone can type: stdin is a terminal (a pipe, cron or CI cannot answer a prompt)."""
    return sys.stdin.isatty()


def _type_twice(prompt: str, field: str) -> str | None:
    """A secret typed twice without echo; None for Enter alone."""
    from provision.secrets import looks_like_template

    while True:
        value = getpass.getpass(prompt)
        if not value:
            return None
        if looks_like_template(value):
            out.print(render("secrets.jinja", {"name": field}), highlight=False, markup=False)
            continue
        if getpass.getpass(render("secrets.confirm")) == value:
            return value
        out.print(render("secrets.mismatch"), highlight=False)


def _prompt(item: ExpectedSecret) -> str:
    params = {"kind": render(f"label.account.{item.kind}"), "host": item.host, "field": item.secret}
    if item.login:
        return render("secrets.prompt_login", {**params, "login": item.login})
    return render("secrets.prompt", params)


class _Asker:
    """``ask`` for init_secrets: says once what is asked, stops asking after Ctrl-D."""

    def __init__(self) -> None:
        self.started = False
        self.closed = False

    def __call__(self, item: ExpectedSecret) -> str | None:
        if self.closed:
            return None
        if not self.started:
            out.print(render("secrets.asking"), highlight=False)
            self.started = True
        try:
            return _type_twice(_prompt(item), item.secret)
        except EOFError:
            self.closed = True
            return None


@secrets_app.command("init")
def secrets_init(
    inventory: InventoryOpt,
    rotate: Annotated[
        bool,
        typer.Option(
            "--rotate",
            help="Régénère les secrets que plateau gère, clés Wi-Fi comprises (après l'examen) ; "
            "jamais ceux des comptes extérieurs (Google, identifiant Apple, borne).",
        ),
    ] = False,
    no_input: Annotated[
        bool,
        typer.Option(
            "--no-input", help="Ne demande rien : les secrets des comptes extérieurs restent à saisir (listés)."
        ),
    ] = False,
    vault_password_file: VaultOpt = None,
) -> None:
    """Génère les mots de passe que plateau gère dans host_vars/<équipement>/vault.yml (jamais affichés) ;
    demande sans écho ceux des comptes qui existent ailleurs (Google, identifiant Apple, borne)."""
    from provision.secrets import init_secrets

    ask = None if no_input or not _terminal() else _Asker()
    report = init_secrets(Path(inventory), vault_password_file, rotate=rotate, ask=ask)
    if report.password_file_created:
        out.print(render("secrets.password_file_created", {"path": shown(report.password_file)}), highlight=False)
    if report.warnings:
        print_problems(report.warnings)
    key = "secrets.rotated" if rotate else "secrets.summary"
    out.print(
        "[bold green]✓[/] " + render(key, {"generated": report.generated, "kept": report.kept, "hosts": report.hosts}),
        highlight=False,
    )
    if report.entered:
        out.print(render("secrets.entered", {"count": report.entered}), highlight=False)
    if report.files:
        out.print(render("secrets.files", {"count": len(report.files)}), highlight=False)
    if report.to_enter:
        out.print("[yellow]![/] " + render("secrets.to_enter", {"count": len(report.to_enter)}), highlight=False)
        where = shlex.quote(str(inventory))
        for item in report.to_enter:
            params = {
                "host": item.host,
                "field": item.secret,
                "kind": render(f"label.account.{item.kind}"),
                "command": f"plateau secrets set -i {where} {item.host} {item.secret}",
            }
            out.print("    " + render("secrets.to_enter_item", params), highlight=False, markup=False, soft_wrap=True)


@secrets_app.command("set")
def secrets_set(
    inventory: InventoryOpt,
    host: Annotated[
        str, typer.Argument(help="L'équipement (nom d'hôte d'hosts.yml).", show_default=False, metavar="HÔTE")
    ],
    field: Annotated[
        str, typer.Argument(help="Le champ du secret (google_password...).", show_default=False, metavar="CHAMP")
    ],
    vault_password_file: VaultOpt = None,
) -> None:
    """Enregistre un secret dans host_vars/<équipement>/vault.yml : tapé sans écho, ou lu sur l'entrée standard."""
    from provision.secrets import set_secret

    def read() -> str:
        if _terminal():
            return _type_twice(render("secrets.prompt_set", {"host": host, "field": field}), field) or ""
        return sys.stdin.readline().rstrip("\r\n")

    path = set_secret(Path(inventory), vault_password_file, host, field, read)
    out.print("[bold green]✓[/] " + render("secrets.stored", {"field": field, "path": shown(path)}), highlight=False)


app.add_typer(secrets_app, name="secrets", help="Génère ou renouvelle les mots de passe (coffre ansible-vault).")
