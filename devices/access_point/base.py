"""What every access point driver returns and accepts: facts, apply result, validation."""

from __future__ import annotations

import hmac
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

MAX_SSID_BYTES = 32
KEY_MIN_CHARS, KEY_MAX_CHARS = 8, 63


@dataclass(frozen=True, slots=True, kw_only=True)
class AccessPointFacts:
    """What an access point reported. ``None`` = not reported / not measured.

    ``security``: ``open`` | ``wpa-psk`` | ``wpa2-psk`` | ``wpa-wpa2-psk`` | ``wpa3-sae`` |
    ``wpa2-wpa3`` | ``owe`` | ``wep`` | ``wpa-eap`` | ``wpa2-eap`` | ``wpa3-eap`` |
    ``unknown:<raw value>``.
    ``key_matches``: the device's key equals the expected one (None when none was given
    or the device did not say). The key itself is never returned.
    ``radio_enabled``: the radio *and* the managed interface are enabled.
    """

    platform: str
    ssid: str | None
    security: str | None
    key_matches: bool | None
    radio_enabled: bool | None
    clients_count: int | None
    band: str | None  # "2.4ghz" | "5ghz" | "6ghz"
    channel: str | None  # "36" | "auto"
    unanswered: dict[str, str] = field(default_factory=dict)  # fact -> why it is None
    measured_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class ApplyResult:
    """What ``apply`` changed: names among ``ssid``, ``security``, ``key``, ``radio_enabled``."""

    changed: tuple[str, ...]
    applied_at: datetime


class AccessPoint(Protocol):
    """One access point reached over SSH. Each call opens and closes its own session."""

    platform: str

    def read(self, *, expected_key: str | None = None) -> AccessPointFacts:
        """Read SSID, security, key match, radio state, client count."""
        ...

    def apply(
        self, *, ssid: str, key: str | None, security: str = "wpa2-psk", radio_enabled: bool = True
    ) -> ApplyResult:
        """Set what differs, commit, reload the radio; return what changed."""
        ...


def validate_settings(*, ssid: str, key: str | None, security: str, supported: tuple[str, ...]) -> None:
    """Refuse settings a device would reject or mangle, before touching the device.

    Raises ValueError; the message never contains the key.
    """
    if security not in supported:
        raise ValueError(f"security {security!r} is not supported here; supported: {', '.join(supported)}")
    if not isinstance(ssid, str) or not ssid:
        raise ValueError("SSID must be a non-empty string")
    if len(ssid.encode("utf-8")) > MAX_SSID_BYTES:
        raise ValueError(f"SSID is {len(ssid.encode('utf-8'))} bytes in UTF-8; the maximum is {MAX_SSID_BYTES}")
    if any(not ch.isprintable() for ch in ssid):
        raise ValueError("SSID contains control characters")
    if security == "open":
        if key is not None:
            raise ValueError("an open network takes no key (pass key=None)")
        return
    if not isinstance(key, str) or not KEY_MIN_CHARS <= len(key) <= KEY_MAX_CHARS:
        raise ValueError(f"Wi-Fi key must be {KEY_MIN_CHARS} to {KEY_MAX_CHARS} characters")
    if any(not " " <= ch <= "~" for ch in key):
        raise ValueError("Wi-Fi key must be printable ASCII (WPA passphrase)")


def key_matches(device_key: str | None, expected_key: str | None, security: str | None) -> bool | None:
    """Constant-time comparison; None when no key was expected."""
    if expected_key is None:
        return None
    if security == "open":
        return False
    if device_key is None:
        return None
    return hmac.compare_digest(device_key.encode("utf-8"), expected_key.encode("utf-8"))
