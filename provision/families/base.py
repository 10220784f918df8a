"""What a device family is, declared once: the types of the family registry.

A :class:`Family` says, for one Ansible group of the inventory contract (``android``,
``printer``...): the model its host variables are validated by, the probes that measure it and
the checks each produces, what a person attests when nothing can be measured, how it is
provisioned, the accounts it carries, how it shows in the plan and the recap, and the simulator
that stands for it in tests and the demo. Labels are message keys (``label.family.<name>``,
``label.check.<check>``, ``label.account.<kind>``) in both catalogues.

Code that the registry points at but that is heavy to import (probes import their drivers,
provisioning steps import theirs) is named as ``"module:attribute"`` and resolved on use — in
the main thread, before any probe runs in a pool thread, so two threads never race to import
one package.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from checks.probes.common import Probe, ProbeSpec
from devices.models import Device

RecapSection = Literal["wifi", "computers", "tablets", "peripherals", "others"]
RECAP_SECTIONS: tuple[RecapSection, ...] = ("wifi", "computers", "tablets", "peripherals", "others")


def resolve(ref: str) -> Any:
    """``"package.module:attribute"`` → the attribute (imports the module)."""
    module, _, attribute = ref.partition(":")
    return getattr(importlib.import_module(module), attribute)


@dataclass(frozen=True, slots=True, kw_only=True)
class Account:
    """A login and its secret carried by a device (the vault holds the secret).

    ``in_plan``: the plan lists it (plateau creates, sets or checks it, ``secrets init`` fills it);
    otherwise it only appears on the recap, when the centre stored one.
    ``when``: the account exists only for some devices (no key on an open Wi-Fi network).
    ``generated``: plateau owns the secret, so ``secrets init`` may invent it and ``--rotate``
    renew it; False for an account that exists outside plateau (a Google account, an Apple ID,
    the access point's current login): its secret is asked for, never made up.
    """

    kind: str  # label.account.<kind>
    login: str | None  # field holding the login, None when there is none (an unlock code)
    secret: str  # field holding the secret
    in_plan: bool = True
    generated: bool = True
    on_recap_row: bool = True  # False: shown elsewhere on the recap (the Wi-Fi key in its own block)
    when: Callable[[Any], bool] | None = None

    def applies_to(self, device: Device) -> bool:
        return self.when is None or bool(self.when(device))


@dataclass(frozen=True, slots=True, kw_only=True)
class ProbeDecl:
    """A probe of a family: its name, the checks it produces and where its function lives."""

    name: str
    checks: tuple[str, ...]
    fn: str  # "checks.probes.<family>:probe_<family>"

    def spec(self) -> ProbeSpec:
        function: Probe = resolve(self.fn)
        return ProbeSpec(self.name, self.checks, function)


@dataclass(frozen=True, slots=True, kw_only=True)
class ManualCheck:
    """What a person checks and attests on a device that no probe can measure."""

    item: str  # attestation item id, e.g. "batteries"; its text is label.manual.<item>
    validity_field: str | None = None  # model field giving how long an attestation holds, in hours

    @property
    def label_key(self) -> str:
        return f"label.manual.{self.item}"


@dataclass(frozen=True, slots=True, kw_only=True)
class RecapRow:
    """The family-specific part of a device's row on the jury's recap."""

    kind: str  # what it is, in words ("Tablette Android", "Robot Thymio")
    access: str | None = None  # how to reach it: IPP URI, eSCL URL, web address
    details: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RowContext:
    """What a recap row may need beyond its device."""

    display_of: Callable[[str], str]  # host name -> how the recap names it
    family_label: str  # the family's label in the reader's language


def _no_settings(device: Any) -> list[tuple[str, Any]]:
    return []


def _plain_row(device: Any, ctx: RowContext) -> RecapRow:
    return RecapRow(kind=ctx.family_label)


def _always_default(device: Any) -> str | None:
    return "default"


@dataclass(frozen=True, slots=True, kw_only=True)
class Family:
    name: str  # the Ansible group (inventory contract), also tests/devices/<name>/
    model: type[Device]
    recap_section: RecapSection
    #: catalog platform of the software installed on it (None: installs nothing)
    platform: str | None = None
    #: "ansible": software and admin session through the playbooks; "device": an apply step of
    #: plateau's own (``apply`` names it); None: nothing to provision
    provisioning: Literal["ansible", "device"] | None = None
    apply: str | None = None  # "module:function(device, loaded, timeout_s) -> DeviceOutcome"
    accounts: tuple[Account, ...] = ()
    settings: Callable[[Any], list[tuple[str, Any]]] = _no_settings  # plan settings from the model
    probes: Mapping[str, ProbeDecl] = field(default_factory=dict)
    #: which of ``probes`` measures this device; None = nobody can, a person attests ``manual``
    choose_probe: Callable[[Any], str | None] = _always_default
    manual: ManualCheck | None = None
    recap_row: Callable[[Any, RowContext], RecapRow] = _plain_row
    #: the lab simulator standing for it ("devices.lab.<module>:<Class>"), or why there is none
    simulator: str | None = None
    no_simulator_reason: str | None = None
    port_field: str | None = None  # the model field of the TCP port its probe talks to
    combines_with: frozenset[str] = frozenset()  # families one host may also be in

    @property
    def label_key(self) -> str:
        return f"label.family.{self.name}"

    def probe_for(self, device: Device) -> ProbeDecl | None:
        choice = self.choose_probe(device)
        return None if choice is None else self.probes[choice]

    @property
    def checks(self) -> tuple[str, ...]:
        """Every check a device of this family may get a verdict for."""
        found = [c for p in self.probes.values() for c in p.checks]
        if self.provisioning == "ansible":
            found.append("software")
        return tuple(dict.fromkeys(found))

    @property
    def installs_software(self) -> bool:
        return self.platform is not None
