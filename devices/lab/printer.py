"""Lab IPP printer: answers Get-Printer-Attributes in real IPP binary over HTTP on 127.0.0.1.

Modelled on the captured Kyocera ECOSYS M2540dn and Epson XP-6000 replies
(tests/devices/printer/captures/): same groups, tags and attribute names.

States (``sim.state = "toner_low"``, or ``GET /lab/state?set=toner_low`` on the server):
    ok            idle, no reasons, toner at ``level_pct`` (80)
    printing      processing
    toner_low     idle, toner-low-warning, toner at 4 %
    paper_empty   stopped, media-empty-error
    old_firmware  answers IPP/2.0 requests with server-error-version-not-supported (0x0503)
    dead          accepts the connection and closes it without a word
    slow          waits ``delay_s`` (longer than any sane client timeout) before answering
    garbage       HTTP 200 application/ipp whose body is not IPP

    python -m devices.lab.printer --port 8631 --state toner_low
"""

from __future__ import annotations

import argparse
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from devices.lab import wait_for_interrupt
from devices.printer import ipp
from devices.printer.ipp import Attribute

HOST = "127.0.0.1"
STATES = ("ok", "printing", "toner_low", "paper_empty", "old_firmware", "dead", "slow",
          "garbage")
GARBAGE = b"\x7fELF\x00\x00<html><body>Service Unavailable</body></html>\r\n\x00\xff" * 3


class LabHttpServer:
    """A ThreadingHTTPServer on 127.0.0.1:port (0 = ephemeral) run in a daemon thread.

    Subclasses give ``handler`` (a BaseHTTPRequestHandler whose ``server.lab`` is self).
    Shared by the printer and scanner simulators for the dead / slow / garbage states.
    """

    handler: type[BaseHTTPRequestHandler]
    states: tuple[str, ...] = ()
    host: str = HOST  # any loopback address; the demo gives each device its own 127.0.1.x

    def __init__(self, port: int = 0, state: str = "ok", delay_s: float = 30.0) -> None:
        self._requested_port = port
        self.state = state
        self.delay_s = delay_s
        self.requests = 0
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def state(self) -> str:
        return self._state

    @state.setter
    def state(self, value: str) -> None:
        if value not in self.states:
            raise ValueError(f"unknown state {value!r}; one of {', '.join(self.states)}")
        self._state = value

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("simulator not started")
        return self._server.server_address[1]

    def start(self) -> LabHttpServer:
        self._stopping.clear()
        self._server = ThreadingHTTPServer((self.host, self._requested_port), self.handler)
        self._server.daemon_threads = True
        self._server.lab = self  # type: ignore[attr-defined]
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True,
                                        name=f"{type(self).__name__}:{self.port}")
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # wakes "slow" handlers
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> Any:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def wait_slow(self) -> bool:
        """Sleep ``delay_s`` (or until stop); True if the simulator is stopping."""
        return self._stopping.wait(self.delay_s)


class LabHandler(BaseHTTPRequestHandler):
    """Common behaviour: dead / slow / garbage, the /lab/state control page, quiet logs."""

    protocol_version = "HTTP/1.1"
    server_version = "plateau-lab/1.0"

    @property
    def lab(self) -> Any:
        return self.server.lab  # type: ignore[attr-defined]

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass

    def handle_one_request(self) -> None:
        if self.lab.state == "dead":  # accept, then hang up without answering
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        super().handle_one_request()

    def lab_control(self) -> bool:
        """``GET /lab/state[?set=NAME]``: read or change the state (for demos)."""
        url = urlsplit(self.path)
        if url.path != "/lab/state":
            return False
        wanted = parse_qs(url.query).get("set")
        status = 200
        if wanted:
            try:
                self.lab.state = wanted[0]
            except ValueError:
                status = 400
        self.reply(status, "text/plain", f"{self.lab.state}\n".encode())
        return True

    def before_answer(self) -> bool:
        """Apply slow / garbage; True if the answer was already given (or must not be)."""
        self.lab.requests += 1
        if self.lab.state == "slow" and self.lab.wait_slow():
            return True
        if self.lab.state == "garbage":
            self.reply(200, self.garbage_type, GARBAGE)
            return True
        return False

    garbage_type = "application/octet-stream"

    def reply(self, status: int, content_type: str, body: bytes) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except OSError:  # the client gave up (timeout): nothing to do
            self.close_connection = True


