"""The family registry is complete and consistent: every family has its model, labels in both
languages, probes that resolve, a recap row, a simulator (or the reason there is none), and
shows the same way in every view. A family added without one of these fails here."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

from checks.probes.common import ProbeSpec
from devices.models import Device
from provision.context import load_all
from provision.families import RECAP_SECTIONS, REGISTRY, Family, RowContext, resolve
from provision.messages import LANGUAGES, catalogue, render

ROOT = Path(__file__).resolve().parents[1]
FAMILIES = sorted(REGISTRY)


def _devices_by_family() -> dict[str, Device]:
    found: dict[str, Device] = {}
    for inventory in ("example", "demo"):
        for device in load_all(ROOT / "inventories" / inventory).inventory.devices:
            found.setdefault(device.family, device)
    return found


DEVICES = _devices_by_family()


def _has(key: str) -> bool:
    return all(key in catalogue(lang) for lang in LANGUAGES)


def test_the_registry_is_the_only_list_of_families() -> None:
    """No module but the registry spells out the family names as a table or a chain of ifs."""
    names = "|".join(FAMILIES)
    pattern = re.compile(
        rf'(family["\]]*\s*[!=]=\s*"({names})")|(\.family in \()|(\{{\s*"({names})"\s*:[^}}]*"({names})"\s*:)'
    )
    offenders = []
    for package in ("provision", "checks", "devices"):
        for path in (ROOT / package).rglob("*.py"):
            if "families" in path.parts or "lab" in path.parts:
                continue
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if pattern.search(line) and "PLATFORM" not in line:
                    offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not offenders, "\n".join(offenders)


def test_every_family_of_the_inventory_contract_is_documented() -> None:
    reference = (ROOT / "docs" / "inventaire-reference.md").read_text(encoding="utf-8")
    missing = [name for name in FAMILIES if f"`{name}`" not in reference]
    assert not missing


@pytest.mark.parametrize("name", FAMILIES)
def test_family_is_complete(name: str) -> None:
    fam: Family = REGISTRY[name]
    assert fam.name == name and fam.model.family == name
    assert _has(fam.label_key), f"{fam.label_key} missing from a catalogue"
    assert fam.recap_section in RECAP_SECTIONS
    fields = set(fam.model.model_fields)
    for account in fam.accounts:
        assert account.secret in fields and account.secret in fam.model.secret_fields, account
        assert account.login is None or account.login in fields, account
        assert _has(f"label.account.{account.kind}"), account.kind
    for check in fam.checks:
        assert _has(f"label.check.{check}"), f"no label for check {check}"
    for decl in fam.probes.values():
        spec = decl.spec()
        assert isinstance(spec, ProbeSpec) and callable(spec.fn) and spec.checks
        assert list(inspect.signature(spec.fn).parameters) == ["device", "ctx"], decl.fn
    if fam.manual is not None:
        assert _has(fam.manual.label_key)
        assert fam.manual.validity_field is None or fam.manual.validity_field in fields
    if fam.provisioning == "device":
        assert fam.apply is not None and callable(resolve(fam.apply))
    else:
        assert fam.apply is None
    if fam.port_field is not None:
        assert fam.port_field in fields
    for other in fam.combines_with:
        assert name in REGISTRY[other].combines_with, "combining is mutual"
    assert (fam.simulator is None) != (fam.no_simulator_reason is None), "a simulator, or why there is none"
    if fam.simulator:
        assert inspect.isclass(resolve(fam.simulator))


@pytest.mark.parametrize("name", FAMILIES)
def test_every_device_is_measured_or_attested(name: str) -> None:
    """Either a probe measures the device, or a person attests it (never neither, for a family
    that has a way to be checked)."""
    device = DEVICES.get(name)
    if device is None:
        pytest.skip(f"no {name} in the example or demo inventories")
    fam = REGISTRY[name]
    assert fam.probe_for(device) is not None or fam.manual is not None


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("name", FAMILIES)
def test_recap_row_of_each_family_renders_without_a_key(name: str, lang: str, monkeypatch) -> None:
    device = DEVICES.get(name)
    if device is None:
        pytest.skip(f"no {name} in the example or demo inventories")
    monkeypatch.setenv("PLATEAU_LANG", lang)
    fam = REGISTRY[name]
    row = fam.recap_row(device, RowContext(lambda host: host, render(fam.label_key)))
    for text in (row.kind, *row.details):
        assert text and "label." not in text and "recap." not in text and "{" not in text, text


def test_plan_and_recap_name_each_family_the_same_way() -> None:
    from provision.recap.data import build_recap

    loaded = load_all(ROOT / "inventories" / "example")
    recap = build_recap(loaded)
    kinds = {
        row.name: row.kind
        for room in recap.rooms
        for section in (room.computers, room.tablets, room.peripherals, room.others)
        for row in section
    }
    kinds.update({w.access_point.name: w.access_point.kind for room in recap.rooms for w in room.wifi})
    for device in loaded.inventory.devices:
        if device.family in ("microcontroller", "robot", "projector"):
            continue  # named by what they are (the board, the robot's make, screen or projector)
        if len(loaded.inventory.hosts[device.name]) > 1:
            continue  # a multifunction printer has one row
        assert kinds[device.name] == render(REGISTRY[device.family].label_key), device.name
