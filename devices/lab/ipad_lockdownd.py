"""The simulated iPad behind usbmuxd (:mod:`devices.lab.usbmuxd`): its facts and its services.

Once usbmuxd's ``Connect`` has made a socket a tunnel to a device port, the tools talk to
these services, 4-byte big-endian length + XML plist each way (:mod:`devices.lab.lockdown`
frames them), as libimobiledevice 1.3 speaks them:

lockdownd (port 62078)
    ``QueryType``, ``GetValue`` (``Domain``/``Key``; without a session, only the few public
    keys of the handshake), ``StartSession`` (checks ``HostID`` against the hosts the device
    trusts; answers ``EnableSessionSSL`` false so no TLS is needed), ``StopSession``,
    ``ValidatePair``, ``Pair``, ``StartService`` (``EnableServiceSSL`` false) and ``Goodbye``.
``com.apple.mobile.installation_proxy``
    ``Browse`` in pages (``Status: BrowsingApplications`` ... ``Status: Complete``).

The pair record is what usbmuxd stores in ``/var/lib/lockdown/<UDID>.plist``: HostID,
SystemBUID, HostCertificate/HostPrivateKey, RootCertificate/RootPrivateKey,
DeviceCertificate, EscrowBag, WiFiMACAddress. libimobiledevice only reads ``HostID`` (and
the certificates when the device asks for TLS, which this one never does); the
certificates are still real throwaway X.509 (:mod:`devices.lab.lockdown`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any, Protocol

from devices.lab.lockdown import pki

#: what ``SimulatedIpad.state`` may be (described in devices/lab/usbmuxd.py)
MODES = ("healthy", "untrusted", "not_paired", "no_device", "dead", "slow", "garbage")
# lockdownd answers these without a session (enough for the handshake and for pairing)
_PUBLIC_KEYS = {
    "ProductVersion",
    "ProductType",
    "DeviceClass",
    "UniqueDeviceID",
    "DevicePublicKey",
    "BuildVersion",
    "DeviceName",
    "WiFiAddress",
    "ProtocolVersion",
    "SerialNumber",
}


@dataclass
class SimulatedIpad:
    """What the iPad reports; change fields while the simulator runs."""

    udid: str = "00008027-000A1B2C3D4E5F60"
    device_id: int = 3  # usbmuxd's handle for it
    name: str = "iPad salle 1"
    model: str = "iPad7,5"  # ProductType
    ios_version: str = "17.1.2"
    build: str = "21B101"
    serial: str = "DMPXK0AAJF8J"
    battery_pct: int = 64
    charging: bool = False
    external_power: bool = False
    apps: list[tuple[str, str, str]] = field(
        default_factory=lambda: [
            ("fr.laposte.idn", "L'Identité Numérique", "5.2.0"),
            ("com.google.chrome.ios", "Chrome", "119.0.6045.169"),
            ("org.videolan.vlc-ios", "VLC", "3.5.1"),
        ]
    )
    # real iPads answer arrays too, which ideviceinfo prints as "SupportedDeviceFamilies[2]:"
    extra_values: dict[str, Any] = field(default_factory=lambda: {"SupportedDeviceFamilies": [1, 2]})
    state: str = "healthy"  # the mode: one of MODES
    slow_s: float = 0.5

    @property
    def mode(self) -> str:
        return self.state

    @mode.setter
    def mode(self, value: str) -> None:
        self.state = value

    def values(self) -> dict[str, Any]:
        """``GetValue`` with no domain and no key (a subset of a real iPad's answer)."""
        return {
            "ActivationState": "Activated",
            "BasebandStatus": "NoTelephonyCapabilty",
            "BluetoothAddress": "8c:86:1e:4b:2a:10",
            "BuildVersion": self.build,
            "CPUArchitecture": "arm64",
            "DeviceClass": "iPad",
            "DeviceColor": "1",
            "DeviceName": self.name,
            "DevicePublicKey": pki()["device_public"],
            "HardwareModel": "J71sAP",
            "HostAttached": True,
            "ModelNumber": "MW742",
            "NonVolatileRAM": {"auto-boot": b"true", "backlight-level": b"1593"},
            "PasswordProtected": True,
            "ProductName": "iPhone OS",
            "ProductType": self.model,
            "ProductVersion": self.ios_version,
            "ProtocolVersion": "2",
            "RegionInfo": "NF/A",
            "SerialNumber": self.serial,
            "TimeZone": "Europe/Paris",
            "UniqueDeviceID": self.udid,
            "WiFiAddress": "8c:86:1e:4b:2a:0f",
            **self.extra_values,
        }

    def battery(self) -> dict[str, Any]:
        """``GetValue`` ``Domain: com.apple.mobile.battery``."""
        return {
            "BatteryCurrentCapacity": self.battery_pct,
            "BatteryIsCharging": self.charging,
            "ExternalChargeCapable": True,
            "ExternalConnected": self.external_power,
            "FullyCharged": self.battery_pct >= 100,
            "GasGaugeCapability": True,
            "HasBattery": True,
        }


class LockdownHost(Protocol):
    """What lockdownd needs of the simulator: the iPad, the hosts it trusts, the services it runs."""

    device: SimulatedIpad
    trusted_host_ids: set[str]
    service_ports: dict[int, str]  # port -> service name


class Lockdownd:
    """lockdownd on one tunnelled connection: the session it opened, and its answer to each request."""

    def __init__(self, sim: LockdownHost) -> None:
        self.sim = sim
        self.session_id: str | None = None

    def answer(self, request: dict[str, Any]) -> dict[str, Any]:
        sim, device = self.sim, self.sim.device
        kind = request.get("Request", "")
        reply: dict[str, Any] = {"Request": kind}
        if kind == "QueryType":
            reply["Type"] = "com.apple.mobile.lockdown"
        elif kind == "GetValue":
            domain, key = request.get("Domain"), request.get("Key")
            values = (
                device.battery()
                if domain == "com.apple.mobile.battery"
                else device.values()
                if domain is None
                else None
            )
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
            host_id = request.get("HostID") or request.get("PairRecord", {}).get("HostID", "")
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
            reply["Error"] = "UnknownRequest"  # wording not checked against a real iPad
        return reply


def browse_pages(device: SimulatedIpad, request: dict[str, Any]) -> list[dict[str, Any]]:
    """installation_proxy's answers to one request: ``Browse``: the apps in pages of 2, then
    ``Status: Complete``."""
    if request.get("Command") != "Browse":
        return [{"Error": "UnknownCommand", "Status": "Complete"}]
    options = request.get("ClientOptions") or {}
    wanted = options.get("ReturnAttributes")
    apps = [
        {
            "CFBundleIdentifier": bundle,
            "CFBundleDisplayName": name,
            "CFBundleName": name,
            "CFBundleShortVersionString": version,
            "CFBundleVersion": version,
            "ApplicationType": "User",
        }
        for bundle, name, version in device.apps
    ]
    if wanted:
        apps = [{k: v for k, v in app.items() if k in wanted} for app in apps]
    pages: list[dict[str, Any]] = []
    for index in range(0, len(apps), 2):
        page = apps[index : index + 2]
        pages.append(
            {
                "CurrentIndex": index,
                "CurrentAmount": len(page),
                "Total": len(apps),
                "CurrentList": page,
                "Status": "BrowsingApplications",
            }
        )
    return [*pages, {"Status": "Complete"}]
