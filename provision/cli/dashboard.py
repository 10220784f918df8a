"""``plateau dashboard -i DIR [--host H] [--port P] [--token T] [--https]``: serve the dashboard.

On 127.0.0.1 no token is needed; on any other address a token is mandatory (``--token auto``
generates one, printed once with the address) and the page is served over HTTPS with a
certificate plateau makes (its fingerprint and a QR code of the address shown in the terminal).
"""

from __future__ import annotations

from typing import Annotated

import typer

from checks.model import DEFAULT_TIMEOUT_S
from provision.cli.common import InventoryOpt, VaultOpt, app
from provision.dashboard.server import DEFAULT_HOST, DEFAULT_PORT, resolve_token, serve
from provision.errors import PlateauError, Problem


@app.command("dashboard", help="Tableau de bord de préparation, en direct, dans le navigateur.")
def dashboard_command(
    inventory: InventoryOpt,
    host: Annotated[
        str,
        typer.Option(
            "--host",
            metavar="ADRESSE",
            help="Adresse d'écoute. Autre que 127.0.0.1 (0.0.0.0 : toutes) : --token obligatoire, HTTPS.",
        ),
    ] = DEFAULT_HOST,
    port: Annotated[int, typer.Option("--port", metavar="PORT", help="Port d'écoute (1 à 65535).")] = DEFAULT_PORT,
    token: Annotated[
        str | None,
        typer.Option(
            "--token",
            metavar="JETON",
            envvar="PLATEAU_DASHBOARD_TOKEN",
            show_default=False,
            help="Jeton d'accès exigé à chaque requête (« auto » : en générer un).",
        ),
    ] = None,
    https: Annotated[
        bool, typer.Option("--https", help="HTTPS même sur 127.0.0.1 (toujours sur une autre adresse).")
    ] = False,
    vault_password_file: VaultOpt = None,
    no_sweep: Annotated[bool, typer.Option("--sans-verification", help="Ne pas tout vérifier au démarrage.")] = False,
    # the names scripts used before the French one; kept working, not shown in --help
    legacy_sweep: Annotated[
        bool | None, typer.Option("--sweep-on-start/--no-sweep-on-start", hidden=True, show_default=False)
    ] = None,
    timeout_s: Annotated[
        float,
        typer.Option(
            "--timeout",
            metavar="SECONDES",
            help="Délai de réponse par appareil. \\[défaut : " + f"{DEFAULT_TIMEOUT_S:g}".replace(".", ",") + " s]",
            show_default=False,
        ),
    ] = DEFAULT_TIMEOUT_S,
) -> None:
    """Tableau de bord local du matin de l'examen : salle par salle, ce qui est prêt et quoi faire sinon."""
    from provision.cli.common import err, print_problems
    from provision.context import load_all
    from provision.messages import render
    from provision.state_soft import open_store_soft

    if not 1 <= port <= 65535:
        raise PlateauError(Problem(key="dashboard.cli.port_range", field="--port", params={"port": port}))
    if token != "auto":
        resolve_token(host, token)  # refuse before loading the inventory and its vault
    loaded = load_all(inventory, vault_password_file)
    # a full disk, a read-only or a damaged state.db: the dashboard still starts, without saving
    store = open_store_soft(loaded.inventory.root)
    if store.problem is not None:
        print_problems([store.problem])
        err.print(render("state.dashboard_read_only"), highlight=False, soft_wrap=True)
    serve(loaded, store, host=host, port=port, token=token, sweep_on_start=not no_sweep and legacy_sweep is not False,
          timeout_s=timeout_s, https=https)  # fmt: skip
