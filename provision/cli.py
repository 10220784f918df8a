"""``plateau`` command line (French help; ``PLATEAU_LANG=en`` for English messages).

Exit codes (README.md, « Codes de sortie »):
    0   success (validate: inventory valid; plan: référentiel minimum met)
    1   the command ran but the plateau is not ready (plan: référentiel gaps)
    2   the user's input is wrong (inventory, session, catalog, vault, options)
    70  internal error: a bug in plateau (log path printed; --debug shows the trace)
    130 interrupted (Ctrl-C)
"""

from __future__ import annotations

import json
import logging
import os
import sys
import traceback
from pathlib import Path
from typing import Annotated, Optional

import click
import typer
from rich.console import Console

from provision import __version__
from provision.errors import PlateauError, Problem
from provision.messages import render

EXIT_OK, EXIT_NOT_READY, EXIT_USAGE, EXIT_INTERNAL, EXIT_INTERRUPTED = 0, 1, 2, 70, 130


def _french_click() -> None:
    """click translates its few own words through gettext; give it the French ones we show."""
    import click.decorators

    from provision.messages import current_language

    words = {"Show this message and exit.": "Affiche cette aide et quitte."}
    english = click.decorators._

    def translate(text: str) -> str:
        return words.get(text, english(text)) if current_language() == "fr" else english(text)

    click.decorators._ = translate


_french_click()

