"""Simulated usbmuxd + lockdownd + installation_proxy, for the real libimobiledevice tools.

libusbmuxd connects to ``$USBMUXD_SOCKET_ADDRESS`` (``HOST:PORT`` or ``UNIX:/path``)
instead of ``/var/run/usbmuxd``, so Debian's real ``ideviceinfo`` / ``ideviceinstaller``
talk to this process::

    with UsbmuxdSimulator() as sim:          # 127.0.0.1, ephemeral port
        subprocess.run(["ideviceinfo", "-u", sim.device.udid], env=sim.env())
        sim.device.battery_pct = 12          # settable while it runs

Wire protocol, as libusbmuxd 2.0 and libimobiledevice 1.3 speak it:

usbmuxd
    16-byte little-endian header ``length, version (1 = plist), message (8 = plist), tag``
    + XML plist with ``MessageType``: ``ListDevices`` -> ``DeviceList``; ``ReadBUID`` ->
    ``BUID``; ``ReadPairRecord`` (``PairRecordID`` = UDID) -> ``PairRecordData`` or
    ``Result`` ``Number`` 2 (none stored); ``Connect`` (``DeviceID``, ``PortNumber`` in
    network byte order) -> ``Result`` 0 (or 3, refused), after which the same socket is a raw
    tunnel to the device port. The reply ``tag`` echoes the request's.
lockdownd (port 62078) and services
    4-byte big-endian length + plist. lockdownd answers ``QueryType``, ``GetValue``
    (``Domain``/``Key``), ``StartSession`` (checks ``HostID`` against the hosts the device
    trusts; answers ``EnableSessionSSL`` false so no TLS is needed), ``StopSession``,
    ``ValidatePair``, ``Pair``, ``StartService`` (``EnableServiceSSL`` false) and
    ``Goodbye``. ``com.apple.mobile.installation_proxy`` answers ``Browse`` in pages
    (``Status: BrowsingApplications`` ... ``Status: Complete``).

The pair record is what usbmuxd stores in ``/var/lib/lockdown/<UDID>.plist``: HostID,
SystemBUID, HostCertificate/HostPrivateKey, RootCertificate/RootPrivateKey,
DeviceCertificate, EscrowBag, WiFiMACAddress. libimobiledevice only reads ``HostID`` (and
the certificates when the device asks for TLS, which this one never does); the
certificates are still real throwaway X.509 (``cryptography``), generated once per process.

``device.state``: ``ok``; ``untrusted`` (the host holds a pair record the iPad no longer
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
import datetime
import functools
import os
import plistlib
import socket
import socketserver
import struct
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from xml.parsers.expat import ExpatError

from devices.lab import wait_for_interrupt

HOST = "127.0.0.1"
LOCKDOWN_PORT = 62078
INSTPROXY_PORT = 49152           # what our lockdownd hands out for installation_proxy
STATES = ("ok", "untrusted", "not_paired", "no_device", "dead", "slow", "garbage")
_MUX_HEADER = struct.Struct("<IIII")
_PLIST_MESSAGE, _PLIST_VERSION = 8, 1
_LISTENING = -1
# lockdownd answers these without a session (enough for the handshake and for pairing)
_PUBLIC_KEYS = {"ProductVersion", "ProductType", "DeviceClass", "UniqueDeviceID",
                "DevicePublicKey", "BuildVersion", "DeviceName", "WiFiAddress",
                "ProtocolVersion", "SerialNumber"}


@dataclass
class SimulatedIpad:
    """What the iPad reports; change fields while the simulator runs."""
    udid: str = "00008027-000A1B2C3D4E5F60"
    device_id: int = 3                        # usbmuxd's handle for it
    name: str = "iPad salle 1"
    model: str = "iPad7,5"                    # ProductType
    ios_version: str = "17.1.2"
    build: str = "21B101"
    serial: str = "DMPXK0AAJF8J"
    battery_pct: int = 64
    charging: bool = False
    external_power: bool = False
    apps: list[tuple[str, str, str]] = field(default_factory=lambda: [
        ("fr.laposte.idn", "L'Identité Numérique", "5.2.0"),
        ("com.google.chrome.ios", "Chrome", "119.0.6045.169"),
        ("org.videolan.vlc-ios", "VLC", "3.5.1")])
    # real iPads answer arrays too, which ideviceinfo prints as "SupportedDeviceFamilies[2]:"
    extra_values: dict = field(default_factory=lambda: {"SupportedDeviceFamilies": [1, 2]})
    state: str = "ok"
    slow_s: float = 0.5

    def values(self) -> dict:
        """``GetValue`` with no domain and no key (a subset of a real iPad's answer)."""
        return {
            "ActivationState": "Activated", "BasebandStatus": "NoTelephonyCapabilty",
            "BluetoothAddress": "8c:86:1e:4b:2a:10", "BuildVersion": self.build,
            "CPUArchitecture": "arm64", "DeviceClass": "iPad", "DeviceColor": "1",
            "DeviceName": self.name, "DevicePublicKey": _pki()["device_public"],
            "HardwareModel": "J71sAP", "HostAttached": True, "ModelNumber": "MW742",
            "NonVolatileRAM": {"auto-boot": b"true", "backlight-level": b"1593"},
            "PasswordProtected": True, "ProductName": "iPhone OS", "ProductType": self.model,
            "ProductVersion": self.ios_version, "ProtocolVersion": "2", "RegionInfo": "NF/A",
            "SerialNumber": self.serial, "TimeZone": "Europe/Paris",
            "UniqueDeviceID": self.udid, "WiFiAddress": "8c:86:1e:4b:2a:0f",
            **self.extra_values}

    def battery(self) -> dict:
        """``GetValue`` ``Domain: com.apple.mobile.battery``."""
        return {"BatteryCurrentCapacity": self.battery_pct,
                "BatteryIsCharging": self.charging, "ExternalChargeCapable": True,
                "ExternalConnected": self.external_power,
                "FullyCharged": self.battery_pct >= 100, "GasGaugeCapability": True,
                "HasBattery": True}


# ---------------------------------------------------------------- pair record (throwaway PKI)

@functools.cache
def _pki() -> dict:
    """Root CA, host and device keys/certificates, as ``lockdownd_pair`` would create them."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    def pem_key(key: rsa.RSAPrivateKey) -> bytes:
        return key.private_bytes(serialization.Encoding.PEM,
                                 serialization.PrivateFormat.TraditionalOpenSSL,
                                 serialization.NoEncryption())

    def cert(subject_key: rsa.RSAPrivateKey, issuer_key: rsa.RSAPrivateKey, ca: bool) -> bytes:
        now = datetime.datetime.now(datetime.UTC)
        name = x509.Name([])  # libimobiledevice's certificates have empty names too
        built = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
                 .public_key(subject_key.public_key()).serial_number(x509.random_serial_number())
                 .not_valid_before(now - datetime.timedelta(days=1))
                 .not_valid_after(now + datetime.timedelta(days=3650))
                 .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
                 .sign(issuer_key, hashes.SHA256()))
        return built.public_bytes(serialization.Encoding.PEM)

    root, host, device = (rsa.generate_private_key(public_exponent=65537, key_size=2048)
                          for _ in range(3))
    # lockdownd hands out DevicePublicKey as a PKCS#1 "RSA PUBLIC KEY" PEM
    device_public = device.public_key().public_bytes(serialization.Encoding.PEM,
                                                     serialization.PublicFormat.PKCS1)
    return {"root_cert": cert(root, root, True), "root_key": pem_key(root),
            "host_cert": cert(host, root, False), "host_key": pem_key(host),
            "device_cert": cert(device, root, False), "device_public": device_public}


def make_pair_record(host_id: str, system_buid: str) -> dict:
    pki = _pki()
    return {"DeviceCertificate": pki["device_cert"], "EscrowBag": os.urandom(32),
            "HostCertificate": pki["host_cert"], "HostID": host_id,
            "HostPrivateKey": pki["host_key"], "RootCertificate": pki["root_cert"],
            "RootPrivateKey": pki["root_key"], "SystemBUID": system_buid,
            "WiFiMACAddress": "8c:86:1e:4b:2a:0f"}


# ---------------------------------------------------------------- framing

def _recv_exact(sock: socket.socket, size: int) -> bytes | None:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def _recv_plist(sock: socket.socket) -> dict | None:
    """One 4-byte big-endian length + plist message (lockdownd and services)."""
    head = _recv_exact(sock, 4)
    if head is None:
        return None
    body = _recv_exact(sock, struct.unpack(">I", head)[0])
    return None if body is None else plistlib.loads(body)


def _send_plist(sock: socket.socket, message: dict) -> None:
    body = plistlib.dumps(message, fmt=plistlib.FMT_XML)
    sock.sendall(struct.pack(">I", len(body)) + body)


# ---------------------------------------------------------------- server

class _Handler(socketserver.BaseRequestHandler):
    server: _Server
    session_id: str | None = None      # lockdownd session of this connection

    def handle(self) -> None:
        sim, sock = self.server.sim, self.request
        try:
            while not sim.stopping.is_set():
                head = _recv_exact(sock, _MUX_HEADER.size)
                if head is None:
                    return
                length, version, message, tag = _MUX_HEADER.unpack(head)
                payload = _recv_exact(sock, length - _MUX_HEADER.size)
                if payload is None:
                    return
                if version != _PLIST_VERSION or message != _PLIST_MESSAGE:
                    self._reply(tag, {"MessageType": "Result", "Number": 6})  # BADVERSION
                    continue
                request = plistlib.loads(payload)
                sim.received.append(("usbmuxd", request))
                port = self._mux(tag, request)
                if port == _LISTENING:        # event subscription: held open until closed
                    while sock.recv(4096):
                        pass
                    return
                if port is not None:          # Connect succeeded: the socket is now a tunnel
                    self._tunnel(port)
                    return
        except (OSError, ValueError, ExpatError):  # client gone, or sent a non-plist
            return

    def _reply(self, tag: int, message: dict) -> None:
        body = plistlib.dumps(message, fmt=plistlib.FMT_XML)
        self.request.sendall(_MUX_HEADER.pack(_MUX_HEADER.size + len(body), _PLIST_VERSION,
                                              _PLIST_MESSAGE, tag) + body)

    def _mux(self, tag: int, request: dict) -> int | None:
        sim, device = self.server.sim, self.server.sim.device
        kind = request.get("MessageType")
        present = device.state != "no_device"
        props = {"ConnectionSpeed": 480000000, "ConnectionType": "USB",
                 "DeviceID": device.device_id, "LocationID": 0x14100000,
                 "ProductID": 0x12AB, "SerialNumber": device.udid,
                 "USBSerialNumber": device.udid.replace("-", "")}
        attached = [{"DeviceID": device.device_id, "MessageType": "Attached",
                     "Properties": props}] if present else []
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
            while sock.recv(4096):         # swallow requests, never answer
                pass
            return
        service = sim.service_ports.get(port)
        while not sim.stopping.is_set():
            request = _recv_plist(sock)
            if request is None:
                return
            sim.received.append((service or "lockdownd", request))
            if service == "com.apple.mobile.installation_proxy":
                self._instproxy(request)
                continue
            if sim.device.state == "slow":
                time.sleep(sim.device.slow_s)
            if sim.device.state == "garbage":
                sock.sendall(b"\x00\x00\x00\x10#@!garbage%%~~~\n")
                continue
            reply = self._lockdown(request)
            _send_plist(sock, reply)
            if request.get("Request") == "Goodbye":
                return

    def _lockdown(self, request: dict) -> dict:
        sim, device = self.server.sim, self.server.sim.device
        kind = request.get("Request", "")
        reply: dict = {"Request": kind}
        if kind == "QueryType":
            reply["Type"] = "com.apple.mobile.lockdown"
        elif kind == "GetValue":
            domain, key = request.get("Domain"), request.get("Key")
            values = device.battery() if domain == "com.apple.mobile.battery" else \
                device.values() if domain is None else None
            if domain:
                reply["Domain"] = domain
            if key:
                reply["Key"] = key
            if self.session_id is None and (domain is not None or key not in _PUBLIC_KEYS):
                reply["Error"] = "InvalidService" if domain else "GetProhibited"
            elif values is None or (key is not None and key not in values):
                reply["Error"] = "MissingValue"
            else:
                reply["Value"] = values[key] if key is not None else values
        elif kind in ("StartSession", "ValidatePair"):
            host_id = request.get("HostID") or \
                request.get("PairRecord", {}).get("HostID", "")
            if host_id not in sim.trusted_host_ids or device.state == "untrusted":
                reply["Error"] = "InvalidHostID"
            elif kind == "StartSession":
                self.session_id = str(uuid.uuid4()).upper()
                reply.update(SessionID=self.session_id, EnableSessionSSL=False)
            else:
                reply["Result"] = "Success"
        elif kind == "Pair":
            # the iPad shows "Trust this computer?"; nobody has tapped yet
            reply["Error"] = "PairingDialogResponsePending"
        elif kind == "StopSession":
            self.session_id = None
            reply["Result"] = "Success"
        elif kind == "StartService":
            name = request.get("Service", "")
            reply["Service"] = name
            if self.session_id is None:
                reply["Error"] = "NoRunningSession"
            elif name not in sim.service_ports.values():
                reply["Error"] = "InvalidService"
            else:
                port = next(p for p, s in sim.service_ports.items() if s == name)
                reply.update(Port=port, EnableServiceSSL=False)
        elif kind == "Goodbye":
            reply["Result"] = "Success"
        else:
            reply["Error"] = "UnknownRequest"   # wording not checked against a real iPad
        return reply

    def _instproxy(self, request: dict) -> None:
        """``Browse``: the apps in pages of 2, then ``Status: Complete``."""
        sock, device = self.request, self.server.sim.device
        if request.get("Command") != "Browse":
            _send_plist(sock, {"Error": "UnknownCommand", "Status": "Complete"})
            return
        options = request.get("ClientOptions") or {}
        wanted = options.get("ReturnAttributes")
        apps = [{"CFBundleIdentifier": bundle, "CFBundleDisplayName": name,
                 "CFBundleName": name, "CFBundleShortVersionString": version,
                 "CFBundleVersion": version, "ApplicationType": "User"}
                for bundle, name, version in device.apps]
        if wanted:
            apps = [{k: v for k, v in app.items() if k in wanted} for app in apps]
        for index in range(0, len(apps), 2):
            page = apps[index:index + 2]
            _send_plist(sock, {"CurrentIndex": index, "CurrentAmount": len(page),
                               "Total": len(apps), "CurrentList": page,
                               "Status": "BrowsingApplications"})
        _send_plist(sock, {"Status": "Complete"})


class _Server(socketserver.ThreadingMixIn, socketserver.BaseServer):
    daemon_threads = True
    sim: UsbmuxdSimulator

    def __init__(self, sock: socket.socket, sim: UsbmuxdSimulator) -> None:
        super().__init__(sock.getsockname(), _Handler)
        self.socket, self.sim = sock, sim

    def fileno(self) -> int:
        return self.socket.fileno()

    def get_request(self) -> tuple[socket.socket, object]:
        return self.socket.accept()

    def process_request(self, request: socket.socket, client_address: object) -> None:
        self.sim.clients.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: socket.socket) -> None:
        self.sim.clients.discard(request)
        try:
            request.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        request.close()

    def server_close(self) -> None:
        self.socket.close()


class UsbmuxdSimulator:
    """usbmuxd on ``HOST:port`` (port 0 = ephemeral), or on a UNIX socket: ``unix=PATH``,
    or ``unix=True`` for one in a temporary folder.

    The host is paired by default: usbmuxd holds a pair record whose HostID the iPad
    trusts. ``received`` lists ``(endpoint, request plist)`` in arrival order.
    """

    def __init__(self, device: SimulatedIpad | None = None, *, port: int = 0,
                 host: str = HOST, unix: bool | str | os.PathLike = False) -> None:
        self.device = device or SimulatedIpad()
        self.system_buid = str(uuid.uuid4()).upper()
        host_id = str(uuid.uuid4()).upper()
        self.pair_records = {self.device.udid: make_pair_record(host_id, self.system_buid)}
        self.trusted_host_ids = {host_id}
        self.service_ports = {INSTPROXY_PORT: "com.apple.mobile.installation_proxy"}
        self.received: list[tuple[str, dict]] = []
        self.stopping = threading.Event()
        self.clients: set[socket.socket] = set()
        self._tmpdir: tempfile.TemporaryDirectory | None = None
        if unix is True:               # a fresh socket in a private temporary folder
            self._tmpdir = tempfile.TemporaryDirectory(prefix="usbmuxd-")
            unix = Path(self._tmpdir.name) / "usbmuxd"
        if unix:
            self.unix_path: str | None = str(unix)
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.bind(self.unix_path)
        else:
            self.unix_path = None
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((host, port))
        sock.listen(16)
        self._server = _Server(sock, self)
        self._thread: threading.Thread | None = None

    @property
    def address(self) -> str:
        """The value for ``USBMUXD_SOCKET_ADDRESS``."""
        if self.unix_path is not None:
            return f"UNIX:{self.unix_path}"
        host, port = self._server.socket.getsockname()[:2]
        return f"{host}:{port}"

    def env(self, base: dict[str, str] | None = None) -> dict[str, str]:
        """An environment for the tools: ``base`` (default ``os.environ``) + the address."""
        env = dict(os.environ if base is None else base)
        env["USBMUXD_SOCKET_ADDRESS"] = self.address
        return env

    def requests(self, endpoint: str = "lockdownd") -> list[dict]:
        return [request for where, request in self.received if where == endpoint]

    def start(self) -> UsbmuxdSimulator:
        self._thread = threading.Thread(target=self._server.serve_forever, name="usbmuxd-sim",
                                        kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        if self._thread is not None:
            self._server.shutdown()
        for client in list(self.clients):
            try:
                client.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=2)
        if self.unix_path is not None:
            Path(self.unix_path).unlink(missing_ok=True)
        if self._tmpdir is not None:
            self._tmpdir.cleanup()

    def __enter__(self) -> UsbmuxdSimulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="usbmuxd + lockdownd simulator (one iPad)")
    parser.add_argument("--port", type=int, default=27015)
    parser.add_argument("--unix", default=None, help="serve on this UNIX socket instead")
    parser.add_argument("--state", choices=STATES, default="ok")
    parser.add_argument("--battery", type=int, default=64)
    parser.add_argument("--charging", action="store_true")
    args = parser.parse_args(argv)
    device = SimulatedIpad(state=args.state, battery_pct=args.battery, charging=args.charging,
                           external_power=args.charging)
    sim = UsbmuxdSimulator(device, port=args.port, unix=args.unix or False).start()
    print(f"export USBMUXD_SOCKET_ADDRESS={sim.address}   # then: ideviceinfo -u {device.udid}",
          flush=True)
    wait_for_interrupt(sim)


if __name__ == "__main__":
    main()
