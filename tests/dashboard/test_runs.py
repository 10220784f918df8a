"""The latest preparation on the board: a failed host says what failed (the title, the candidate who
asked for it, the tool's own words), not only « échec »; an unreachable one says why; secrets redacted.

The run is recorded as ``plateau provision`` records it: ansible-runner's events folded by the real
EventTracker, stored with ``record_host_result(detail=host.as_detail())``. The tracker is given no
secret here (as a record made before a secret was added to the vault): the page redacts it itself.
"""

from __future__ import annotations

import html
import re
import warnings

import pytest

with warnings.catch_warnings():  # starlette 1.x would prefer httpx2; httpx 0.28 works the same here
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from provision.dashboard import create_app
from provision.provisioning.events import EventTracker

pytestmark = pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient`")
WIFI_KEY = "Demo;Wifi:2026"  # the demo vault's Wi-Fi key (devices/lab/demo.py)


def ev(event: str, host: str, task: str, **data):
    return {"event": event, "event_data": {"host": host, "task": task, **data}}


def record_failed_run(store) -> None:
    tracker = EventTracker()
    item = {"title": "Logiciel fantôme", "id": "fantome", "requested_by": ["candidat:D02"]}
    tracker.feed(ev("runner_on_ok", "demo-pc-linux", "Compte administrateur du jury", res={"changed": True}))
    tracker.feed(ev("runner_on_failed", "demo-pc-linux", "Logiciels (apt)", res={
        "msg": "One or more items failed",
        "results": [{"failed": True, "item": item, "msg": "non-zero return code", "rc": 100,
                     "stderr": f"E: Unable to locate package fantome (clé {WIFI_KEY})"}],
    }))  # fmt: skip
    tracker.feed(ev("runner_on_unreachable", "demo-pc-win", "Joindre le poste (Windows)", res={
        "msg": "ssl: HTTPSConnectionPool(host='127.0.1.11', port=5986): Connection refused", "unreachable": True}))  # fmt: skip
    run_id = store.start_run(kind="provision", args={"check": False, "limit": None, "forks": 5,
                                                     "hosts": ["demo-pc-linux", "demo-pc-win"]})  # fmt: skip
    for name, host in tracker.hosts.items():
        store.record_host_result(run_id, name, host.status.value, ok=host.ok, changed=host.changed, failed=host.failed,
                                 unreachable=host.unreachable, detail=host.as_detail())  # fmt: skip
    store.finish_run(run_id, "failed")


def test_a_failed_host_says_what_failed_with_secrets_redacted(loaded, store) -> None:
    record_failed_run(store)
    with TestClient(create_app(loaded, store), base_url="http://127.0.0.1:8765") as http:
        page = http.get("/").text
    section = re.search(r'<section id="preparation".*?</section>', page, re.S)
    assert section, "the latest preparation is not on the board"
    rows = {
        re.sub(r"<[^>]+>", "", host): html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)))
        for host, row in re.findall(r'<tr><th scope="row">(.*?)</th>(.*?)</tr>', section.group(0), re.S)
    }
    linux, windows = rows["demo-pc-linux"], rows["demo-pc-win"]
    assert "échec" in linux
    assert "Logiciel fantôme — demandé par candidat:D02 : E: Unable to locate package fantome" in linux, linux
    assert (
        "injoignable" in windows and "Joindre le poste (Windows) : ssl:" in windows and "Connection refused" in windows
    )
    assert WIFI_KEY not in page and "***" in linux  # the tool's words, never the secret in them