app = typer.Typer(
    name="plateau",
    help="Prépare, vérifie et documente le plateau technique d'une session d'examen.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)
out = Console()
err = Console(stderr=True)
_state = {"debug": False}

InventoryOpt = Annotated[
    Path,
    typer.Option(
        "-i", "--inventory", envvar="PLATEAU_INVENTORY", help="Dossier d'inventaire du centre (inventories/<centre>).",
        file_okay=False, show_default=False,
    ),
]
VaultOpt = Annotated[
    Optional[Path],
    typer.Option(
        "--vault-password-file", envvar="PLATEAU_VAULT_PASSWORD_FILE",
        help="Fichier contenant le mot de passe du coffre ansible-vault (défaut : <inventaire>/.vault_pass).",
        dir_okay=False, show_default=False,
    ),
]


def log_path() -> Path:
    base = Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state")
    return base / "plateau" / "plateau.log"


@app.callback(invoke_without_command=True)
def _root(
    debug: Annotated[bool, typer.Option("--debug", help="Affiche la trace complète des erreurs internes.")] = False,
    version: Annotated[bool, typer.Option("--version", help="Affiche la version et quitte.")] = False,
) -> None:
    _state["debug"] = debug
    if version:
        out.print(f"plateau {__version__}")
        raise typer.Exit(EXIT_OK)


def print_problems(problems: list[Problem]) -> None:
    errors = [p for p in problems if p.is_error]
    warnings = [p for p in problems if not p.is_error]
    for problem in [*errors, *warnings]:
        mark = "[bold red]✗ erreur[/]" if problem.is_error else "[yellow]! attention[/]"
        where = _where_fr(problem)
        err.print(f"{mark} [bold]{where}[/]" if where else mark, highlight=False, soft_wrap=True)
        err.print(f"    {render(problem.key, problem.params)}", highlight=False, markup=False, soft_wrap=True)
    if errors:
        err.print(f"[bold red]{render('cli.errors_found', {'count': len(errors)})}[/]")
    if warnings:
        err.print(f"[yellow]{render('cli.warnings_found', {'count': len(warnings)})}[/]")


def _where_fr(problem: Problem) -> str:
    parts = []
    if problem.file:
        parts.append(f"{problem.file}:{problem.line}" if problem.line else problem.file)
    if problem.host:
        parts.append(f"hôte {problem.host}")
    if problem.field:
        parts.append(f"champ {problem.field}")
    return " · ".join(parts)


@app.command("validate")
def validate(inventory: InventoryOpt, vault_password_file: VaultOpt = None) -> None:
    """Vérifie l'inventaire, la session et le catalogue ; liste toutes les erreurs d'un coup."""
    from provision.context import load_all

    loaded = load_all(inventory, vault_password_file)
    if loaded.warnings:
        print_problems(loaded.warnings)
    out.print(
        "[bold green]✓[/] "
        + render(
            "cli.ok_validate",
            {
                "hosts": len(loaded.inventory.hosts),
                "rooms": len(loaded.inventory.rooms),
                "candidates": len(loaded.session.candidates),
                "referentiel": loaded.session.referentiel,
            },
        ),
        highlight=False,
    )


@app.command("plan")
def plan(
    inventory: InventoryOpt,
    vault_password_file: VaultOpt = None,
    format: Annotated[
        str, typer.Option("--format", "-f", help="table (lisible) ou json (pour les scripts).", click_type=click.Choice(["table", "json"]))
    ] = "table",
) -> None:
    """Montre, équipement par équipement, ce qui sera installé et configuré, et ce qui manque au référentiel."""
    from provision.context import load_all
    from provision.plan_view import print_plan

    loaded = load_all(inventory, vault_password_file)
    data = loaded.plan.to_dict()
    if format == "json":
        sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
    else:
        if loaded.warnings:
            print_problems(loaded.warnings)
        print_plan(out, data)
    raise typer.Exit(EXIT_NOT_READY if data["gaps"] else EXIT_OK)


@app.command("check")
def check(
    inventory: InventoryOpt,
    vault_password_file: VaultOpt = None,
    room: Annotated[Optional[str], typer.Option("--room", help="Ne vérifier qu'une salle.")] = None,
    junit: Annotated[
        Optional[Path], typer.Option("--junit", help="Écrire aussi le résultat au format JUnit XML.", dir_okay=False)
    ] = None,
    format: Annotated[
        str, typer.Option("--format", "-f", help="table (lisible) ou json.", click_type=click.Choice(["table", "json"]))
    ] = "table",
    timeout_s: Annotated[float, typer.Option("--timeout", help="Délai de réponse par appareil, en secondes.")] = 10.0,
) -> None:
    """Sonde tous les équipements en parallèle et dit, salle par salle, ce qui est prêt et quoi faire sinon."""
    from provision.report import as_json, print_table, summary_line, write_junit
    from provision.sweep import run_sweep
    from provision.context import load_all
    from provision.state import open_store

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


def _register_optional_commands() -> None:
    """Commands living in their own packages (imported lazily by Typer when run)."""
    from provision.dashboard.cli import dashboard_command
    from provision.provisioning.cli import cache_command, provision_command, secrets_app
    from provision.recap.cli import recap_command

    app.command("provision", help="Installe les logiciels et crée les sessions administrateur (Ansible).")(
        provision_command
    )
    app.command("cache", help="Télécharge à l'avance ce qui peut l'être (paquets Debian, Flatpak, installeurs, APK).")(
        cache_command
    )
    app.command("dashboard", help="Tableau de bord de préparation, en direct, dans le navigateur (local).")(
        dashboard_command
    )
    app.add_typer(secrets_app, name="secrets", help="Génère ou renouvelle les mots de passe (coffre ansible-vault).")

    app.command("recap", help="Écrit le récapitulatif confidentiel du jury (PDF A4) ou l'affiche Wi-Fi.")(
        recap_command
    )


_register_optional_commands()

@app.command("attest")
def attest(
    inventory: InventoryOpt,
    item: Annotated[Optional[str], typer.Argument(help="Ce qui a été vérifié (voir --liste).", show_default=False)] = None,
    by: Annotated[Optional[str], typer.Option("--par", "--by", help="Nom de la personne qui atteste.")] = None,
    room: Annotated[Optional[str], typer.Option("--room", "--salle", help="Salle concernée.")] = None,
    device: Annotated[Optional[str], typer.Option("--device", "--equipement", help="Équipement (robot, écran…).")] = None,
    listing: Annotated[bool, typer.Option("--liste", "--list", help="Liste ce qui est à attester et son état.")] = False,
    vault_password_file: VaultOpt = None,
) -> None:
    """Enregistre une vérification faite à la main (piles des robots, tableau, feutres…), avec le nom et l'heure."""
    import datetime as dt

    from provision.report import status_label
    from provision.sweep import attestation_verdicts
    from provision.context import load_all
    from provision.state import open_store

    loaded = load_all(inventory, vault_password_file)
    store = open_store(loaded.inventory.root)
    now = dt.datetime.now(dt.timezone.utc)
    needed = attestation_verdicts(loaded, store, room=None, devices=None, now=now)
    if listing or item is None:
        for verdict in needed:
            where = verdict.device if not verdict.device.startswith("salle:") else f"salle {verdict.room}"
            item_id = verdict.check.removeprefix("attestation:")
            out.print(f"{status_label(verdict.status):>12} · {where} · [bold]{item_id}[/] — "
                      f"{render(verdict.key, verdict.params)}", highlight=False)
        raise typer.Exit(EXIT_OK)
    matches = [v for v in needed if v.check == f"attestation:{item}"
               and (device is None or v.device == device) and (room is None or v.room == room)]
    if device is None:
        matches = [v for v in matches if v.device.startswith("salle:")] or matches
    if len(matches) != 1 or not (by or "").strip():
        raise PlateauError(Problem(key="cli.attest_ambiguous", field="item", params={
            "item": item, "count": len(matches), "by": "ok" if (by or "").strip() else "manquant",
            "known": sorted({v.check.removeprefix("attestation:") for v in needed})}))
    target = matches[0]
    validity = float(target.params.get("validity_h") or 24)
    store.add_attestation(target.room or "", item, by or "", validity=dt.timedelta(hours=validity),
                          device=None if target.device.startswith("salle:") else target.device)
    out.print(f"[bold green]✓[/] " + render("cli.attested", {"label": target.params.get("label", item),
                                                           "by": by, "hours": f"{validity:g}"}), highlight=False)


DEMO_INVENTORY = Path(__file__).resolve().parent.parent / "inventories" / "demo"


@app.command("demo")
def demo(
    inventory: Annotated[
        Path, typer.Option("-i", "--inventory", help="Inventaire de démonstration.", file_okay=False)
    ] = DEMO_INVENTORY,
    dashboard: Annotated[
        bool, typer.Option("--dashboard/--no-dashboard", help="Servir le tableau de bord à la fin (Ctrl-C pour finir).")
    ] = True,
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="Port du tableau de bord.")] = 8765,
) -> None:
    """Fait tourner plateau sur le centre simulé : inventaire, plan, préparation, vérification, récapitulatif,
    tableau de bord."""
    from provision.report import print_table, summary_line
    from provision.sweep import LOOPBACK_ONLY_ENV, run_sweep
    from devices.lab.demo import DemoLab
    from provision.context import load_all
    from provision.devices_apply import apply_devices, print_outcomes, select_devices
    from provision.plan_view import print_plan
    from provision.state import open_store, state_dir

    os.environ[LOOPBACK_ONLY_ENV] = "1"  # the demo never sends a packet off this machine
    out.rule("[bold]plateau — démonstration sur le plateau simulé[/]")
    out.print(f"Inventaire : {inventory}", highlight=False)
    loaded = load_all(inventory)
    out.print("[bold]1. Vérification de l'inventaire[/]")
    if loaded.warnings:
        print_problems(loaded.warnings)
    out.print("[bold green]✓[/] " + render("cli.ok_validate", {
        "hosts": len(loaded.inventory.hosts), "rooms": len(loaded.inventory.rooms),
        "candidates": len(loaded.session.candidates), "referentiel": loaded.session.referentiel}), highlight=False)
    out.print("[bold]2. Plan de préparation[/]")
    print_plan(out, loaded.plan.to_dict())
    out.print("[bold]3. Démarrage des équipements simulés[/] (adresses de bouclage 127.0.1.x)")
    store = open_store(loaded.inventory.root)
    with DemoLab(state_dir(loaded.inventory.root)) as lab:
        for name, where in lab.addresses().items():
            out.print(f"   {name:38} {where}", highlight=False)
        out.print("[bold]4. Préparation des appareils[/] (les postes réels passent par Ansible : "
                  "plateau provision)")
        with err.status("Configuration du point d'accès et des tablettes…"):
            outcomes = apply_devices(loaded, select_devices(loaded, None), timeout_s=5.0)
        print_outcomes(out, outcomes)
        out.print("[bold]5. Vérification de tous les équipements[/]")
        with err.status("Sondage des équipements en parallèle…"):
            result = run_sweep(loaded, store=store, timeout_s=3.0)
        rooms = {r.id: r.label for r in loaded.inventory.rooms.values()}
        print_table(out, result.verdicts, rooms, title="Résultat de la vérification")
        out.print(summary_line(result.verdicts, result.ready), highlight=False)
        out.print("Des équipements sont volontairement « non prêts » dans la démonstration : lisez la colonne "
                  "« Constat et action ».", highlight=False)
        out.print("[bold]6. Récapitulatif du jury et affiche Wi-Fi[/]")
        for path, pages, what in _demo_documents(loaded):
            out.print(f"   {what} : {path} ({pages} page(s), lisible par vous seul : droits 0600)", highlight=False)
        if dashboard:
            from provision.dashboard.cli import serve

            out.print(f"[bold]7. Tableau de bord[/] : ouvrez http://127.0.0.1:{port}/ dans un navigateur — "
                      "les équipements simulés restent allumés ; Ctrl-C pour terminer.", highlight=False)
            serve(loaded, store, port=port, sweep_on_start=False, timeout_s=3.0,
                  echo=lambda text: out.print(text, highlight=False))


