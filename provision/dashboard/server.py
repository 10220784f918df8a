"""Serve the dashboard (used by ``plateau dashboard`` and ``plateau demo``). On 127.0.0.1 no token is needed; on any other
address a token is mandatory (``--token auto`` generates one, printed once with the address), and the
dashboard is served over HTTPS with a certificate plateau makes (see provision.dashboard.tls).
"""

from __future__ import annotations

import errno
import socket
import sys
from typing import IO

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
          sweep_on_start: bool = True, timeout_s: float = DEFAULT_TIMEOUT_S, echo=print,
          https: bool = False, terminal: IO[str] | None = None) -> None:  # fmt: skip
    """Run the dashboard until Ctrl-C. ``token`` is the raw option (None, "auto" or a value).
    HTTPS on any address but loopback, and on loopback too with ``https``; the certificate's
    fingerprint and a QR code of the address go to ``terminal`` (stdout), never to a log."""
    import uvicorn

    from provision.dashboard.app import create_app

    token = resolve_token(host, token)
    tls = https or not is_loopback(host)
    _check_port_free(host, port)
    cert_file = key_file = None
    if tls:
        from provision.dashboard.tls import ensure_certificate, fingerprint_lines, served_addresses

        addresses = served_addresses(host)
        cert = ensure_certificate(loaded.inventory.root, addresses, centre=loaded.inventory.centre)
        cert_file, key_file = str(cert.cert_file), str(cert.key_file)
        echo(render("dashboard.cli.tls_reused" if cert.reused else "dashboard.cli.tls_new",
                    {"file": cert.cert_file, "until": cert.not_after.astimezone().strftime("%d/%m/%Y")}))  # fmt: skip
        echo(render("dashboard.cli.fingerprint"))
        for line in fingerprint_lines(cert.fingerprint):
            echo(f"    {line}")
    else:
        addresses = [host]
    app = create_app(loaded, store, token=token, sweep_timeout_s=timeout_s, sweep_on_start=sweep_on_start)
    scheme = "https" if tls else "http"
    urls = [f"{scheme}://{f'[{a}]' if ':' in a else a}:{port}/" for a in addresses]
    if token:
        urls = [f"{url}?token={token}" for url in urls]
    echo(render("dashboard.cli.serving_token" if token else "dashboard.cli.serving", {"url": urls[0]}))
    for url in urls[1:]:
        echo(render("dashboard.cli.also_at", {"url": url}))
    if tls or token:
        from provision.dashboard.tls import write_qr

        echo(render("dashboard.cli.qr"))
        write_qr(urls[0], terminal or sys.stdout)
    echo(render("dashboard.cli.stop_hint"))
    # no access log: a first visit's address holds the token
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False,
                            timeout_graceful_shutdown=2, lifespan="on", ssl_certfile=cert_file,
                            ssl_keyfile=key_file)  # fmt: skip
    server_class()(config, app.state.dashboard.hub).run()


def server_class() -> type:
    import uvicorn

    class Server(uvicorn.Server):
        """uvicorn's server, which first ends the live streams (Server-Sent Events) when asked to
        stop: a browser tab left open no longer holds Ctrl-C up until tasks are cancelled."""

        def __init__(self, config: uvicorn.Config, hub) -> None:
            super().__init__(config)
            self.hub = hub

        async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
            self.hub.close()
            await super().shutdown(sockets)

    return Server


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
