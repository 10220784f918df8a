"""The lab's one HTTP simulator base: IPP printer, eSCL scanner, 3D-printer APIs, demo web site.

:class:`LabHttpServer` binds a threading HTTP server on ``host:port`` (0 = ephemeral) in
``start()`` and answers each request with :meth:`LabHttpServer.respond`. Before that, the
modes every HTTP simulator shares apply:

    dead      accepts the connection and hangs up without reading or answering
    slow      waits ``slow_s`` (cut short by ``stop()``) before answering
    garbage   200 with ``garbage`` bytes of type ``garbage_type``, which are not the protocol

``api_key``: when set, a request without the right ``X-Api-Key`` header gets ``auth_status``
(and the ``auth_fail`` mode, where a simulator has it, refuses every credential).
``GET /lab/mode[?set=NAME]`` (or ``/lab/state``) reads or changes the mode, for demos.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

from devices.lab.base import HEALTHY, HOST, LabServer, Simulator

GARBAGE = b"\x7fELF\x00\x00<html><body>Service Unavailable</body></html>\r\n\x00\xff" * 3
CONTROL_PATHS = ("/lab/mode", "/lab/state")


@dataclass(frozen=True)
class Request:
    method: str
    target: str  # path and query, as sent
    path: str
    query: dict[str, list[str]]
    headers: Message
    body: bytes


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes = b""
    content_type: str = "application/octet-stream"
    headers: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, status: int, document: object, headers: Mapping[str, str] | None = None) -> Reply:
        """``document`` as indented JSON (``None``: an empty body; ``bytes``: sent as is)."""
        body = (
            b""
            if document is None
            else document
            if isinstance(document, bytes)
            else json.dumps(document, indent=2).encode()
        )
        return cls(status, body, "application/json", headers or {})

    @classmethod
    def text(cls, status: int, text: str, content_type: str = "text/plain") -> Reply:
        return cls(status, text.encode("utf-8"), content_type)


class RequestLog(list[str]):
    """The request targets served, in order. Equal to an int when that is their count
    (the IPP simulator's ``requests`` used to be a counter)."""

    def __eq__(self, other: object) -> bool:
        if isinstance(other, int):
            return len(self) == other
        return super().__eq__(other)

    __hash__ = None  # a list: unhashable


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "plateau-lab/1.0"
    server: LabServer[LabHttpServer]

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def handle_one_request(self) -> None:
        if self.server.sim.mode == "dead":  # accept, then hang up without a word
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        super().handle_one_request()

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def _dispatch(self) -> None:
        lab = self.server.sim
        split = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if split.path in CONTROL_PATHS:
            self._send(lab.control(parse_qs(split.query).get("set")))
            return
        lab.requests.append(self.path)
        if lab.mode == "slow" and lab.wait_slow():
            return
        request = Request(
            self.command, self.path, split.path, parse_qs(split.query, keep_blank_values=True), self.headers, body
        )
        if not lab.authorized(request):
            self._send(Reply.json(lab.auth_status, {"error": "Unauthorized"}, lab.challenge()))
        elif lab.mode == "garbage":
            self._send(Reply(200, lab.garbage, lab.garbage_type))
        else:
            self._send(lab.respond(request))

    def _send(self, reply: Reply) -> None:
        try:
            self.send_response(reply.status)
            self.send_header("Content-Type", reply.content_type)
            self.send_header("Content-Length", str(len(reply.body)))
            for key, value in reply.headers.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(reply.body)
        except OSError:  # the client gave up (timeout): nothing to do
            self.close_connection = True


class LabHttpServer(Simulator):
    """Threading HTTP simulator; subclasses implement :meth:`respond` (or :meth:`answer`)."""

    api_name = "http"
    auth_status = 403
    garbage = GARBAGE
    garbage_type = "application/octet-stream"

    def __init__(
        self, port: int = 0, *, mode: str = HEALTHY, slow_s: float = 30.0, api_key: str | None = None, host: str = HOST
    ) -> None:
        super().__init__(host=host, mode=mode, slow_s=slow_s)
        self.requested_port = port
        self.api_key = api_key
        self.requests = RequestLog()  # request targets served (not the /lab/ control page)

    def _open(self) -> None:
        self.bind(_Handler, self.requested_port)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def state(self) -> str:
        """The older name of :attr:`mode` (printer and scanner)."""
        return self.mode

    @state.setter
    def state(self, value: str) -> None:
        self.mode = value

    # ------------------------------------------------------------------ answers
    def authorized(self, request: Request) -> bool:
        if self.mode == "auth_fail":
            return False
        return self.api_key is None or request.headers.get("X-Api-Key") == self.api_key

    def challenge(self) -> dict[str, str]:
        """Headers of a refusal (e.g. ``WWW-Authenticate``)."""
        return {}

    def respond(self, request: Request) -> Reply:
        """The answer of a healthy device; by default :meth:`answer`'s document as JSON."""
        status, document = self.answer(request.path, request.query)
        return Reply.json(status, document)

    def answer(self, path: str, query: dict[str, list[str]]) -> tuple[int, object]:
        """(status, JSON-able document | bytes | None) for a JSON API's ``GET path``."""
        return 404, {"error": "Not found"}

    def control(self, wanted: list[str] | None) -> Reply:
        """``/lab/mode?set=NAME``: change the mode (400 if unknown); answers the current one."""
        status = 200
        if wanted:
            try:
                self.mode = wanted[0]
            except ValueError:
                status = 400
        return Reply.text(status, f"{self.mode}\n")
