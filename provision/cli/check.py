"""``plateau check``: every device probed at once, room by room, what is ready and what to do."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import click
import typer

from checks.model import DEFAULT_TIMEOUT_S
from provision.cli.common import (
    EXIT_NOT_READY,
    EXIT_OK,
    EXIT_USAGE,
    InventoryOpt,
    VaultOpt,
    app,
    err,
    out,
    print_problems,
)
from provision.errors import PlateauError, Problem
from provision.paths import shown


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
    timeout_s: Annotated[
        float, typer.Option("--timeout", help="Délai de réponse par appareil, en secondes.")
    ] = DEFAULT_TIMEOUT_S,
    reset_state: Annotated[
        bool, typer.Option("--reset-state", help="Mettre de côté .plateau/state.db (endommagé) et en créer un neuf.")
    ] = False,
) -> None:
    """Sonde tous les équipements en parallèle et dit, salle par salle, ce qui est prêt et quoi faire sinon."""
    from provision.context import load_all
    from provision.messages import render
    from provision.report import as_json, print_table, readiness_of, summary_line, write_junit
    from provision.state import store_path
    from provision.state_soft import open_store_soft, set_aside
    from provision.sweep import run_sweep

    loaded = load_all(inventory, vault_password_file)
    if room is not None and room not in loaded.inventory.rooms:
        raise PlateauError(
            Problem(
                key="cli.unknown_room", field="--room", params={"room": room, "rooms": sorted(loaded.inventory.rooms)}
            )
        )
    if reset_state:
        aside = set_aside(loaded.inventory.root)
        message = (
            ("state.set_aside", {"path": shown(aside)})
            if aside
            else ("state.nothing_to_set_aside", {"path": shown(store_path(loaded.inventory.root))})
        )
        err.print(render(*message), highlight=False, soft_wrap=True)
    # the store fails soft: on a full disk, a read-only or a damaged state.db the check still
    # runs, prints and exports its results, then says what to do (exit 2)
    store = open_store_soft(loaded.inventory.root)
    if format == "table":
        result = _sweep_with_progress(loaded, store=store, room=room, timeout_s=timeout_s)
    else:
        result = run_sweep(loaded, store=store, room=room, timeout_s=timeout_s)
    problems: list[Problem] = []
    if junit:
        try:
            write_junit(junit, result.verdicts, elapsed_s=(result.finished_at - result.started_at).total_seconds())
        except OSError as exc:
            problems.append(
                Problem(
                    key="cli.export_failed",
                    file=shown(junit),
                    field="--junit",
                    params={"file": shown(junit), "reason": exc.strerror or str(exc)},
                )
            )
    readiness = readiness_of(loaded, result.verdicts, now=result.finished_at)
    if format == "json":
        sys.stdout.write(
            as_json(
                result.verdicts,
                ready=result.ready,
                started_at=result.started_at,
                finished_at=result.finished_at,
                readiness=readiness,
                room=room,
            )
            + "\n"
        )
    else:
        rooms = {r.id: r.label for r in loaded.inventory.rooms.values()}
        print_table(
            out,
            result.verdicts,
            rooms,
            title=render(
                "check.cli.title",
                {"centre": loaded.inventory.centre, "date": f"{result.started_at.astimezone():%d/%m/%Y %H:%M}"},
            ),
            readiness=readiness,
            room=room,
        )
        out.print(summary_line(result.verdicts, result.ready), highlight=False)
        _print_next_commands(loaded, result.verdicts, ready=result.ready, room=room)
    store.close()
    if store.problem is not None:
        problems.insert(0, store.problem)
    if problems:
        print_problems(problems)
        if store.problem is not None:
            err.print(render("state.not_saved"), highlight=False, soft_wrap=True)
        raise typer.Exit(EXIT_USAGE)
    raise typer.Exit(EXIT_OK if result.ready else EXIT_NOT_READY)


def _sweep_with_progress(loaded, *, store, room: str | None, timeout_s: float):
    """The sweep with a Rich progress bar on stderr: devices answered / expected, and the
    ones still waiting (all start together: the slowest are those not answered yet)."""
    from rich.markup import escape
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from provision.messages import render
    from provision.sweep import probe_jobs, run_sweep, select

    expected = [job.device.name for job in probe_jobs(select(loaded, room=room))]
    if room is None:
        expected.append("centre:internet")
    waiting = dict.fromkeys(expected)  # ordered: the inventory's order
    room_for_names = max(12, err.width - 62)  # the bar and the count keep their place at 80 columns
    with Progress(TextColumn(f"[bold]{escape(render('check.cli.progress'))}[/]"), BarColumn(bar_width=20),
                  MofNCompleteColumn(), TextColumn(escape(render("check.cli.devices"))), TimeElapsedColumn(),
                  TextColumn("{task.fields[waiting]}", markup=False), console=err, transient=True) as progress:  # fmt: skip
        task = progress.add_task("sweep", total=len(expected) or 1, waiting="")

        def on_verdict(verdict) -> None:
            if verdict.device in waiting:
                del waiting[verdict.device]
                names = list(waiting)  # host names: short, what the technician types
                more = f" (+{len(names) - 1})" if len(names) > 1 else ""
                first = names[0] if names else ""
                if len(first) + len(more) > room_for_names:
                    first = first[: max(1, room_for_names - len(more) - 1)] + "…"
                line = render("check.cli.waiting", {"name": first, "more": more}) if names else ""
                progress.update(task, completed=len(expected) - len(waiting), waiting=line)

        result = run_sweep(loaded, store=store, room=room, timeout_s=timeout_s, on_verdict=on_verdict)
        progress.update(task, completed=len(expected) or 1, waiting="")
    return result


def next_commands(loaded, verdicts, *, ready: bool, room: str | None) -> list[str]:
    """What to type next, one line per kind of red (attest, provision --limit, re-check, recap),
    each command runnable as printed (:func:`plateau_program`), its words from the catalogue."""
    import shlex

    from provision.cli.attest import attest_command
    from provision.messages import render
    from provision.provisioning.view import plateau_program
    from provision.readiness import ROOM_PREFIX

    program = plateau_program()
    inv = shown(loaded.inventory.root)

    def command(*args: str) -> str:
        return shlex.join([*program, *args])

    devices = {d.name: d for d in loaded.inventory.devices}
    attest: dict[str, str] = {}
    provision: list[str] = []
    recheck: list[str] = []
    for v in verdicts:
        if not v.blocking or v.status.ready:
            continue
        if v.check.startswith("attestation:"):
            item = v.check.removeprefix("attestation:")
            on_room = v.device.startswith(ROOM_PREFIX)
            line = attest_command(program, inv, item, room=v.device.removeprefix(ROOM_PREFIX) if on_room else None,
                                  device=None if on_room else v.device)  # fmt: skip
            attest.setdefault(line, item)
        elif v.check in ("software", "capabilities") and v.device in devices and str(v.status) == "fail":
            if v.device not in provision:
                provision.append(v.device)
        elif v.device in devices and v.device not in recheck:
            recheck.append(v.device)
    if ready:
        juries = [j.id for j in loaded.session.juries]
        lines = [render("check.cli.then_recap")]
        lines += [f"  {command('recap', '-i', inv, *(('--jury', jury) if jury else ()))}" for jury in juries or [""]]
        return lines
    lines = [render("check.cli.next")]
    if attest:
        lines.append(f"  {render('check.cli.attest')}")
        lines += [f"    {line}" for line in list(attest)[:8]]
        if len(attest) > 8:
            listing = command("attest", "-i", inv, "--liste")
            lines.append(f"    {render('check.cli.attest_more', {'count': len(attest) - 8, 'command': listing})}")
    if provision:
        lines.append(f"  {render('check.cli.provision')}")
        lines.append(f"    {command('provision', '-i', inv, '--limit', ','.join(provision))}")
    if recheck:
        shown_devices = ", ".join(recheck[:4]) + (" …" if len(recheck) > 4 else "")
        lines.append(f"  {render('check.cli.recheck', {'devices': shown_devices})}")
        lines.append(f"    {command('check', '-i', inv, *(('--room', room) if room else ()))}")
    juries = [j.id for j in loaded.session.juries]
    recap = command("recap", "-i", inv, *(("--jury", juries[0]) if len(juries) == 1 else ()))
    if len(juries) > 1:
        recap += " --jury <jury>"  # a placeholder, unquoted: one of the juries listed in session.yml
    lines.append(f"  {render('check.cli.recap', {'command': recap})}")
    return lines


def _print_next_commands(loaded, verdicts, *, ready: bool, room: str | None) -> None:
    from rich.text import Text

    for number, line in enumerate(next_commands(loaded, verdicts, ready=ready, room=room)):
        out.print(Text(line, style="bold" if number == 0 else ""), highlight=False, soft_wrap=True)
