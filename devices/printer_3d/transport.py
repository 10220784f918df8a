"""HTTP GET for the printer APIs: the only module here that opens HTTP connections.

Uses the standard library (``urllib``) so the family adds no dependency: API-key header
(OctoPrint, Moonraker, PrusaLink) or HTTP Digest (PrusaLink user ``maker``). Proxies from
the environment are ignored on purpose: printers sit on the exam-room LAN.

Errors: refused / reset / timed out / DNS -> Unreachable; 401/403 -> AuthenticationFailed.
Other HTTP statuses are returned to the caller, which knows what e.g. 409 (OctoPrint: printer
not operational) or 503 (Moonraker: Klippy disconnected) mean. No secret ever appears in a
message: only the method, the path and the status are reported.
"""

from __future__ import annotations

import http.client
import socket
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

from devices.errors import AuthenticationFailed, BadAnswer, Unreachable

MAX_BODY_BYTES = 2_000_000


@dataclass(frozen=True, slots=True)
class HttpAnswer:
    status: int
    body: bytes


def base_url(host: str, port: int | None, *, scheme: str = "http") -> str:
    if "://" in host:  # already a URL (e.g. "http://octopi.local:5000")
        return host.rstrip("/")
    netloc = f"[{host}]" if ":" in host and not host.startswith("[") else host
    return f"{scheme}://{netloc}" + (f":{port}" if port else "")


def http_get(
    url_base: str,
    path: str,
    *,
    timeout_s: float,
    api_key: str | None = None,
    username: str | None = None,
    password: str | None = None,
) -> HttpAnswer:
    """``GET url_base + path``; returns status and body (capped) for any HTTP status but 401/403."""
    url = url_base.rstrip("/") + path
    handlers: list[urllib.request.BaseHandler] = [urllib.request.ProxyHandler({})]
    if username is not None and password is not None:
        manager = urllib.request.HTTPPasswordMgrWithDefaultRealm()
        manager.add_password(None, url_base, username, password)
        handlers.append(urllib.request.HTTPDigestAuthHandler(manager))
    opener = urllib.request.build_opener(*handlers)
    what = f"GET {path}"
    try:
        request = urllib.request.Request(url, method="GET",
                                         headers={"Accept": "application/json"})
        if api_key:
            request.add_header("X-Api-Key", api_key)
        with opener.open(request, timeout=timeout_s) as response:
            return HttpAnswer(status=response.status, body=_read(response, what))
    except urllib.error.HTTPError as exc:
        status = exc.code
        body = b""
        try:
            body = _read(exc, what) if exc.fp is not None else b""
        except (OSError, http.client.HTTPException, BadAnswer):
            body = b""
        finally:
            exc.close()
        if status in (401, 403):
            raise AuthenticationFailed(f"{what}: credentials refused (HTTP {status})") from exc
        return HttpAnswer(status=status, body=body)
    except urllib.error.URLError as exc:
        reason = exc.reason
        if isinstance(reason, (TimeoutError, socket.timeout)):
            raise Unreachable(f"{what}: no answer within {timeout_s:g} s") from exc
        raise Unreachable(f"{what}: {type(reason).__name__}: {_short(reason)}") from exc
    except (TimeoutError, socket.timeout) as exc:
        raise Unreachable(f"{what}: no answer within {timeout_s:g} s") from exc
    except (http.client.HTTPException, ConnectionError) as exc:
        # RemoteDisconnected, BadStatusLine (garbage before any HTTP status line), reset...
        if isinstance(exc, http.client.BadStatusLine) and not isinstance(
                exc, http.client.RemoteDisconnected):
            raise BadAnswer(f"{what}: not an HTTP answer") from exc
        raise Unreachable(f"{what}: connection closed ({type(exc).__name__})") from exc
    except OSError as exc:
        raise Unreachable(f"{what}: {type(exc).__name__}: {_short(exc)}") from exc
    except ValueError as exc:  # malformed URL (user input)
        raise Unreachable(f"{what}: invalid address") from exc


def _read(response, what: str) -> bytes:
    try:
        body = response.read(MAX_BODY_BYTES + 1)
    except (TimeoutError, socket.timeout) as exc:
        raise Unreachable(f"{what}: body not received in time") from exc
    except (http.client.IncompleteRead, ConnectionError) as exc:
        raise Unreachable(f"{what}: connection closed while reading the body") from exc
    if len(body) > MAX_BODY_BYTES:
        raise BadAnswer(f"{what}: body larger than {MAX_BODY_BYTES} bytes")
    return body


def _short(reason: object) -> str:
    return str(reason)[:160]
