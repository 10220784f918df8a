"""The dashboard's routes through Starlette's TestClient: pages, forms, token rule, freeze."""

from __future__ import annotations

import html
import re
import time
import warnings

import pytest

with warnings.catch_warnings():  # starlette 1.x would prefer httpx2; httpx 0.28 works the same here
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from checks.model import Status
from provision.dashboard import create_app
from provision.dashboard.guard import COOKIE
from provision.messages import render
from provision.sweep import run_sweep

pytestmark = pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient`")
LOCAL = "http://127.0.0.1:8765"
TOKEN = "jeton-de-test-assez-long"


def client(app, **kwargs) -> TestClient:
    return TestClient(app, base_url=LOCAL, follow_redirects=False, **kwargs)


@pytest.fixture
def swept(loaded, store, lab):
    """The demo centre after one sweep: flat tablet, no filament, absent Windows PC."""
    run_sweep(loaded, store=store, timeout_s=2.0)
    return store


def text_of(page: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))


def test_board_after_a_sweep_says_not_ready_and_what_to_do(loaded, swept) -> None:
    with client(create_app(loaded, swept)) as http:
        page = http.get("/")
    assert page.status_code == 200
    assert '<html lang="fr">' in page.text and 'href="#contenu"' in page.text
    text = text_of(page.text)
    assert "NON PRÊT" in text
    assert "Batterie à 34 % : brancher l'appareil avant l'épreuve (minimum 80 %)" in text
    assert "Pas de filament détecté : charger une bobine." in text
    assert "✗ à corriger" in text and "✓ prêt" in text  # a mark and a word, never colour alone
    assert "Dernière vérification complète" in text
    # candidates by passage order, ids only, with the status of their software
    juries = text[text.index("Jurys et candidats") if "Jurys et candidats" in text else text.rindex("D01") - 200 :]
    assert juries.index("D01") < juries.index("D02")  # (D02 may also be named earlier, in a to-do line)
    tablet_need = r'badge-ok">[^/]*</span> prêt</span> <a href="#dev-demo-tablette">[^<]+</a> : ScratchJr'
    assert re.search(tablet_need, page.text)
    # the Windows PC did not answer: its software is unknown (one name for that state), never a guessed green
    assert re.search(r'badge-unknown">[^/]*</span> inconnu</span> <a href="#dev-demo-pc-win">', page.text)
    assert "Revérifier cet équipement" in text and "Revérifier la salle" in text and "Tout vérifier" in text


def test_a_board_never_swept_is_not_ready(loaded, store) -> None:
    with client(create_app(loaded, store)) as http:
        text = text_of(http.get("/").text)
        state = http.get("/api/etat").json()
    assert "NON PRÊT" in text and "PRÊT " not in text.replace("NON PRÊT", "")
    assert "– inconnu" in text and "Aucune vérification complète" in text
    assert state["ready"] is False and not state["rooms"][0]["ready"]


def test_attestation_without_a_name_is_refused_with_a_message(loaded, store) -> None:
    with client(create_app(loaded, store)) as http:
        answer = http.post("/attester", data={"salle": "salle_demo", "point": "board", "nom": "  ",
                                              "validite_h": "24"}, headers={"origin": LOCAL})  # fmt: skip
    assert answer.status_code == 400
    assert render("dashboard.error.name_required") in answer.text
    assert 'aria-invalid="true"' in answer.text and 'role="alert"' in answer.text
    assert store.attestations() == []


def test_attestation_with_a_bad_validity_is_refused(loaded, store) -> None:
    with client(create_app(loaded, store)) as http:
        answer = http.post("/attester", data={"salle": "salle_demo", "point": "board", "nom": "Awa",
                                              "validite_h": "9999"})  # fmt: skip
    assert answer.status_code == 400 and "entre 1 et 168" in answer.text
    assert store.attestations() == []


def test_attestation_turns_the_item_ready_at_once(loaded, store) -> None:
    app = create_app(loaded, store)
    with client(app) as http:
        answer = http.post("/attester", data={"salle": "salle_demo", "point": "board", "nom": "Awa Diallo",
                                              "validite_h": "24", "remarque": "paperboard neuf"})  # fmt: skip
        assert answer.status_code == 303
        assert answer.headers["location"].startswith("/?fait=attestation#item-")
        page = http.get(answer.headers["location"])
    assert "Attestation enregistrée." in page.text
    item = re.search(r'<div class="attest" id="item-salle_demo-salle--board">(.*?)</div>', page.text, re.S)
    assert item and "✓" in item.group(1) and "Awa Diallo" in item.group(1)
    assert [a.by_name for a in store.attestations()] == ["Awa Diallo"]
    history = store.history("salle:salle_demo")
    assert any(v.check == "attestation:board" and v.status is Status.OK for v in history)
    assert 'value="Awa Diallo"' in page.text  # the name is offered again for the next item


def test_attestation_of_a_manual_device(loaded, store) -> None:
    with client(create_app(loaded, store)) as http:
        answer = http.post(
            "/attester",
            data={
                "salle": "salle_demo",
                "point": "batteries",
                "equipement": "demo-beebot",
                "nom": "Awa",
                "validite_h": "12",
                "retour": "/equipement/demo-beebot",
            },
        )
        assert answer.status_code == 303 and answer.headers["location"].startswith("/equipement/demo-beebot")
        page = http.get("/equipement/demo-beebot")
    assert page.status_code == 200 and "Batteries chargées et installées" in page.text
    assert store.history("demo-beebot")[0].status is Status.OK


def test_unknown_item_device_or_room_is_a_clear_400(loaded, store) -> None:
    with client(create_app(loaded, store)) as http:
        assert http.post("/attester", data={"salle": "salle_demo", "point": "nope", "nom": "A"}).status_code == 400
        answer = http.post("/reverifier", data={"equipement": "demo-grille-pain"})
        assert answer.status_code == 400 and "demo-grille-pain" in answer.text
        assert http.post("/reverifier", data={"salle": "cave"}).status_code == 400
        assert http.get("/equipement/demo-grille-pain").status_code == 404


def test_recheck_a_device_runs_in_the_server_loop(loaded, swept, lab) -> None:
    lab.running["tablet"].state.level = 95
    app = create_app(loaded, swept, sweep_timeout_s=2.0)
    with client(app) as http:
        answer = http.post("/reverifier", data={"equipement": "demo-tablette"}, headers={"accept": "application/json"})
        assert answer.status_code == 202 and answer.json()["started"] is True
        deadline = time.monotonic() + 10
        while http.get("/api/etat").json()["checking"] and time.monotonic() < deadline:
            time.sleep(0.05)
        state = http.get("/api/etat").json()
        plain = http.post("/reverifier", data={"salle": "salle_demo"})
    battery = next(v for v in state["verdicts"] if v["device"] == "demo-tablette" and v["check"] == "battery")
    assert battery["status"] == "ok" and "95 %" in battery["message"]
    assert plain.status_code == 303 and plain.headers["location"] == "/#salle-salle_demo"


def test_freeze_needs_a_name_then_shows_a_banner_and_the_snapshot(loaded, swept, lab) -> None:
    with client(create_app(loaded, swept)) as http:
        refused = http.post("/figer", data={"nom": ""})
        assert refused.status_code == 400 and render("dashboard.error.name_required") in refused.text
        assert "Le plateau n'a pas encore été figé." in text_of(http.get("/gel").text)
        answer = http.post("/figer", data={"nom": "Awa Diallo"})
        assert answer.status_code == 303
        home = text_of(http.get("/").text)
        frozen = text_of(http.get("/gel").text)
    assert "Plateau figé le" in home and "par Awa Diallo" in home and "Voir l'état figé" in home
    assert "L'état a changé" not in home
    assert "État figé le" in frozen and "NON PRÊT" in frozen and "Batterie à 34 %" in frozen
    lab.running["tablet"].state.level = 95  # charged after the handover: the banner says it changed
    run_sweep(loaded, store=swept, devices=["demo-tablette"], timeout_s=2.0)
    with client(create_app(loaded, swept)) as http:
        after = text_of(http.get("/").text)
    assert "L'état a changé depuis (Salle de démonstration)" in after
    snapshot = swept.latest_freeze()["snapshot"]
    assert snapshot["by"] == "Awa Diallo" and snapshot["rooms"][0]["ready"] is False


def test_print_view_is_a4_without_buttons(loaded, swept) -> None:
    with client(create_app(loaded, swept)) as http:
        page = http.get("/impression")
        css = http.get("/static/style.css").text
    assert page.status_code == 200
    assert "<button" not in page.text and "<form" not in page.text and "live.js" not in page.text
    assert "Batterie à 34 %" in page.text and "D01" in page.text
    assert "size: A4" in css and "@media print" in css


def test_history_page_lists_measures(loaded, swept) -> None:
    with client(create_app(loaded, swept)) as http:
        page = http.get("/equipement/demo-tablette")
    assert page.status_code == 200 and "Historique de Tablette Android simulée (adbd)" in page.text
    assert page.text.count("<tr>") >= 4 and "Données mesurées" in page.text


def test_token_is_required_on_every_request(loaded, store) -> None:
    app = create_app(loaded, store, token=TOKEN)
    with client(app) as http:
        refused = http.get("/")
        assert refused.status_code == 401 and "Accès protégé" in refused.text
        assert http.get("/evenements").status_code == 401
        assert http.get("/static/style.css").status_code == 401
        assert http.get("/?token=mauvais-jeton-de-test").status_code == 401
        first = http.get(f"/?token={TOKEN}")
        assert first.status_code == 303 and first.headers["location"] == "/"
        assert "HttpOnly" in first.headers["set-cookie"] and "SameSite=Strict" in first.headers["set-cookie"]
        assert http.get("/").status_code == 200  # the cookie now carries it
    with client(app) as other:
        assert other.get("/api/etat", headers={"authorization": f"Bearer {TOKEN}"}).status_code == 200
        other.cookies.set(COOKIE, "faux")
        assert other.get("/").status_code == 401


def test_without_token_only_loopback_hosts_and_same_origin_posts(loaded, store) -> None:
    app = create_app(loaded, store)
    with TestClient(app, base_url="http://attaquant.example", follow_redirects=False) as http:
        assert http.get("/").status_code == 421  # DNS rebinding: a foreign Host is refused
    with client(app) as http:
        cross = http.post("/figer", data={"nom": "X"}, headers={"origin": "http://attaquant.example"})
        assert cross.status_code == 403 and "ne vient pas du tableau de bord" in cross.text
        assert http.post("/figer", data={"nom": "X"}, headers={"origin": "null"}).status_code == 403
        assert http.post("/figer", data={"nom": "X"}, headers={"origin": LOCAL}).status_code == 303
    assert store.latest_freeze()["by_name"] == "X"


def test_sweep_on_start_fills_the_board_and_survives_a_restart(loaded, store, lab) -> None:
    with client(create_app(loaded, store, sweep_timeout_s=2.0, sweep_on_start=True)) as http:
        deadline = time.monotonic() + 15
        while http.get("/api/etat").json()["last_sweep_at"] is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not http.get("/api/etat").json()["full_sweep_running"]
        http.post("/attester", data={"salle": "salle_demo", "point": "markers", "nom": "Awa", "validite_h": "24"})
    with client(create_app(loaded, store)) as http:  # a new server on the same store: nothing is lost
        text = text_of(http.get("/").text)
    assert "Batterie à 34 %" in text and "Dernière vérification complète" in text
    assert "attesté par Awa" in text
