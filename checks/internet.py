"""Internet reachability of the centre: DNS resolution and an HTTP(S) answer from the
targets the exam needs (``internet_targets`` in group_vars/all; tests use loopback URLs).

Measured from the machine running plateau, which sits on the centre's network.
"""

from __future__ import annotations

import os
import socket
import ssl
import urllib.error
import urllib.request
from urllib.parse import urlsplit

from checks.grading import _v
from checks.model import Status, Verdict, utcnow

DEVICE = "centre:internet"


def _fetch(url: str, timeout_s: float) -> str | None:
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
    proxies = {} if os.environ.get("PLATEAU_LOOPBACK_ONLY") == "1" else None
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


def probe_internet(targets: list[str], timeout_s: float) -> Verdict:
    now = utcnow()
    if not targets:
        return _v(DEVICE, "internet", Status.UNKNOWN, "check.internet.no_targets", measured_at=now, probe="https",
                  room=None)
    failures = {url: reason for url in targets if (reason := _fetch(url, timeout_s)) is not None}
    facts = {"targets": targets, "failures": failures}
    reached = len(targets) - len(failures)
    common = dict(measured_at=now, probe="https", room=None, facts=facts, value=reached)
    if not failures:
        return _v(DEVICE, "internet", Status.OK, "check.internet.ok", count=reached, **common)
    if reached:
        return _v(DEVICE, "internet", Status.WARN, "check.internet.partial", failed=sorted(failures), **common)
    return _v(DEVICE, "internet", Status.FAIL, "check.internet.down", failed=sorted(failures), **common)
