"""Reach an internet target the exam needs: DNS resolution, then an HTTP(S) answer.

The centre's proxy (``HTTPS_PROXY``...) is part of its way out, except in loopback-only
runs (tests, demo).
"""

from __future__ import annotations

import os
import socket
import ssl
import urllib.error
import urllib.request
from urllib.parse import urlsplit


def reach(url: str, timeout_s: float) -> str | None:
    """None when the target answered; else a short French-free reason for the facts."""
    host = urlsplit(url).hostname
    if not host:
        return "bad url"
    try:
        socket.getaddrinfo(host, None)
    except socket.gaierror as exc:
        return f"dns: {exc.strerror}"
    request = urllib.request.Request(url, method="GET", headers={"User-Agent": "plateau-check"})
    # the centre's proxy (HTTPS_PROXY...) is part of its way out, except in loopback-only runs
    proxies: dict[str, str] | None = {} if os.environ.get("PLATEAU_LOOPBACK_ONLY") == "1" else None
    opener = urllib.request.build_opener(
        urllib.request.ProxyHandler(proxies), urllib.request.HTTPSHandler(context=ssl.create_default_context())
    )
    try:
        with opener.open(request, timeout=timeout_s) as answer:
            answer.read(256)
            return None if answer.status < 500 else f"http {answer.status}"
    except urllib.error.HTTPError as exc:
        return None if exc.code < 500 else f"http {exc.code}"  # a 4xx still proves the way out works
    except (urllib.error.URLError, OSError, ssl.SSLError) as exc:
        return f"{type(exc).__name__}: {getattr(exc, 'reason', exc)}"[:200]
