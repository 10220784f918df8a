"""Simulated usbmuxd + lockdownd + installation_proxy, for the real libimobiledevice tools.

libusbmuxd connects to ``$USBMUXD_SOCKET_ADDRESS`` (``HOST:PORT`` or ``UNIX:/path``)
instead of ``/var/run/usbmuxd``, so Debian's real ``ideviceinfo`` / ``ideviceinstaller``
talk to this process::

    with UsbmuxdSimulator() as sim:          # 127.0.0.1, ephemeral port
        subprocess.run(["ideviceinfo", "-u", sim.device.udid], env=sim.env())
        sim.device.battery_pct = 12          # settable while it runs

Wire protocol, as libusbmuxd 2.0 speaks it (this module):

usbmuxd
    16-byte little-endian header ``length, version (1 = plist), message (8 = plist), tag``
    + XML plist with ``MessageType``: ``ListDevices`` -> ``DeviceList``; ``ReadBUID`` ->
    ``BUID``; ``ReadPairRecord`` (``PairRecordID`` = UDID) -> ``PairRecordData`` or
    ``Result`` ``Number`` 2 (none stored); ``Connect`` (``DeviceID``, ``PortNumber`` in
    network byte order) -> ``Result`` 0 (or 3, refused), after which the same socket is a raw
    tunnel to the device port. The reply ``tag`` echoes the request's.

Behind the tunnel, lockdownd (port 62078) and installation_proxy answer as the iPad does
(:mod:`devices.lab.ipad_lockdownd`: the device's facts, the services, the pair record).

``device.state`` (the mode, :mod:`devices.lab.base`; also ``sim.mode``): ``healthy`` (``ok``);
``untrusted`` (the host holds a pair record the iPad no longer
trusts: ``StartSession`` -> ``InvalidHostID``, as after "Reset Location & Privacy");
``not_paired`` (usbmuxd holds no record: the tool tries ``Pair`` and the iPad answers
``PairingDialogResponsePending`` while "Trust this computer?" waits on screen);
``no_device`` (unplugged: empty ``DeviceList``); ``dead`` (listed, but lockdownd never
answers: a frozen iPad); ``slow`` (each lockdownd answer waits ``slow_s``); ``garbage``
(lockdownd answers bytes that are not a plist).

Standalone: ``python -m devices.lab.usbmuxd --port 27015 [--unix PATH] [--state ok]``.
"""

from __future__ import annotations

import argparse
import os
import plistlib
import socket
import socketserver
import struct
import tempfile
import uuid
from pathlib import Path
from typing import Any
from xml.parsers.expat import ExpatError

from devices.lab.base import HOST, Faults, LabServer, Simulator, wait_for_interrupt
from devices.lab.ipad_lockdownd import MODES as MODES  # re-exported
from devices.lab.ipad_lockdownd import Lockdownd, browse_pages
from devices.lab.ipad_lockdownd import SimulatedIpad as SimulatedIpad  # re-exported
from devices.lab.lockdown import make_pair_record, recv_exact, recv_plist, send_plist

LOCKDOWN_PORT = 62078
INSTPROXY_PORT = 49152  # what our lockdownd hands out for installation_proxy
STATES = MODES  # older name
_MUX_HEADER = struct.Struct("<IIII")
_PLIST_MESSAGE, _PLIST_VERSION = 8, 1
_LISTENING = -1


# ---------------------------------------------------------------- server


