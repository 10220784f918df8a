"""Lab IPP printer: answers Get-Printer-Attributes in real IPP binary over HTTP on 127.0.0.1.

Modelled on the captured Kyocera ECOSYS M2540dn and Epson XP-6000 replies
(tests/devices/printer/captures/): same groups, tags and attribute names.

Modes (``sim.mode = "toner_low"``, or ``GET /lab/mode?set=toner_low`` on the server;
``state`` is the older name of ``mode``, ``ok`` of ``healthy``):
    healthy       idle, no reasons, toner at ``level_pct`` (80)
    printing      processing
    toner_low     idle, toner-low-warning, toner at 4 %
    paper_empty   stopped, media-empty-error
    toner_empty   idle (printer-state 3), toner-empty-error, marker-levels 0
    toner_empty_stopped  stopped (printer-state 5), toner-empty-error, marker-levels 0
    old_firmware  answers IPP/2.0 requests with server-error-version-not-supported (0x0503)
    dead          accepts the connection and closes it without a word
    slow          waits ``slow_s`` (``delay_s``) before answering, beyond any sane client timeout
    garbage       HTTP 200 application/ipp whose body is not IPP

    python -m devices.lab.printer --port 8631 --mode toner_low
"""

from __future__ import annotations

import argparse
import time

from devices.errors import BadAnswer
from devices.lab.base import HEALTHY, HOST, wait_for_interrupt
from devices.lab.web import LabHttpServer, Reply, Request
from devices.printer import ipp
from devices.printer.ipp import Attribute

MODES = (
    "healthy",
    "printing",
    "toner_low",
    "paper_empty",
    "toner_empty",
    "toner_empty_stopped",
    "old_firmware",
    "dead",
    "slow",
    "garbage",
)
STATES = MODES  # older name


def _text(name: str, value: str, tag: int = ipp.TEXT) -> Attribute:
    return Attribute(name=name, tag=tag, values=(value,))


