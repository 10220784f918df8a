"""Serve the dashboard (used by ``plateau dashboard`` and ``plateau demo``). On 127.0.0.1 no token is needed; on any other
address a token is mandatory (``--token auto`` generates one, printed once with the address).
"""

from __future__ import annotations

import errno
import socket

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
