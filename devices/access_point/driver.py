"""Choose the access point driver for a platform name; read or apply in one call.

The dispatch table is lazy (``"module:Class"`` strings, as pytest-testinfra does), so
importing this module does not import netmiko until a driver is actually used.
"""

from __future__ import annotations

import importlib
from typing import Any

from devices.access_point.base import AccessPoint, AccessPointFacts, ApplyResult

PLATFORMS: dict[str, str] = {
    "openwrt": "devices.access_point.openwrt:OpenWrtAccessPoint",
    "routeros": "devices.access_point.routeros:RouterOsAccessPoint",
    "mikrotik": "devices.access_point.routeros:RouterOsAccessPoint",
}


def access_point_for(
    platform: str,
    host: str,
    *,
    password: str,
    port: int = 22,
    username: str | None = None,
    timeout_s: float = 10.0,
    **options: Any,
) -> AccessPoint:
    """Build the driver for ``platform`` (``openwrt``, ``routeros``/``mikrotik``).

    ``options`` go to the driver: ``iface_index`` (OpenWrt), ``interface`` (RouterOS).
    Unknown platform -> ValueError listing the supported ones.
    """
    try:
        target = PLATFORMS[platform.strip().lower()]
    except (KeyError, AttributeError):
        raise ValueError(
            f"unknown access point platform {platform!r}; supported: {', '.join(sorted(PLATFORMS))}"
        ) from None
    module_name, _, class_name = target.partition(":")
    cls = getattr(importlib.import_module(module_name), class_name)
    if username is not None:
        options["username"] = username
    driver: AccessPoint = cls(host, port=port, password=password, timeout_s=timeout_s, **options)
    return driver


def read_access_point(
    platform: str,
    host: str,
    *,
    password: str,
    port: int = 22,
    username: str | None = None,
    timeout_s: float = 10.0,
    expected_key: str | None = None,
    **options: Any,
) -> AccessPointFacts:
    """Read one AP's Wi-Fi facts; ``expected_key`` is compared on our side, never returned."""
    ap = access_point_for(
        platform, host, password=password, port=port, username=username, timeout_s=timeout_s, **options
    )
    return ap.read(expected_key=expected_key)


def apply_access_point(
    platform: str,
    host: str,
    *,
    password: str,
    ssid: str,
    key: str | None,
    security: str = "wpa2-psk",
    radio_enabled: bool = True,
    port: int = 22,
    username: str | None = None,
    timeout_s: float = 10.0,
    **options: Any,
) -> ApplyResult:
    """Set SSID / security / key / radio on one AP; returns what changed."""
    ap = access_point_for(
        platform, host, password=password, port=port, username=username, timeout_s=timeout_s, **options
    )
    return ap.apply(ssid=ssid, key=key, security=security, radio_enabled=radio_enabled)
