"""Lab eSCL scanner on 127.0.0.1: ``GET /eSCL/ScannerCapabilities`` and ``/eSCL/ScannerStatus``.

The XML is modelled on the captured HP Color Laser MFP 179fnw capabilities (platen + ADF)
and HP Color LaserJet MFP M283fdw status (tests/devices/scanner/captures/).

Modes (``sim.mode = "jam"``, or ``GET /lab/mode?set=jam``; ``state`` is the older name of
``mode``, ``idle`` and ``ok`` of ``healthy``):
    healthy     Idle, ADF empty
    adf_loaded  Idle, paper in the ADF
    processing  Processing, one job scanning
    jam         Stopped, ScannerAdfJam
    stopped     Stopped, ADF empty (no jam: the scanner itself is stopped)
    dead        accepts the connection and closes it without a word
    slow        waits ``slow_s`` (``delay_s``) before answering
    garbage     HTTP 200 text/xml whose body is not XML

    python -m devices.lab.scanner --port 8080 --mode jam
"""

from __future__ import annotations

import argparse

from devices.lab.base import ALIASES, HEALTHY, HOST, wait_for_interrupt
from devices.lab.web import LabHttpServer, Reply, Request

MODES = ("healthy", "adf_loaded", "processing", "jam", "stopped", "dead", "slow", "garbage")
STATES = MODES  # older name

_NS = 'xmlns:pwg="http://www.pwg.org/schemas/2010/12/sm" xmlns:scan="http://schemas.hp.com/imaging/escl/2011/05/03"'

_PROFILE = """<scan:SettingProfiles><scan:SettingProfile><scan:ColorModes>
<scan:ColorMode>BlackAndWhite1</scan:ColorMode><scan:ColorMode>Grayscale8</scan:ColorMode>
<scan:ColorMode>RGB24</scan:ColorMode></scan:ColorModes><scan:DocumentFormats>
<pwg:DocumentFormat>application/pdf</pwg:DocumentFormat>
<pwg:DocumentFormat>image/jpeg</pwg:DocumentFormat></scan:DocumentFormats>
<scan:SupportedResolutions><scan:DiscreteResolutions><scan:DiscreteResolution>
<scan:XResolution>300</scan:XResolution><scan:YResolution>300</scan:YResolution>
</scan:DiscreteResolution></scan:DiscreteResolutions></scan:SupportedResolutions>
</scan:SettingProfile></scan:SettingProfiles>"""

CAPABILITIES = f"""<?xml version="1.0" encoding="UTF-8"?>
<scan:ScannerCapabilities {_NS}>
    <pwg:Version>2.63</pwg:Version>
    <pwg:MakeAndModel>HP Color Laser MFP 179fnw</pwg:MakeAndModel>
    <pwg:SerialNumber>LAB0000179</pwg:SerialNumber>
    <scan:UUID>00000000-0000-1000-8000-00000000a179</scan:UUID>
    <scan:AdminURI>http://{HOST}/</scan:AdminURI>
    <scan:Platen><scan:PlatenInputCaps>
        <scan:MinWidth>295</scan:MinWidth><scan:MinHeight>295</scan:MinHeight>
        <scan:MaxWidth>2550</scan:MaxWidth><scan:MaxHeight>3507</scan:MaxHeight>
        {_PROFILE}
    </scan:PlatenInputCaps></scan:Platen>
    <scan:Adf>
        <scan:AdfSimplexInputCaps>
            <scan:MinWidth>295</scan:MinWidth><scan:MinHeight>295</scan:MinHeight>
            <scan:MaxWidth>2550</scan:MaxWidth><scan:MaxHeight>4200</scan:MaxHeight>
            {_PROFILE}
        </scan:AdfSimplexInputCaps>
        <scan:FeederCapacity>40</scan:FeederCapacity>
        <scan:AdfOptions><scan:AdfOption>DetectPaperLoaded</scan:AdfOption></scan:AdfOptions>
    </scan:Adf>
</scan:ScannerCapabilities>
"""

_JOB = """    <scan:Jobs><scan:JobInfo>
        <pwg:JobUri>/eSCL/ScanJobs/5aae756a-ef1f-4e97-a993-4f8d1d43d10c</pwg:JobUri>
        <pwg:JobUuid>5aae756a-ef1f-4e97-a993-4f8d1d43d10c</pwg:JobUuid>
        <scan:Age>3</scan:Age>
        <pwg:ImagesCompleted>0</pwg:ImagesCompleted>
        <pwg:ImagesToTransfer>1</pwg:ImagesToTransfer>
        <pwg:JobState>Processing</pwg:JobState>
        <pwg:JobStateReasons><pwg:JobStateReason>JobScanning</pwg:JobStateReason></pwg:JobStateReasons>
    </scan:JobInfo></scan:Jobs>
"""


def status_xml(state: str) -> str:
    """ScannerStatus document for a simulator mode."""
    pwg_state, adf, jobs = {
        "healthy": ("Idle", "ScannerAdfEmpty", ""),
        "adf_loaded": ("Idle", "ScannerAdfLoaded", ""),
        "processing": ("Processing", "ScannerAdfProcessing", _JOB),
        "jam": ("Stopped", "ScannerAdfJam", ""),
        "stopped": ("Stopped", "ScannerAdfEmpty", ""),
    }.get(state, ("Idle", "ScannerAdfEmpty", ""))
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<scan:ScannerStatus {_NS}>
    <pwg:Version>2.63</pwg:Version>
    <pwg:State>{pwg_state}</pwg:State>
    <scan:AdfState>{adf}</scan:AdfState>
{jobs}</scan:ScannerStatus>
"""


class EsclScannerSim(LabHttpServer):
    """eSCL scanner (platen + ADF) with a settable ``mode``."""

    modes = MODES
    aliases = {**ALIASES, "idle": HEALTHY}
    garbage_type = "text/xml"

    def __init__(
        self,
        port: int = 0,
        state: str = HEALTHY,
        delay_s: float = 30.0,
        *,
        mode: str | None = None,
        slow_s: float | None = None,
        host: str = HOST,
    ) -> None:
        super().__init__(port, mode=mode or state, slow_s=delay_s if slow_s is None else slow_s, host=host)

    def respond(self, request: Request) -> Reply:
        path = request.path.rstrip("/")
        if path == "/eSCL/ScannerCapabilities":
            return Reply.text(200, CAPABILITIES, "text/xml")
        if path == "/eSCL/ScannerStatus":
            return Reply.text(200, status_xml(self.mode), "text/xml")
        return Reply.text(404, "not found\n")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Lab eSCL scanner on 127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="TCP port (0 = any free one)")
    parser.add_argument("--mode", "--state", dest="mode", choices=(*MODES, "idle", "ok"), default=HEALTHY)
    parser.add_argument("--delay", type=float, default=30.0, help="seconds of the slow mode")
    args = parser.parse_args(argv)
    sim = EsclScannerSim(port=args.port, mode=args.mode, delay_s=args.delay).start()
    print(
        f"eSCL scanner on http://{HOST}:{sim.port}/eSCL mode={sim.mode}; "
        f"change with GET http://{HOST}:{sim.port}/lab/mode?set=NAME",
        flush=True,
    )
    wait_for_interrupt(sim)


if __name__ == "__main__":
    main()
