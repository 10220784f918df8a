"""Blockers grouped by place then by what to do; the room checklist counted in the readiness
summary; a device's notes never repeated in its cell (issue 14)."""

from __future__ import annotations

import datetime as dt

from checks.model import Status, Verdict
from provision.recap.data import build_recap
from provision.recap.readiness import Readiness
from provision.recap.render import recap_pdf

NOW = dt.datetime(2026, 12, 3, 7, 30, tzinfo=dt.UTC)
UNREACHABLE = "check.probe.unreachable"


def _verdict(device: str, check: str, room: str, status: Status = Status.OK, key: str = "check.reachable.ok"):
    return Verdict(device=device, check=check, status=status, key=key, room=room, measured_at=NOW)


def _sweep(loaded, *, down: tuple[str, ...], attested_ok: bool) -> Readiness:
    verdicts = []
    for d in loaded.inventory.devices:
        if d.name in down:  # two checks of one device, one message: one entry, the checks named
            verdicts += [_verdict(d.name, c, d.room, Status.UNKNOWN, UNREACHABLE) for c in ("reachable", "battery")]
        else:
            verdicts.append(_verdict(d.name, "reachable", d.room))
    return Readiness.of(verdicts, NOW - dt.timedelta(minutes=5)), attested_ok


def test_blockers_are_grouped_by_room_then_action(loaded, attested, pdf) -> None:
    down = ("a-tab-android-01", "a-ipad-01")
    sweep, _ = _sweep(loaded, down=down, attested_ok=False)
    recap = build_recap(loaded, "jury-a", sweep, now=NOW, forced=True)
    [room] = recap.readiness.groups
    assert room.place == "Salle A — jury A (rez-de-chaussée)"
    by_action = dict(room.items)
    [unreachable] = [whom for what, whom in room.items if what.startswith("Injoignable")]
    labels = dict(unreachable)
    assert set(labels) == {"Tablette Samsung salle A", "iPad 9e génération salle A"}
    assert sorted(labels["Tablette Samsung salle A"]) == ["batterie", "joignable"]
    [on_site] = [whom for what, whom in by_action.items() if what.startswith("À vérifier sur place")]
    assert len(on_site) == 5 and all(checks == () for _, checks in on_site)  # 4 room items and the Bee-Bot
    assert ("a-beebot-01 : Batteries chargées et installées", ()) in on_site

    text = " ".join(pdf.text(recap_pdf(recap).data).split())
    blockers = text[text.index("regroupés par salle") : text.index("État du plateau au dernier contrôle")]
    assert blockers.count("Injoignable") == 1  # one line for both devices, not one per verdict
    assert "Tablette Samsung salle A (batterie, joignable)" in blockers
    # the readiness summary counts the room checklist, not only the devices
    assert "Vérifications sur place : 0 sur 4 attestée(s), 4 à corriger." in text


def test_notes_are_not_repeated_and_attested_items_count(loaded, attested, pdf) -> None:
    sweep, _ = _sweep(loaded, down=("a-tab-android-01",), attested_ok=True)
    sweep = Readiness.of([*sweep.verdicts, *attested(loaded, NOW)], sweep.finished_at)
    recap = build_recap(loaded, "jury-a", sweep, now=NOW, forced=True)
    [tablet] = [d for d in recap.readiness.devices if d.name == "a-tab-android-01"]
    assert len(tablet.notes) == len(set(tablet.notes)) == 1  # two verdicts, one message: once
    text = " ".join(pdf.text(recap_pdf(recap).data).split())
    assert "Vérifications sur place : 4 sur 4 attestée(s)." in text
    assert text.count("Injoignable") == 2  # once in the blocker list, once in the tablet's cell
