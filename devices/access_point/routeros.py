"""MikroTik RouterOS 6 access points (legacy ``wireless`` package) over SSH.

netmiko's ``mikrotik_routeros`` driver logs in as ``<user>+ct511w4098h`` (no colours,
dumb terminal, 511x4098) so nothing pages. Commands::

    /interface wireless print terse
    /interface wireless security-profiles print terse
    /interface wireless registration-table print count-only where interface=<name>
    /interface wireless set [find name="<name>"] ssid="..." disabled=no
    /interface wireless security-profiles set [find name="<profile>"] mode=dynamic-keys
        authentication-types=wpa2-psk wpa2-pre-shared-key="..."

RouterOS 7's ``/interface wifi`` (wifiwave2) is not covered.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from devices.access_point.base import AccessPointFacts, ApplyResult, key_matches, validate_settings
from devices.access_point.parse_routeros import (
    RouterOsItem,
    parse_count_only,
    parse_print,
    routeros_band,
    routeros_channel,
    routeros_key,
    routeros_security,
)
from devices.access_point.transport import SshShell
from devices.errors import BadAnswer

SUPPORTED_SECURITY = ("open", "wpa2-psk", "wpa-wpa2-psk")
_AUTH_TYPES = {"wpa2-psk": "wpa2-psk", "wpa-wpa2-psk": "wpa-psk,wpa2-psk"}


def routeros_quote(value: str) -> str:
    """A RouterOS string literal: ``\\``, ``"``, ``$`` (variables) and ``?`` (help) escaped."""
    return '"' + re.sub(r'(["\\$?])', r"\\\1", value) + '"'


class RouterOsAccessPoint:
    """A RouterOS AP; ``interface`` picks the wireless interface by name (default: first)."""

    platform = "routeros"
    device_type = "mikrotik_routeros"

    def __init__(
        self,
        host: str,
        *,
        port: int = 22,
        username: str = "admin",
        password: str,
        timeout_s: float = 10.0,
        interface: str | None = None,
    ) -> None:
        self.host, self.port, self.username = host, port, username
        self._password = password
        self.timeout_s = timeout_s
        self.interface = interface

    def __repr__(self) -> str:
        return f"RouterOsAccessPoint({self.host!r}, port={self.port})"

    def _shell(self) -> SshShell:
        return SshShell(
            device_type=self.device_type,
            host=self.host,
            port=self.port,
            username=self.username,
            password=self._password,
            timeout_s=self.timeout_s,
        )

    def _read_config(self, shell: SshShell) -> tuple[RouterOsItem, RouterOsItem]:
        interfaces = parse_print(shell.run("/interface wireless print terse"))
        if self.interface is None:
            wlan = interfaces[0] if interfaces else None
        else:
            wlan = next((i for i in interfaces if i.fields.get("name") == self.interface), None)
        if wlan is None or "ssid" not in wlan.fields:
            raise BadAnswer(f"no wireless interface {self.interface or ''} in RouterOS output".replace("  ", " "))
        profile_name = wlan.fields.get("security-profile", "default")
        profiles = parse_print(shell.run("/interface wireless security-profiles print terse"))
        profile = next((p for p in profiles if p.fields.get("name") == profile_name), None)
        if profile is None:
            raise BadAnswer(f"security profile {profile_name[:40]!r} missing from RouterOS output")
        return wlan, profile

    def read(self, *, expected_key: str | None = None) -> AccessPointFacts:
        unanswered: dict[str, str] = {}
        with self._shell() as shell:
            wlan, profile = self._read_config(shell)
            radio_enabled = "X" not in wlan.flags and wlan.fields.get("disabled", "no") != "yes"
            clients: int | None = 0
            if radio_enabled:
                name = routeros_quote(wlan.fields.get("name", ""))
                try:
                    clients = parse_count_only(
                        shell.run(f"/interface wireless registration-table print count-only where interface={name}")
                    )
                except BadAnswer as exc:
                    clients, unanswered["clients_count"] = None, str(exc)
        security = routeros_security(profile.fields)
        return AccessPointFacts(
            platform=self.platform,
            ssid=wlan.fields.get("ssid"),
            security=security,
            key_matches=key_matches(routeros_key(profile.fields), expected_key, security),
            radio_enabled=radio_enabled,
            clients_count=clients,
            band=routeros_band(wlan.fields.get("band")),
            channel=routeros_channel(wlan.fields.get("frequency")),
            unanswered=unanswered,
            measured_at=datetime.now(UTC),
        )

    def apply(
        self, *, ssid: str, key: str | None, security: str = "wpa2-psk", radio_enabled: bool = True
    ) -> ApplyResult:
        validate_settings(ssid=ssid, key=key, security=security, supported=SUPPORTED_SECURITY)
        changed: list[str] = []
        with self._shell() as shell:
            wlan, profile = self._read_config(shell)
            current_enabled = "X" not in wlan.flags and wlan.fields.get("disabled", "no") != "yes"
            iface_args = []
            if wlan.fields.get("ssid") != ssid:
                iface_args.append(f"ssid={routeros_quote(ssid)}")
                changed.append("ssid")
            if current_enabled != radio_enabled:
                iface_args.append(f"disabled={'no' if radio_enabled else 'yes'}")
                changed.append("radio_enabled")
            profile_args = []
            if routeros_security(profile.fields) != security:
                profile_args += (
                    ["mode=none"]
                    if security == "open"
                    else ["mode=dynamic-keys", f"authentication-types={_AUTH_TYPES[security]}"]
                )
                changed.append("security")
            if key is not None and not key_matches(routeros_key(profile.fields), key, "psk"):
                profile_args.append(f"wpa2-pre-shared-key={routeros_quote(key)}")
                if "wpa-psk" in _AUTH_TYPES[security].split(","):
                    profile_args.append(f"wpa-pre-shared-key={routeros_quote(key)}")
                changed.append("key")
            if profile_args:
                target = routeros_quote(profile.fields.get("name", "default"))
                self._set(shell, f"/interface wireless security-profiles set [find name={target}] ", profile_args)
            if iface_args:
                target = routeros_quote(wlan.fields.get("name", ""))
                self._set(shell, f"/interface wireless set [find name={target}] ", iface_args)
        return ApplyResult(changed=tuple(changed), applied_at=datetime.now(UTC))

    @staticmethod
    def _set(shell: SshShell, prefix: str, args: list[str]) -> None:
        if shell.run(prefix + " ".join(args)).strip():
            # RouterOS may echo the arguments (a key): only the command path goes in the message.
            raise BadAnswer(f"RouterOS refused '{prefix.split('[')[0].strip()}'")
