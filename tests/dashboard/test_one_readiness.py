"""The dashboard reads the one readiness result: a failed re-check is a failure (never « terminée »,
no green left from before), to-do and frozen lines name the device, centre checks are frozen,
verdicts show their age, and the board re-checks on its own (issue 12, A and C)."""

from __future__ import annotations

import datetime as dt
import errno
import html
import time
import warnings

from checks.model import Status, Verdict, utcnow
from provision.dashboard import create_app
from provision.dashboard.app import _event_message, recheck_interval_s
from provision.state import StateStoreError, store_problem

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient


class DiskFull:
    """A store whose every sweep write fails, as on a full disk (reads still work)."""

    def __init__(self, store) -> None:
        self._store = store

    def __getattr__(self, name: str):
        if name in ("start_sweep", "add_verdicts", "finish_sweep"):

            def fail(*args, **kwargs):
                raise StateStoreError(store_problem(OSError(errno.ENOSPC, "No space left on device"), self._store.path))

            return fail
        return getattr(self._store, name)


def _green_tablet(store) -> None:
    now = utcnow()
    sweep = store.start_sweep("")
    store.add_verdicts(
        sweep,
        [
            Verdict(
                device="demo-tablette",
                check=c,
                status=Status.OK,
                key=f"check.{c}.ok",
                room="salle_demo",
                measured_at=now,
                probe="adb",
            )
            for c in ("battery", "account", "software", "wifi_joined")
        ],
    )
    store.finish_sweep(sweep)


def _wait_idle(http, timeout_s: float = 20.0) -> dict:
    deadline = time.monotonic() + timeout_s
    while True:
        state = http.get("/api/etat").json()
        if not state["full_sweep_running"] and not state["checking"]:
            return state
        assert time.monotonic() < deadline, state
        time.sleep(0.05)


def test_a_recheck_that_cannot_write_is_a_failure_and_loses_its_greens(loaded, store) -> None:
    _green_tablet(store)
    app = create_app(loaded, DiskFull(store), recheck_s=0)
    with TestClient(app, base_url="http://127.0.0.1") as http:
        before = {d["name"]: d["status"] for d in http.get("/api/etat").json()["devices"]}
        assert before["demo-tablette"] == "ok"
        assert http.post("/reverifier", data={"tout": "1"}, headers={"accept": "application/json"}).status_code == 202
        state = _wait_idle(http)
        page = http.get("/").text
    dash = app.state.dashboard
    devices = {d["name"]: d for d in state["devices"]}
    assert devices["demo-tablette"]["status"] == "unknown"  # before: still « ✓ prêt » from the last check
    assert not state["ready"]
    assert state["failure"] and "Disque plein" in state["failure"]
    done = _event_message("sweep", {"state": "finished", "room": None}, dash)
    assert "Vérification terminée" not in done and "Disque plein" in done
    assert "Disque plein" in page
    assert any("relancer la vérification" in line for line in state["rooms"][0]["todo"])


def test_todo_lines_name_the_device_and_the_check(loaded, store) -> None:
    now = utcnow()
    sweep = store.start_sweep("")
    store.add_verdicts(
        sweep,
        [
            Verdict(
                device="demo-projecteur",
                check="projector",
                status=Status.UNKNOWN,
                key="check.probe.unreachable",
                room="salle_demo",
                measured_at=now,
                probe="pjlink",
            ),
            Verdict(
                device="demo-tablette",
                check="wifi_joined",
                status=Status.FAIL,
                key="check.wifi_joined.other",
                params={"expected": "Plateau-Demo", "found": "Livebox"},
                room="salle_demo",
                measured_at=now,
            ),
            Verdict(
                device="centre:internet",
                check="internet",
                status=Status.FAIL,
                key="check.internet.down",
                params={"failed": ["https://example.org/"]},
                measured_at=now,
                probe="https",
            ),
        ],
    )
    store.finish_sweep(sweep)
    app = create_app(loaded, store, recheck_s=0)
    with TestClient(app, base_url="http://127.0.0.1") as http:
        todo = http.get("/api/etat").json()["rooms"][0]["todo"]
        assert http.post("/figer", data={"nom": "Mme Martin"}).status_code in (200, 303)
        frozen = html.unescape(http.get("/gel").text)
    labels = {d.name: d.display() for d in loaded.inventory.devices}
    assert any(line.startswith(f"{labels['demo-projecteur']} — projecteur : Injoignable") for line in todo), todo
    assert any(line.startswith(f"{labels['demo-tablette']} — Wi-Fi rejoint : ") for line in todo), todo
    assert any("internet : Pas d'accès internet" in line for line in todo), todo
    for line in todo:
        assert not line.startswith(("Injoignable", "salle:", "attestation:")), line
        assert "wifi_joined" not in line and "attestation:" not in line, line
    # the frozen view: every blocker names its device, and the centre checks are there
    assert f"{labels['demo-projecteur']} — projecteur : Injoignable" in frozen
    assert "Pas d'accès internet" in frozen and 'id="gel-centre"' in frozen


def test_verdicts_show_their_age_and_old_ones_are_greyed(loaded, store) -> None:
    old = utcnow() - dt.timedelta(minutes=40)
    sweep = store.start_sweep("")
    store.add_verdicts(
        sweep,
        [
            Verdict(
                device="demo-projecteur",
                check="projector",
                status=Status.OK,
                key="check.projector.ok",
                params={"power": "on"},
                room="salle_demo",
                measured_at=old,
                probe="pjlink",
            )
        ],
    )
    store.finish_sweep(sweep)
    with TestClient(create_app(loaded, store, recheck_s=300), base_url="http://127.0.0.1") as http:
        page = http.get("/").text
    assert "il y a 40 min" in page
    assert "row-old" in page and "mesure ancienne" in page  # older than 2 re-check intervals
    assert "Revérification automatique toutes les 5 min" in page


def test_the_board_rechecks_on_its_own(loaded, store) -> None:
    assert recheck_interval_s(loaded) == 5 * 60  # the default when the inventory says nothing
    app = create_app(loaded, store, recheck_s=0.3)
    started: list[int] = []
    dash = app.state.dashboard
    real = dash.hub.start_sweep

    def counting(**kwargs):
        started.append(1)
        return real(**kwargs)

    dash.hub.start_sweep = counting
    with TestClient(app, base_url="http://127.0.0.1") as http:
        deadline = time.monotonic() + 15
        while len(started) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        http.get("/api/etat")
    assert len(started) >= 2
