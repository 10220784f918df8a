"""``plateau cache`` for macOS casks: Homebrew's JSON API and the vendors' sites stood for by a
loopback HTTP server (``PLATEAU_HOMEBREW_CASK_URL``), the real resolution code over real sockets.

The documents have the shape of ``https://formulae.brew.sh/api/cask/<token>.json``: ``url``,
``sha256`` and ``version`` of the default (Apple silicon) download, ``variations`` keyed by
macOS tag overriding them (the Intel file), ``"sha256": "no_check"`` for a cask with no checksum.
"""

from __future__ import annotations

import hashlib
import http.server
import json
import threading
from collections import Counter
from pathlib import Path

import pytest

from provision.messages import render
from provision.provisioning import homebrew_casks
from provision.provisioning.cache import Status, Wanted, cache_vars, parse_only

ARM, INTEL = b"arm64 disk image\n" * 300, b"intel disk image\n" * 200


class Source:
    """The API and the vendors on one loopback server; ``hits`` counts GETs per path."""

    def __init__(self) -> None:
        self.hits: Counter[str] = Counter()
        self.files: dict[str, bytes] = {"/vendor/VLC%203.0.21-arm64.dmg": ARM, "/vendor/vlc-3.0.21-intel64.dmg": INTEL}
        source = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                source.hits[self.path] += 1
                body = source.answer(self.path)
                self.send_response(200 if body is not None else 404)
                self.send_header("Content-Length", str(len(body or b"")))
                self.end_headers()
                self.wfile.write(body or b"")

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def answer(self, path: str) -> bytes | None:
        vendor = f"{self.base}/vendor/"
        casks = {
            "vlc": {"token": "vlc", "version": "3.0.21", "url": vendor + "VLC%203.0.21-arm64.dmg",
                    "sha256": hashlib.sha256(ARM).hexdigest(),
                    "variations": {"sequoia": {"url": vendor + "vlc-3.0.21-intel64.dmg",
                                               "sha256": hashlib.sha256(INTEL).hexdigest()},
                                   "arm64_sonoma": {"version": "3.0.21"}}},
            "nightly": {"token": "nightly", "version": "latest", "url": vendor + "nightly.dmg", "sha256": "no_check"},
            "tampered": {"token": "tampered", "version": "1", "url": vendor + "VLC%203.0.21-arm64.dmg",
                         "sha256": "0" * 64},
        }  # fmt: skip
        token = path.removeprefix("/api/cask/").removesuffix(".json")
        if path.startswith("/api/cask/"):
            return json.dumps(casks[token]).encode() if token in casks else None
        return self.files.get(path)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def source(monkeypatch):
    server = Source()
    monkeypatch.setenv(homebrew_casks.CASK_URL_ENV, server.base + "/api/cask/{token}.json")
    yield server
    server.close()


def wanted(*tokens: str) -> list[Wanted]:
    return [Wanted("cask", t, t.upper(), ["a-mac-01"]) for t in tokens]


def test_each_download_of_a_cask_is_fetched_once_and_checked(source, tmp_path) -> None:
    [entry] = homebrew_casks.cache_casks(wanted("vlc"), tmp_path)
    assert (entry.status, entry.key, entry.params["files"]) == (Status.CACHED, "homebrew.cached", 2)
    assert "SHA-256" in render(entry.key, entry.params)
    casks = homebrew_casks.read_casks(tmp_path)
    by_url = {r["url"].rsplit("/", 1)[-1]: r for r in casks["vlc"]}
    assert set(by_url) == {"VLC%203.0.21-arm64.dmg", "vlc-3.0.21-intel64.dmg"}
    arm = by_url["VLC%203.0.21-arm64.dmg"]
    assert (tmp_path / arm["file"]).read_bytes() == ARM and arm["file"].endswith("/VLC 3.0.21-arm64.dmg")
    assert arm["url_sha256"] == hashlib.sha256(arm["url"].encode()).hexdigest()  # Homebrew's cache name prefix
    # a second run downloads nothing: the files are there with the announced SHA-256
    before = sum(n for p, n in source.hits.items() if p.startswith("/vendor/"))
    [again] = homebrew_casks.cache_casks(wanted("vlc"), tmp_path)
    assert again.key == "homebrew.already_cached"
    assert sum(n for p, n in source.hits.items() if p.startswith("/vendor/")) == before == 2


def test_what_cannot_be_checked_or_found_is_said_never_cached(source, tmp_path) -> None:
    entries = {e.id: e for e in homebrew_casks.cache_casks(wanted("nightly", "tampered", "ghost"), tmp_path)}
    assert (entries["nightly"].status, entries["nightly"].key) == (Status.MANUAL, "homebrew.no_check")
    assert (entries["tampered"].status, entries["tampered"].key) == (Status.FAILED, "homebrew.hash_mismatch")
    assert entries["tampered"].params["actual"] == hashlib.sha256(ARM).hexdigest()
    assert (entries["ghost"].status, entries["ghost"].key) == (Status.FAILED, "homebrew.unknown_token")
    assert homebrew_casks.read_casks(tmp_path) == {}
    assert not list((tmp_path / "homebrew").rglob("*.dmg*"))  # no partial or refused file left


def test_a_source_down_keeps_what_was_cached_and_provision_gets_it(source, tmp_path, monkeypatch) -> None:
    inventory = tmp_path / "centre"
    cache = inventory / "cache"
    homebrew_casks.cache_casks(wanted("vlc"), cache)
    monkeypatch.setenv(homebrew_casks.CASK_URL_ENV, "http://127.0.0.1:9/api/cask/{token}.json")  # nothing there
    [kept] = homebrew_casks.cache_casks(wanted("vlc"), cache)
    assert (kept.status, kept.key) == (Status.CACHED, "homebrew.kept")
    extra = cache_vars(inventory)["plateau_homebrew_casks"]  # what plateau provision passes to the Macs
    assert sorted(r["file"].rsplit("/", 1)[-1] for r in extra["vlc"]) == ["VLC 3.0.21-arm64.dmg",
                                                                          "vlc-3.0.21-intel64.dmg"]  # fmt: skip
    assert parse_only("homebrew") == ["cask"] and parse_only("cask,apt") == ["cask", "apt"]


def test_only_loopback_is_ever_asked_in_tests(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("PLATEAU_LOOPBACK_ONLY", "1")
    monkeypatch.setenv(homebrew_casks.CASK_URL_ENV, "https://formulae.brew.sh/api/cask/{token}.json")
    [entry] = homebrew_casks.cache_casks(wanted("vlc"), tmp_path)
    assert (entry.status, entry.key) == (Status.MANUAL, "homebrew.source_unreachable")
    assert Path(tmp_path / "homebrew" / "casks.json").is_file()