def _demo_documents(loaded) -> list[tuple[str, int, str]]:
    """The recap (forced: the demo is deliberately not ready, so it carries « NON PRÊT ») and the poster."""
    from checks.model import utcnow
    from provision.paths import shown
    from provision.recap import data as recap_data
    from provision.recap import render as recap_render
    from provision.recap.cli import default_output, write_private
    from provision.recap.readiness import load_readiness

    root, date = loaded.inventory.root, loaded.session.date.isoformat()
    recap = recap_data.build_recap(loaded, None, load_readiness(root), now=utcnow(), max_age_h=12, forced=True)
    documents = []
    for kind, pdf, what in (
        ("recap", recap_render.recap_pdf(recap), "Récapitulatif confidentiel (marqué NON PRÊT)"),
        ("poster", recap_render.poster_pdf(recap_data.build_posters(loaded, None)), "Affiche Wi-Fi de la salle"),
    ):
        path = default_output(root, kind, "centre", date)
        write_private(path, pdf.data)
        documents.append((shown(path), pdf.pages, what))
    return documents


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: maps every outcome to a documented exit code."""
    _log_to_file()
    try:
        code = app(args=argv, standalone_mode=False)
    except PlateauError as exc:
        print_problems(exc.problems)
        code = EXIT_USAGE
    except click.exceptions.Abort:
        err.print(render("cli.interrupted"))
        code = EXIT_INTERRUPTED
    except KeyboardInterrupt:
        err.print(render("cli.interrupted"))
        code = EXIT_INTERRUPTED
    except BrokenPipeError:  # output piped into `head`: not an error
        sys.stderr = open(os.devnull, "w")  # noqa: SIM115 - silence the interpreter's flush at exit
        code = EXIT_OK
    except click.exceptions.ClickException as exc:
        exc.show()
        code = EXIT_USAGE
    except Exception:
        if _state["debug"]:
            raise
        code = _internal_error()
    sys.exit(code if isinstance(code, int) else EXIT_OK)


def _log_to_file() -> None:
    """Logs go to a file, never to the technician's terminal (and never hold a secret)."""
    root = logging.getLogger()
    if root.handlers:
        return
    try:
        path = log_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        handler: logging.Handler = logging.FileHandler(path, encoding="utf-8")
    except OSError:
        handler = logging.NullHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    root.setLevel(logging.WARNING)


def _internal_error() -> int:
    path = log_path()
    logging.getLogger("plateau").error("internal error\n%s", traceback.format_exc())
    err.print(f"[bold red]{render('cli.internal_error', {'log': path})}[/]")
    return EXIT_INTERNAL


if __name__ == "__main__":  # pragma: no cover
    main()
