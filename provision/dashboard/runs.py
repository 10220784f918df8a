"""The latest workstation preparation on the dashboard (templates/_runs.html.j2): per host its outcome
and, for a host that failed, what failed as the terminal said it — the title, who asked for it
(candidate ids only), the tool's own words. The words were redacted when the run recorded them;
they are redacted again here with the secrets this dashboard knows (a record made by an older
plateau, a secret added to the vault since)."""

from __future__ import annotations

from typing import Any

from jinja2 import Environment

from provision.context import Loaded
from provision.messages import render

#: failures listed per host (the rest: « … et N autre(s) échec(s) »), as in the terminal's summary
SHOWN = 5


def known_secrets(loaded: Loaded) -> list[str]:
    """Every secret field of the loaded devices (Wi-Fi keys, admin and account passwords...)."""
    from provision.secrets import device_secrets

    return device_secrets(loaded.inventory.devices)


def failure_lines(detail: dict[str, Any], secrets: list[str]) -> list[str]:
    """« Logiciel — demandé par candidat:C07 : <the tool's words> », one line per recorded failure."""
    from provision.provisioning.failures import TaskFailure, redact
    from provision.provisioning.view import describe_failure

    failures = [f for f in detail.get("failures") or [] if isinstance(f, dict)]
    lines = []
    for f in failures[:SHOWN]:
        title = f.get("title")
        failure = TaskFailure(
            task=redact(str(f.get("task") or ""), secrets),
            message=redact(str(f.get("message") or ""), secrets),
            item=redact(str(f["item"]), secrets) if f.get("item") else None,
            unreachable=bool(f.get("unreachable")),
            title=redact(str(title), secrets) if title else None,
            requested_by=[str(who) for who in f.get("requested_by") or []],
        )
        lines.append(describe_failure(failure))
    if len(failures) > SHOWN:
        lines.append(render("dashboard.runs_more", {"count": len(failures) - SHOWN}))
    return lines


def install(env: Environment, loaded: Loaded) -> None:
    """``run_failures(host row)`` for the template."""
    secrets = known_secrets(loaded)
    env.globals["run_failures"] = lambda row: failure_lines(row.get("detail") or {}, secrets)
