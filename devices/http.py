"""The one HTTP/1.1 client of every HTTP family (IPP, eSCL, OctoPrint, Moonraker, PrusaLink,
Spoolman), bounded by a deadline on the *whole* exchange.

A timeout per socket operation (``http.client``, ``urllib``) lets a device that drips one
byte per second hold a probe - and the process exit - for minutes. Here one monotonic
deadline covers name lookup aside (see below), connect, TLS handshake, request, status line,
headers and body: before every ``connect`` / ``send`` / ``recv`` the socket timeout is set
to the time left, and a step starting past the deadline fails at once.

    reply = request("GET", "192.0.2.7", 80, "/eSCL/ScannerStatus", timeout_s=5.0)
    reply.status, reply.header("content-type"), reply.body

Several requests of one reading share a budget with ``deadline=`` (``time.monotonic()``
based): each request ends at the earlier of its ``timeout_s`` and that deadline.

Supported: http and https (certificate verified only when asked: printers ship
self-signed ones), ``Host`` header, bodies framed by ``Content-Length``, chunked
transfer-encoding or connection close, interim 1xx answers skipped. One request per
connection (``Connection: close``), no proxy, no compression. Body size is capped.

Errors (:mod:`devices.errors`): refused / reset / timed out / no route / closed before any
answer -> :class:`Unreachable`; not HTTP, malformed framing, truncated or oversized body,
TLS failure -> :class:`BadAnswer`. Every HTTP status is returned: callers judge them.
Name resolution (``getaddrinfo``) cannot be bounded without a thread; inventories give IP
addresses, and a numeric host never waits on a resolver.
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
import time
from dataclasses import dataclass

from devices.errors import BadAnswer, Unreachable

MAX_BODY_BYTES = 4 * 1024 * 1024
MAX_HEADER_BYTES = 64 * 1024
MAX_HEADER_LINES = 128
_RECV_BYTES = 65536
_NO_BODY_STATUSES = frozenset({204, 304})
_HEX_DIGITS = b"0123456789abcdefABCDEF"


@dataclass(frozen=True, slots=True)
class Reply:
    """One HTTP answer: status, headers (names lower-cased, in order) and the whole body."""

    status: int
    reason: str
    headers: tuple[tuple[str, str], ...]
    body: bytes

    def header(self, name: str) -> str | None:
        """The first value of header ``name`` (case-insensitive), or None."""
        wanted = name.lower()
        return next((value for key, value in self.headers if key == wanted), None)

    def header_values(self, name: str) -> list[str]:
        wanted = name.lower()
        return [value for key, value in self.headers if key == wanted]

    @property
    def content_type(self) -> str:
        return (self.header("content-type") or "").lower()


class _Expired(Exception):
    """The deadline passed before a step could start."""


class _Closed(Exception):
    """The peer closed the connection (``seen`` bytes of the answer had arrived)."""

    def __init__(self, seen: int) -> None:
        super().__init__(seen)
        self.seen = seen


def _tls_context(verify: bool) -> ssl.SSLContext:
    context = ssl.create_default_context()
    if not verify:
        # Printers and scanners ship self-signed certificates; they get no credentials.
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


class _Exchange:
    """A socket plus a deadline: every operation is given only the time left."""

    def __init__(self, deadline: float, max_body: int) -> None:
        self.deadline = deadline
        self.max_body = max_body
        self.sock: socket.socket | None = None
        self.buffer = bytearray()
        self.received = 0

    def arm(self, sock: socket.socket) -> None:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise _Expired
        sock.settimeout(left)

    # -------------------------------------------------------------- connect and send
    def connect(self, host: str, port: int, tls: bool, verify_tls: bool) -> None:
        last: OSError | None = None
        for family, kind, proto, _, address in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM):
            sock = socket.socket(family, kind, proto)
            try:
                self.arm(sock)
                sock.connect(address)
            except (OSError, _Expired) as exc:
                sock.close()
                if isinstance(exc, _Expired | TimeoutError):
                    raise
                last = exc
                continue
            self.sock = sock
            break
        if self.sock is None:
            raise last or OSError(f"no address for {host}")
        if tls:
            wrapped = _tls_context(verify_tls).wrap_socket(
                self.sock, server_hostname=host, do_handshake_on_connect=False
            )
            self.sock = wrapped
            self.arm(wrapped)
            wrapped.do_handshake()  # CPython bounds the whole handshake by the timeout

    def send(self, data: bytes) -> None:
        assert self.sock is not None
        view = memoryview(data)
        while view:
            self.arm(self.sock)
            sent = self.sock.send(view)
            view = view[sent:]

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()

    # -------------------------------------------------------------- receive
    def _fill(self) -> None:
        assert self.sock is not None
        self.arm(self.sock)
        data = self.sock.recv(_RECV_BYTES)
        if not data:
            raise _Closed(self.received)
        self.received += len(data)
        self.buffer += data

    def readline(self, limit: int) -> bytes:
        """One line without its CRLF (or bare LF)."""
        while True:
            end = self.buffer.find(b"\n")
            if end >= 0:
                line = bytes(self.buffer[:end])
                del self.buffer[: end + 1]
                return line[:-1] if line.endswith(b"\r") else line
            if len(self.buffer) > limit:
                raise BadAnswer("line too long or missing line end")
            self._fill()

    def read_exact(self, size: int) -> bytes:
        while len(self.buffer) < size:
            self._fill()
        data = bytes(self.buffer[:size])
        del self.buffer[:size]
        return data

    def read_to_close(self) -> bytes:
        try:
            while len(self.buffer) <= self.max_body:
                self._fill()
        except _Closed:
            pass
        if len(self.buffer) > self.max_body:
            raise BadAnswer(f"body larger than {self.max_body} bytes")
        data = bytes(self.buffer)
        self.buffer.clear()
        return data

    # -------------------------------------------------------------- HTTP/1.1 answer
    def read_head(self) -> tuple[int, str, list[tuple[str, str]]]:
        """Status line and headers, skipping interim 1xx answers."""
        while True:
            # fail at once on a peer speaking something else (no wait for a line end)
            while True:
                del self.buffer[: len(self.buffer) - len(self.buffer.lstrip(b"\r\n"))]
                if len(self.buffer) >= 5 or b"\n" in self.buffer:
                    break
                self._fill()
            if not self.buffer.startswith(b"HTTP/"):
                raise BadAnswer("not an HTTP answer")
            line = self.readline(MAX_HEADER_BYTES)
            parts = line.split(None, 2)
            if len(parts) < 2 or not parts[0].startswith(b"HTTP/1.") or not (len(parts[1]) == 3 and parts[1].isdigit()):
                raise BadAnswer("not an HTTP answer")
            status = int(parts[1])
            reason = parts[2].decode("latin-1").strip() if len(parts) > 2 else ""
            headers = self._read_headers()
            if status == 101 or not 100 <= status < 200:
                return status, reason, headers

    def _read_headers(self) -> list[tuple[str, str]]:
        headers: list[tuple[str, str]] = []
        size = 0
        while True:
            line = self.readline(MAX_HEADER_BYTES)
            size += len(line)
            if not line:
                return headers
            if size > MAX_HEADER_BYTES or len(headers) >= MAX_HEADER_LINES:
                raise BadAnswer("too many or too long headers")
            if line[:1] in (b" ", b"\t") and headers:  # obsolete line folding
                previous, text = headers[-1]
                headers[-1] = (previous, f"{text} {line.strip().decode('latin-1')}")
                continue
            name, colon, value = line.partition(b":")
            if not colon or not name.strip():  # lenient on spaces: embedded servers are sloppy
                raise BadAnswer("malformed header line")
            headers.append((name.strip().decode("latin-1").lower(), value.strip().decode("latin-1")))

    def read_body(self, method: str, status: int, headers: list[tuple[str, str]]) -> bytes:
        if method == "HEAD" or status in _NO_BODY_STATUSES or 100 <= status < 200:
            return b""
        codings = [
            c.strip().lower()
            for key, value in headers
            if key == "transfer-encoding"
            for c in value.split(",")
            if c.strip()
        ]
        if codings:
            if codings[-1] != "chunked":
                return self.read_to_close()  # RFC 9112 6.3: framed by the connection close
            return self._read_chunked()
        lengths = {value.strip() for key, value in headers if key == "content-length"}
        if not lengths:
            return self.read_to_close()
        if len(lengths) != 1 or not _is_decimal(next(iter(lengths))):
            raise BadAnswer("invalid Content-Length")
        size = int(next(iter(lengths)))
        if size > self.max_body:
            raise BadAnswer(f"body larger than {self.max_body} bytes ({size} announced)")
        return self.read_exact(size)

    def _read_chunked(self) -> bytes:
        body = bytearray()
        while True:
            size_text = self.readline(1024).split(b";", 1)[0].strip()
            if not size_text or len(size_text) > 15 or size_text.strip(_HEX_DIGITS):
                raise BadAnswer("invalid chunk size")
            size = int(size_text, 16)
            if size == 0:
                self._read_headers()  # trailer fields, ignored
                return bytes(body)
            if len(body) + size > self.max_body:
                raise BadAnswer(f"body larger than {self.max_body} bytes")
            body += self.read_exact(size)
            if self.readline(2) != b"":
                raise BadAnswer("chunk not followed by CRLF")


def _is_decimal(text: str) -> bool:
    return 0 < len(text) <= 18 and all(c in "0123456789" for c in text)


def _host_header(host: str, port: int, tls: bool) -> str:
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    name = f"[{host}]" if literal is not None and literal.version == 6 else host
    return name if port == (443 if tls else 80) else f"{name}:{port}"


def _request_bytes(
    method: str, host: str, port: int, path: str, body: bytes | None, headers: dict[str, str] | None, tls: bool
) -> bytes:
    fields = {
        "Host": _host_header(host, port, tls),
        "User-Agent": "plateau",
        "Accept-Encoding": "identity",
        "Connection": "close",
    }
    for name, value in (headers or {}).items():
        fields = {k: v for k, v in fields.items() if k.lower() != name.lower()}
        fields[name] = value
    if body is not None or method in ("POST", "PUT", "PATCH"):
        fields["Content-Length"] = str(len(body or b""))
    if any(c in part for part in (method, path, *fields, *fields.values()) for c in "\r\n\0"):
        raise ValueError("CR, LF or NUL in the request line or a header")
    if not path.startswith("/") or " " in path or not method.isalpha():
        raise ValueError("invalid method or request target")
    lines = [f"{method} {path} HTTP/1.1", *(f"{k}: {v}" for k, v in fields.items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + (body or b"")


def request(
    method: str,
    host: str,
    port: int,
    path: str,
    *,
    timeout_s: float,
    deadline: float | None = None,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    tls: bool = False,
    verify_tls: bool = False,
    max_body: int = MAX_BODY_BYTES,
) -> Reply:
    """Send one request and read the whole answer before ``timeout_s`` (and ``deadline``)."""
    host = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    netloc = f"[{host}]" if ":" in host else host
    where = f"{method} {'https' if tls else 'http'}://{netloc}:{port}{path}"
    end = time.monotonic() + timeout_s
    if deadline is not None:
        end = min(end, deadline)
    try:
        data = _request_bytes(method.upper(), host, port, path, body, headers, tls)
    except (ValueError, UnicodeEncodeError) as exc:
        raise Unreachable(f"{where}: invalid request ({exc})") from exc
    exchange = _Exchange(end, max_body)
    try:
        exchange.connect(host, port, tls, verify_tls)
        exchange.send(data)
        status, reason, fields = exchange.read_head()
        content = exchange.read_body(method.upper(), status, fields)
        return Reply(status=status, reason=reason, headers=tuple(fields), body=content)
    except BadAnswer as exc:
        raise BadAnswer(f"{where}: {exc}") from exc
    except (_Expired, TimeoutError) as exc:
        raise Unreachable(f"{where}: no complete answer within {timeout_s:g} s") from exc
    except _Closed as exc:
        if exc.seen == 0:
            raise Unreachable(f"{where}: connection closed without an answer") from exc
        raise BadAnswer(f"{where}: connection closed in the middle of the answer") from exc
    except ssl.SSLError as exc:
        raise BadAnswer(f"{where}: TLS failed ({exc.reason or type(exc).__name__})") from exc
    except ConnectionError as exc:
        raise Unreachable(f"{where}: connection refused or reset ({type(exc).__name__})") from exc
    except OSError as exc:  # no route, name not resolved, host down
        raise Unreachable(f"{where}: {exc.strerror or type(exc).__name__}") from exc
    except (ValueError, UnicodeError) as exc:  # a host name getaddrinfo / IDNA refuses
        raise Unreachable(f"{where}: invalid address ({type(exc).__name__})") from exc
    finally:
        exchange.close()
