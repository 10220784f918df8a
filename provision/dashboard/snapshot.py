"""The freeze: readiness of every room at handover to the jury, kept as plain JSON in the store.

The snapshot holds what the jury was told: per room, ready or not, each device's status and
message, the on-site attestations, and the candidates' software status (ids only). No facts,
no secret, no personal data of candidates. Each device, verdict and item also keeps ``to_tick``,
the live board's own decision (provision/dashboard/board.py), so the frozen page shows « à cocher »
exactly where the live one did.
"""

from __future__ import annotations

from typing import Any

from checks.model import Verdict
from provision.dashboard.board import Board, to_tick
from provision.messages import render

SCHEMA = "plateau.freeze/1"


def _verdict(v: Verdict) -> dict[str, Any]:
    return {
        "device": v.device,
        "check": v.check,
        "status": str(v.status),
        "blocking": v.blocking,
        "message": render(v.key, v.params),
        "measured_at": v.measured_at.isoformat(),
        "probe": v.probe,
        "to_tick": to_tick(v),
    }


def _todo_line(todo: Any) -> str:
    head = f"{todo.who} — {todo.check_label}" if todo.check_label else todo.who
    return f"{head} : {render(todo.message_key, todo.params)}"


def snapshot(board: Board, by_name: str) -> dict[str, Any]:
    return {
        "schema": SCHEMA,
        "centre": board.centre,
        "session_date": board.session_date.isoformat(),
        "by": by_name,
        "at": board.now.isoformat(),
        "ready": board.ready,
        "centre_verdicts": [_verdict(v) for v in board.centre_verdicts],
        "centre_blockers": [b.line() for b in board.readiness.centre_blockers] if board.readiness else [],
        "rooms": [
            {
                "id": room.id, "label": room.label, "ready": room.ready, "counts": room.counts,
                "devices": [{"name": d.name, "label": d.label, "status": str(d.status) if d.measured else "unchecked",
                             "to_tick": d.to_tick, "verdicts": [_verdict(v) for v in d.verdicts]}
                            for d in room.devices],
                "items": [{"label": i.label, "status": str(i.status), "to_tick": i.to_tick,
                           "message": render(i.verdict.key, i.verdict.params) if i.verdict else ""}
                          for i in room.items],
                "todo": [_todo_line(t) for t in room.todo],
                "juries": [{"label": j.label, "candidates": [
                    {"id": c.id, "order": c.order, "time": c.time, "own_laptop": c.own_laptop,
                     "needs": [{"device": n.device, "titles": n.titles, "status": str(n.status) if n.status else None}
                               for n in c.needs]} for c in j.candidates]} for j in room.juries],
            }
            for room in board.rooms
        ],
    }  # fmt: skip


def changed_rooms(freeze: dict[str, Any], board: Board) -> list[str]:
    """Labels of the rooms whose readiness or device statuses differ from the frozen snapshot."""
    frozen = {r["id"]: r for r in (freeze.get("snapshot") or {}).get("rooms", [])}
    changed = []
    for room in board.rooms:
        before = frozen.get(room.id)
        now = {d.name: str(d.status) if d.measured else "unchecked" for d in room.devices}
        statuses = {d["name"]: d["status"] for d in before["devices"]} if before else None
        if before is None or before["ready"] != room.ready or statuses != now:
            changed.append(room.label)
    return changed
