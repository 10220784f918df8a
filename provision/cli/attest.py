"""``plateau attest``: record a check made by hand (robots' batteries, whiteboard, markers...)."""

from __future__ import annotations

from typing import Annotated

import typer

from provision.cli.common import EXIT_OK, InventoryOpt, VaultOpt, app, out
from provision.errors import PlateauError, Problem
from provision.messages import render


@app.command("attest")
def attest(
    inventory: InventoryOpt,
    item: Annotated[str | None, typer.Argument(help="Ce qui a été vérifié (voir --liste).", show_default=False)] = None,
    by: Annotated[str | None, typer.Option("--par", "--by", help="Nom de la personne qui atteste.")] = None,
    room: Annotated[str | None, typer.Option("--room", "--salle", help="Salle concernée.")] = None,
    device: Annotated[str | None, typer.Option("--device", "--equipement", help="Équipement (robot, écran…).")] = None,
    listing: Annotated[
        bool, typer.Option("--liste", "--list", help="Liste ce qui est à attester et son état.")
    ] = False,
    vault_password_file: VaultOpt = None,
) -> None:
    """Enregistre une vérification faite à la main (piles des robots, tableau, feutres…), avec le nom et l'heure."""
    import datetime as dt

    from provision.context import load_all
    from provision.report import status_label
    from provision.state import open_store
    from provision.sweep import attestation_verdicts

    loaded = load_all(inventory, vault_password_file)
    store = open_store(loaded.inventory.root)
    now = dt.datetime.now(dt.UTC)
    needed = attestation_verdicts(loaded, store, room=None, devices=None, now=now)
    if listing or item is None:
        for verdict in needed:
            where = verdict.device if not verdict.device.startswith("salle:") else f"salle {verdict.room}"
            item_id = verdict.check.removeprefix("attestation:")
            out.print(
                f"{status_label(verdict.status):>12} · {where} · [bold]{item_id}[/] — "
                f"{render(verdict.key, verdict.params)}",
                highlight=False,
            )
        raise typer.Exit(EXIT_OK)
    matches = [
        v
        for v in needed
        if v.check == f"attestation:{item}"
        and (device is None or v.device == device)
        and (room is None or v.room == room)
    ]
    if device is None:
        matches = [v for v in matches if v.device.startswith("salle:")] or matches
    if len(matches) != 1 or not (by or "").strip():
        raise PlateauError(
            Problem(
                key="cli.attest_ambiguous",
                field="item",
                params={
                    "item": item,
                    "count": len(matches),
                    "by": "ok" if (by or "").strip() else "manquant",
                    "known": sorted({v.check.removeprefix("attestation:") for v in needed}),
                },
            )
        )
    target = matches[0]
    validity = float(target.params.get("validity_h") or 24)
    store.add_attestation(
        target.room or "",
        item,
        by or "",
        validity=dt.timedelta(hours=validity),
        device=None if target.device.startswith("salle:") else target.device,
    )
    out.print(
        "[bold green]✓[/] "
        + render("cli.attested", {"label": target.params.get("label", item), "by": by, "hours": f"{validity:g}"}),
        highlight=False,
    )
