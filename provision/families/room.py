"""The room's Wi-Fi access point (SSH: OpenWrt, RouterOS) and its projection (PJLink)."""

from __future__ import annotations

from typing import Any

from devices.models import AccessPoint, Projector
from provision.families.base import Account, Family, ManualCheck, ProbeDecl, RecapRow, RowContext
from provision.messages import render


def _ap_settings(device: AccessPoint) -> list[tuple[str, Any]]:
    return [("wifi_ssid", device.wifi_ssid), ("wifi_security", device.wifi_security)]


def _ap_row(device: AccessPoint, ctx: RowContext) -> RecapRow:
    return RecapRow(kind=ctx.family_label, details=(render("recap.detail.ap_ssh", {"platform": device.platform}),))


def _projector_row(device: Projector, ctx: RowContext) -> RecapRow:
    details = []
    if device.screen_size_in:
        details.append(render("recap.detail.inches", {"size": device.screen_size_in}))
    if device.speakers:
        details.append(render("recap.detail.speakers"))
    return RecapRow(kind=render(f"label.projector_kind.{device.kind}"), details=tuple(details))


def _projector_probe(device: Projector) -> str | None:
    return "default" if device.pjlink else None


ACCESS_POINT = Family(
    name="access_point",
    model=AccessPoint,
    recap_section="wifi",
    provisioning="device",
    apply="provision.devices_apply:apply_access_point",
    accounts=(
        Account(kind="ssh_admin", login="ssh_user", secret="ssh_password", generated=False),
        Account(
            kind="wifi_key",
            login="wifi_ssid",
            secret="wifi_key",
            on_recap_row=False,
            when=lambda ap: ap.wifi_security != "open",
        ),
    ),
    settings=_ap_settings,
    probes={
        "default": ProbeDecl(
            name="ssh", checks=("wifi_radio", "wifi_config"), fn="checks.probes.access_point:probe_access_point"
        )
    },
    recap_row=_ap_row,
    simulator="devices.lab.access_point:AccessPointSimulator",
    port_field="ssh_port",
)
PROJECTOR = Family(
    name="projector",
    model=Projector,
    recap_section="others",
    accounts=(Account(kind="pjlink", login=None, secret="pjlink_password", in_plan=False),),
    probes={"default": ProbeDecl(name="pjlink", checks=("projector",), fn="checks.probes.projector:probe_projector")},
    choose_probe=_projector_probe,
    manual=ManualCheck(item="screen_tested"),
    recap_row=_projector_row,
    simulator="devices.lab.projector:ProjectorSimulator",
    port_field="pjlink_port",
)
DECLARED = (ACCESS_POINT, PROJECTOR)
