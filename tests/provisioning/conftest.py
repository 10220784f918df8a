"""A CLI app carrying the provisioning commands (provision/cli registers them for real)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from provision.cli import provision as prov_cli
from provision.cli import secrets as secrets_cli


def make_app() -> typer.Typer:
    app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    app.command("provision")(prov_cli.provision_command)
    app.add_typer(secrets_cli.secrets_app, name="secrets")
    return app


@dataclass
class Invoked:
    code: int
    output: str
    exception: BaseException | None


@pytest.fixture
def invoke(monkeypatch):
    """invoke("secrets", "init", "-i", path) -> Invoked; PlateauError maps to exit 2 as in main()."""
    from provision.errors import PlateauError

    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.delenv("PLATEAU_VAULT_PASSWORD_FILE", raising=False)
    app = make_app()

    def run(*args: Any) -> Invoked:
        result = CliRunner().invoke(app, [str(a) for a in args])
        code = result.exit_code
        if isinstance(result.exception, PlateauError):
            code = 2
        elif result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        return Invoked(code, result.output, result.exception)

    return run


@dataclass
class FakeStore:
    runs: list[dict[str, Any]] = field(default_factory=list)
    hosts: dict[str, dict[str, Any]] = field(default_factory=dict)

    def start_run(self, kind: str, args: dict[str, Any]) -> int:
        self.runs.append({"kind": kind, "args": args, "status": None})
        self.hosts = {}
        return len(self.runs)

    def record_host_result(self, run_id: int, host: str, status: str, **counts: Any) -> None:
        self.hosts[host] = {"status": status, **counts}

    def finish_run(self, run_id: int, status: str) -> None:
        self.runs[run_id - 1]["status"] = status


@pytest.fixture
def store(monkeypatch) -> FakeStore:
    fake = FakeStore()
    monkeypatch.setattr(prov_cli, "open_store", lambda root: fake)
    return fake
