"""Who may use the dashboard: the token rule, and requests that must come from the page itself.

- Bound to loopback with no token: only this machine can connect; the ``Host`` header must be
  a loopback name too (a web page cannot reach the dashboard through DNS rebinding).
- With a token (mandatory on any other address): every request carries it, as the cookie set
  after a first visit to ``/?token=…``, or as ``Authorization: Bearer …``. The token is then
  removed from the address bar (redirect), so it is not left in the browser history.
- A POST whose ``Origin`` is another site is refused (no cross-site form can attest or freeze).
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
from http.cookies import SimpleCookie
from urllib.parse import parse_qsl, urlencode, urlsplit

from provision.messages import render

COOKIE = "plateau_jeton"
MIN_TOKEN_CHARS = 16
LOOPBACK_NAMES = {"localhost", "127.0.0.1", "::1", "[::1]"}


def new_token() -> str:
    return secrets.token_urlsafe(24)


def is_loopback(host: str) -> bool:
    host = host.strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class Guard:
    """Pure ASGI middleware (keeps Server-Sent Events streaming)."""

    def __init__(self, app, *, token: str | None) -> None:
        self.app = app
        self.token = token

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        host = headers.get("host", "")
        if self.token is None and not is_loopback(_hostname(host)):
            return await _refuse(send, 421, render("dashboard.error.bad_host", {"host": host}))
        if scope["method"] not in ("GET", "HEAD") and not _same_origin(headers, host):
            return await _refuse(send, 403, render("dashboard.error.bad_origin"))
        if self.token is None:
            return await self.app(scope, receive, send)
        query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
        if "token" in query and _equal(query["token"], self.token):
            rest = urlencode({k: v for k, v in query.items() if k != "token"})
            location = scope["path"] + (f"?{rest}" if rest else "")
            secure = "; Secure" if scope.get("scheme") == "https" else ""  # HTTPS: never sent in clear
            set_cookie = f"{COOKIE}={self.token}; Path=/; HttpOnly; SameSite=Strict{secure}"
            return await _send(send, 303, b"", [(b"location", location.encode()), (b"set-cookie", set_cookie.encode())])
        cookie = SimpleCookie()
        try:
            cookie.load(headers.get("cookie", ""))
        except Exception:  # a garbled cookie is just no cookie  # noqa: BLE001
            cookie = SimpleCookie()
        offered = cookie[COOKIE].value if COOKIE in cookie else ""
        bearer = headers.get("authorization", "")
        if bearer.lower().startswith("bearer "):
            offered = offered or bearer[7:].strip()
        if not _equal(offered, self.token):
            return await _refuse(send, 401, render("dashboard.error.forbidden"))
        return await self.app(scope, receive, send)


def _equal(offered: str, token: str) -> bool:
    return bool(offered) and hmac.compare_digest(offered.encode(), token.encode())


def _hostname(host_header: str) -> str:
    if host_header.startswith("["):
        return host_header[1:].split("]")[0]
    return host_header.rsplit(":", 1)[0] if host_header.count(":") == 1 else host_header


def _same_origin(headers: dict[str, str], host: str) -> bool:
    origin = headers.get("origin") or headers.get("referer")
    if not origin or origin == "null":
        return "origin" not in headers  # a sandboxed/privacy "null" origin is refused
    return urlsplit(origin).netloc == host


async def _refuse(send, status: int, message: str) -> None:
    page = (f'<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>plateau</title></head>'
            f"<body><main><h1>{_escape(message)}</h1></main></body></html>").encode()  # fmt: skip
    await _send(send, status, page, [(b"content-type", b"text/html; charset=utf-8")])


async def _send(send, status: int, body: bytes, headers: list[tuple[bytes, bytes]]) -> None:
    headers = [*headers, (b"content-length", str(len(body)).encode()), (b"cache-control", b"no-store")]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
