"""read_ipad against fake executables replaying real outputs (real subprocesses)."""

from __future__ import annotations

import time

import pytest

from devices.errors import BadAnswer, Unreachable
from devices.ipad import read_ipad
from devices.ipad.runner import local_runner


def test_libimobiledevice_real_captures(fake_tools, runner) -> None:
    facts = read_ipad(via="libimobiledevice", udid=fake_tools.udid, runner=runner, timeout_s=10)
    assert (facts.name, facts.model, facts.ios_version, facts.serial) == ("iPad", "iPad2,1", "9.3.5", None)
    assert (facts.battery_level_pct, facts.charging, facts.external_power) == (70, True, True)
    assert facts.installed_apps == {"uk.co.bbc.titan.IPAddress", "uk.co.bbc.iplayer"}
    assert facts.source == "libimobiledevice" and facts.measured_at.tzinfo is not None


def test_state_changes_between_reads(fake_tools, runner) -> None:
    fake_tools.set(
        battery_pct=12,
        charging=False,
        external=False,
        apps_format="csv",
        extra_info={"SerialNumber": "DLXQK7WRGMLD"},
        apps=[("fr.pix.app", "Pix", "2.1"), ("org.mozilla.ios.Firefox", "Firefox", "120")],
    )
    facts = read_ipad(udid=fake_tools.udid, runner=runner, timeout_s=10)
    assert (facts.battery_level_pct, facts.charging, facts.external_power) == (12, False, False)
    assert facts.serial == "DLXQK7WRGMLD"
    assert facts.installed_apps == {"fr.pix.app", "org.mozilla.ios.Firefox"}


def test_cfgutil_path(fake_tools, runner) -> None:
    facts = read_ipad(via="cfgutil", ecid=fake_tools.ecid, runner=runner, timeout_s=10)
    assert (facts.name, facts.model, facts.ios_version, facts.serial) == (
        "iPad salle 1",
        "iPad7,5",
        "17.1.2",
        "DMPXK0AAJF8J",
    )
    assert (facts.battery_level_pct, facts.charging, facts.external_power) == (70, True, None)
    assert "uk.co.bbc.iplayer" in facts.installed_apps and facts.source == "cfgutil"


@pytest.mark.parametrize("via", ["libimobiledevice", "cfgutil"])
@pytest.mark.parametrize(
    ("state", "error", "text"),
    [("not_paired", Unreachable, None), ("no_device", Unreachable, None), ("garbage", BadAnswer, None)],
)
def test_failure_states(fake_tools, runner, via, state, error, text) -> None:
    fake_tools.set(state=state)
    with pytest.raises(error):
        read_ipad(via=via, udid=fake_tools.udid, ecid=fake_tools.ecid, runner=runner, timeout_s=10)


def test_not_paired_message_has_trust_hint(fake_tools, runner) -> None:
    fake_tools.set(state="not_paired")
    with pytest.raises(Unreachable, match="lockdownd.*Trust this computer"):
        read_ipad(udid=fake_tools.udid, runner=runner, timeout_s=10)


def test_other_udid_is_unreachable(fake_tools, runner) -> None:
    with pytest.raises(Unreachable, match="No device found"):
        read_ipad(udid="00008101-FFFFFFFFFFFFFFFF", runner=runner, timeout_s=10)


def test_other_ecid_is_unreachable(fake_tools, runner) -> None:
    with pytest.raises(Unreachable):
        read_ipad(via="cfgutil", ecid="0xBEEF", runner=runner, timeout_s=10)


def test_slow_tool_times_out(fake_tools, runner) -> None:
    fake_tools.set(state="slow", slow_s=5)
    started = time.monotonic()
    with pytest.raises(Unreachable, match="did not finish"):
        read_ipad(udid=fake_tools.udid, runner=runner, timeout_s=0.5)
    assert time.monotonic() - started < 3


@pytest.mark.parametrize("via", ["libimobiledevice", "cfgutil"])
def test_missing_binaries_give_install_hint(tmp_path, via) -> None:
    runner = local_runner({"PATH": str(tmp_path)})
    with pytest.raises(Unreachable, match="not found: install"):
        read_ipad(via=via, udid="x", ecid="0x1", runner=runner, timeout_s=5)


def test_bad_arguments() -> None:
    with pytest.raises(ValueError):
        read_ipad(via="libimobiledevice")
    with pytest.raises(ValueError, match="libimobiledevice, cfgutil"):
        read_ipad(via="adb", udid="x")  # type: ignore[arg-type]
