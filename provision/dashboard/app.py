"""The dashboard web app (Starlette): pages, forms, live events.

Routes (French paths, the technician sees them in the address bar):
    GET  /                       the board: rooms, devices, verdicts, to-do, juries and candidates
    GET  /equipement/{name}      one device: its verdicts, re-check, attestation, history
    GET  /impression             print view (A4, no buttons)
    GET  /gel                    the latest frozen snapshot (handover to the jury)
    GET  /evenements             Server-Sent Events: one "verdict" per finished probe, "sweep" start/end
    GET  /api/etat               the state as JSON (no secret, no personal data)
    GET  /api/fragments          every live part of the page (resynchronisation after a reconnect)
    POST /reverifier             re-check a device (equipement=), a room (salle=) or all (tout=1)
    POST /attester               record a manual attestation (salle, point, equipement?, nom, validite_h)
    POST /figer                  freeze the readiness snapshot (nom)
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from checks.model import DEFAULT_TIMEOUT_S, Status, utcnow
from provision.context import Loaded
from provision.dashboard import runs
from provision.dashboard.board import OLD_AFTER_INTERVALS, Board, anchor, build_board, to_tick
from provision.dashboard.guard import Guard
from provision.dashboard.live import Hub
from provision.dashboard.snapshot import changed_rooms, snapshot
from provision.messages import current_language, render
from provision.report import check_label, readiness_dict, status_label, verdict_dict
from provision.state import StateStoreError

STATIC = Path(__file__).parent / "static"
#: status is never told by colour alone: a mark and a word go with it
MARKS = {"ok": "✓", "warn": "!", "fail": "✗", "unknown": "?", "unchecked": "–", "checking": "…"}
NAME_COOKIE = "plateau_nom"
#: the dashboard re-checks the whole centre on its own this often, unless the inventory says otherwise
DEFAULT_RECHECK_MIN = 5.0
MAX_VALIDITY_H = 168
SECURITY_HEADERS = {
    "content-security-policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",  # not no-referrer: that would send "Origin: null" on our own forms
    "cache-control": "no-store",
}


def _when(value: dt.datetime | str | None, fmt: str = "%H:%M") -> str:
    if value is None:
        return "—"
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    local = value.astimezone()
    if local.date() != dt.datetime.now().astimezone().date() and fmt == "%H:%M":
        return local.strftime("%d/%m %H:%M")
    return local.strftime(fmt)


def _age(value: dt.datetime | str | None, now: dt.datetime | None = None) -> str:
    """« il y a 3 min »: how old a verdict is, in the reader's language."""
    if value is None:
        return "—"
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    seconds = max(0, int(((now or utcnow()) - value).total_seconds()))
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return render(f"readiness.age_{unit}", {"n": seconds // size})
    return render("readiness.age_s", {"n": seconds})


def _environment() -> Environment:
    env = Environment(loader=PackageLoader("provision.dashboard", "templates"), autoescape=select_autoescape(["j2"]),
                      trim_blocks=True, lstrip_blocks=True)  # fmt: skip
    env.globals.update(
        t=lambda key, **params: render(f"dashboard.{key}", params),
        msg=render,
        Status=Status,
        marks=MARKS,
        check_label=check_label,
        status_label=status_label,
        to_tick=to_tick,
    )
    env.globals.update(age=_age)
    env.filters.update(when=_when, anchor=anchor, q=lambda s: quote(str(s), safe=""))
    return env


class Dashboard:
    """The app's state and its views; one instance per ``create_app``."""

    def __init__(self, loaded: Loaded, store, *, token: str | None, sweep_timeout_s: float,
                 sweep_on_start: bool, recheck_s: float | None = None) -> None:  # fmt: skip
        self.loaded = loaded
        self.store = store
        self.token = token
        self.sweep_on_start = sweep_on_start
        #: automatic re-check interval (inventory: dashboard_recheck_min in group_vars/all); 0 = off
        self.recheck_s = recheck_interval_s(loaded) if recheck_s is None else recheck_s
        self.hub = Hub(loaded, store, timeout_s=sweep_timeout_s)
        self.hub.recheck_s = self.recheck_s
        self.hub.render = self.fragments
        self.env = _environment()
        runs.install(self.env, loaded)  # the latest preparation's failures, as the terminal said them
        # the macros of _parts.html.j2, called from Python to render live fragments
        self.parts: Any = self.env.get_template("_parts.html.j2").module

    # --- views --------------------------------------------------------------------------
    def board(self) -> Board:
        return build_board(self.loaded, self.hub.verdicts(), self.hub.attested(), now=utcnow(),
                           checking=self.hub.checking, failure=self.hub.failure,
                           failed_devices=self.hub.failed_devices,
                           old_after_s=self.recheck_s * OLD_AFTER_INTERVALS if self.recheck_s else None)  # fmt: skip

    def page(self, template: str, status: int = 200, **context: Any) -> HTMLResponse:
        problem = getattr(self.store, "problem", None)  # a fail-soft store that could not be opened or written
        store_problem = render(problem.key, problem.params) if problem is not None else None
        html = self.env.get_template(template).render(lang=current_language(), store_problem=store_problem, **context)
        return HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)

    def overview(self, request: Request, *, status: int = 200, errors: dict | None = None,
                 values: dict | None = None, notice: str | None = None) -> HTMLResponse:  # fmt: skip
        board = self.board()
        freeze = self.store.latest_freeze()
        return self.page("overview.html.j2", status, page="home", board=board, hub=self.hub, freeze=freeze,
                         changed=changed_rooms(freeze, board) if freeze else [], errors=errors or {},
                         values=values or {}, notice=notice or _notice(request),
                         default_name=unquote(request.cookies.get(NAME_COOKIE, "")))  # fmt: skip

    def fragments(self, devices: Iterable[str]) -> dict[str, str]:
        """Every part of the page a change to these devices can alter, keyed by HTML id."""
        board = self.board()
        out = {"etat-global": self.parts.status_line(board, self.hub), "nav-salles": self.parts.room_nav(board),
               "centre": self.parts.centre(board)}  # fmt: skip
        for room in board.rooms:
            out[f"sum-{room.anchor}"] = self.parts.room_summary(room)
            out[f"cand-{room.anchor}"] = self.parts.candidates(room)
        for name in set(devices):
            if name.startswith("salle:"):
                if (room_view := board.room(name.removeprefix("salle:"))) is not None:
                    out[f"items-{room_view.anchor}"] = self.parts.room_items(room_view, {}, {}, "")
            elif (device := board.device(name)) is not None:
                out[device.anchor] = self.parts.device_card(device, {}, {}, "")
        return {k: str(v) for k, v in out.items()}


def recheck_interval_s(loaded: Loaded) -> float:
    """``dashboard_recheck_min`` of group_vars/all (default DEFAULT_RECHECK_MIN; 0 = never), in seconds."""
    raw = loaded.inventory.centre_vars.get("dashboard_recheck_min", DEFAULT_RECHECK_MIN)
    try:
        minutes = float(raw)
    except (TypeError, ValueError):
        minutes = DEFAULT_RECHECK_MIN
    return max(0.0, minutes) * 60


def create_app(loaded: Loaded, store, *, token: str | None = None, sweep_timeout_s: float = DEFAULT_TIMEOUT_S,
               sweep_on_start: bool = False, recheck_s: float | None = None) -> Starlette:  # fmt: skip
    """The dashboard as an ASGI app. ``token``: required on every request when given; ``recheck_s``:
    automatic re-check interval (None: from the inventory, 0: off)."""
    dash = Dashboard(loaded, store, token=token, sweep_timeout_s=sweep_timeout_s, sweep_on_start=sweep_on_start,
                     recheck_s=recheck_s)  # fmt: skip

    async def home(request: Request) -> Response:
        return dash.overview(request)

    async def device_page(request: Request) -> Response:
        name = request.path_params["name"]
        board = dash.board()
        device = board.device(name)
        room = board.room(name.removeprefix("salle:")) if name.startswith("salle:") else None
        if device is None and room is None and not (name.startswith("centre:") and dash.store.history(name, 1)):
            return dash.page("message.html.j2", 404, title=render("dashboard.error.unknown_device", {"device": name}))
        return dash.page("device.html.j2", board=board, device=device, room=room, name=name,
                         history=dash.store.history(name, 100), errors={}, values={},
                         default_name=unquote(request.cookies.get(NAME_COOKIE, "")))  # fmt: skip

    async def print_view(request: Request) -> Response:
        return dash.page("print.html.j2", page="print", board=dash.board(), hub=dash.hub, printed_at=utcnow(),
                         freeze=dash.store.latest_freeze())  # fmt: skip

    async def frozen(request: Request) -> Response:
        return dash.page("frozen.html.j2", page="frozen", freeze=dash.store.latest_freeze())

    async def events(request: Request) -> Response:
        queue = dash.hub.subscribe()

        async def stream():
            try:
                yield "retry: 3000\n\n"
                while True:
                    try:
                        event = await asyncio.wait_for(queue.get(), timeout=15)
                    except TimeoutError:
                        yield ": ping\n\n"  # keeps proxies and the browser from closing an idle stream
                        continue
                    if event is None:
                        return
                    data = {**event.data, "message": _event_message(event.name, event.data, dash)}
                    yield f"event: {event.name}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"
            finally:
                dash.hub.unsubscribe(queue)

        headers = {"cache-control": "no-store", "x-accel-buffering": "no"}
        return StreamingResponse(stream(), media_type="text/event-stream", headers=headers)

    async def api_state(request: Request) -> Response:
        board = dash.board()
        ready = readiness_dict(board.readiness) if board.readiness else {}
        blockers = {r["id"]: r["blockers"] for r in ready.pop("rooms", [])}
        ready["centre_readiness"] = ready.pop("centre", None)
        return JSONResponse({
            "centre": board.centre, "ready": board.ready, "last_sweep_at": _iso(dash.hub.last_sweep_at),
            "checking": sorted(dash.hub.checking), "full_sweep_running": dash.hub.full_sweep_running,
            "failure": dash.hub.failure_message(),
            "rooms": [{"id": r.id, "label": r.label, "ready": r.ready, "counts": r.counts,
                       "todo": [_todo_line(t) for t in r.todo], "blockers": blockers.get(r.id, [])}
                      for r in board.rooms],
            **ready,
            "verdicts": [verdict_dict(v) for v in _listed_once(dash.hub.verdicts(), dash.hub.attested())],
        }, headers={"cache-control": "no-store"})  # fmt: skip

    async def api_fragments(request: Request) -> Response:
        names = [d.name for d in dash.loaded.inventory.devices] + [f"salle:{r}" for r in dash.loaded.inventory.rooms]
        return JSONResponse({"html": dash.fragments(names)}, headers={"cache-control": "no-store"})

    async def recheck(request: Request) -> Response:
        form = await request.form()
        device, room, everything = form.get("equipement"), form.get("salle"), form.get("tout")
        board = dash.board()
        if device:
            if board.device(str(device)) is None:
                return _bad(dash, request, render("dashboard.error.unknown_device", {"device": device}))
            started = dash.hub.start_sweep(devices=[str(device)])
            scope, target = str(device), "dev-" + anchor(str(device))
        elif room:
            room_view = board.room(str(room))
            if room_view is None:
                return _bad(dash, request, render("dashboard.error.unknown_room", {"room": room}))
            started = dash.hub.start_sweep(room=str(room))
            scope, target = room_view.label, "salle-" + anchor(str(room))
        elif everything:
            started = dash.hub.start_sweep()
            scope, target = render("dashboard.scope_all"), "contenu"
        else:
            return _bad(dash, request, render("dashboard.error.nothing_to_check"))
        message = render("dashboard.notice.recheck_started" if started else "dashboard.notice.already_running",
                         {"scope": scope})  # fmt: skip
        if "application/json" in request.headers.get("accept", ""):
            return JSONResponse({"started": started, "message": message}, status_code=202)
        back = str(form.get("retour") or "/")
        return RedirectResponse(f"{_local(back)}#{target}", status_code=303)

    async def attest(request: Request) -> Response:
        form = await request.form()
        room, item_id = str(form.get("salle", "")), str(form.get("point", ""))
        device = str(form.get("equipement") or "") or None
        board = dash.board()
        item = board.manual_item(room, item_id, device)
        if item is None:
            return _bad(dash, request, render("dashboard.error.unknown_item"))
        by_name = str(form.get("nom", "")).strip()[:80]
        note = str(form.get("remarque", "")).strip()[:200]
        raw_validity = str(form.get("validite_h", "")).strip()
        errors: dict[str, str] = {}
        if not by_name:
            errors["nom"] = render("dashboard.error.name_required")
        try:
            validity_h = float(raw_validity.replace(",", "."))
            if not 0 < validity_h <= MAX_VALIDITY_H:
                raise ValueError(raw_validity)
        except ValueError:
            errors["validite_h"] = render("dashboard.error.validity", {"max_h": MAX_VALIDITY_H})
            validity_h = item.validity_h
        if errors:
            values = {item.key: {"nom": by_name, "validite_h": raw_validity, "remarque": note}}
            if str(form.get("retour", "")).startswith("/equipement/"):
                name = device or f"salle:{room}"
                return dash.page("device.html.j2", 400, board=board, device=board.device(name),
                                 room=board.room(room) if device is None else None, name=name,
                                 history=dash.store.history(name, 100), errors={item.key: errors}, values=values,
                                 default_name="")  # fmt: skip
            return dash.overview(request, status=400, errors={item.key: errors}, values=values)
        try:
            dash.store.add_attestation(room, item.item, by_name, validity=dt.timedelta(hours=validity_h),
                                       device=device, note=note)  # fmt: skip
        except StateStoreError as exc:  # full disk, read-only or damaged store: say so, never a 500
            return _store_failed(dash, exc)
        dash.hub.record_attestation_verdicts(room, device)
        back = _local(str(form.get("retour") or "/"))
        sep = "&" if "?" in back else "?"
        response = RedirectResponse(f"{back}{sep}fait=attestation#item-{item.key}", status_code=303)
        response.set_cookie(NAME_COOKIE, quote(by_name), max_age=12 * 3600, httponly=True, samesite="strict")
        return response

    async def freeze(request: Request) -> Response:
        form = await request.form()
        by_name = str(form.get("nom", "")).strip()[:80]
        if not by_name:
            error = {"figer": {"nom": render("dashboard.error.name_required")}}
            return dash.overview(request, status=400, errors=error, values={"figer": {"nom": ""}})
        try:
            dash.store.freeze(by_name, snapshot(dash.board(), by_name))
        except StateStoreError as exc:
            return _store_failed(dash, exc)
        response = RedirectResponse("/?fait=gel#gel", status_code=303)
        response.set_cookie(NAME_COOKIE, quote(by_name), max_age=12 * 3600, httponly=True, samesite="strict")
        return response

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette):
        if dash.sweep_on_start:
            dash.hub.start_sweep()
        ticker = (
            asyncio.get_running_loop().create_task(dash.hub.recheck_every(dash.recheck_s))
            if dash.recheck_s > 0
            else None
        )
        try:
            yield
        finally:
            if ticker is not None:
                ticker.cancel()
            dash.hub.close()

    app = Starlette(routes=[
        Route("/", home), Route("/equipement/{name:path}", device_page), Route("/impression", print_view),
        Route("/gel", frozen), Route("/evenements", events), Route("/api/etat", api_state),
        Route("/api/fragments", api_fragments), Route("/reverifier", recheck, methods=["POST"]),
        Route("/attester", attest, methods=["POST"]), Route("/figer", freeze, methods=["POST"]),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ], lifespan=lifespan, middleware=[Middleware(Guard, token=token)])  # fmt: skip
    app.state.dashboard = dash
    return app