class IppPrinterSim(LabHttpServer):
    """IPP Everywhere-like printer: ``POST {path}`` with application/ipp.

    ``state`` and ``delay_s`` are the older names of ``mode`` and ``slow_s``.
    """

    modes = MODES
    garbage_type = "application/ipp"

    def __init__(
        self,
        port: int = 0,
        state: str = HEALTHY,
        delay_s: float = 30.0,
        path: str = "/ipp/print",
        *,
        mode: str | None = None,
        slow_s: float | None = None,
        host: str = HOST,
    ) -> None:
        super().__init__(port, mode=mode or state, slow_s=delay_s if slow_s is None else slow_s, host=host)
        self.path = path
        self.level_pct = 80
        self.make_and_model = "Kyocera ECOSYS M2540dn"
        self.location = "Salle 1"

    def respond(self, request: Request) -> Reply:
        if request.method != "POST" or request.path != self.path:
            return Reply.text(404, "not found\n")
        try:
            decoded = ipp.decode_message(request.body)
        except BadAnswer:
            return Reply.text(400, "bad IPP request\n")
        return Reply(200, self.answer_ipp(decoded), "application/ipp")

    def _printer_attributes(self) -> list[Attribute]:
        state, reasons, message, level = 3, ["none"], "Ready.", self.level_pct
        if self.mode == "printing":
            state, message = 4, "Printing."
        elif self.mode == "toner_low":
            reasons, message, level = ["toner-low-warning"], "Toner is low.", 4
        elif self.mode == "paper_empty":
            state, reasons, message = 5, ["media-empty-error"], "Add paper in cassette 1."
        elif self.mode in ("toner_empty", "toner_empty_stopped"):
            reasons, message, level = ["toner-empty-error"], "Toner is empty.", 0
            state = 5 if self.mode == "toner_empty_stopped" else 3
        uri = f"ipp://{self.host}:{self.port}{self.path}"
        return [
            Attribute(name="printer-uri-supported", tag=ipp.URI, values=(uri,)),
            _text("printer-name", "lab-printer", ipp.NAME),
            _text("printer-info", "Lab printer (plateau simulator)"),
            _text("printer-location", self.location),
            _text("printer-make-and-model", self.make_and_model),
            _text("printer-device-id", "MFG:Kyocera;CMD:PCLXL,PostScript,PWG,URF;MDL:ECOSYS M2540dn;CLS:PRINTER;"),
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
        a4 = {
            "media-size": (
                ipp.BEG_COLLECTION,
                ({"x-dimension": (ipp.INTEGER, (21000,)), "y-dimension": (ipp.INTEGER, (29700,))},),
            ),
            "media-source": (ipp.KEYWORD, ("main",)),
        }
        return [
            Attribute(name="charset-configured", tag=ipp.CHARSET, values=("utf-8",)),
            Attribute(name="charset-supported", tag=ipp.CHARSET, values=("utf-8",)),
            Attribute(name="compression-supported", tag=ipp.KEYWORD, values=("none",)),
            Attribute(name="document-format-default", tag=ipp.MIME_MEDIA_TYPE, values=("application/octet-stream",)),
            Attribute(
                name="document-format-supported",
                tag=ipp.MIME_MEDIA_TYPE,
                values=("application/octet-stream", "application/pdf", "image/pwg-raster"),
            ),
            Attribute(name="generated-natural-language-supported", tag=ipp.NATURAL_LANGUAGE, values=("en-us",)),
            Attribute(name="natural-language-configured", tag=ipp.NATURAL_LANGUAGE, values=("en-us",)),
            Attribute(name="ipp-versions-supported", tag=ipp.KEYWORD, values=("1.1", "2.0")),
            Attribute(name="media-col-default", tag=ipp.BEG_COLLECTION, values=(a4,)),
            Attribute(
                name="operations-supported", tag=ipp.ENUM, values=(0x0002, 0x0004, 0x0008, 0x0009, 0x000A, 0x000B)
            ),
            Attribute(name="printer-is-accepting-jobs", tag=ipp.BOOLEAN, values=(self.mode != "paper_empty",)),
            Attribute(name="printer-more-info", tag=ipp.URI, values=(f"http://{self.host}:{self.port}/",)),
            Attribute(name="printer-up-time", tag=ipp.INTEGER, values=(int(time.monotonic()),)),
            Attribute(name="uri-authentication-supported", tag=ipp.KEYWORD, values=("none",)),
            Attribute(name="uri-security-supported", tag=ipp.KEYWORD, values=("none",)),
        ]

    def answer_ipp(self, request: ipp.Message) -> bytes:
        """Response body for one decoded request."""
        operation = [
            Attribute(name="attributes-charset", tag=ipp.CHARSET, values=("utf-8",)),
            Attribute(name="attributes-natural-language", tag=ipp.NATURAL_LANGUAGE, values=("en-us",)),
        ]
        version = request.version
        if self.mode == "old_firmware" and version != (1, 1):
            return ipp.encode_message(
                code=0x0503, request_id=request.request_id, groups=[(ipp.OPERATION_GROUP, operation)], version=(1, 1)
            )
        if request.code != ipp.GET_PRINTER_ATTRIBUTES:
            return ipp.encode_message(
                code=0x0501, request_id=request.request_id, groups=[(ipp.OPERATION_GROUP, operation)], version=version
            )
        wanted = request.group(ipp.OPERATION_GROUP).get("requested-attributes") or ["all"]
        attrs = self._printer_attributes()
        if "all" not in wanted and "printer-description" not in wanted:
            attrs = [a for a in attrs if a.name in wanted]
        return ipp.encode_message(
            code=0x0000,
            request_id=request.request_id,
            version=version,
            groups=[(ipp.OPERATION_GROUP, operation), (ipp.PRINTER_GROUP, attrs)],
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Lab IPP printer on 127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="TCP port (0 = any free one)")
    parser.add_argument("--mode", "--state", dest="mode", choices=(*MODES, "ok"), default=HEALTHY)
    parser.add_argument("--delay", type=float, default=30.0, help="seconds of the slow mode")
    args = parser.parse_args(argv)
    sim = IppPrinterSim(port=args.port, state=args.mode, delay_s=args.delay).start()
    print(
        f"IPP printer on ipp://{HOST}:{sim.port}{sim.path} mode={sim.mode}; "
        f"change with GET http://{HOST}:{sim.port}/lab/mode?set=NAME",
        flush=True,
    )
    wait_for_interrupt(sim)


if __name__ == "__main__":
    main()
