"""The family registry: the one place that lists the device families and what each one is.

Everything that used to branch on family names reads this instead: the inventory loader
(models, which families one host may combine), the plan (platform, accounts, settings), the
provisioning of devices, the sweep (which probe, which checks, what a person attests), the
check table, the dashboard and the recap (labels, sections, rows). ``tests/test_families.py``
proves every family complete and consistent in every view; docs/adding-a-family.md says how
to add a family or a driver.
"""

from __future__ import annotations

from collections.abc import Iterator

from devices.models import Device
from provision.families import objects, printing, room, tablets, workstations
from provision.families.base import (
    RECAP_SECTIONS,
    Account,
    Family,
    ManualCheck,
    ProbeDecl,
    RecapRow,
    RecapSection,
    RowContext,
    resolve,
)
from provision.messages import render

__all__ = [
    "RECAP_SECTIONS",
    "REGISTRY",
    "Account",
    "Family",
    "ManualCheck",
    "ProbeDecl",
    "RecapRow",
    "RecapSection",
    "RowContext",
    "family",
    "family_label",
    "families",
    "manual_check",
    "probe_for",
    "resolve",
]

REGISTRY: dict[str, Family] = {
    f.name: f
    for f in (*workstations.DECLARED, *tablets.DECLARED, *printing.DECLARED, *room.DECLARED, *objects.DECLARED)
}


def family(name: str) -> Family:
    return REGISTRY[name]


def families(*, provisioning: str | None = None, installs_software: bool | None = None) -> Iterator[Family]:
    for fam in REGISTRY.values():
        if provisioning is not None and fam.provisioning != provisioning:
            continue
        if installs_software is not None and fam.installs_software != installs_software:
            continue
        yield fam


def family_label(name: str, lang: str | None = None) -> str:
    return render(REGISTRY[name].label_key, lang=lang) if name in REGISTRY else name


def probe_for(device: Device) -> ProbeDecl | None:
    """The probe that measures ``device``, or None when only a person can attest it."""
    return REGISTRY[device.family].probe_for(device)


def manual_check(device: Device) -> ManualCheck | None:
    """What a person attests on ``device`` when no probe measures it."""
    fam = REGISTRY[device.family]
    return fam.manual if fam.probe_for(device) is None else None
