"""``plateau cache -i DIR [--only apt,flatpak,...]``: pre-download into <inventory>/cache/
(provision/provisioning/cache.py). Exit codes: 0 done (titles to fetch by hand are listed, not
failures); 1 some title could not be cached (unknown package, download failed); 2 wrong input.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from provision.cli.common import EXIT_NOT_READY, EXIT_OK, InventoryOpt, VaultOpt, app, out, print_problems
from provision.errors import PlateauError, Problem
from provision.messages import render
from provision.paths import shown


@app.command("cache", help="Télécharge à l'avance ce qui peut l'être (paquets Debian, Flatpak, installeurs, APK).")
def cache_command(
    inventory: InventoryOpt,
    only: Annotated[
        str | None,
        typer.Option(
            "--only",
            help="Seulement ces sources, séparées par des virgules : apt, flatpak, winget, choco, apk, ipa.",
            show_default=False,
        ),
    ] = None,
    vault_password_file: VaultOpt = None,
) -> None:
    """Télécharge à l'avance dans <inventaire>/cache/ ce qui peut l'être (paquets Debian, Flatpak), et liste le reste."""
    from provision.context import load_all
    from provision.inventory.loader import find_vault_password_file
    from provision.provisioning.cache import CACHE_DIR, build_cache, parse_only

    root = Path(inventory)
    try:
        kinds = parse_only(only)
    except ValueError as exc:
        raise PlateauError(
            Problem(
                key="cache.unknown_kind",
                field="--only",
                params={"kinds": exc.args[0], "known": "apt, flatpak, winget, choco, apk, ipa"},
            )
        ) from None
    password_file, _how = find_vault_password_file(root, vault_password_file)
    loaded = load_all(root, password_file)  # no secret is needed, but vault files are read when present
    if loaded.warnings:
        print_problems(loaded.warnings)
    with out.status(render("cache.working", {"path": shown(root / CACHE_DIR)})):
        report = build_cache(root, loaded.plan.to_dict(), kinds)
    print_cache_report(out, report)
    raise typer.Exit(EXIT_NOT_READY if report.failed else EXIT_OK)


def print_cache_report(console: Any, report: Any) -> None:
    from rich.table import Table

    from provision.provisioning.cache import CACHE_DIR, Status

    if not report.entries:
        console.print(render("cache.nothing"), highlight=False)
        return
    labels = {Status.CACHED: "[green]" + render("cache.status_cached") + "[/]",
              Status.PRESENT: "[green]" + render("cache.status_present") + "[/]",
              Status.MANUAL: "[yellow]" + render("cache.status_manual") + "[/]",
              Status.UNAVAILABLE: "[yellow]" + render("cache.status_unavailable") + "[/]",
              Status.FAILED: "[bold red]" + render("cache.status_failed") + "[/]"}  # fmt: skip
    table = Table(title=render("cache.title"), title_justify="left", expand=True)
    table.add_column(render("cache.col_kind"), no_wrap=True)
    table.add_column(render("cache.col_title"))
    table.add_column(render("cache.col_status"), no_wrap=True)
    table.add_column(render("cache.col_detail"), ratio=1)
    for entry in report.entries:
        table.add_row(entry.kind, entry.title, labels.get(entry.status, entry.status), render(entry.key, entry.params))
    console.print(table)
    counts = {s: sum(1 for e in report.entries if e.status == s) for s in labels}
    console.print(
        render(
            "cache.summary",
            {
                "cached": counts[Status.CACHED] + counts[Status.PRESENT],
                "manual": counts[Status.MANUAL] + counts[Status.UNAVAILABLE],
                "failed": counts[Status.FAILED],
                "debs": report.apt_debs,
                "mb": round(report.apt_bytes / 1e6, 1),
                "path": shown(report.root / CACHE_DIR),
            },
        ),
        highlight=False,
    )
