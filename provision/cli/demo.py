"""``plateau demo``: the whole chain on the simulated centre (inventories/demo)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

import typer

from provision.cli.common import app, err, out
from provision.cli.validate import print_validated
from provision.messages import render

DEMO_INVENTORY = Path(__file__).resolve().parents[2] / "inventories" / "demo"


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
    """Fait tourner plateau sur le centre simulé : inventaire, plan, préparation des postes (Ansible, simulation),
    des appareils, vérification, récapitulatif, tableau de bord."""
    from devices.lab.demo import DemoLab
    from provision.cli.demo_provision import demo_workstations, lab_prefix, provision_check
    from provision.context import load_all
    from provision.devices_apply import apply_devices, print_outcomes, select_devices
    from provision.paths import state_dir
    from provision.plan_view import print_plan
    from provision.report import print_table, summary_line
    from provision.state import open_store
    from provision.sweep import LOOPBACK_ONLY_ENV, run_sweep

    os.environ[LOOPBACK_ONLY_ENV] = "1"  # the demo never sends a packet off this machine
    out.rule("[bold]plateau — démonstration sur le plateau simulé[/]")
    out.print(f"Inventaire : {inventory}", highlight=False)
    loaded = load_all(inventory)
    out.print("[bold]1. Vérification de l'inventaire[/]")
    print_validated(loaded)
    out.print("[bold]2. Plan de préparation[/]")
    print_plan(out, loaded.plan.to_dict())
    out.print("[bold]3. Démarrage des équipements simulés[/] (adresses de bouclage 127.0.1.x)")
    store = open_store(loaded.inventory.root)
    lab_at = DemoLab(state_dir(loaded.inventory.root), prefix=lab_prefix(loaded))
    with lab_at as lab, demo_workstations(loaded) as (pcs, pc_problem):
        for name, where in lab.addresses().items():
            out.print(f"   {name:38} {where}", highlight=False)
        for pc in pcs:
            address, port = pc.endpoints[0]
            out.print(f"   {render('demo.pc_label'):38} ssh://{pc.user}@{address}:{port}", highlight=False)
        out.print(f"[bold]{render('demo.step_provision')}[/]", highlight=False)
        if pc_problem is None:
            out.print(render("demo.provision_intro"), highlight=False)
            provision_check(loaded)
        else:
            out.print(render("demo.provision_skipped", {"reason": pc_problem}), highlight=False)
        out.print("[bold]5. Préparation des appareils[/] (point d'accès, tablette)")
        with err.status("Configuration du point d'accès et des tablettes…"):
            outcomes = apply_devices(loaded, select_devices(loaded, None), timeout_s=5.0)
        print_outcomes(out, outcomes)
        out.print("[bold]6. Vérification de tous les équipements[/]")
        with err.status("Sondage des équipements en parallèle…"):
            result = run_sweep(loaded, store=store, timeout_s=3.0)
        rooms = {r.id: r.label for r in loaded.inventory.rooms.values()}
        print_table(out, result.verdicts, rooms, title="Résultat de la vérification")
        out.print(summary_line(result.verdicts, result.ready), highlight=False)
        out.print(
            "Des équipements sont volontairement « non prêts » dans la démonstration : lisez la colonne "
            "« Constat et action ».",
            highlight=False,
        )
        out.print("[bold]7. Récapitulatif du jury et affiche Wi-Fi[/]")
        for path, pages, what in _demo_documents(loaded):
            out.print(f"   {what} : {path} ({pages} page(s), lisible par vous seul : droits 0600)", highlight=False)
        if dashboard:
            from provision.dashboard.server import serve

            out.print(
                f"[bold]8. Tableau de bord[/] : ouvrez http://127.0.0.1:{port}/ dans un navigateur — "
                "les équipements simulés restent allumés ; Ctrl-C pour terminer.",
                highlight=False,
            )
            serve(
                loaded,
                store,
                port=port,
                sweep_on_start=False,
                timeout_s=3.0,
                echo=lambda text: out.print(text, highlight=False),
            )


def _demo_documents(loaded: Any) -> list[tuple[str, int, str]]:
    """The recap (forced: the demo is deliberately not ready, so it carries « NON PRÊT ») and the poster."""
    from checks.model import utcnow
    from provision.paths import shown
    from provision.recap import data as recap_data
    from provision.recap import render as recap_render
    from provision.recap.files import default_output, write_private
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