class _Handler(socketserver.BaseRequestHandler):
    server: LabServer[UsbmuxdSimulator]

    def handle(self) -> None:
        sim, sock = self.server.sim, self.request
        try:
            while not sim.stopping.is_set():
                head = recv_exact(sock, _MUX_HEADER.size)
                if head is None:
                    return
                length, version, message, tag = _MUX_HEADER.unpack(head)
                payload = recv_exact(sock, length - _MUX_HEADER.size)
                if payload is None:
                    return
                if version != _PLIST_VERSION or message != _PLIST_MESSAGE:
                    self._reply(tag, {"MessageType": "Result", "Number": 6})  # BADVERSION
                    continue
                request = plistlib.loads(payload)
                sim.received.append(("usbmuxd", request))
                port = self._mux(tag, request)
                if port == _LISTENING:  # event subscription: held open until closed
                    while sock.recv(4096):
                        pass
                    return
                if port is not None:  # Connect succeeded: the socket is now a tunnel
                    self._tunnel(port)
                    return
        except (OSError, ValueError, ExpatError):  # client gone, or sent a non-plist
            return

    def _reply(self, tag: int, message: dict[str, Any]) -> None:
        body = plistlib.dumps(message, fmt=plistlib.FMT_XML)
        self.request.sendall(_MUX_HEADER.pack(_MUX_HEADER.size + len(body), _PLIST_VERSION, _PLIST_MESSAGE, tag) + body)

    def _mux(self, tag: int, request: dict[str, Any]) -> int | None:
        sim, device = self.server.sim, self.server.sim.device
        kind = request.get("MessageType")
        present = device.state != "no_device"
        props = {
            "ConnectionSpeed": 480000000,
            "ConnectionType": "USB",
            "DeviceID": device.device_id,
            "LocationID": 0x14100000,
            "ProductID": 0x12AB,
            "SerialNumber": device.udid,
            "USBSerialNumber": device.udid.replace("-", ""),
        }
        attached = [{"DeviceID": device.device_id, "MessageType": "Attached", "Properties": props}] if present else []
        if kind == "ListDevices":
            self._reply(tag, {"DeviceList": attached})
        elif kind == "Listen":
            # ideviceinstaller subscribes to device events: OK, then one Attached per device
            self._reply(tag, {"MessageType": "Result", "Number": 0})
            for event in attached:
                self._reply(0, event)
            return _LISTENING
        elif kind == "ReadBUID":
            self._reply(tag, {"BUID": sim.system_buid})
        elif kind == "ReadPairRecord":
            record = sim.pair_records.get(request.get("PairRecordID", ""))
            if record is None or device.state == "not_paired":
                self._reply(tag, {"MessageType": "Result", "Number": 2})  # ENOENT
            else:
                self._reply(tag, {"PairRecordData": plistlib.dumps(record)})
        elif kind in ("SavePairRecord", "DeletePairRecord"):
            self._reply(tag, {"MessageType": "Result", "Number": 0})
        elif kind == "Connect":
            # PortNumber travels in network byte order inside a little-endian-read integer
            port = socket.ntohs(int(request.get("PortNumber", 0)) & 0xFFFF)
            known = port == LOCKDOWN_PORT or port in sim.service_ports
            if not present or request.get("DeviceID") != device.device_id:
                self._reply(tag, {"MessageType": "Result", "Number": 2})  # BADDEV
            elif not known:
                self._reply(tag, {"MessageType": "Result", "Number": 3})  # CONNREFUSED
            else:
                self._reply(tag, {"MessageType": "Result", "Number": 0})
                return port
        else:  # ListListeners, ReadDeviceRecord...: not needed by the tools
            self._reply(tag, {"MessageType": "Result", "Number": 1})  # BADCOMMAND
        return None

    def _tunnel(self, port: int) -> None:
        sim, sock = self.server.sim, self.request
        if sim.device.state == "dead":
            while sock.recv(4096):  # swallow requests, never answer
                pass
            return
        service = sim.service_ports.get(port)
        lockdownd = Lockdownd(sim)  # this connection's session
        while not sim.stopping.is_set():
            request = recv_plist(sock)
            if request is None:
                return
            sim.received.append((service or "lockdownd", request))
            if service == "com.apple.mobile.installation_proxy":
                for answer in browse_pages(sim.device, request):
                    send_plist(sock, answer)
                continue
            if sim.device.state == "slow" and sim.wait_slow():
                return
            if sim.device.state == "garbage":
                sock.sendall(b"\x00\x00\x00\x10#@!garbage%%~~~\n")
                continue
            reply = lockdownd.answer(request)
            send_plist(sock, reply)
            if request.get("Request") == "Goodbye":
                return


