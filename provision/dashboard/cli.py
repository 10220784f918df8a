"""``plateau dashboard -i DIR [--host H] [--port P] [--token T]``: serve the dashboard.

The integrator registers ``dashboard_command`` on the main Typer app; ``serve`` is reused by
``plateau demo`` (start the lab, then serve). On 127.0.0.1 no token is needed; on any other
address a token is mandatory (``--token auto`` generates one, printed once with the address).
"""

from __future__ import annotations

import errno
import socket
from pathlib import Path
from typing import Annotated, Optional

import typer

from checks.model import DEFAULT_TIMEOUT_S
from provision.dashboard.guard import MIN_TOKEN_CHARS, is_loopback, new_token
from provision.errors import PlateauError, Problem
from provision.messages import render

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765


def resolve_token(host: str, token: str | None) -> str | None:
    """The token to enforce: None on loopback without one; refuse any other address without one."""
    if token == "auto":
        return new_token()
    if token is not None:
        if len(token) < MIN_TOKEN_CHARS:
            raise PlateauError(Problem(key="dashboard.cli.token_short", field="--token",
                                       params={"length": len(token), "min_chars": MIN_TOKEN_CHARS}))  # fmt: skip
        return token
    if not is_loopback(host):
        raise PlateauError(Problem(key="dashboard.cli.token_required", field="--host",
                                   params={"host": host, "min_chars": MIN_TOKEN_CHARS}))  # fmt: skip
    return None


def serve(loaded, store, *, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, token: str | None = None,
          sweep_on_start: bool = True, timeout_s: float = DEFAULT_TIMEOUT_S, echo=print) -> None:  # fmt: skip
    """Run the dashboard until Ctrl-C. ``token`` is the raw option (None, "auto" or a value)."""
    import uvicorn

    from provision.dashboard.app import create_app

    token = resolve_token(host, token)
    _check_port_free(host, port)
    app = create_app(loaded, store, token=token, sweep_timeout_s=timeout_s, sweep_on_start=sweep_on_start)
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{shown}:{port}/"
    if token:
        echo(render("dashboard.cli.serving_token", {"url": f"{url}?token={token}"}))
    else:
        echo(render("dashboard.cli.serving", {"url": url}))
    echo(render("dashboard.cli.stop_hint"))
    # no access log: a first visit's address holds the token
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False,
                            timeout_graceful_shutdown=2, lifespan="on")  # fmt: skip
    uvicorn.Server(config).run()


def _check_port_free(host: str, port: int) -> None:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise PlateauError(Problem(key="dashboard.cli.port_busy", field="--port",
                                           params={"port": port})) from exc  # fmt: skip
            raise


def dashboard_command(
    inventory: Annotated[
        Path, typer.Option("-i", "--inventory", envvar="PLATEAU_INVENTORY", file_okay=False, show_default=False,
                           help="Dossier d'inventaire du centre (inventories/<centre>).")
    ],
    host: Annotated[str, typer.Option("--host", help="Adresse d'écoute. Autre que 127.0.0.1 : --token obligatoire.")]
    = DEFAULT_HOST,
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="Port d'écoute.")] = DEFAULT_PORT,
    token: Annotated[
        Optional[str], typer.Option("--token", envvar="PLATEAU_DASHBOARD_TOKEN", show_default=False,
                                    help="Jeton d'accès exigé à chaque requête (« auto » : en générer un).")
    ] = None,
    vault_password_file: Annotated[
        Optional[Path], typer.Option("--vault-password-file", envvar="PLATEAU_VAULT_PASSWORD_FILE", dir_okay=False,
                                     show_default=False, help="Fichier du mot de passe du coffre ansible-vault.")
    ] = None,
    sweep_on_start: Annotated[
        bool, typer.Option("--sweep-on-start/--no-sweep-on-start", help="Tout vérifier au démarrage.")
    ] = True,
    timeout_s: Annotated[float, typer.Option("--timeout", help="Délai de réponse par appareil, en secondes.")]
    = DEFAULT_TIMEOUT_S,
) -> None:
    """Tableau de bord local du matin de l'examen : salle par salle, ce qui est prêt et quoi faire sinon."""
    from provision.context import load_all
    from provision.state import open_store

    if token != "auto":
        resolve_token(host, token)  # refuse before loading the inventory and its vault
    loaded = load_all(inventory, vault_password_file)
    serve(loaded, open_store(loaded.inventory.root), host=host, port=port, token=token,
          sweep_on_start=sweep_on_start, timeout_s=timeout_s)  # fmt: skip
