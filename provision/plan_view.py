"""Render a plan (``Plan.to_dict()``) as Rich tables, room by room, in French."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from provision.families import family_label
from provision.messages import render


def _account(kind: str) -> str:
    label = render(f"label.account.{kind}")
    return label[:1].lower() + label[1:]  # in a sentence: « session administrateur admin »


def _setting(setting: str, value: Any) -> str:
    """A plan setting in words: « loupe », « mise en veille de l'écran : 300 s », never ``id = True``."""
    key = "plan_view.setting." + setting.replace(".", "_")
    text = render(key, {"value": render(f"plan_view.security.{value}") if setting == "wifi_security" else value})
    return f"{setting} = {value}" if text.startswith(key) else text  # a setting without words yet: as is


def _reason(reason: str) -> str:
    kind, _, who = reason.partition(":")
    if kind == "référentiel":
        return render("plan_view.reason_referentiel")
    if kind == "candidat":
        return who
    if kind == "accessibilité":
        return render("plan_view.reason_accessibility", {"candidate": who})
    return render("plan_view.reason_centre", {"what": who}) if kind == "centre" else reason


def _title(software: dict[str, Any]) -> str:
    """« Canva (C01) », then the catalogue's reason when plateau cannot install it offline for every session."""
    line = f"{software['name']} [dim]({', '.join(_reason(r) for r in software['requested_by'])})[/]"
    limits = (software["install"] or {}).get("limits")
    return line + f"\n[yellow]⚠ {escape(limits)}[/]" if limits else line


def print_plan(console: Console, plan: dict[str, Any]) -> None:
    console.print(
        f"[bold]{plan['centre']}[/] — "
        + render("plan_view.session", {"date": plan["date"], "referentiel": plan["referentiel"]["name"]}),
        highlight=False,
    )
    hosts_by_room: dict[str, list[dict[str, Any]]] = {}
    for host in plan["hosts"]:
        hosts_by_room.setdefault(host["room"] or "?", []).append(host)
    for room in plan["rooms"]:
        juries = ", ".join(room["juries"]) or render("plan_view.no_jury")
        table = Table(title=f"{room['label']} ({juries})", title_justify="left", show_lines=True, expand=True)
        table.add_column(render("plan_view.col_device"), style="bold", no_wrap=True)
        table.add_column(render("plan_view.col_software"))
        table.add_column(render("plan_view.col_accounts"))
        for host in hosts_by_room.get(room["id"], []):
            software = "\n".join(_title(s) for s in host["software"])
            accounts = [
                _account(a["kind"])
                + (f" {a['login']}" if a["login"] and a["kind"] != "wifi_key" else "")
                + ("" if a["secret_present"] else f" [yellow]({render('plan_view.secret_missing')})[/]")
                for a in host["accounts"]
            ]
            settings = [
                _setting(s["id"], s["value"]) + (f" [dim]({', '.join(s['for'])})[/]" if s["for"] else "")
                for s in host["settings"]
            ]
            table.add_row(
                f"{host['name']}\n[dim]{family_label(host['family'])}"
                + (f" · {render('label.role.' + host['role'])}" if host["role"] else "")
                + "[/]",
                software or "[dim]—[/]",
                "\n".join(accounts + settings) or "[dim]—[/]",
            )
        console.print(table)
        attest = [a["label"] for a in plan["attestations"] if a["room"] == room["id"]]
        if attest:
            console.print(f"[bold]{render('plan_view.attest')}[/] " + " ; ".join(attest), highlight=False)
    if plan["own_laptops"]:
        console.print(render("plan_view.own_laptops"), highlight=False)
        for own in plan["own_laptops"]:
            wants = "; ".join(f"{k} : {', '.join(v)}" for k, v in own["software"].items())
            console.print(
                f"  {own['candidate']} ({own['jury']}) — {wants or render('plan_view.nothing_declared')}",
                highlight=False,
            )
    if plan["gaps"]:
        console.print(f"[bold red]{render('plan_view.gaps', {'count': len(plan['gaps'])})}[/]", highlight=False)
        for gap in plan["gaps"]:
            host = f"{gap['host']} : " if gap["host"] else ""
            console.print(f"  [red]✗[/] {host}{gap['message']}", highlight=False)
    else:
        console.print(f"[bold green]✓ {render('plan_view.no_gap')}[/]")
    s = plan["summary"]
    console.print(
        render(
            "plan_view.summary",
            {
                "hosts": s["hosts"],
                "installs": s["software_installs"],
                "accounts": s["accounts"],
                "missing": s["accounts_missing_secret"],
                "candidates": s["candidates"],
            },
        ),
        highlight=False,
    )
