"""Android tablets over ADB (TCP): facts, parsers, driver. See driver.py for the commands used.

Importing this package does not import adb-shell; ``devices.android.driver`` / ``.transport`` do.
"""

from devices.android.facts import (
    TALKBACK_SERVICE,
    AccessibilityFacts,
    AndroidFacts,
    BatteryFacts,
    BatteryHealth,
    BatteryStatus,
    InstallResult,
    SettingChange,
    WifiFacts,
)

__all__ = [
    "TALKBACK_SERVICE",
    "AccessibilityFacts",
    "AndroidFacts",
    "BatteryFacts",
    "BatteryHealth",
    "BatteryStatus",
    "InstallResult",
    "SettingChange",
    "WifiFacts",
]
