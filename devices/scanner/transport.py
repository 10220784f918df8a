"""The only scanner module touching the wire: eSCL is plain HTTP GET of XML documents.

The HTTP exchange itself (deadline on the whole reply, error mapping) is shared with the
printer family's IPP transport.
"""

from __future__ import annotations

from devices.errors import AuthenticationFailed, BadAnswer
from devices.printer.transport import http_request


def escl_get(host: str, port: int, path: str, *, timeout_s: float, tls: bool = False) -> bytes:
    """``GET path`` (e.g. /eSCL/ScannerStatus) and return the XML body of a 200 reply."""
    reply = http_request("GET", host, port, path, timeout_s=timeout_s, tls=tls,
                         headers={"Accept": "text/xml, application/xml"})
    where = f"{'https' if tls else 'http'}://{host}:{port}{path} (HTTP {reply.status})"
    if reply.status in (401, 403):
        raise AuthenticationFailed(f"{where}: scanner asks for authentication")
    if reply.status != 200:
        raise BadAnswer(f"{where}: expected 200 with XML; check the eSCL base path")
    return reply.body
