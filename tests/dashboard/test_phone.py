"""The dashboard on a phone (390×844, and 360 px wide): no page wider than the screen, every
device's status badge on screen, and axe-core clean at phone and desktop sizes.

Same live server and Debian Chromium as test_browser.py; the demo lab is swept first so the
tables carry real (long) messages. Screenshots go to $PLATEAU_SCREENSHOTS (or the test's tmp folder).
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
PAGES = ["/", "/equipement/demo-tablette", "/impression", "/gel"]
PHONE = {"width": 390, "height": 844}
NARROW = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 900}

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install playwright)")
pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is absent: apt-get install chromium (browser tests skipped)"
)

# widest element of the page and the first few that stick out of the viewport (for the message)
OVERFLOW_JS = """() => {
  const vw = document.documentElement.clientWidth;
  const out = [];
  for (const el of document.querySelectorAll('body *')) {
    const r = el.getBoundingClientRect();
    if (r.width && r.right > vw + 0.5) {
      out.push((el.id ? '#' + el.id : el.tagName.toLowerCase() + '.' + el.className) + ' right=' + Math.round(r.right));
    } else if (el.scrollWidth > el.clientWidth + 1 && r.right + el.scrollWidth - el.clientWidth > vw + 0.5
               && getComputedStyle(el).overflowX === 'visible' && el.clientWidth) {  // its text sticks out
      out.push((el.id ? '#' + el.id : el.tagName.toLowerCase() + '.' + el.className) + ' text to ' +
               Math.round(r.left + el.scrollWidth) + ': ' + el.textContent.trim().slice(0, 40));
    }
  }
  return {vw, scroll: document.documentElement.scrollWidth, body: document.body.scrollWidth, out: out.slice(0, 8)};
}"""

# every device card's status badge: inside the viewport horizontally, not hidden, not clipped
BADGES_JS = """() => {
  const vw = document.documentElement.clientWidth;
  return [...document.querySelectorAll('article.device')].map(card => {
    const badge = card.querySelector('.device-head .badge');
    if (!badge) return [card.id, 'no badge'];
    const r = badge.getBoundingClientRect(), c = card.getBoundingClientRect(), s = getComputedStyle(badge);
    const visible = r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && s.display !== 'none';
    return [card.id, visible && r.left >= 0 && r.right <= vw + 0.5 && r.top - c.top < 160 ? 'ok' :
            'off: left=' + Math.round(r.left) + ' right=' + Math.round(r.right) + ' top-in-card=' + Math.round(r.top - c.top)];
  });
}"""

AXE_RUN = (
    "axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']})"
    ".then(r => r.violations.map(v => [v.id, v.impact, v.nodes.length, v.nodes.slice(0, 2).map(n => n.target)]))"
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


def swept_server(demo: Path, live_server, browser):
    app = create_app(load_all(demo), open_store(demo), sweep_timeout_s=2.0)
    server = live_server(app)
    context = browser.new_context(viewport=DESKTOP, locale="fr-FR")
    page = context.new_page()
    page.goto(server.url + "/")
    page.locator("#tout-verifier").click()
    sync_api.expect(page.locator("#annonce")).to_contain_text("Vérification terminée", timeout=WAIT_MS)
    context.close()
    return server


@pytest.mark.slow  # ~8 s: a real Chromium, a sweep of the demo lab, 4 pages at 2 widths
def test_no_page_wider_than_a_phone_and_every_status_visible(demo: Path, lab, live_server, browser, shots) -> None:
    server = swept_server(demo, live_server, browser)
    problems: dict[str, object] = {}
    for size in (PHONE, NARROW):
        context = browser.new_context(viewport=size, locale="fr-FR", is_mobile=True, has_touch=True,
                                      device_scale_factor=1)  # fmt: skip
        page = context.new_page()
        for path in PAGES:
            page.goto(server.url + path)
            page.wait_for_load_state("networkidle")
            where = f"{size['width']}px {path}"
            widths = page.evaluate(OVERFLOW_JS)
            if widths["scroll"] > widths["vw"] or widths["body"] > widths["vw"] or widths["out"]:
                problems[where] = widths
            bad = [b for b in page.evaluate(BADGES_JS) if b[1] != "ok"]
            if bad:
                problems[where + " badges"] = bad
            name = path.strip("/").replace("/", "-") or "tableau"
            page.screenshot(path=str(shots / f"phone-{size['width']}-{name}.png"), full_page=True)
        if size is PHONE:  # the overview lists every device of the demo, each with its badge
            page.goto(server.url + "/")
            assert page.locator("article.device .device-head .badge").count() >= 5
        context.close()
    assert not problems, problems


@pytest.mark.slow
def test_axe_core_clean_at_phone_and_desktop_sizes(demo: Path, lab, live_server, browser) -> None:
    server = swept_server(demo, live_server, browser)
    found = {}
    for size in (PHONE, DESKTOP):
        # axe is injected as an inline script: only this audit context bypasses the page's CSP
        context = browser.new_context(viewport=size, bypass_csp=True, locale="fr-FR")
        page = context.new_page()
        for path in PAGES:
            page.goto(server.url + path)
            page.add_script_tag(content=AXE.read_text("utf-8"))
            result = page.evaluate(AXE_RUN)
            found[f"{size['width']}px {path}"] = [v for v in result if v[1] in ("serious", "critical")]
        context.close()
    assert all(not v for v in found.values()), {k: v for k, v in found.items() if v}


def test_print_view_numbers_its_pages(demo: Path, live_server, browser, tmp_path: Path) -> None:
    import subprocess

    server = live_server(create_app(load_all(demo), open_store(demo)))
    page = browser.new_page()
    page.emulate_media(media="print")
    page.goto(server.url + "/impression")
    pdf = tmp_path / "impression.pdf"
    page.pdf(path=str(pdf), prefer_css_page_size=True)
    page.close()
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    pages = text.split("\f")[:-1] if text.endswith("\f") else text.split("\f")
    assert len(pages) >= 2
    for number, content in enumerate(pages, 1):
        assert f"page {number} / {len(pages)}" in content, content[-300:]
