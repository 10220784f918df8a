"""OpenWrt access points over SSH (netmiko ``linux`` driver, busybox ash).

Read::   uci show wireless
         ubus list 'hostapd.*'  then  ubus call hostapd.<if> get_clients
         (fallback when ubus is missing: iwinfo <if> assoclist)
Apply::  uci set 'wireless.<iface>.ssid=...'  (encryption, key, <radio>.disabled)
         uci commit wireless ; wifi reload     (only when something changed)
"""

from __future__ import annotations

import shlex
from datetime import UTC, datetime

from devices.access_point.base import AccessPointFacts, ApplyResult, key_matches, validate_settings
from devices.access_point.parse_openwrt import (
    ENCRYPTION_BY_SECURITY,
    OpenWrtWireless,
    openwrt_security,
    parse_hostapd_clients,
    parse_iwinfo_assoclist,
    parse_openwrt_wireless,
    parse_ubus_list,
)
from devices.access_point.transport import SshShell
from devices.errors import BadAnswer

SUPPORTED_SECURITY = tuple(ENCRYPTION_BY_SECURITY)


class OpenWrtAccessPoint:
    """An OpenWrt AP; ``iface_index`` picks ``wireless.@wifi-iface[N]``."""

    platform = "openwrt"
    device_type = "linux"

    def __init__(
        self,
        host: str,
        *,
        port: int = 22,
        username: str = "root",
        password: str,
        timeout_s: float = 10.0,
        iface_index: int = 0,
    ) -> None:
        self.host, self.port, self.username = host, port, username
        self._password = password
        self.timeout_s = timeout_s
        self.iface_index = iface_index

    def __repr__(self) -> str:
        return f"OpenWrtAccessPoint({self.host!r}, port={self.port})"

    def _shell(self) -> SshShell:
        return SshShell(
            device_type=self.device_type,
            host=self.host,
            port=self.port,
            username=self.username,
            password=self._password,
            timeout_s=self.timeout_s,
        )

    def read(self, *, expected_key: str | None = None) -> AccessPointFacts:
        unanswered: dict[str, str] = {}
        with self._shell() as shell:
            config = parse_openwrt_wireless(shell.run("uci show wireless"), self.iface_index)
            radio_enabled = not (config.radio_disabled or config.iface_disabled)
            clients: int | None = 0
            if radio_enabled:
                try:
                    clients = self._clients_count(shell, config)
                except BadAnswer as exc:
                    clients, unanswered["clients_count"] = None, str(exc)
        security = openwrt_security(config.encryption)
        return AccessPointFacts(
            platform=self.platform,
            ssid=config.ssid,
            security=security,
            key_matches=key_matches(config.key, expected_key, security),
            radio_enabled=radio_enabled,
            clients_count=clients,
            band=config.band,
            channel=config.channel,
            unanswered=unanswered,
            measured_at=datetime.now(UTC),
        )

    def _clients_count(self, shell: SshShell, config: OpenWrtWireless) -> int:
        try:
            names = parse_ubus_list(shell.run("ubus list 'hostapd.*'"))
        except BadAnswer:
            names = []
        if names:
            wanted = f"hostapd.{config.ifname}" if config.ifname else None
            if wanted in names:
                name = wanted
            else:
                name = names[self.iface_index] if self.iface_index < len(names) else names[0]
            return parse_hostapd_clients(shell.run(f"ubus call {shlex.quote(name)} get_clients"))
        ifname = config.ifname or "wlan0"
        return parse_iwinfo_assoclist(shell.run(f"iwinfo {shlex.quote(ifname)} assoclist"))

    def apply(
        self, *, ssid: str, key: str | None, security: str = "wpa2-psk", radio_enabled: bool = True
    ) -> ApplyResult:
        validate_settings(ssid=ssid, key=key, security=security, supported=SUPPORTED_SECURITY)
        changed: list[str] = []
        with self._shell() as shell:
            config = parse_openwrt_wireless(shell.run("uci show wireless"), self.iface_index)
            iface = f"wireless.{config.iface_section}"
            encryption = ENCRYPTION_BY_SECURITY[security]
            if config.ssid != ssid:
                self._set(shell, f"{iface}.ssid", ssid)
                changed.append("ssid")
            if openwrt_security(config.encryption) != security:
                self._set(shell, f"{iface}.encryption", encryption)
                changed.append("security")
            if key is not None and not key_matches(config.key, key, "psk"):
                self._set(shell, f"{iface}.key", key)
                changed.append("key")
            if radio_enabled == (config.radio_disabled or config.iface_disabled):
                if config.radio_section is None:
                    raise BadAnswer("uci output names no radio for the wifi-iface")
                self._set(shell, f"wireless.{config.radio_section}.disabled", "0" if radio_enabled else "1")
                if config.iface_disabled and radio_enabled:
                    self._set(shell, f"{iface}.disabled", "0")
                changed.append("radio_enabled")
            if changed:
                for command in ("uci commit wireless", "wifi reload"):
                    if shell.run(command).strip():
                        raise BadAnswer(f"OpenWrt answered an error to {command!r}")
        return ApplyResult(changed=tuple(changed), applied_at=datetime.now(UTC))

    @staticmethod
    def _set(shell: SshShell, path: str, value: str) -> None:
        # One shell word, single-quoted: nothing in an SSID or key is interpreted by ash.
        if shell.run(f"uci set {shlex.quote(f'{path}={value}')}").strip():
            # The output may echo the value (a key): never put it in the message.
            raise BadAnswer(f"OpenWrt refused 'uci set {path}=...'")
