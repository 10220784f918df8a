"""No secret of the vault and no candidate's personal data on any page, JSON or live event."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import httpx
import yaml

from provision.context import load_all
from provision.dashboard import create_app
from provision.state import open_store

NAME, ACCESSIBILITY = "Camille Martin-Personnelle", "lecteur d'écran"


def add_personal_data(demo: Path) -> None:
    session = yaml.safe_load((demo / "session.yml").read_text("utf-8"))
    session["candidates"][0]["name"] = NAME
    session["candidates"][0]["accessibility"] = [ACCESSIBILITY]
    (demo / "session.yml").write_text(yaml.safe_dump(session, allow_unicode=True), "utf-8")


def listen(url: str, lines: list[str], finished: threading.Event) -> None:
    with httpx.stream("GET", url, timeout=30) as stream:
        for line in stream.iter_lines():
            lines.append(line)
            if line.startswith("data:") and json.loads(line[5:]).get("state") == "finished":
                finished.set()
                return


def test_no_secret_nor_personal_data_anywhere(demo: Path, lab, live_server, vault_secrets) -> None:
    secrets = vault_secrets(demo)
    assert len(secrets) >= 6 and "Demo;Wifi:2026" in secrets  # the Wi-Fi key, admin and account passwords
    add_personal_data(demo)
    loaded = load_all(demo)
    assert loaded.session.candidates[0].name == NAME
    app = create_app(loaded, open_store(demo), sweep_timeout_s=2.0)
    server = live_server(app)
    hub = app.state.dashboard.hub

    lines: list[str] = []
    finished = threading.Event()
    listener = threading.Thread(target=listen, args=(f"{server.url}/evenements", lines, finished), daemon=True)
    listener.start()
    deadline = time.monotonic() + 60  # until the listener's SSE connection is registered
    while hub.client_count == 0 and time.monotonic() < deadline:
        time.sleep(0.02)
    with httpx.Client(base_url=server.url, timeout=10, follow_redirects=True) as http:
        assert http.post("/reverifier", data={"tout": "1"}).status_code == 200
        assert finished.wait(20), "the sweep did not finish"
        http.post("/attester", data={"salle": "salle_demo", "point": "board", "nom": "Awa", "validite_h": "24"})
        http.post("/figer", data={"nom": "Awa"})
        paths = ["/", "/impression", "/gel", "/api/etat", "/api/fragments", "/equipement/salle:salle_demo",
                 "/equipement/centre:internet", "/static/style.css", "/static/live.js",
                 *(f"/equipement/{d.name}" for d in loaded.inventory.devices)]  # fmt: skip
        pages = {path: http.get(path) for path in paths}
    stream = "\n".join(lines)
    pushed = set()
    for event, data in zip(lines, lines[1:], strict=False):
        if event == "event: verdict":
            pushed |= set(json.loads(data.removeprefix("data:"))["devices"])
    probed = {
        "demo-pc-linux",
        "demo-pc-win",
        "demo-tablette",
        "demo-ipad",
        "demo-mfp",
        "demo-imprimante-3d",
        "demo-ap",
        "demo-projecteur",
        "demo-microbit",
        "centre:internet",
    }
    assert probed <= pushed  # every probe's verdicts were pushed live
    assert "Batterie à 34 %" in stream
    for path, page in pages.items():
        assert page.status_code == 200, path
    outputs = {"SSE": stream, **{path: page.text for path, page in pages.items()}}
    for where, text in outputs.items():
        for secret in secrets:
            assert secret not in text, f"a vault secret leaks in {where}"
            assert json.dumps(secret)[1:-1] not in text, f"a vault secret leaks (JSON-escaped) in {where}"
        assert NAME not in text and "Camille" not in text, f"a candidate's name leaks in {where}"
        assert ACCESSIBILITY not in text and "lecteur d" not in text and "loupe" not in text, where
    assert "D01" in pages["/"].text  # candidates are shown by id
