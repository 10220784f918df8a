"""On-site items nobody has ticked yet are a task, not a fault: their own class, colour and word
(« à cocher »), never the red of a failed measurement; and /api/etat lists each attestation once."""

from __future__ import annotations

import re
import threading
import warnings
from collections import Counter

import pytest

with warnings.catch_warnings():  # starlette 1.x would prefer httpx2; httpx 0.28 works the same here
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from provision.dashboard import create_app
from provision.sweep import run_sweep

pytestmark = pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient`")
LOCAL = "http://127.0.0.1:8765"
ATTEST_BOARD = {"salle": "salle_demo", "point": "board", "nom": "Awa Diallo", "validite_h": "12"}
ATTEST_BEEBOT = {"salle": "salle_demo", "point": "batteries", "equipement": "demo-beebot", "nom": "Awa",
                 "validite_h": "12"}  # fmt: skip


def client(app) -> TestClient:
    return TestClient(app, base_url=LOCAL, follow_redirects=False)


def attestation_keys(state: dict) -> Counter:
    return Counter((v["device"], v["check"]) for v in state["verdicts"] if v["check"].startswith("attestation:"))


def test_api_state_lists_each_attestation_once(loaded, store) -> None:
    with client(create_app(loaded, store)) as http:
        before = attestation_keys(http.get("/api/etat").json())
        assert before and max(before.values()) == 1  # the unticked ones, once each
        for form in (ATTEST_BOARD, ATTEST_BEEBOT):
            assert http.post("/attester", data=form).status_code == 303
        after = http.get("/api/etat").json()
    counted = attestation_keys(after)
    assert set(counted) == set(before) and max(counted.values()) == 1, counted
    statuses = {(v["device"], v["check"]): v["status"] for v in after["verdicts"]}
    assert statuses[("salle:salle_demo", "attestation:board")] == "ok"
    assert statuses[("demo-beebot", "attestation:batteries")] == "ok"
    with client(create_app(loaded, store)) as http:  # a new start: stored verdicts and fresh ones, once
        again = attestation_keys(http.get("/api/etat").json())
    assert again == counted


BADGE = r'<span class="badge [^"]+"><span class="mark" aria-hidden="true">[^<]*</span> [^<]*</span>'


def test_frozen_view_shows_each_device_with_the_live_badge(loaded, store) -> None:
    """The Bee-Bot waits for its tick: « à cocher » on the live page, so also on the frozen one."""
    with client(create_app(loaded, store)) as http:
        assert http.post("/figer", data={"nom": "Awa Diallo"}).status_code == 303
        page = http.get("/").text
        frozen = http.get("/gel").text
    live = dict(re.findall(rf'<div class="device-head">\s*<h4 id="[^"]+">([^<]+)</h4>\s*({BADGE})', page))
    rows = re.findall(rf'<tr><th scope="row">([^<]+?)\s*({BADGE})?</th><td>({BADGE})', frozen)
    shown = {label: head or cell for label, head, cell in rows if label != "Sur place"}  # first row of each device
    assert len(live) > 5 and shown == live, (shown, live)
    tick = '<span class="badge badge-tick"><span class="mark" aria-hidden="true">☐</span> à cocher</span>'
    assert shown["demo-beebot"] == tick
    beebot = re.search(r'<tr><th scope="row">demo-beebot .*?</tr>', frozen)
    assert beebot and "badge-fail" not in beebot.group(0)  # its attestation line too, as on its live page


@pytest.mark.slow  # a sweep of the demo lab
def test_items_to_tick_have_their_own_badge_never_the_fault_one(loaded, store, lab) -> None:
    run_sweep(loaded, store=store, timeout_s=2.0)  # real faults: the flat tablet, the 3D printer's filament
    with client(create_app(loaded, store)) as http:
        assert http.post("/attester", data=ATTEST_BOARD).status_code == 303
        page = http.get("/").text
        printed = http.get("/impression").text
        beebot = http.get("/equipement/demo-beebot").text
    tick = '<span class="badge badge-tick"><span class="mark" aria-hidden="true">☐</span> à cocher</span>'
    items = dict(re.findall(r'<div class="attest" id="item-([^"]+)">\s*<p class="attest-state">(.*?)</p>', page, re.S))
    assert items, page[:500]
    for key, state in items.items():
        if key == "salle_demo-salle--board":  # attested just now
            assert "badge-ok" in state and "badge-tick" not in state
        else:
            assert tick in state and "badge-fail" not in state, (key, state)
    # the Bee-Bot (only a person can check it): its card says « à cocher », not « à corriger »
    card = re.search(r'<article id="dev-demo-beebot".*?</article>', page, re.S)
    assert card and tick in card.group(0) and "badge-fail" not in card.group(0)
    assert tick in beebot
    # the to-do list: items to tick apart from the real faults, which keep the fault badge
    todo = re.search(r'<ol class="todo">(.*?)</ol>', page, re.S)
    assert todo
    lines = re.findall(r"<li( class=\"todo-tick\")?>(.*?)</li>", todo.group(1), re.S)
    ticks = [text for marked, text in lines if marked]
    faults = [text for marked, text in lines if not marked]
    assert ticks and all(tick in t and "badge-fail" not in t for t in ticks)
    assert any("badge-fail" in f and "demo-tablette" in f for f in faults), faults
    assert not any("#item-" in f for f in faults)
    assert re.search(r"\d+ à corriger, \d+ à cocher", page)
    assert tick in printed and "badge-fail" in printed  # the print view tells them apart too


@pytest.mark.slow  # a real Chromium, a sweep of the demo lab
def test_to_tick_colour_is_not_the_fault_colour_in_the_browser(loaded, store, lab, live_server, browser) -> None:
    sweep = threading.Thread(target=run_sweep, args=(loaded,), kwargs={"store": store, "timeout_s": 2.0})
    sweep.start()  # in its own thread: Playwright's sync API holds this thread's event loop
    sweep.join()
    server = live_server(create_app(loaded, store))
    page = browser.new_page()
    page.goto(server.url + "/")
    style = "el => { const s = getComputedStyle(el); return [s.backgroundColor, s.color, s.borderTopStyle]; }"
    fault = page.locator("#dev-demo-tablette .device-head .badge-fail").evaluate(style)
    ticks = [b.evaluate(style) for b in page.locator(".badge-tick").all()]
    assert len(ticks) >= 3  # the room's items, the Bee-Bot's card and their to-do lines
    reds = {fault[0], fault[1]}
    for background, colour, border in ticks:
        assert background not in reds and colour not in reds, (background, colour, fault)
        assert border == "dashed"
    assert fault[2] == "solid"
    # no to-tick item anywhere shows the fault badge
    assert page.locator(".attest-state .badge-fail, li.todo-tick .badge-fail").count() == 0
    page.close()
