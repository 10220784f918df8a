"""The exam-morning dashboard: a local web page, live, with attestations, history, freeze and print view.

Public surface (imported lazily, so ``plateau --help`` does not import Starlette):
    create_app(loaded, store, *, token=None, sweep_timeout_s=10.0, sweep_on_start=False) -> Starlette
    dashboard_command(...)   the Typer command behind ``plateau dashboard``
    serve(loaded, store, *, host, port, token, sweep_on_start, timeout_s)   used by ``plateau demo``
"""

from __future__ import annotations

from typing import Any

__all__ = ["create_app", "dashboard_command", "serve"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from provision.dashboard.app import create_app

        return create_app
    if name in ("dashboard_command", "serve"):
        from provision.dashboard import cli

        return getattr(cli, name)
    raise AttributeError(name)
