"""``plateau recap``: the jury's confidential recap (or the Wi-Fi poster), written 0600.

    plateau recap -i DIR [-o FILE] [--jury J] [--force] [--poster] [--print | --print-to HOST[:PORT]]
                  [--max-age-h H] [--vault-password-file F]

Exit codes: 0 written (and printed when asked); 1 refused by the gate (blockers listed)
or the printer failed (the file is written); 2 user input error (raised PlateauError,
rendered by the CLI's main). Secrets are never printed: only paths, counts and blockers.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from provision.cli.common import EXIT_NOT_READY, InventoryOpt, VaultOpt, app, err, out
from provision.messages import render
from provision.paths import shown
from provision.recap.files import default_output, write_private
from provision.recap.readiness import DEFAULT_MAX_AGE_H


@app.command("recap", help="Écrit le récapitulatif confidentiel du jury (PDF A4) ou l'affiche Wi-Fi.")
def recap_command(
    inventory: InventoryOpt,
    output: Annotated[
        Path | None,
        typer.Option(
            "-o",
            "--output",
            dir_okay=False,
            show_default=False,
            metavar="FICHIER",
            help="Fichier PDF à écrire (défaut : recap-<jury|centre>-<date>.pdf dans <inventaire>/.plateau).",
        ),
    ] = None,
    jury: Annotated[
        str | None,
        typer.Option(
            "--jury",
            show_default=False,
            help="Récapitulatif d'un seul jury : seulement les équipements et secrets de sa salle.",
        ),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Produire le document malgré les points bloquants (marqué « NON PRÊT »).")
    ] = False,
    poster: Annotated[
        bool, typer.Option("--poster", help="Écrire l'affiche Wi-Fi (une page A4 par salle) au lieu du récapitulatif.")
    ] = False,
    print_to: Annotated[
        str | None,
        typer.Option(
            "--print-to",
            metavar="HÔTE[:PORT]",
            show_default=False,
            help="Imprimer sur cette imprimante IPP (implique --print).",
        ),
    ] = None,
    vault_password_file: VaultOpt = None,
    send_to_printer: Annotated[
        bool, typer.Option("--print", help="Imprimer sur l'imprimante réseau de la salle du jury (IPP).")
    ] = False,
    max_age_h: Annotated[
        float,
        typer.Option("--max-age-h", min=0.1, metavar="HEURES", help="Âge maximal du dernier contrôle, en heures."),
    ] = DEFAULT_MAX_AGE_H,
) -> None:
    """Imprime le récapitulatif confidentiel du jury (identifiants, Wi-Fi, état du plateau, candidats)."""
    from checks.model import utcnow
    from provision.context import load_all
    from provision.recap import data as recap_data
    from provision.recap.readiness import load_readiness

    loaded = load_all(inventory, vault_password_file)
    root = loaded.inventory.root
    scope = jury or "centre"
    date = loaded.session.date.isoformat()
    if poster:
        from provision.recap import render as recap_render  # Typst: only once a PDF is to be made

        pdf = recap_render.poster_pdf(recap_data.build_posters(loaded, jury))
        path = output or default_output(root, "poster", scope, date)
        message, job_name = "recap.poster_written", f"Affiche Wi-Fi {scope} {date}"
    else:
        recap = recap_data.build_recap(
            loaded, jury, load_readiness(root), now=utcnow(), max_age_h=max_age_h, forced=force
        )
        blockers = recap.readiness.blockers
        if blockers:
            _print_blockers(recap.readiness.groups)
            if not force:
                err.print(render("recap.refused", {"count": len(blockers)}), style="bold red", highlight=False)
                raise typer.Exit(EXIT_NOT_READY)
            err.print(render("recap.forced", {"count": len(blockers)}), style="bold yellow", highlight=False)
        from provision.recap import render as recap_render  # after the gate: a refusal never loads Typst

        pdf = recap_render.recap_pdf(recap)
        path = output or default_output(root, "recap", scope, date)
        message, job_name = "recap.written", f"Recapitulatif plateau {scope} {date}"
    try:
        write_private(path, pdf.data)
    except OSError as exc:
        from provision.errors import PlateauError, Problem

        raise PlateauError(
            Problem(key="recap.bad_output", params={"path": shown(path), "reason": exc.strerror})
        ) from exc
    out.print(render(message, {"path": shown(path), "pages": pdf.pages}), highlight=False)

    if send_to_printer or print_to:
        _send(loaded, jury, print_to, pdf.data, job_name)


def _print_blockers(groups) -> None:
    """The blockers as the PDF lists them: by place, then one line per thing to do."""
    for group in groups:
        err.print(f"[bold]{escape(group.place)}[/]", highlight=False)
        for what, whom in group.items:
            who = " ; ".join(f"{name} ({', '.join(checks)})" if checks else name for name, checks in whom)
            err.print(f"  ✗ {what}" + (f" — {who}" if who else ""), markup=False, highlight=False, soft_wrap=True)


def _send(loaded, jury: str | None, print_to: str | None, pdf: bytes, job_name: str) -> None:
    from provision.recap import printing
    from provision.recap.data import scope_rooms

    if print_to:
        uri = printing.parse_target(print_to)
    else:
        uri = printing.printer_for(loaded.inventory, scope_rooms(loaded, jury), jury or "centre")
    try:
        result = printing.send_pdf(uri, pdf, job_name)
    except printing.PrintError as exc:
        err.print(
            render("recap.print.failed", {"printer": uri, "reason": str(exc)}),
            style="bold red",
            highlight=False,
            markup=False,
        )
        raise typer.Exit(EXIT_NOT_READY) from exc
    out.print(render("recap.print.sent", {"printer": uri, "job": result.job_id}), highlight=False)
