"""HTTP GET for the printer APIs: the only module here that opens HTTP connections.

The exchange is :func:`devices.http.request` (standard library only, one deadline on the
whole exchange, shared by every HTTP family); this module adds the API-key header
(OctoPrint, Moonraker, PrusaLink, Spoolman) and HTTP Digest (PrusaLink user ``maker``,
RFC 7616 / 2617: MD5, SHA-256, ``-sess``, with or without ``qop=auth``). No proxy: printers
sit on the exam-room LAN. An ``https`` base URL gets its certificate verified, since an API
key or a password is sent to it.

Errors: refused / reset / timed out / DNS -> Unreachable; 401/403 -> AuthenticationFailed.
Other HTTP statuses are returned to the caller, which knows what e.g. 409 (OctoPrint: printer
not operational) or 503 (Moonraker: Klippy disconnected) mean. No secret ever appears in a
message: only the method, the address, the path and the status are reported.
"""

from __future__ import annotations

import hashlib
import secrets
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from typing import Protocol

from devices import http
from devices.errors import AuthenticationFailed, Unreachable

MAX_BODY_BYTES = 2_000_000
HttpAnswer = http.Reply  # status, body (and headers)


class _Hasher(Protocol):
    def hexdigest(self) -> str: ...


_DIGEST_HASHES: dict[str, Callable[[bytes], _Hasher]] = {
    "MD5": hashlib.md5,
    "SHA": hashlib.sha1,
    "SHA-256": hashlib.sha256,
    "SHA-512-256": lambda data: hashlib.new("sha512_256", data),
}


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
    deadline: float | None = None,
    api_key: str | None = None,
    username: str | None = None,
    password: str | None = None,
) -> http.Reply:
    """``GET url_base + path`` within ``timeout_s`` (and before ``deadline``, monotonic);
    returns status and body (capped) for any HTTP status but 401/403."""
    split = urllib.parse.urlsplit(url_base)
    what = f"GET {path}"
    try:
        port = split.port
    except ValueError as exc:
        raise Unreachable(f"{what}: invalid address") from exc
    if split.scheme not in ("http", "https") or not split.hostname:
        raise Unreachable(f"{what}: invalid address")
    tls = split.scheme == "https"
    target = split.path.rstrip("/") + path
    end = time.monotonic() + timeout_s
    end = min(end, deadline) if deadline is not None else end
    headers = {"Accept": "application/json"}
    if api_key:
        headers["X-Api-Key"] = api_key

    def get() -> http.Reply:
        return http.request(
            "GET",
            split.hostname or "",
            port or (443 if tls else 80),
            target,
            timeout_s=timeout_s,
            deadline=end,
            headers=headers,
            tls=tls,
            verify_tls=True,
            max_body=MAX_BODY_BYTES,
        )

    reply = get()
    for _ in range(2):  # a second try only when the server says our nonce went stale
        if reply.status != 401 or username is None or password is None:
            break
        challenge = _digest_challenge(reply)
        if challenge is None or ("Authorization" in headers and challenge.get("stale", "").lower() != "true"):
            break
        authorization = digest_authorization(challenge, "GET", target, username, password)
        if authorization is None:
            break
        headers["Authorization"] = authorization
        reply = get()
    if reply.status in (401, 403):
        raise AuthenticationFailed(f"{what}: credentials refused (HTTP {reply.status})")
    return reply


def _digest_challenge(reply: http.Reply) -> dict[str, str] | None:
    for value in reply.header_values("www-authenticate"):
        scheme, _, params = value.strip().partition(" ")
        if scheme.lower() == "digest":
            parsed: dict[str, str] = urllib.request.parse_keqv_list(urllib.request.parse_http_list(params))
            return {key.lower(): val for key, val in parsed.items()}
    return None


def digest_authorization(challenge: dict[str, str], method: str, uri: str, username: str, password: str) -> str | None:
    """The ``Authorization: Digest ...`` value answering ``challenge`` (lower-cased keys),
    or None when it asks for something we do not do (an unknown algorithm, auth-int only)."""
    algorithm = challenge.get("algorithm", "MD5")
    session = algorithm.upper().endswith("-SESS")
    hash_new = _DIGEST_HASHES.get(algorithm.upper().removesuffix("-SESS"))
    nonce = challenge.get("nonce")
    if hash_new is None or nonce is None:
        return None

    def digest(text: str) -> str:
        return hash_new(text.encode()).hexdigest()

    realm = challenge.get("realm", "")
    qops = [q.strip().lower() for q in challenge.get("qop", "").split(",") if q.strip()]
    if qops and "auth" not in qops:
        return None
    cnonce, count = secrets.token_hex(8), "00000001"
    secret = digest(f"{username}:{realm}:{password}")
    if session:
        secret = digest(f"{secret}:{nonce}:{cnonce}")
    request_digest = digest(f"{method}:{uri}")
    if qops:
        response = digest(f"{secret}:{nonce}:{count}:{cnonce}:auth:{request_digest}")
    else:
        response = digest(f"{secret}:{nonce}:{request_digest}")

    def quoted(text: str) -> str:
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'

    fields = [
        f"username={quoted(username)}",
        f"realm={quoted(realm)}",
        f"nonce={quoted(nonce)}",
        f"uri={quoted(uri)}",
        f"response={quoted(response)}",
        f"algorithm={algorithm}",
    ]
    if "opaque" in challenge:
        fields.append(f"opaque={quoted(challenge['opaque'])}")
    if qops:
        fields += ["qop=auth", f"nc={count}", f"cnonce={quoted(cnonce)}"]
    return "Digest " + ", ".join(fields)
