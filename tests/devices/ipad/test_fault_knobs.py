"""Several iPads behind one fake toolset: the real probe picks each by its udid."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from checks.model import Status, Verdict
from checks.probes.common import PlannedTitle, ProbeContext
from checks.probes.ipad import probe_ipad
from devices.errors import Unreachable
from devices.lab.ipad import FakeIpadTools
from devices.models import Ipad

SECOND = "00008020-0000000000000B02"
THIRD = "00008020-0000000000000C03"
SCRATCHJR = PlannedTitle(title_id="scratchjr", name="ScratchJr",
                         ids={"app_store_id": 895485086, "bundle_id": "edu.mit.scratchjr"})  # fmt: skip


@pytest.fixture
def fake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeIpadTools:
    tools = FakeIpadTools(tmp_path / "bin", battery_pct=96, charging=False, external=True).install()
    tools.set(apps=[("edu.mit.scratchjr", "ScratchJr", "1.3.2")])
    tools.add_device(SECOND, battery_pct=12, charging=False, external=False, apps=[])
    tools.add_device(THIRD, state="not_paired")
    monkeypatch.setenv("PATH", f"{tools.bin_dir}:{os.environ['PATH']}")
    return tools


def _probe(udid: str, tmp_path: Path) -> dict[str, Verdict]:
    device = Ipad(name=f"ipad-{udid[-3:]}", udid=udid, apple_id="ipad.b@example.org", room="salle_b")
    ctx = ProbeContext(timeout_s=5, key_dir=tmp_path, planned={device.name: (SCRATCHJR,)})
    return {v.check: v for v in probe_ipad(device, ctx)}


def test_each_ipad_answers_with_its_own_battery_and_apps(fake: FakeIpadTools, tmp_path: Path) -> None:
    assert fake.udids == [fake.udid, SECOND, THIRD]
    first = _probe(fake.udid, tmp_path)
    assert first["battery"].status is Status.OK and first["battery"].facts["battery_level_pct"] == 96
    assert first["software"].status is Status.OK
    second = _probe(SECOND, tmp_path)
    assert second["battery"].facts["battery_level_pct"] == 12
    assert second["battery"].status is Status.FAIL
    assert second["software"].status is Status.FAIL  # ScratchJr is on the first iPad only
    assert all(v.status is not Status.OK for v in second.values())


def test_an_ipad_not_paired_beside_healthy_ones_is_unreachable(fake: FakeIpadTools, tmp_path: Path) -> None:
    with pytest.raises(Unreachable):
        _probe(THIRD, tmp_path)
    with pytest.raises(Unreachable):
        _probe("00008020-00000000000DEAD0", tmp_path)  # attached to nothing
    assert _probe(fake.udid, tmp_path)["battery"].status is Status.OK


def test_set_mode_vocabulary(fake: FakeIpadTools, tmp_path: Path) -> None:
    fake.set_mode("not_paired")
    with pytest.raises(Unreachable):
        _probe(fake.udid, tmp_path)
    assert fake.set_mode("ok").mode == "healthy"
    with pytest.raises(ValueError):
        fake.set_mode("asleep")
    with pytest.raises(AttributeError):
        fake.add_device("x", colour="red")
