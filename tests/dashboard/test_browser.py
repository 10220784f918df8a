"""The dashboard in headless Chromium (Debian's ``chromium`` driven by Playwright; never a download).

One real server on 127.0.0.1 in a thread, the demo lab running: the board is red with the flat
tablet's fix, a sweep turns devices from « inconnu » to their state live, the tablet is
re-checked with the keyboard only and turns "prêt" without a reload, an attestation is recorded
with the keyboard only, the print view hides every control, and axe-core finds no serious or
critical violation. Screenshots go to $PLATEAU_SCREENSHOTS (or the test's tmp folder).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from provision.context import load_all
from provision.dashboard import create_app
from provision.state import open_store

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]  # fmt: skip
AXE = Path(__file__).with_name("axe-4.14.1.min.js")  # npm axe-core@4.14.1 (MPL-2.0), vendored
WAIT_MS = 15_000

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install playwright)")
pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is absent: apt-get install chromium (browser tests skipped)"
)


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def shots(tmp_path: Path):
    target = Path(os.environ.get("PLATEAU_SCREENSHOTS") or tmp_path / "shots")
    target.mkdir(parents=True, exist_ok=True)
    return target


def tab_to(page, element_id: str, limit: int = 250) -> int:
    """Press Tab until the element has the focus; the number of presses proves it is reachable."""
    for presses in range(1, limit + 1):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement && document.activeElement.id") == element_id:
            return presses
    raise AssertionError(f"#{element_id} is not reachable with the Tab key")


@pytest.mark.slow  # ~6 s: a real Chromium, a sweep of the demo lab
def test_live_board_keyboard_recheck_and_attestation(demo: Path, lab, live_server, browser, shots) -> None:
    app = create_app(load_all(demo), open_store(demo), sweep_timeout_s=2.0)
    server = live_server(app)
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="fr-FR")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.goto(server.url + "/")
    tablet = page.locator("#dev-demo-tablette")
    room = page.locator("#sum-salle-salle_demo")
    sync_api.expect(tablet.locator(".device-head .badge")).to_have_text(
        "– inconnu"
    )  # the one name of that state (label.status.unknown)
    sync_api.expect(room).to_contain_text("NON PRÊT")
    page.evaluate("window.sansRechargement = 42")

    # a full sweep, started with the keyboard: every device gets its verdict live
    page.locator("#tout-verifier").focus()
    page.keyboard.press("Enter")
    sync_api.expect(tablet).to_contain_text("Batterie à 34 % : brancher l'appareil avant l'épreuve", timeout=WAIT_MS)
    sync_api.expect(page.locator("#etat-global")).to_contain_text("Dernière vérification complète", timeout=WAIT_MS)
    sync_api.expect(tablet.locator(".device-head .badge")).to_have_text("✗ à corriger")
    sync_api.expect(room).to_contain_text("NON PRÊT")
    sync_api.expect(page.locator("#annonce")).to_contain_text("Vérification terminée", timeout=WAIT_MS)
    page.screenshot(path=str(shots / "1-tableau-non-pret.png"), full_page=True)

    # the technician plugs the tablet in, then re-checks it with the keyboard only
    lab.running["tablet"].state.level = 95
    page.locator("body").focus()
    presses = tab_to(page, "rv-dev-demo-tablette")
    page.keyboard.press("Enter")
    sync_api.expect(tablet).to_contain_text("Batterie à 95 %", timeout=WAIT_MS)
    sync_api.expect(tablet.locator(".device-head .badge")).to_have_text("✓ prêt")
    assert page.evaluate("window.sansRechargement") == 42, "the page reloaded: the update was not live"
    assert page.evaluate("document.activeElement.id") == "rv-dev-demo-tablette"  # focus kept after the update
    assert presses < 120

    # an on-site item, attested with the keyboard only
    item = "salle_demo-salle--board"
    tab_to(page, f"nom-{item}")
    page.keyboard.type("Awa Diallo")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == f"validite-{item}"
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == f"att-{item}"
    with page.expect_navigation():
        page.keyboard.press("Enter")
    attested = page.locator(f"#item-{item}")
    sync_api.expect(attested).to_contain_text("Awa Diallo")
    sync_api.expect(attested.locator(".badge").first).to_have_text("✓ prêt")
    sync_api.expect(page.locator("#annonce")).to_have_text("Attestation enregistrée.")
    page.wait_for_timeout(400)  # the live update of that attestation reaches this new page too
    sync_api.expect(page.locator("#nom-salle_demo-salle--markers")).to_have_value("Awa Diallo")  # name offered again
    page.screenshot(path=str(shots / "2-apres-corrections.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(server.url + "/#salle-salle_demo")
    page.screenshot(path=str(shots / "3-haut-de-page.png"))

    # the print view: A4, no control visible
    page.emulate_media(media="print")
    page.goto(server.url + "/impression")
    assert page.locator("button, form, input").count() == 0
    page.screenshot(path=str(shots / "4-impression.png"), full_page=True)
    page.pdf(path=str(shots / "impression.pdf"), format="A4")
    assert errors == [], errors
    context.close()


def test_axe_core_finds_no_serious_violation(demo: Path, lab, live_server, browser) -> None:
    store = open_store(demo)
    app = create_app(load_all(demo), store, sweep_timeout_s=2.0)
    server = live_server(app)
    # axe is injected as an inline script: only this audit context bypasses the page's CSP
    context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    page = context.new_page()
    found = {}
    for path in ["/", "/equipement/demo-tablette", "/impression", "/gel"]:
        page.goto(server.url + path)
        page.add_script_tag(content=AXE.read_text("utf-8"))
        result = page.evaluate(
            "axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', "
            "'best-practice']}).then(r => r.violations.map(v => [v.id, v.impact, v.nodes.length]))"
        )
        found[path] = [v for v in result if v[1] in ("serious", "critical")]
    # the error state of a form too
    page.goto(server.url + "/")
    page.locator("#figer").click()
    page.wait_for_load_state()
    assert page.locator("#erreurs").is_visible()
    assert page.evaluate("document.activeElement.id") == "erreurs"  # the error summary takes the focus
    page.add_script_tag(content=AXE.read_text("utf-8"))
    result = page.evaluate("axe.run().then(r => r.violations.map(v => [v.id, v.impact, v.nodes.length]))")
    found["/ (erreur)"] = [v for v in result if v[1] in ("serious", "critical")]
    context.close()
    assert all(not v for v in found.values()), found


def test_skip_link_is_first_and_visible_on_focus(demo: Path, live_server, browser) -> None:
    app = create_app(load_all(demo), open_store(demo))
    server = live_server(app)
    page = browser.new_page()
    page.goto(server.url + "/")
    page.keyboard.press("Tab")
    link = page.locator(".skip-link")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    assert link.bounding_box()["y"] >= 0  # moved into view when focused
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "contenu"
    outline = page.evaluate("getComputedStyle(document.querySelector('#tout-verifier')).outlineStyle")
    page.locator("#tout-verifier").focus()
    focused = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert focused == "solid" and outline in ("none", "solid")
    page.close()
