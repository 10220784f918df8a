"""devices.http: one deadline on the whole HTTP exchange, over real sockets on 127.0.0.1.

Misbehaving peers (an answer trickled one byte every 0.2 s, headers then a stalled body,
a peer that never answers, the same over TLS) against every HTTP family's read function:
each returns or raises a devices error within ``timeout + 1 s``. Then the framing the
client must support (Content-Length, chunked, connection close, interim 1xx), its caps, and
PrusaLink's Digest answer checked against RFC 2617's own example.
"""

from __future__ import annotations

import datetime as dt
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from devices import http
from devices.errors import BadAnswer, DeviceError, Unreachable
from devices.printer import read_printer, read_printer_ipp
from devices.printer_3d.driver import read_printer_3d
from devices.printer_3d.moonraker import read_moonraker
from devices.printer_3d.octoprint import read_octoprint
from devices.printer_3d.prusalink import read_prusalink
from devices.printer_3d.spoolman import read_spool
from devices.printer_3d.transport import digest_authorization
from devices.scanner import read_scanner

HOST = "127.0.0.1"
TIMEOUT = 0.8
# One body that /api/connection, /api/printer and /api/job of OctoPrint all accept
OCTO_BODY = (
    b'{"current": {"state": "Operational"}, "state": {"text": "Operational"}, '
    b'"temperature": {}, "progress": {"completion": null}}'
)
JSON_ANSWER = (
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
    + str(len(OCTO_BODY)).encode()
    + b"\r\n\r\n"
    + OCTO_BODY
)


class Peer:
    """A TCP server on 127.0.0.1: ``behaviour(conn, stop)`` runs in a thread per connection."""

    def __init__(
        self, behaviour: Callable[[socket.socket, threading.Event], None], tls: ssl.SSLContext | None = None
    ) -> None:
        self.behaviour = behaviour
        self.tls = tls
        self.stop = threading.Event()
        self.listener = socket.create_server((HOST, 0))
        self.port: int = self.listener.getsockname()[1]
        self.connections: list[socket.socket] = []
        self.requests: list[bytes] = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            self.connections.append(conn)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        try:
            if self.tls is not None and self.behaviour is not never_answer:
                conn = self.tls.wrap_socket(conn, server_side=True)
                self.connections.append(conn)
            if self.behaviour is not never_answer:
                self.requests.append(read_request(conn))
            self.behaviour(conn, self.stop)
        except OSError:
            pass

    def close(self) -> None:
        self.stop.set()
        self.listener.close()
        for conn in self.connections:
            try:
                conn.close()
            except OSError:
                pass


