"""Android tablets (ADB) and iPads (libimobiledevice or cfgutil): accounts, apps, settings."""

from __future__ import annotations

from typing import Any

from devices.models import AndroidTablet, Ipad
from provision.families.base import Account, Family, ProbeDecl, RecapRow, RowContext
from provision.messages import render

UNLOCK = Account(kind="unlock_code", login=None, secret="unlock_code")


def _android_settings(device: AndroidTablet) -> list[tuple[str, Any]]:
    return [("screen_timeout_s", device.screen_timeout_s)] if device.screen_timeout_s else []


def _android_row(device: AndroidTablet, ctx: RowContext) -> RecapRow:
    usb = not device.address and device.adb_serial
    return RecapRow(kind=ctx.family_label, details=(render("recap.detail.usb_tablet"),) if usb else ())


ANDROID = Family(
    name="android",
    model=AndroidTablet,
    recap_section="tablets",
    platform="android",
    provisioning="device",
    apply="provision.devices_apply:apply_android",
    accounts=(
        Account(kind="google_account", login="google_account", secret="google_password", generated=False),
        UNLOCK,
    ),
    settings=_android_settings,
    probes={
        "default": ProbeDecl(
            name="adb",
            checks=("battery", "account", "software", "wifi_joined"),
            fn="checks.probes.android:probe_android",
        )
    },
    recap_row=_android_row,
    simulator="devices.lab.android:SimulatedTablet",
    port_field="adb_port",
)
IPAD = Family(
    name="ipad",
    model=Ipad,
    recap_section="tablets",
    platform="ios",
    provisioning="device",
    apply="provision.devices_apply:apply_ipad",
    accounts=(Account(kind="apple_id", login="apple_id", secret="apple_id_password", generated=False), UNLOCK),
    probes={"default": ProbeDecl(name="ipad", checks=("battery", "software"), fn="checks.probes.ipad:probe_ipad")},
    simulator="devices.lab.usbmuxd:UsbmuxdSimulator",
)
DECLARED = (ANDROID, IPAD)