class UsbmuxdSimulator(Simulator):
    """usbmuxd on ``HOST:port`` (port 0 = ephemeral), or on a UNIX socket: ``unix=PATH``,
    or ``unix=True`` for one in a temporary folder.

    The host is paired by default: usbmuxd holds a pair record whose HostID the iPad
    trusts. ``received`` lists ``(endpoint, request plist)`` in arrival order.
    """

    modes = MODES

    def __init__(
        self,
        device: SimulatedIpad | None = None,
        *,
        port: int = 0,
        host: str = HOST,
        unix: bool | str | os.PathLike[str] = False,
    ) -> None:
        self.device = device or SimulatedIpad()
        super().__init__(host=host, mode=self.device.state, slow_s=self.device.slow_s)
        self.system_buid = str(uuid.uuid4()).upper()
        host_id = str(uuid.uuid4()).upper()
        self.pair_records = {self.device.udid: make_pair_record(host_id, self.system_buid)}
        self.trusted_host_ids = {host_id}
        self.service_ports = {INSTPROXY_PORT: "com.apple.mobile.installation_proxy"}
        self.received: list[tuple[str, dict[str, Any]]] = []
        self._tmpdir: tempfile.TemporaryDirectory[str] | None = None
        if unix is True:  # a fresh socket in a private temporary folder
            self._tmpdir = tempfile.TemporaryDirectory(prefix="usbmuxd-")
            unix = Path(self._tmpdir.name) / "usbmuxd"
        self.unix_path: str | None = str(unix) if unix else None
        if self.unix_path is None:
            self.bind(_Handler, port)
        else:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.bind(self.unix_path)
            sock.listen(16)
            self.bind(_Handler, sock=sock)

    def faults(self) -> Faults:
        return self.device

    @property
    def address(self) -> str:
        """The value for ``USBMUXD_SOCKET_ADDRESS``."""
        if self.unix_path is not None:
            return f"UNIX:{self.unix_path}"
        return f"{self.host}:{self.port}"

    def env(self, base: dict[str, str] | None = None) -> dict[str, str]:
        """An environment for the tools: ``base`` (default ``os.environ``) + the address."""
        env = dict(os.environ if base is None else base)
        env["USBMUXD_SOCKET_ADDRESS"] = self.address
        return env

    def requests(self, endpoint: str = "lockdownd") -> list[dict[str, Any]]:
        return [request for where, request in self.received if where == endpoint]

    def _close(self) -> None:
        if self.unix_path is not None:
            Path(self.unix_path).unlink(missing_ok=True)
        if self._tmpdir is not None:
            self._tmpdir.cleanup()
            self._tmpdir = None


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="usbmuxd + lockdownd simulator (one iPad)")
    parser.add_argument("--port", type=int, default=27015)
    parser.add_argument("--unix", default=None, help="serve on this UNIX socket instead")
    parser.add_argument("--mode", "--state", dest="mode", choices=(*MODES, "ok"), default="healthy")
    parser.add_argument("--battery", type=int, default=64)
    parser.add_argument("--charging", action="store_true")
    args = parser.parse_args(argv)
    device = SimulatedIpad(
        state=args.mode, battery_pct=args.battery, charging=args.charging, external_power=args.charging
    )
    sim = UsbmuxdSimulator(device, port=args.port, unix=args.unix or False).start()
    print(f"export USBMUXD_SOCKET_ADDRESS={sim.address}   # then: ideviceinfo -u {device.udid}", flush=True)
    wait_for_interrupt(sim)


if __name__ == "__main__":
    main()
