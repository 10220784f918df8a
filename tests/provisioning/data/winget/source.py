"""A loopback HTTP server standing for the winget manifest source and the publishers' download sites.

It serves the real manifests recorded under ``manifests/`` beside this file (see SOURCES.md)
the way GitHub serves microsoft/winget-pkgs, on 127.0.0.1 only:

    GET /api/manifests/<l>/<Publisher>/<Package>      GitHub contents API: [{"name", "path", "type"}]
    GET /raw/manifests/<path>/<version>/<file>.yaml  the recorded manifest, with each InstallerUrl
                                                     pointed at /dl/<file name> on this server and
                                                     its InstallerSha256 set to that payload's hash
    GET /dl/<file name>                              a payload (bytes made from the name)

``keep_real_hash`` holds ids whose manifest keeps the publisher's real SHA-256: the payload then
cannot match it (the mismatch case). ``hits`` counts the requests per path.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

DATA = Path(__file__).parent / "manifests"


def payload(name: str) -> bytes:
    return b"MZ plateau test installer " + name.encode() * 2000


class WingetSource:
    def __init__(self) -> None:
        self.hits: Counter[str] = Counter()
        self.keep_real_hash: set[str] = set()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> WingetSource:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)

    @property
    def listing(self) -> str:
        return self.url + "/api/manifests/"

    @property
    def manifests(self) -> str:
        return self.url + "/raw/manifests/"

    def downloads(self) -> int:
        return sum(n for path, n in self.hits.items() if path.startswith("/dl/"))

    def manifest_text(self, path: Path) -> str:
        text = path.read_text("utf-8")
        ident = re.search(r"^PackageIdentifier: (\S+)", text, re.M).group(1)  # type: ignore[union-attr]
        lines = []
        for line in text.splitlines():
            url = re.match(r"^(\s*)InstallerUrl: (\S+)$", line)
            if url:
                name = Path(urlsplit(url.group(2)).path).name
                lines.append(f"{url.group(1)}InstallerUrl: {self.url}/dl/{name}")
                current = name
                continue
            sha = re.match(r"^(\s*)InstallerSha256: (\S+)$", line)
            if sha and ident not in self.keep_real_hash:
                lines.append(f"{sha.group(1)}InstallerSha256: {hashlib.sha256(payload(current)).hexdigest().upper()}")
                continue
            lines.append(line)
        return "\n".join(lines) + "\n"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        source = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:  # quiet test output
                pass

            def send(self, code: int, body: bytes, kind: str = "application/octet-stream") -> None:
                self.send_response(code)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:  # http.server's name
                path = urlsplit(self.path).path
                source.hits[path] += 1
                if path.startswith("/api/manifests/"):
                    folder = DATA / path.removeprefix("/api/manifests/")
                    if not folder.is_dir() or ".." in path:
                        return self.send(404, b'{"message": "Not Found"}', "application/json")
                    entries = [
                        {"name": p.name, "path": f"manifests/{path.removeprefix('/api/manifests/')}/{p.name}",
                         "type": "dir" if p.is_dir() else "file"}
                        for p in sorted(folder.iterdir())
                    ]  # fmt: skip
                    return self.send(200, json.dumps(entries).encode(), "application/json")
                if path.startswith("/raw/manifests/"):
                    file = DATA / path.removeprefix("/raw/manifests/")
                    if not file.is_file() or ".." in path:
                        return self.send(404, b"404: Not Found", "text/plain")
                    return self.send(200, source.manifest_text(file).encode(), "text/plain; charset=utf-8")
                if path.startswith("/dl/"):
                    return self.send(200, payload(path.removeprefix("/dl/")))
                return self.send(404, b"")

        return Handler
