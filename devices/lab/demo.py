"""The simulated plateau of ``inventories/demo``: every simulator at its inventory address.

Each simulated device listens on its own loopback address (127.0.1.x, which Linux routes to
this machine without any set-up), so the inventory looks like a real room and nothing
leaves the machine. Some devices are deliberately not ready, so the demo shows red with
its fix: a flat tablet, low toner, no filament, an absent Windows PC.

    python -m devices.lab.demo          # start everything, print addresses, wait for Ctrl-C
"""

from __future__ import annotations

import ipaddress
import os
import signal
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from devices.lab.base import HOST, Simulator
from devices.lab.web import LabHttpServer, Reply, Request

if TYPE_CHECKING:
    from devices.lab.ipad import FakeIpadTools

#: what the demo inventory expects (inventories/demo/hosts.yml and its vault)
TABLET = ("127.0.1.21", 5555)
PRINTER = ("127.0.1.30", 8631)
SCANNER = ("127.0.1.30", 8080)
PRINTER_3D = ("127.0.1.40", 7125)
ACCESS_POINT = ("127.0.1.2", 2222)
PROJECTOR = ("127.0.1.50", 4352)
INTERNET = ("127.0.1.60", 8088)  # stands for the exam's web sites
THYMIO_TDM = ("127.0.1.70", 8596)  # Thymio Suite's device manager with one Thymio II
DEMO_SSID = "Plateau-Demo"
DEMO_WIFI_KEY = "Demo;Wifi:2026"  # the demo vault's fake key (inventories/demo/host_vars/demo-ap)
DEMO_AP_PASSWORD = "Demo-Routeur-29-Ssh"  # fake too
DEMO_IPAD_UDID = "00008030-0000DEMO0000001E"


def _loopback(host: str) -> str:
    if not ipaddress.ip_address(host).is_loopback:
        raise ValueError(f"lab simulators only listen on loopback addresses, not {host}")
    return host


DEMO_PREFIX = "127.0.1."


