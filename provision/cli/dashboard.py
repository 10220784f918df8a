"""``plateau dashboard -i DIR [--host H] [--port P] [--token T]``: serve the dashboard.

On 127.0.0.1 no token is needed; on any other address a token is mandatory (``--token auto``
generates one, printed once with the address).
"""

from __future__ import annotations

from typing import Annotated

import typer

from checks.model import DEFAULT_TIMEOUT_S
from provision.cli.common import InventoryOpt, VaultOpt, app
from provision.dashboard.server import DEFAULT_HOST, DEFAULT_PORT, resolve_token, serve


@app.command("dashboard", help="Tableau de bord de préparation, en direct, dans le navigateur (local).")
def dashboard_command(
    inventory: InventoryOpt,
    host: Annotated[
        str, typer.Option("--host", help="Adresse d'écoute. Autre que 127.0.0.1 : --token obligatoire.")
    ] = DEFAULT_HOST,
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="Port d'écoute.")] = DEFAULT_PORT,
    token: Annotated[
        str | None,
        typer.Option(
            "--token",
            envvar="PLATEAU_DASHBOARD_TOKEN",
            show_default=False,
            help="Jeton d'accès exigé à chaque requête (« auto » : en générer un).",
        ),
    ] = None,
    vault_password_file: VaultOpt = None,
    sweep_on_start: Annotated[
        bool, typer.Option("--sweep-on-start/--no-sweep-on-start", help="Tout vérifier au démarrage.")
    ] = True,
    timeout_s: Annotated[
        float, typer.Option("--timeout", help="Délai de réponse par appareil, en secondes.")
    ] = DEFAULT_TIMEOUT_S,
) -> None:
    """Tableau de bord local du matin de l'examen : salle par salle, ce qui est prêt et quoi faire sinon."""
    from provision.cli.common import err, print_problems
    from provision.context import load_all
    from provision.messages import render
    from provision.state_soft import open_store_soft

    if token != "auto":
        resolve_token(host, token)  # refuse before loading the inventory and its vault
    loaded = load_all(inventory, vault_password_file)
    # a full disk, a read-only or a damaged state.db: the dashboard still starts, without saving
    store = open_store_soft(loaded.inventory.root)
    if store.problem is not None:
        print_problems([store.problem])
        err.print(render("state.dashboard_read_only"), highlight=False, soft_wrap=True)
    serve(loaded, store, host=host, port=port, token=token,
          sweep_on_start=sweep_on_start, timeout_s=timeout_s)  # fmt: skip