def _bad(dash: Dashboard, request: Request, message: str) -> Response:
    if "application/json" in request.headers.get("accept", ""):
        return JSONResponse({"started": False, "message": message}, status_code=400)
    return dash.page("message.html.j2", 400, title=message)


def _store_failed(dash: Dashboard, exc: StateStoreError) -> Response:
    """Nothing was saved: the page says why and what to do (the store's own French message)."""
    problem = exc.problems[0]
    return dash.page("message.html.j2", 503, title=render(problem.key, problem.params))


def _local(path: str) -> str:
    """Only redirect inside the dashboard (never to another site)."""
    return path if path.startswith("/") and not path.startswith("//") else "/"


def _notice(request: Request) -> str | None:
    done = request.query_params.get("fait")
    notices = {"attestation": "dashboard.notice.attested", "gel": "dashboard.notice.frozen"}
    return render(notices[done]) if done in notices else None


def _todo_line(todo: Any) -> str:
    """« PC candidat 3 — batterie : … » : the device's and the check's labels, never ids."""
    head = f"{todo.who} — {todo.check_label}" if todo.check_label else todo.who
    return f"{head} : {render(todo.message_key, todo.params)}"


def _listed_once(verdicts: list[Any], attested: list[Any]) -> list[Any]:
    """The probes' newest verdicts and the attestations as they stand now, each once: the hub also
    keeps the attestation verdicts it stored, which the fresh ones (expiry applied) replace."""
    fresh = {(v.device, v.check) for v in attested}
    return [*(v for v in verdicts if (v.device, v.check) not in fresh), *attested]


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


def _event_message(name: str, data: dict[str, Any], dash: Dashboard) -> str:
    if name != "sweep" or data.get("state") != "finished":
        return ""
    if dash.hub.last_sweep_failed and dash.hub.failure:  # never « Vérification terminée » on a failure
        return render(dash.hub.failure[0], dash.hub.failure[1])
    board = dash.board()
    rooms = [r for r in board.rooms if data.get("room") in (None, r.id)]
    summary = ", ".join(f"{r.label} : {render('dashboard.ready' if r.ready else 'dashboard.not_ready')}"
                        for r in rooms)  # fmt: skip
    return render("dashboard.live.done", {"summary": summary})
