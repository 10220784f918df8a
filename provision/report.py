"""Show a sweep: Rich table by room, JSON, JUnit XML (for CI-like dashboards); every word from the
message catalogue (``report.*``, ``label.*``), in the reader's language."""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

from rich.console import Console
from rich.table import Table

from checks.model import Status, Verdict
from provision.messages import render
from provision.readiness import Readiness, compute
from provision.readiness import check_label as _check_label
from provision.readiness import status_label as _status_label

STATUS_STYLE = {Status.OK: "green", Status.WARN: "yellow", Status.FAIL: "bold red", Status.UNKNOWN: "magenta"}
STATUS_MARK = {Status.OK: "✓", Status.WARN: "!", Status.FAIL: "✗", Status.UNKNOWN: "?"}


def status_label(status: Status | str) -> str:
    """The one name of a status, everywhere (check table, dashboard, recap): label.status.*."""
    return _status_label(status)


def local_time(when: dt.datetime) -> str:
    return when.astimezone().strftime("%H:%M:%S")


def check_label(check: str) -> str:
    return _check_label(check)


def readiness_of(loaded: Any, verdicts: list[Verdict], *, now: dt.datetime) -> Readiness:
    """The one readiness result (provision/readiness.py) of a sweep's verdicts."""
    return compute(loaded, verdicts, [v for v in verdicts if v.check.startswith("attestation:")], now=now)


def summary_counts(verdicts: list[Verdict]) -> dict[str, int]:
    counts = {str(s): 0 for s in Status}
    for verdict in verdicts:
        counts[str(verdict.status)] += 1
    return counts


def print_table(
    console: Console,
    verdicts: list[Verdict],
    rooms: dict[str, str],
    *,
    title: str,
    readiness: Readiness | None = None,
    room: str | None = None,
) -> None:
    by_room: dict[str, list[Verdict]] = defaultdict(list)
    for verdict in verdicts:
        by_room[verdict.room or ""].append(verdict)
    rooms = {"": render("report.centre"), **rooms}
    console.print(f"[bold]{title}[/]", highlight=False)
    order = {s: i for i, s in enumerate((Status.FAIL, Status.UNKNOWN, Status.WARN, Status.OK))}
    for room_id in sorted(by_room, key=lambda r: rooms.get(r, r)):
        label = rooms.get(room_id, room_id)
        table = Table(title=label, title_justify="left", expand=True, show_lines=False)
        table.add_column(render("report.col_status"), no_wrap=True)
        table.add_column(render("report.col_device"), max_width=24, overflow="fold")
        table.add_column(render("report.col_message"), ratio=1, min_width=28)
        table.add_column(render("report.col_time"), no_wrap=True)
        for verdict in sorted(by_room[room_id], key=lambda v: (order[v.status], v.device, v.check)):
            style = STATUS_STYLE[verdict.status]
            if verdict.device.startswith("salle:"):
                device = render("report.on_site")
            elif readiness is not None and verdict.device in readiness.devices:
                device = readiness.devices[verdict.device].label
            else:
                device = verdict.device.removeprefix("centre:")
            table.add_row(
                f"[{style}]{STATUS_MARK[verdict.status]} {status_label(verdict.status)}[/]",
                f"{device}\n[dim]{check_label(verdict.check)}{'' if verdict.blocking else ' (' + render('report.info') + ')'}"
                f" · {verdict.probe}[/]",
                render(verdict.key, verdict.params),
                local_time(verdict.measured_at)[:5],
            )
        console.print(table)
    scope = readiness.scope(room=room) if readiness is not None else None
    if scope is not None and scope.blockers:
        console.print(f"[bold]{render('readiness.blockers_title', {'count': len(scope.blockers)})}[/]", highlight=False)
        for blocker in scope.blockers:
            console.print(
                f"[{STATUS_STYLE[blocker.status]}]{STATUS_MARK[blocker.status]}[/] {blocker.line()}",
                highlight=False,
                soft_wrap=True,
            )


def summary_line(verdicts: list[Verdict], ready: bool) -> str:
    counts = summary_counts(verdicts)
    head = f"[bold green]{render('report.ready')}[/]" if ready else f"[bold red]{render('report.not_ready')}[/]"
    return f"{head} — " + render("report.summary", {**counts, "total": len(verdicts)})


def verdict_dict(verdict: Verdict) -> dict[str, Any]:
    """A verdict as JSON-able data, with its message rendered in the reader's language."""
    return {**verdict.as_dict(), "message": render(verdict.key, verdict.params)}


def readiness_dict(readiness: Readiness, *, scope_room: str | None = None) -> dict[str, Any]:
    """Per device status and blockers, per room / jury / centre readiness (JSON-able, rendered)."""

    def scope(s: Any) -> dict[str, Any]:
        return {"id": s.id, "label": s.label, "ready": s.ready, "counts": dict(s.counts),
                "blockers": [b.as_dict() for b in s.blockers]}  # fmt: skip

    devices = [d for d in readiness.devices.values() if scope_room is None or d.room == scope_room]
    return {
        "devices": [{"name": d.name, "label": d.label, "room": d.room, "status": str(d.status),
                     "status_label": status_label(d.status), "measured": d.measured,
                     "blockers": [b.as_dict() for b in d.blockers]} for d in devices],
        "centre": scope(readiness.centre),
        "rooms": [scope(r) for r in readiness.rooms.values() if scope_room is None or r.id == scope_room],
        "juries": [scope(j) for j in readiness.juries.values()],
        "centre_checks": [verdict_dict(v) for v in readiness.centre_checks],
    }  # fmt: skip


def as_json(verdicts: list[Verdict], *, ready: bool, started_at: dt.datetime, finished_at: dt.datetime,
            readiness: Readiness | None = None, room: str | None = None) -> str:  # fmt: skip
    data: dict[str, Any] = {
        "schema": "plateau.check/1",
        "ready": ready,
        "started_at": started_at.isoformat(),
        "finished_at": finished_at.isoformat(),
        "summary": summary_counts(verdicts),
        "verdicts": [verdict_dict(v) for v in verdicts],
    }
    if readiness is not None:
        data["readiness"] = readiness_dict(readiness, scope_room=room)
    return json.dumps(data, ensure_ascii=False, indent=2)


def write_junit(path: Path, verdicts: list[Verdict], *, elapsed_s: float) -> None:
    """One <testsuite> per room, one <testcase> per verdict; FAIL → failure, UNKNOWN → error."""
    suites = ET.Element("testsuites", name="plateau check")
    by_room: dict[str, list[Verdict]] = defaultdict(list)
    for verdict in verdicts:
        by_room[verdict.room or "centre"].append(verdict)
    for room, items in sorted(by_room.items()):
        suite = ET.SubElement(
            suites,
            "testsuite",
            name=room,
            tests=str(len(items)),
            failures=str(sum(v.status is Status.FAIL for v in items)),
            errors=str(sum(v.status is Status.UNKNOWN for v in items)),
            time=f"{elapsed_s:.3f}",
        )
        for verdict in items:
            case = ET.SubElement(suite, "testcase", classname=f"{room}.{verdict.device}", name=verdict.check)
            message = render(verdict.key, verdict.params)
            if verdict.status is Status.FAIL:
                ET.SubElement(case, "failure", message=message, type=verdict.key).text = message
            elif verdict.status is Status.UNKNOWN:
                ET.SubElement(case, "error", message=message, type=verdict.key).text = message
            elif verdict.status is Status.WARN:
                ET.SubElement(case, "system-out").text = message
    ET.ElementTree(suites).write(path, encoding="utf-8", xml_declaration=True)
