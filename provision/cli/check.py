"""``plateau check``: every device probed at once, room by room, what is ready and what to do."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import click
import typer

from provision.cli.common import EXIT_NOT_READY, EXIT_OK, InventoryOpt, VaultOpt, app, err, out
from provision.errors import PlateauError, Problem


@app.command("check")
def check(
    inventory: InventoryOpt,
    vault_password_file: VaultOpt = None,
    room: Annotated[str | None, typer.Option("--room", help="Ne vérifier qu'une salle.")] = None,
    junit: Annotated[
        Path | None, typer.Option("--junit", help="Écrire aussi le résultat au format JUnit XML.", dir_okay=False)
    ] = None,
    format: Annotated[
        str, typer.Option("--format", "-f", help="table (lisible) ou json.", click_type=click.Choice(["table", "json"]))
    ] = "table",
    timeout_s: Annotated[float, typer.Option("--timeout", help="Délai de réponse par appareil, en secondes.")] = 10.0,
) -> None:
    """Sonde tous les équipements en parallèle et dit, salle par salle, ce qui est prêt et quoi faire sinon."""
    from provision.context import load_all
    from provision.report import as_json, print_table, summary_line, write_junit
    from provision.state import open_store
    from provision.sweep import run_sweep

    loaded = load_all(inventory, vault_password_file)
    if room is not None and room not in loaded.inventory.rooms:
        raise PlateauError(Problem(key="cli.unknown_room", field="--room",
                                   params={"room": room, "rooms": sorted(loaded.inventory.rooms)}))
    store = open_store(loaded.inventory.root)
    if format == "table":
        with err.status("Vérification des équipements en cours…"):
            result = run_sweep(loaded, store=store, room=room, timeout_s=timeout_s)
    else:
        result = run_sweep(loaded, store=store, room=room, timeout_s=timeout_s)
    if junit:
        write_junit(junit, result.verdicts, elapsed_s=(result.finished_at - result.started_at).total_seconds())
    if format == "json":
        sys.stdout.write(as_json(result.verdicts, ready=result.ready, started_at=result.started_at,
                                 finished_at=result.finished_at) + "\n")
    else:
        rooms = {r.id: r.label for r in loaded.inventory.rooms.values()}
        print_table(out, result.verdicts, rooms, title=f"{loaded.inventory.centre} — vérification de "
                    f"{result.started_at.astimezone():%d/%m/%Y %H:%M}")
        out.print(summary_line(result.verdicts, result.ready), highlight=False)
    raise typer.Exit(EXIT_OK if result.ready else EXIT_NOT_READY)
