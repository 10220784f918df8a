"""The only scanner module touching the wire: eSCL is plain HTTP GET of XML documents.

The HTTP exchange itself (deadline on the whole exchange, error mapping) is
:func:`devices.http.request`, shared with every HTTP family.
"""

from __future__ import annotations

from devices import http
from devices.errors import AuthenticationFailed, BadAnswer


def escl_get(
    host: str, port: int, path: str, *, timeout_s: float, tls: bool = False, deadline: float | None = None
) -> bytes:
    """``GET path`` (e.g. /eSCL/ScannerStatus) and return the XML body of a 200 reply.

    The whole exchange ends within ``timeout_s`` and before ``deadline`` (monotonic).
    Certificates are not verified: scanners ship self-signed ones and get no credentials.
    """
    reply = http.request(
        "GET",
        host,
        port,
        path,
        timeout_s=timeout_s,
        deadline=deadline,
        tls=tls,
        verify_tls=False,
        headers={"Accept": "text/xml, application/xml"},
    )
    where = f"{'https' if tls else 'http'}://{host}:{port}{path} (HTTP {reply.status})"
    if reply.status in (401, 403):
        raise AuthenticationFailed(f"{where}: scanner asks for authentication")
    if reply.status != 200:
        raise BadAnswer(f"{where}: expected 200 with XML; check the eSCL base path")
    return reply.body
