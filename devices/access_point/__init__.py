"""Wi-Fi access points over SSH (netmiko): OpenWrt and MikroTik RouterOS.

AccessPoint (Protocol)  read(expected_key=...) -> AccessPointFacts
                        apply(ssid=, key=, security=, radio_enabled=) -> ApplyResult
access_point_for(platform, host, ...)  dispatch table PLATFORMS
"""

from devices.access_point.base import (
    AccessPoint,
    AccessPointFacts,
    ApplyResult,
    validate_settings,
)
from devices.access_point.driver import (
    PLATFORMS,
    access_point_for,
    apply_access_point,
    read_access_point,
)

__all__ = [
    "PLATFORMS",
    "AccessPoint",
    "AccessPointFacts",
    "ApplyResult",
    "access_point_for",
    "apply_access_point",
    "read_access_point",
    "validate_settings",
]