def _text(name: str, value: str, tag: int = ipp.TEXT) -> Attribute:
    return Attribute(name=name, tag=tag, values=(value,))


class _IppHandler(LabHandler):
    garbage_type = "application/ipp"

    def do_GET(self) -> None:  # noqa: N802 - http.server naming
        if not self.lab_control():
            self.reply(404, "text/plain", b"not found\n")

    def do_POST(self) -> None:  # noqa: N802
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if self.before_answer():
            return
        if urlsplit(self.path).path != self.lab.path:
            self.reply(404, "text/plain", b"not found\n")
            return
        try:
            request = ipp.decode_message(body)
        except Exception:
            self.reply(400, "text/plain", b"bad IPP request\n")
            return
        self.reply(200, "application/ipp", self.lab.answer(request))


class IppPrinterSim(LabHttpServer):
    """IPP Everywhere-like printer: ``POST {path}`` with application/ipp."""

    handler = _IppHandler
    states = STATES

    def __init__(self, port: int = 0, state: str = "ok", delay_s: float = 30.0,
                 path: str = "/ipp/print") -> None:
        super().__init__(port, state, delay_s)
        self.path = path
        self.level_pct = 80
        self.make_and_model = "Kyocera ECOSYS M2540dn"
        self.location = "Salle 1"

    def _printer_attributes(self) -> list[Attribute]:
        state, reasons, message, level = 3, ["none"], "Ready.", self.level_pct
        if self.state == "printing":
            state, message = 4, "Printing."
        elif self.state == "toner_low":
            reasons, message, level = ["toner-low-warning"], "Toner is low.", 4
        elif self.state == "paper_empty":
            state, reasons, message = 5, ["media-empty-error"], "Add paper in cassette 1."
        uri = f"ipp://{self.host}:{self.port}{self.path}"
        return [
            Attribute(name="printer-uri-supported", tag=ipp.URI, values=(uri,)),
            _text("printer-name", "lab-printer", ipp.NAME),
            _text("printer-info", "Lab printer (plateau simulator)"),
            _text("printer-location", self.location),
            _text("printer-make-and-model", self.make_and_model),
            _text("printer-device-id", "MFG:Kyocera;CMD:PCLXL,PostScript,PWG,URF;"
                  "MDL:ECOSYS M2540dn;CLS:PRINTER;"),
            _text("printer-firmware-string-version", "2S0_2F00.002.004"),
            Attribute(name="printer-state", tag=ipp.ENUM, values=(state,)),
            Attribute(name="printer-state-reasons", tag=ipp.KEYWORD, values=tuple(reasons)),
            _text("printer-state-message", message),
            Attribute(name="marker-names", tag=ipp.NAME, values=("TK-1160 Black Toner",)),
            Attribute(name="marker-colors", tag=ipp.NAME, values=("#000000",)),
            Attribute(name="marker-types", tag=ipp.KEYWORD, values=("toner-cartridge",)),
            Attribute(name="marker-levels", tag=ipp.INTEGER, values=(level,)),
            Attribute(name="marker-low-levels", tag=ipp.INTEGER, values=(10,)),
            Attribute(name="marker-high-levels", tag=ipp.INTEGER, values=(100,)),
            *self._required_attributes(),
        ]

    def _required_attributes(self) -> list[Attribute]:
        """What RFC 8011 §5.4 requires of every printer (ipptool checks them)."""
        a4 = {"media-size": (ipp.BEG_COLLECTION, ({"x-dimension": (ipp.INTEGER, (21000,)),
                                                   "y-dimension": (ipp.INTEGER, (29700,))},)),
              "media-source": (ipp.KEYWORD, ("main",))}
        return [
            Attribute(name="charset-configured", tag=ipp.CHARSET, values=("utf-8",)),
            Attribute(name="charset-supported", tag=ipp.CHARSET, values=("utf-8",)),
            Attribute(name="compression-supported", tag=ipp.KEYWORD, values=("none",)),
            Attribute(name="document-format-default", tag=ipp.MIME_MEDIA_TYPE,
                      values=("application/octet-stream",)),
            Attribute(name="document-format-supported", tag=ipp.MIME_MEDIA_TYPE,
                      values=("application/octet-stream", "application/pdf", "image/pwg-raster")),
            Attribute(name="generated-natural-language-supported", tag=ipp.NATURAL_LANGUAGE,
                      values=("en-us",)),
            Attribute(name="natural-language-configured", tag=ipp.NATURAL_LANGUAGE,
                      values=("en-us",)),
            Attribute(name="ipp-versions-supported", tag=ipp.KEYWORD, values=("1.1", "2.0")),
            Attribute(name="media-col-default", tag=ipp.BEG_COLLECTION, values=(a4,)),
            Attribute(name="operations-supported", tag=ipp.ENUM,
                      values=(0x0002, 0x0004, 0x0008, 0x0009, 0x000A, 0x000B)),
            Attribute(name="printer-is-accepting-jobs", tag=ipp.BOOLEAN,
                      values=(self.state != "paper_empty",)),
            Attribute(name="printer-more-info", tag=ipp.URI,
                      values=(f"http://{self.host}:{self.port}/",)),
            Attribute(name="printer-up-time", tag=ipp.INTEGER, values=(int(time.monotonic()),)),
            Attribute(name="uri-authentication-supported", tag=ipp.KEYWORD, values=("none",)),
            Attribute(name="uri-security-supported", tag=ipp.KEYWORD, values=("none",)),
        ]

    def answer(self, request: ipp.Message) -> bytes:
        """Response body for one decoded request."""
        operation = [
            Attribute(name="attributes-charset", tag=ipp.CHARSET, values=("utf-8",)),
            Attribute(name="attributes-natural-language", tag=ipp.NATURAL_LANGUAGE,
                      values=("en-us",)),
        ]
        version = request.version
        if self.state == "old_firmware" and version != (1, 1):
            return ipp.encode_message(code=0x0503, request_id=request.request_id,
                                      groups=[(ipp.OPERATION_GROUP, operation)], version=(1, 1))
        if request.code != ipp.GET_PRINTER_ATTRIBUTES:
            return ipp.encode_message(code=0x0501, request_id=request.request_id,
                                      groups=[(ipp.OPERATION_GROUP, operation)], version=version)
        wanted = request.group(ipp.OPERATION_GROUP).get("requested-attributes") or ["all"]
        attrs = self._printer_attributes()
        if "all" not in wanted and "printer-description" not in wanted:
            attrs = [a for a in attrs if a.name in wanted]
        return ipp.encode_message(code=0x0000, request_id=request.request_id, version=version,
                                  groups=[(ipp.OPERATION_GROUP, operation),
                                          (ipp.PRINTER_GROUP, attrs)])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Lab IPP printer on 127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="TCP port (0 = any free one)")
    parser.add_argument("--state", choices=STATES, default="ok")
    parser.add_argument("--delay", type=float, default=30.0, help="seconds of the slow state")
    args = parser.parse_args(argv)
    sim = IppPrinterSim(port=args.port, state=args.state, delay_s=args.delay).start()
    print(f"IPP printer on ipp://{HOST}:{sim.port}{sim.path} state={sim.state}; "
          f"change with GET http://{HOST}:{sim.port}/lab/state?set=NAME", flush=True)
    wait_for_interrupt(sim)


if __name__ == "__main__":
    main()
