"""Typed models of every device family, built from Ansible host variables.

A host's variables (after Ansible's group/host precedence and vault decryption) are
validated by the model of its family. The Ansible group a host belongs to *is* its
family: these group names are the inventory contract (docs/inventaire-reference.md), and the
family registry (provision/families) says which model each group uses.

These models live here, below both the probes (checks) and the application (provision), so
both can use them without an import cycle.

Variable names are the model's field names, except the address which is Ansible's
``ansible_host``. Secrets are ``SecretStr``: they never show in a repr, a log or JSON.
Rules that involve several fields live in ``check()``, which returns findings as
(field, message key, params) so that the loader can say where each one comes from.
"""

from __future__ import annotations

import ipaddress
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, StringConstraints, field_validator

Percent = Annotated[int, Field(ge=0, le=100)]
Port = Annotated[int, Field(ge=1, le=65535)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Email = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
Url = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^https?://\S+$")]
MacAddress = Annotated[str, StringConstraints(pattern=r"^([0-9A-Fa-f]{2}:){5}[0-9A-Fa-f]{2}$")]

Finding = tuple[str, str, dict[str, Any]]  # (field, message key, params)


class Device(BaseModel):
    """Fields every family shares."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True, frozen=True)

    family: ClassVar[str] = ""
    secret_fields: ClassVar[tuple[str, ...]] = ()
    #: fields that must be unique across the whole inventory when set
    unique_fields: ClassVar[tuple[str, ...]] = ("address", "serial")

    name: str
    room: str | None = None
    label: Text | None = None
    address: Text | None = Field(None, alias="ansible_host")
    brand: Text | None = None
    model: Text | None = None
    serial: Text | None = None
    #: how long this device has to answer one probe, in seconds (group_vars of its family, e.g.
    #: a slow 3D printer); unset = the sweep's --timeout
    probe_timeout_s: Annotated[float, Field(gt=0, le=300)] | None = None

    @field_validator("address")
    @classmethod
    def _address_is_host(cls, value: str | None) -> str | None:
        if value is None:
            return value
        try:
            ipaddress.ip_address(value)
        except ValueError:
            labels = value.split(".")
            if any(not label or len(label) > 63 or " " in label for label in labels):
                raise ValueError("ni une adresse IP ni un nom d'hôte valide") from None
        return value

    def check(self) -> list[Finding]:
        return []

    def display(self) -> str:
        return self.label or self.name

    def secret_present(self, field: str) -> bool:
        value = getattr(self, field, None)
        return value is not None and bool(value.get_secret_value())


def _needs_address(device: Device, why: str) -> list[Finding]:
    return [] if device.address else [("ansible_host", "field.address_required", {"why": why})]


class Workstation(Device):
    """A Windows, Linux or macOS computer managed by Ansible."""

    secret_fields: ClassVar[tuple[str, ...]] = ("admin_password",)

    role: Literal["candidate", "jury", "spare"] = "candidate"
    admin_user: Text
    admin_password: SecretStr | None = None
    projection: bool = False
    wired: bool = True
    #: a Linux PC with a Wi-Fi card that checks the room's network is really heard (nmcli)
    wifi_station: bool = False
    nmcli_path: Text = "nmcli"  # where NetworkManager's nmcli lives on that PC, if not on PATH
    ansible_connection: str | None = None
    ansible_port: Port | None = None
    #: replaces the référentiel's default baseline for this host (catalog names)
    baseline_software: list[Text] | None = None
    #: installed on top of everything else (the centre's own choices)
    extra_software: list[Text] = Field(default_factory=list)

    def check(self) -> list[Finding]:
        if self.ansible_connection == "local":
            return []
        return _needs_address(self, "ansible")

    def management_port(self) -> int:
        """The TCP port Ansible reaches: ansible_port, else the connection's default."""
        if self.ansible_port:
            return self.ansible_port
        return {"winrm": 5986, "psrp": 5986}.get(self.ansible_connection or "ssh", 22)


class WindowsWorkstation(Workstation):
    family: ClassVar[str] = "windows"
    ansible_connection: Literal["winrm", "psrp", "ssh", "local"] | None = None
    ansible_shell_type: Text | None = None  # OpenSSH: "powershell" (Ansible would send sh otherwise)

    def check(self) -> list[Finding]:
        found = super().check()
        if self.ansible_connection == "ssh" and self.ansible_shell_type != "powershell":
            found.append(("ansible_shell_type", "field.windows_ssh_shell", {}))
        return found


class LinuxWorkstation(Workstation):
    family: ClassVar[str] = "linux"


class MacWorkstation(Workstation):
    family: ClassVar[str] = "macos"


class AndroidTablet(Device):
    family: ClassVar[str] = "android"
    secret_fields: ClassVar[tuple[str, ...]] = ("google_password", "unlock_code")
    unique_fields: ClassVar[tuple[str, ...]] = ("address", "serial", "adb_serial", "google_account")

    adb_serial: Text | None = None
    adb_port: Port = 5555
    google_account: Email
    google_password: SecretStr | None = None
    unlock_code: SecretStr | None = None
    min_battery_pct: Percent = 80
    screen_timeout_s: Annotated[int, Field(ge=15, le=86400)] | None = None

    def check(self) -> list[Finding]:
        if self.address or self.adb_serial:
            return []
        return [("ansible_host", "field.one_of_required", {"fields": ["ansible_host", "adb_serial"]})]


class Ipad(Device):
    family: ClassVar[str] = "ipad"
    secret_fields: ClassVar[tuple[str, ...]] = ("apple_id_password", "unlock_code")
    unique_fields: ClassVar[tuple[str, ...]] = ("address", "serial", "udid", "ecid", "apple_id")

    access: Literal["libimobiledevice", "cfgutil"] = "libimobiledevice"
    udid: Text | None = None
    ecid: Text | None = None
    cfgutil_host: Text | None = None
    apple_id: Email
    apple_id_password: SecretStr | None = None
    unlock_code: SecretStr | None = None
    min_battery_pct: Percent = 80

    def check(self) -> list[Finding]:
        needed = ["udid"] if self.access == "libimobiledevice" else ["ecid", "cfgutil_host"]
        return [
            (name, "field.required_with", {"other": "access", "value": self.access})
            for name in needed
            if not getattr(self, name)
        ]


class Printer(Device):
    family: ClassVar[str] = "printer"

    connection: Literal["network", "usb"] = "network"
    ipp_port: Port = 631
    ipp_path: Text = "/ipp/print"
    snmp_community: Text = "public"
    snmp_port: Port = 161
    min_supply_pct: Percent = 10

    def check(self) -> list[Finding]:
        return _needs_address(self, "network") if self.connection == "network" else []


class Scanner(Device):
    family: ClassVar[str] = "scanner"

    connection: Literal["network", "usb"] = "network"
    escl_port: Port = 80
    escl_scheme: Literal["http", "https"] = "http"
    escl_path: Text = "/eSCL"

    def check(self) -> list[Finding]:
        return _needs_address(self, "network") if self.connection == "network" else []


class Microcontroller(Device):
    family: ClassVar[str] = "microcontroller"
    unique_fields: ClassVar[tuple[str, ...]] = ("serial", "usb_serial")

    board: Literal["microbit", "arduino_uno", "arduino_mega", "pico", "esp32", "other"]
    usb_serial: Text | None = None
    attached_to: Text | None = None
    handshake: Literal["micropython", "firmata", "none", "custom"] = "none"
    probe_string: str | None = None
    expect: str | None = None

    def check(self) -> list[Finding]:
        if self.handshake != "custom":
            return []
        return [
            (name, "field.required_with", {"other": "handshake", "value": "custom"})
            for name in ("probe_string", "expect")
            if not getattr(self, name)
        ]


class Robot(Device):
    family: ClassVar[str] = "robot"
    unique_fields: ClassVar[tuple[str, ...]] = ("serial", "ble_address", "usb_serial")

    kind: Literal["thymio", "beebot", "bluebot", "mbot", "spike", "ozobot", "cubetto", "other"]
    probe: Literal["ble", "serial", "tdm", "manual"] = "manual"
    tdm_port: Port = 8596  # Thymio Device Manager (Thymio Suite) on ansible_host or this machine
    ble_address: MacAddress | None = None
    usb_serial: Text | None = None
    min_battery_pct: Percent = 50
    attestation_validity_h: Annotated[int, Field(ge=1, le=168)] = 12

    def check(self) -> list[Finding]:
        if self.probe == "ble" and not self.ble_address:
            return [("ble_address", "field.required_with", {"other": "probe", "value": "ble"})]
        return []


class Printer3D(Device):
    family: ClassVar[str] = "printer_3d"
    secret_fields: ClassVar[tuple[str, ...]] = ("api_key", "api_password")

    driver: Literal["octoprint", "moonraker", "prusalink", "marlin"]
    api_port: Port | None = None
    api_key: SecretStr | None = None
    api_user: Text | None = None
    api_password: SecretStr | None = None
    serial_port: Text | None = None
    baudrate: Literal[9600, 57600, 115200, 250000] = 115200
    spoolman_url: Url | None = None
    spool_id: Annotated[int, Field(ge=1)] | None = None
    min_filament_g: Annotated[int, Field(ge=0, le=10000)] = 100
    web_url: Url | None = None

    def check(self) -> list[Finding]:
        if self.driver == "marlin":
            if self.serial_port:
                return []
            return [("serial_port", "field.required_with", {"other": "driver", "value": "marlin"})]
        return _needs_address(self, "http")


class AccessPoint(Device):
    family: ClassVar[str] = "access_point"
    secret_fields: ClassVar[tuple[str, ...]] = ("ssh_password", "wifi_key")

    platform: Literal["openwrt", "routeros"]
    ssh_user: Text = "root"
    ssh_password: SecretStr | None = None
    ssh_port: Port = 22
    wifi_ssid: Text
    wifi_security: Literal["wpa2-psk", "wpa3-sae", "wpa2-wpa3", "open"] = "wpa2-psk"
    wifi_key: SecretStr | None = None

    def check(self) -> list[Finding]:
        found = _needs_address(self, "ssh")
        size = len(self.wifi_ssid.encode("utf-8"))
        if size > 32:
            found.append(("wifi_ssid", "wifi.ssid_too_long", {"bytes": size}))
        if self.wifi_security != "open":
            if self.wifi_key is None:
                found.append(("wifi_key", "wifi.key_missing", {"security": self.wifi_security}))
            else:
                key = self.wifi_key.get_secret_value()
                if not 8 <= len(key) <= 63 or not key.isascii():
                    # the length is safe to show, the key never is
                    found.append(("wifi_key", "wifi.key_length", {"length": len(key)}))
        return found


class Projector(Device):
    family: ClassVar[str] = "projector"
    secret_fields: ClassVar[tuple[str, ...]] = ("pjlink_password",)

    kind: Literal["projector", "screen"] = "projector"
    pjlink: bool = True
    pjlink_port: Port = 4352
    pjlink_password: SecretStr | None = None
    speakers: bool = False
    screen_size_in: Annotated[int, Field(ge=10, le=200)] | None = None

    def check(self) -> list[Finding]:
        return _needs_address(self, "pjlink") if self.pjlink else []


def known_fields(model: type[Device]) -> set[str]:
    """Variable names a host of this model may set (the address is Ansible's ``ansible_host``)."""
    names = set(model.model_fields) - {"name", "room"}
    names.discard("address")
    names.add("ansible_host")
    return names
