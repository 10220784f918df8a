"""Render a plan (``Plan.to_dict()``) as Rich tables, room by room, in French."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

FAMILY_FR = {
    "windows": "PC Windows", "linux": "PC Linux", "macos": "Mac", "android": "Tablette Android",
    "ipad": "iPad", "printer": "Imprimante", "scanner": "Scanner", "microcontroller": "Microcontrôleur",
    "robot": "Robot", "printer_3d": "Imprimante 3D", "access_point": "Point d'accès Wi-Fi",
    "projector": "Projection",
}  # fmt: skip
ACCOUNT_FR = {
    "admin_session": "session administrateur", "google_account": "compte Google", "apple_id": "identifiant Apple",
    "unlock_code": "code de déverrouillage", "ssh_admin": "administration SSH", "wifi_key": "clé Wi-Fi",
}  # fmt: skip


def _reason(reason: str) -> str:
    kind, _, who = reason.partition(":")
    return {"référentiel": "référentiel", "candidat": who, "accessibilité": f"{who} (accessibilité)"}.get(
        kind, reason.replace("centre:", "centre ")
    )


def print_plan(console: Console, plan: dict[str, Any]) -> None:
    console.print(
        f"[bold]{plan['centre']}[/] — session du {plan['date']} — {plan['referentiel']['name']}", highlight=False
    )
    hosts_by_room: dict[str, list[dict[str, Any]]] = {}
    for host in plan["hosts"]:
        hosts_by_room.setdefault(host["room"] or "?", []).append(host)
    for room in plan["rooms"]:
        juries = ", ".join(room["juries"]) or "aucun jury"
        table = Table(title=f"{room['label']} ({juries})", title_justify="left", show_lines=True, expand=True)
        table.add_column("Équipement", style="bold", no_wrap=True)
        table.add_column("Logiciels (demandés par)")
        table.add_column("Comptes et réglages")
        for host in hosts_by_room.get(room["id"], []):
            software = "\n".join(
                f"{s['name']} [dim]({', '.join(_reason(r) for r in s['requested_by'])})[/]" for s in host["software"]
            )
            accounts = [
                f"{ACCOUNT_FR.get(a['kind'], a['kind'])}"
                + (f" {a['login']}" if a["login"] and a["kind"] != "wifi_key" else "")
                + ("" if a["secret_present"] else " [yellow](secret à générer)[/]")
                for a in host["accounts"]
            ]
            settings = [
                f"{s['id']} = {s['value']}" + (f" [dim]({', '.join(s['for'])})[/]" if s["for"] else "")
                for s in host["settings"]
            ]
            table.add_row(
                f"{host['name']}\n[dim]{FAMILY_FR.get(host['family'], host['family'])}"
                + (f" · {host['role']}" if host["role"] else "") + "[/]",
                software or "[dim]—[/]",
                "\n".join(accounts + settings) or "[dim]—[/]",
            )
        console.print(table)
        attest = [a["label"] for a in plan["attestations"] if a["room"] == room["id"]]
        if attest:
            console.print("[bold]À attester sur place :[/] " + " ; ".join(attest), highlight=False)
    if plan["own_laptops"]:
        console.print("[bold]Candidats venant avec leur portable[/] (logiciels à installer par eux) :")
        for own in plan["own_laptops"]:
            wants = "; ".join(f"{k} : {', '.join(v)}" for k, v in own["software"].items())
            console.print(f"  {own['candidate']} ({own['jury']}) — {wants or 'rien de déclaré'}", highlight=False)
    if plan["gaps"]:
        console.print(f"[bold red]Manques par rapport au référentiel ({len(plan['gaps'])}) :[/]")
        for gap in plan["gaps"]:
            host = f"{gap['host']} : " if gap["host"] else ""
            console.print(f"  [red]✗[/] {host}{gap['message']}", highlight=False)
    else:
        console.print("[bold green]✓ Le minimum du référentiel est couvert.[/]")
    s = plan["summary"]
    console.print(
        f"{s['hosts']} équipements, {s['software_installs']} installations, {s['accounts']} comptes"
        f" ({s['accounts_missing_secret']} secret(s) à générer), {s['candidates']} candidat(s).",
        highlight=False,
    )
