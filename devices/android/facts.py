"""Facts measured on an Android tablet (frozen dataclasses; ``None`` = not measured / not reported)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

TALKBACK_SERVICE = "com.google.android.marvin.talkback/com.google.android.marvin.talkback.TalkBackService"
# Samsung ships its own TalkBack build under another package.
TALKBACK_PACKAGES = frozenset({"com.google.android.marvin.talkback", "com.samsung.android.accessibility.talkback"})


class BatteryStatus(StrEnum):
    """``BatteryManager.BATTERY_STATUS_*`` (``status:`` line of ``dumpsys battery``)."""

    UNKNOWN = "unknown"  # 1
    CHARGING = "charging"  # 2
    DISCHARGING = "discharging"  # 3
    NOT_CHARGING = "not_charging"  # 4: plugged but not charging (charge limit, too hot...)
    FULL = "full"  # 5


class BatteryHealth(StrEnum):
    """``BatteryManager.BATTERY_HEALTH_*`` (``health:`` line)."""

    UNKNOWN = "unknown"  # 1
    GOOD = "good"  # 2
    OVERHEAT = "overheat"  # 3
    DEAD = "dead"  # 4
    OVER_VOLTAGE = "over_voltage"  # 5
    UNSPECIFIED_FAILURE = "unspecified_failure"  # 6
    COLD = "cold"  # 7


@dataclass(frozen=True, slots=True, kw_only=True)
class BatteryFacts:
    """From ``dumpsys battery``."""

    level_pct: float | None  # level * 100 / scale
    charging: bool | None  # status == charging
    plugged: frozenset[str] | None  # power sources: "ac", "usb", "wireless", "dock"; empty = on battery
    status: BatteryStatus | None
    temperature_c: float | None  # reported in tenths of a degree
    health: BatteryHealth | None
    voltage_mv: int | None
    present: bool | None
    measured_at: datetime

    @property
    def powered(self) -> bool | None:
        """True if any power source is plugged in (charging or not)."""
        return None if self.plugged is None else bool(self.plugged)


@dataclass(frozen=True, slots=True, kw_only=True)
class WifiFacts:
    """From ``cmd wifi status`` (Android 11+) or ``dumpsys wifi``."""

    enabled: bool | None
    connected: bool | None
    ssid: str | None  # None when not connected or hidden (``<unknown ssid>``)
    measured_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class AccessibilityFacts:
    """From ``settings get secure ...``."""

    magnification_enabled: bool | None  # accessibility_display_magnification_enabled
    high_contrast_text_enabled: bool | None  # high_text_contrast_enabled
    enabled_services: frozenset[str]  # enabled_accessibility_services, "pkg/cls" components
    measured_at: datetime

    @property
    def talkback_enabled(self) -> bool:
        return any(service.split("/")[0] in TALKBACK_PACKAGES for service in self.enabled_services)


@dataclass(frozen=True, slots=True, kw_only=True)
class AndroidFacts:
    """Everything the readiness checks need about one tablet."""

    model: str | None  # getprop ro.product.model
    manufacturer: str | None  # getprop ro.product.manufacturer
    serial: str | None  # getprop ro.serialno
    android_version: str | None  # getprop ro.build.version.release ("14", "7.0")
    battery: BatteryFacts | None
    packages: frozenset[str] | None  # pm list packages
    google_accounts: tuple[str, ...] | None  # dumpsys account, type=com.google
    wifi: WifiFacts | None
    screen_off_timeout_s: float | None  # settings get system screen_off_timeout (ms)
    accessibility: AccessibilityFacts | None
    measured_at: datetime
    errors: tuple[str, ...] = ()  # why a fact is None when its command failed (no secrets)

    @property
    def wifi_ssid(self) -> str | None:
        return self.wifi.ssid if self.wifi is not None else None


@dataclass(frozen=True, slots=True, kw_only=True)
class SettingChange:
    """One ``settings put`` done by an action."""

    namespace: str  # system | secure | global
    key: str
    before: str | None  # None = was unset ("null")
    after: str


@dataclass(frozen=True, slots=True, kw_only=True)
class InstallResult:
    """Outcome of ``pm install -r`` of a pushed APK."""

    apk_name: str
    success: bool
    failure_reason: str | None  # e.g. "INSTALL_FAILED_VERSION_DOWNGRADE"
    package: str | None  # when the caller named it
    newly_installed: bool | None  # False = it was an update; None = package unknown
    measured_at: datetime