@dataclass
class DemoLab:
    """Start/stop every simulator of the demo centre. ``state_dir`` holds the fake iPad tools.

    ``prefix`` moves the whole lab to another loopback /24 (tests use a random one, and
    rewrite their copy of the inventory with :func:`move_inventory`, so that concurrent
    runs never fight over the same address and port).
    """

    state_dir: Path
    prefix: str = DEMO_PREFIX
    running: dict[str, Simulator | FakeIpadTools] = field(default_factory=dict)

    def at(self, where: tuple[str, int]) -> str:
        return _loopback(where[0].replace(DEMO_PREFIX, self.prefix, 1))

    def start(self) -> DemoLab:
        from devices.lab.access_point import AccessPointSimulator, ApState
        from devices.lab.android import SimulatedTablet
        from devices.lab.android_shell import TabletState
        from devices.lab.ipad import FakeIpadTools
        from devices.lab.printer import IppPrinterSim
        from devices.lab.printer_3d import MoonrakerSim
        from devices.lab.projector import ProjectorSimulator, ProjectorState
        from devices.lab.scanner import EsclScannerSim

        try:
            tablet = SimulatedTablet(TabletState(level=34, status=3, usb_powered=False, ac_powered=False,
                                                 wifi_ssid=DEMO_SSID), port=TABLET[1])  # fmt: skip
            tablet.state.accounts = [("demo.plateau@gmail.com", "com.google")]
            tablet.state.packages |= {"org.scratchjr.android"}
            tablet.host = self.at(TABLET)
            self.running["tablet"] = tablet.start()

            printer = IppPrinterSim(port=PRINTER[1], mode="toner_low")
            printer.host = self.at(PRINTER)
            printer.make_and_model = "HP Color LaserJet Pro MFP M283fdw"
            self.running["printer"] = printer.start()

            scanner = EsclScannerSim(port=SCANNER[1], mode="healthy")
            scanner.host = self.at(SCANNER)
            self.running["scanner"] = scanner.start()

            printer_3d = MoonrakerSim(mode="filament_out", port=PRINTER_3D[1])
            printer_3d.host = self.at(PRINTER_3D)
            self.running["printer_3d"] = printer_3d.start()

            # out of the box, like a new access point: `plateau provision` sets the room's network
            ap = AccessPointSimulator(ApState(platform="openwrt", username="root", password=DEMO_AP_PASSWORD,
                                              ssid="OpenWrt", encryption="none", key=""),
                                      port=ACCESS_POINT[1], host=self.at(ACCESS_POINT))  # fmt: skip
            self.running["access_point"] = ap.start()

            projector = ProjectorSimulator(ProjectorState(power="on"), port=PROJECTOR[1],
                                           host=self.at(PROJECTOR))  # fmt: skip
            self.running["projector"] = projector.start()

            self.running["internet"] = WebSite(self.at(INTERNET), INTERNET[1]).start()

            from devices.lab.thymio_tdm import TdmSimulator

            # _vbat (767, 767) = 3.86 V on the firmware's gauge: "recharge before the exam"
            self.running["thymio"] = TdmSimulator(
                vbat_raw=(767, 767), port=THYMIO_TDM[1], host=self.at(THYMIO_TDM)
            ).start()

            ipad = FakeIpadTools(self.state_dir / "lab-bin", udid=DEMO_IPAD_UDID, battery_pct=92, charging=False)
            self.running["ipad"] = ipad.install()
            # the sweep runs ideviceinfo from PATH: put the fake tools first, for this process only
            os.environ["PATH"] = f"{ipad.bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        for name, sim in reversed(list(self.running.items())):
            if isinstance(sim, Simulator):
                sim.stop()
            self.running.pop(name, None)

    def __enter__(self) -> DemoLab:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def addresses(self) -> dict[str, str]:
        def a(where: tuple[str, int]) -> str:
            return f"{self.at(where)}:{where[1]}"

        return {
            "tablette Android (adbd)": a(TABLET),
            "imprimante (IPP)": f"ipp://{a(PRINTER)}/ipp/print",
            "scanner (eSCL)": f"http://{a(SCANNER)}/eSCL",
            "imprimante 3D (Moonraker)": f"http://{a(PRINTER_3D)}",
            "point d'accès (SSH OpenWrt)": a(ACCESS_POINT),
            "projecteur (PJLink)": a(PROJECTOR),
            "site web de l'épreuve (« internet »)": f"http://{a(INTERNET)}/",
            "robot Thymio (Thymio Device Manager)": a(THYMIO_TDM),
        }


def move_inventory(root: Path, prefix: str) -> None:
    """Rewrite a *copy* of inventories/demo so that it points at a lab started with ``prefix``."""
    for path in [root / "hosts.yml", *sorted((root / "group_vars").glob("*.yml"))]:
        text = path.read_text("utf-8")
        if DEMO_PREFIX in text:
            path.write_text(text.replace(DEMO_PREFIX, prefix), "utf-8")


def random_prefix() -> str:
    """A loopback /24 of its own for one test (127.0.1.0/24 stays the demo's)."""
    import secrets

    return f"127.{secrets.randbelow(200) + 20}.{secrets.randbelow(250) + 2}."


class WebSite(LabHttpServer):
    """A tiny web site on loopback standing for the exam's internet targets."""

    PAGE = "<!doctype html><title>Service en ligne</title><p>Bienvenue</p>"

    def __init__(self, host: str = HOST, port: int = 0) -> None:
        super().__init__(port, host=_loopback(host))

    def respond(self, request: Request) -> Reply:
        return Reply.text(200, self.PAGE, "text/html; charset=utf-8")


def main() -> None:  # pragma: no cover - manual use
    import tempfile

    with tempfile.TemporaryDirectory() as tmp, DemoLab(Path(tmp)) as lab:
        for name, where in lab.addresses().items():
            print(f"{name:32} {where}", flush=True)
        stop = threading.Event()
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        stop.wait()


if __name__ == "__main__":  # pragma: no cover
    main()