def read_request(conn: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return data
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            size = int(line.split(b":", 1)[1])
            while len(rest) < size:
                rest += conn.recv(65536)
    return data


def trickle(conn: socket.socket, stop: threading.Event) -> None:
    """A valid answer, one byte every 0.2 s (about 20 s for the whole of it)."""
    for byte in JSON_ANSWER:
        if stop.wait(0.2):
            return
        conn.sendall(bytes([byte]))


def headers_then_stall(conn: socket.socket, stop: threading.Event) -> None:
    conn.sendall(JSON_ANSWER[: JSON_ANSWER.index(b"\r\n\r\n") + 4] + b'{"sta')
    stop.wait(60)


def never_answer(conn: socket.socket, stop: threading.Event) -> None:
    stop.wait(60)


def reply_with(data: bytes) -> Callable[[socket.socket, threading.Event], None]:
    def behaviour(conn: socket.socket, stop: threading.Event) -> None:
        conn.sendall(data)
        conn.close()

    return behaviour


@pytest.fixture
def peer() -> Iterator[Callable[..., Peer]]:
    started: list[Peer] = []

    def start(behaviour: Callable[[socket.socket, threading.Event], None], tls: ssl.SSLContext | None = None) -> Peer:
        started.append(Peer(behaviour, tls))
        return started[-1]

    yield start
    for item in started:
        item.close()


READERS: dict[str, Callable[[int], Any]] = {
    "ipp": lambda port: read_printer_ipp(HOST, port=port, timeout_s=TIMEOUT),
    "ipp+snmp": lambda port: read_printer(HOST, ipp_port=port, snmp_port=None, timeout_s=TIMEOUT),
    "escl": lambda port: read_scanner(HOST, port=port, timeout_s=TIMEOUT),
    "octoprint": lambda port: read_octoprint(host=HOST, port=port, timeout_s=TIMEOUT),
    "moonraker": lambda port: read_moonraker(host=HOST, port=port, timeout_s=TIMEOUT),
    "prusalink": lambda port: read_prusalink(host=HOST, port=port, password="secret", timeout_s=TIMEOUT),
    "spoolman": lambda port: read_spool(host=HOST, port=port, spool_id=1, timeout_s=TIMEOUT),
}
BEHAVIOURS = {"trickle": trickle, "headers_then_stall": headers_then_stall, "never_answer": never_answer}


def assert_bounded(call: Callable[[], Any], bound_s: float = TIMEOUT + 1.0) -> DeviceError:
    started = time.monotonic()
    with pytest.raises(DeviceError) as info:
        call()
    elapsed = time.monotonic() - started
    assert elapsed < bound_s, f"{elapsed:.2f} s"
    return info.value


@pytest.mark.parametrize("behaviour", BEHAVIOURS)
@pytest.mark.parametrize("family", READERS)
def test_every_http_family_is_bounded_by_its_timeout(peer, family: str, behaviour: str) -> None:
    server = peer(BEHAVIOURS[behaviour])
    error = assert_bounded(lambda: READERS[family](server.port))
    assert isinstance(error, Unreachable), error
    assert "secret" not in str(error)


def test_spoolman_through_the_3d_printer_driver_keeps_the_printer_facts(peer) -> None:
    """A trickling Spoolman costs at most its own timeout; the printer was read."""
    spoolman = peer(trickle)
    octoprint = peer(reply_with(JSON_ANSWER))
    started = time.monotonic()
    facts = read_printer_3d(
        "octoprint", host=HOST, port=octoprint.port, timeout_s=TIMEOUT, spoolman_host=HOST, spoolman_port=spoolman.port
    )
    assert time.monotonic() - started < 2 * TIMEOUT + 1.0
    assert facts.remaining_g is None and facts.errors[-1].startswith("spoolman: ")


def test_one_budget_for_the_several_requests_of_a_reading(peer) -> None:
    """OctoPrint: /api/connection answered at once, then /api/printer trickled: the second
    request only has what is left of the reading's timeout."""
    answers = iter([reply_with(JSON_ANSWER), trickle])
    server = peer(lambda conn, stop: next(answers)(conn, stop))
    started = time.monotonic()
    with pytest.raises(Unreachable):
        read_octoprint(host=HOST, port=server.port, timeout_s=TIMEOUT)
    assert time.monotonic() - started < TIMEOUT + 0.3


@pytest.fixture(scope="module")
def tls_context(tmp_path_factory: pytest.TempPathFactory) -> ssl.SSLContext:
    """A server context with a fresh self-signed certificate for 127.0.0.1."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "plateau test printer")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(HOST))]), critical=False)
        .sign(key, hashes.SHA256())
    )
    folder: Path = tmp_path_factory.mktemp("tls")
    (folder / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "key.pem").write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(folder / "cert.pem", folder / "key.pem")
    return context


def test_tls_handshake_is_inside_the_deadline(peer) -> None:
    server = peer(never_answer)  # accepts TCP, never says ServerHello
    error = assert_bounded(lambda: read_scanner(HOST, port=server.port, timeout_s=TIMEOUT, tls=True))
    assert isinstance(error, Unreachable)


@pytest.mark.parametrize("behaviour", ["trickle", "headers_then_stall"])
def test_tls_answers_are_bounded_too(peer, tls_context, behaviour) -> None:
    server = peer(BEHAVIOURS[behaviour], tls=tls_context)
    assert_bounded(lambda: read_printer_ipp(HOST, port=server.port, timeout_s=TIMEOUT, tls=True))


def test_tls_self_signed_answer_is_read_without_verification(peer, tls_context) -> None:
    server = peer(reply_with(JSON_ANSWER), tls=tls_context)
    reply = http.request("GET", HOST, server.port, "/", timeout_s=2, tls=True)
    assert reply.status == 200 and reply.body == OCTO_BODY
    with pytest.raises(BadAnswer, match="TLS"):  # verified: the certificate is self-signed
        http.request("GET", HOST, server.port, "/", timeout_s=2, tls=True, verify_tls=True)


# --------------------------------------------------------------------------- framing
CHUNKED = (
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: text/xml\r\n\r\n"
    b"5;ext=1\r\nhello\r\n7\r\n, world\r\n0\r\nX-Trailer: 1\r\n\r\n"
)


@pytest.mark.parametrize(
    "answer, body",
    [
        (b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", b"hello"),
        (CHUNKED, b"hello, world"),
        (b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil close", b"until close"),
        (b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", b"ok"),
        (b"HTTP/1.1 204 No Content\r\n\r\n", b""),
    ],
)
def test_framing(peer, answer: bytes, body: bytes) -> None:
    server = peer(reply_with(answer))
    reply = http.request("GET", HOST, server.port, "/x?y=1", timeout_s=2)
    assert reply.body == body
    request = server.requests[0]
    assert request.startswith(b"GET /x?y=1 HTTP/1.1\r\n")
    assert f"\r\nHost: {HOST}:{server.port}\r\n".encode() in request


def test_post_sends_content_length_and_headers(peer) -> None:
    server = peer(reply_with(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"))
    http.request(
        "POST",
        HOST,
        server.port,
        "/ipp/print",
        timeout_s=2,
        body=b"\x02\x00abc",
        headers={"Content-Type": "application/ipp"},
    )
    request = server.requests[0]
    assert b"\r\nContent-Length: 5\r\n" in request and request.endswith(b"\r\n\r\n\x02\x00abc")
    assert b"\r\nContent-Type: application/ipp\r\n" in request


@pytest.mark.parametrize(
    "answer, message",
    [
        (b"SSH-2.0-OpenSSH_9.2\r\n", "not an HTTP answer"),
        (b"\x00\x01\x02\x03\x04\x05\x06\x07", "not an HTTP answer"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 99999999\r\n\r\n", "larger than"),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "chunk size"),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0x5\r\nhello\r\n", "chunk size"),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1_0\r\n", "chunk size"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: \xb2\r\n\r\nab", "Content-Length"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", "closed in the middle"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", "Content-Length"),
    ],
)
def test_bad_answers(peer, answer: bytes, message: str) -> None:
    server = peer(reply_with(answer))
    with pytest.raises(BadAnswer, match=message):
        http.request("GET", HOST, server.port, "/", timeout_s=2)


def test_oversized_body_without_length_is_capped(peer) -> None:
    def flood(conn: socket.socket, stop: threading.Event) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\n\r\n")
        try:
            while not stop.is_set():
                conn.sendall(b"x" * 65536)
        except OSError:
            pass

    server = peer(flood)
    with pytest.raises(BadAnswer, match="larger than"):
        http.request("GET", HOST, server.port, "/", timeout_s=5, max_body=1_000_000)


def test_closed_without_a_word_and_refused_are_unreachable(peer) -> None:
    server = peer(reply_with(b""))
    with pytest.raises(Unreachable, match="closed without an answer"):
        http.request("GET", HOST, server.port, "/", timeout_s=2)
    port = server.port
    server.close()
    with pytest.raises(Unreachable):
        http.request("GET", HOST, port, "/", timeout_s=2)


def test_header_injection_is_refused_before_sending() -> None:
    with pytest.raises(Unreachable, match="invalid request"):
        http.request("GET", HOST, 9, "/a\r\nX: y", timeout_s=1)


def test_digest_matches_rfc_2617_example(monkeypatch) -> None:
    """RFC 2617 section 3.5: the response to its challenge is 6629fae4...7450978507c4ef1."""
    monkeypatch.setattr("devices.printer_3d.transport.secrets.token_hex", lambda n: "0a4f113b")
    challenge = {
        "realm": "testrealm@host.com",
        "qop": "auth,auth-int",
        "nonce": "dcd98b7102dd2f0e8b11d0f600bfb0c093",
        "opaque": "5ccc069c403ebaf9f0171e9517f40e41",
    }
    header = digest_authorization(challenge, "GET", "/dir/index.html", "Mufasa", "Circle Of Life")
    assert header is not None
    assert 'response="6629fae49393a05397450978507c4ef1"' in header
    assert 'cnonce="0a4f113b"' in header and "nc=00000001" in header
    assert digest_authorization({"nonce": "n", "qop": "auth-int"}, "GET", "/", "u", "p") is None
