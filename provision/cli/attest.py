"""``plateau attest``: record a check made by hand (robots' batteries, whiteboard, markers...).

Items are typed by their id in the reader's language (``tableau``, ``feutres``: catalogue keys
``attest.item.<id>``); the id they are stored under (``board``, ``markers``) stays accepted, so
attestations recorded under it by an earlier plateau still count.
"""

from __future__ import annotations

import shlex
import unicodedata
from collections.abc import Iterable, Sequence
from typing import Annotated

import typer

from provision.cli.common import EXIT_OK, InventoryOpt, VaultOpt, app, out
from provision.errors import PlateauError, Problem
from provision.messages import LANGUAGES, catalogue, current_language, render

#: the command's own option names, as the help shows them first in each language
OPTION_NAMES = {
    "fr": {"by": "--par", "room": "--salle", "device": "--equipement", "list": "--liste"},
    "en": {"by": "--by", "room": "--room", "device": "--device", "list": "--list"},
}


def item_shown(item: str, lang: str | None = None) -> str:
    """The id a person types for ``item`` (stored id ``board`` → ``tableau`` in French)."""
    return catalogue(lang or current_language()).get(f"attest.item.{item}", item)


def _fold(text: str) -> str:
    """« Écran », « ecran », « ECRAN » and « ecran_ » compare equal."""
    plain = unicodedata.normalize("NFKD", text.strip().lower())
    return "".join(c for c in plain if not unicodedata.combining(c)).replace("_", "-")


def resolve_item(typed: str, known: Iterable[str]) -> str | None:
    """The stored id among ``known`` that ``typed`` names: its id in any language, or itself."""
    wanted = _fold(typed)
    for item in known:
        if wanted in {_fold(item), *(_fold(item_shown(item, lang)) for lang in LANGUAGES)}:
            return item
    return None


def attest_command(program: Sequence[str], inventory: str, item: str, *, room: str | None = None,
                   device: str | None = None) -> str:  # fmt: skip
    """``plateau attest -i DIR tableau --salle a --par "Prénom Nom"``, shell-quoted, runnable as printed."""
    names = OPTION_NAMES[current_language()]
    args = [*program, "attest", "-i", inventory, item_shown(item)]
    if device:
        args += [names["device"], device]
    elif room:
        args += [names["room"], room]
    return shlex.join(args) + f' {names["by"]} "{render("attest.name_placeholder")}"'


@app.command("attest")
def attest(
    inventory: InventoryOpt,
    item: Annotated[
        str | None,
        typer.Argument(help="Point vérifié, par exemple tableau (voir --liste).", show_default=False, metavar="POINT"),
    ] = None,
    by: Annotated[
        str | None, typer.Option("--par", "--by", help="Nom de la personne qui a vérifié (obligatoire).")
    ] = None,
    room: Annotated[str | None, typer.Option("--salle", "--room", help="Salle concernée.")] = None,
    device: Annotated[str | None, typer.Option("--equipement", "--device", help="Équipement (robot, écran…).")] = None,
    listing: Annotated[
        bool, typer.Option("--liste", "--list", help="Liste ce qui est à attester et son état.")
    ] = False,
    vault_password_file: VaultOpt = None,
) -> None:
    """Enregistre une vérification faite à la main (piles des robots, tableau, feutres…), avec le nom et l'heure."""
    import datetime as dt

    from provision.context import load_all
    from provision.paths import shown
    from provision.provisioning.view import plateau_program
    from provision.readiness import ROOM_PREFIX
    from provision.report import status_label
    from provision.state import open_store
    from provision.sweep import attestation_verdicts

    loaded = load_all(inventory, vault_password_file)
    store = open_store(loaded.inventory.root)
    now = dt.datetime.now(dt.UTC)
    needed = attestation_verdicts(loaded, store, room=None, devices=None, now=now)
    program, inv = plateau_program(), shown(loaded.inventory.root)
    if listing or item is None:
        for verdict in needed:
            where = (render("attest.where_room", {"room": verdict.room}) if verdict.device.startswith(ROOM_PREFIX)
                     else verdict.device)  # fmt: skip
            out.print(
                f"{status_label(verdict.status):>12} · {where} · [bold]"
                f"{item_shown(verdict.check.removeprefix('attestation:'))}[/] — {render(verdict.key, verdict.params)}",
                highlight=False,
            )
        raise typer.Exit(EXIT_OK)
    items = list(dict.fromkeys(v.check.removeprefix("attestation:") for v in needed))
    known = sorted(item_shown(i) for i in items)
    stored_id = resolve_item(item, items)
    if stored_id is None:
        listing_command = shlex.join([*program, "attest", "-i", inv, OPTION_NAMES[current_language()]["list"]])
        raise PlateauError(
            Problem(
                key="attest.unknown_item",
                field="item",
                params={"item": item, "known": known, "listing": listing_command},
            )  # fmt: skip
        )
    matches = [
        v
        for v in needed
        if v.check == f"attestation:{stored_id}"
        and (device is None or v.device == device)
        and (room is None or v.room == room)
    ]
    if device is None:
        matches = [v for v in matches if v.device.startswith(ROOM_PREFIX)] or matches
    if not matches:
        where = device or render("attest.where_room", {"room": room})
        raise PlateauError(
            Problem(
                key="attest.not_here",
                field="--equipement" if device else "--salle",
                params={"item": item, "where": where, "known": known},
            )  # fmt: skip
        )

    def example(verdict) -> str:
        on_device = not verdict.device.startswith(ROOM_PREFIX)
        return attest_command(program, inv, stored_id, room=verdict.room, device=verdict.device if on_device else None)

    if len(matches) > 1:
        raise PlateauError(
            Problem(
                key="attest.ambiguous",
                field="--salle",
                params={"item": item, "count": len(matches), "example": example(matches[0])},
            )  # fmt: skip
        )
    target = matches[0]
    if not (by or "").strip():
        raise PlateauError(Problem(key="attest.by_missing", field="--par", params={"example": example(target)}))
    validity = float(target.params.get("validity_h") or 24)
    store.add_attestation(
        target.room or "",
        stored_id,
        by or "",
        validity=dt.timedelta(hours=validity),
        device=None if target.device.startswith(ROOM_PREFIX) else target.device,
    )
    out.print(
        "[bold green]✓[/] "
        + render("cli.attested", {"label": target.params.get("label", item), "by": by, "hours": f"{validity:g}"}),
        highlight=False,
    )
