"""iPads: the apps of the current plan checked by bundle id; the battery stays measured when the
app listing fails. Fake ``ideviceinfo``/``ideviceinstaller``/``cfgutil`` executables (devices/lab/ipad.py)
replay real outputs, run as real processes."""

from __future__ import annotations

from pathlib import Path

import pytest

from checks.model import Status
from checks.probes.common import PlannedTitle, ProbeContext
from checks.probes.ipad import _GuardedApps, probe_ipad
from devices.ipad.driver import read_ipad
from devices.ipad.runner import local_runner
from devices.lab.ipad import FakeIpadTools
from devices.models import Ipad
from provision.messages import render

SCRATCHJR = PlannedTitle(title_id="scratchjr", name="ScratchJr", ids={"app_store_id": 895485086,
                                                                      "bundle_id": "edu.mit.scratchjr"},
                         requested_by=("candidat:C03",))  # fmt: skip


@pytest.fixture
def ipad(tmp_path: Path, monkeypatch):
    fake = FakeIpadTools(tmp_path / "bin").install()
    monkeypatch.setenv("PATH", f"{fake.bin_dir}:{__import__('os').environ['PATH']}")
    device = Ipad(name="b-ipad-01", udid=fake.udid, apple_id="ipad.b@example.org", room="salle_b")
    ctx = ProbeContext(
        timeout_s=5,
        key_dir=tmp_path,
        planned={"b-ipad-01": (SCRATCHJR,)},
        provision_command=("plateau", "provision", "-i", "centre"),
    )
    return fake, device, ctx


def test_scratchjr_planned_and_missing_is_red_naming_the_candidate(ipad) -> None:
    fake, device, ctx = ipad
    got = {v.check: v for v in probe_ipad(device, ctx)}
    assert got["battery"].status is Status.FAIL or got["battery"].status is Status.WARN  # 70 %, charging
    software = got["software"]
    assert software.status is Status.FAIL and software.params["title_id"] == "scratchjr"
    text = render(software.key, software.params)
    assert "ScratchJr" in text and "candidat C03" in text and "plateau provision -i centre --limit b-ipad-01" in text


def test_scratchjr_installed_is_green(ipad) -> None:
    fake, device, ctx = ipad
    fake.set(
        apps=[("edu.mit.scratchjr", "ScratchJr", "1.3.2"), ("uk.co.bbc.iplayer", "BBC iPlayer", "4.10")],
        apps_format="csv",
        battery_pct=95,
    )
    got = {v.check: v for v in probe_ipad(device, ctx)}
    assert got["software"].status is Status.OK and got["software"].params["via"] == "edu.mit.scratchjr"
    assert got["battery"].status is Status.OK


def test_the_battery_stays_measured_when_the_app_listing_fails(ipad) -> None:
    fake, device, ctx = ipad
    (fake.bin_dir / "ideviceinstaller").write_text("#!/bin/sh\necho 'ERROR: Could not start service' >&2\nexit 1\n")
    fake.set(battery_pct=91)
    got = {v.check: v for v in probe_ipad(device, ctx)}
    assert got["battery"].status is Status.OK and got["battery"].value == 91
    assert got["software"].status is Status.UNKNOWN  # neither missing nor present
    (fake.bin_dir / "ideviceinstaller").write_text("#!/bin/sh\necho 'not a listing at all'\n")
    got = {v.check: v for v in probe_ipad(device, ctx)}
    assert got["battery"].value == 91 and got["software"].status is Status.UNKNOWN


def test_a_title_without_bundle_id_is_unknown_not_green(ipad) -> None:
    fake, device, ctx = ipad
    ctx.planned["b-ipad-01"] = (PlannedTitle(title_id="x", name="X", ids={"app_store_id": 1}),)
    got = {v.check: v for v in probe_ipad(device, ctx)}
    assert got["software"].status is Status.UNKNOWN


def test_cfgutil_unreadable_installed_apps_keeps_the_battery(ipad) -> None:
    fake, device, ctx = ipad
    runner = local_runner()
    guarded = _GuardedApps(runner, fake.ecid)
    facts = read_ipad(via="cfgutil", ecid=fake.ecid, runner=guarded, timeout_s=5)
    assert guarded.failure is None and facts.battery_level_pct == 70
    fake.set(apps=[("not a bundle id!", "?", "1")])  # cfgutil lists something we cannot read
    guarded = _GuardedApps(runner, fake.ecid)
    facts = read_ipad(via="cfgutil", ecid=fake.ecid, runner=guarded, timeout_s=5)
    assert facts.battery_level_pct == 70 and guarded.failure is not None and facts.installed_apps == frozenset()


def test_the_plan_gives_the_ipad_its_bundle_ids() -> None:
    from provision.context import load_all
    from provision.sweep import planned_titles

    root = Path(__file__).resolve().parents[2] / "inventories" / "example"
    planned = planned_titles(load_all(root))
    scratchjr = next(t for t in planned["b-ipad-01"] if t.title_id == "scratchjr")
    assert scratchjr.ids["bundle_id"] == "edu.mit.scratchjr" and "candidat:C03" in scratchjr.requested_by
