"""Thymio II (Aseba) and LEGO hub (REPL) drivers against the pty simulators."""

from __future__ import annotations

import struct
import time

import pytest

from devices.errors import BadAnswer, Unreachable
from devices.robot import aseba, read_hub_battery, read_thymio, read_thymio_battery


def test_thymio_handshake_and_variables(robot) -> None:
    sim = robot("thymio", thymio_node_id=7, thymio_vbat_raw=(790, 3), thymio_fwversion=(14, 1))
    facts = read_thymio(sim.tty_path, timeout_s=2.0)
    assert (facts.node_id, facts.node_name, facts.protocol_version) == (7, "thymio-II", 9)
    assert facts.firmware_version == 14
    assert facts.vbat_raw == (790, 3)
    # the driver asked for _vbat where the firmware puts it (offset 88, 2 words)
    requests, _ = aseba.split_frames(bytes(sim.received))
    asked = [struct.unpack("<3H", m.payload) for m in requests if m.type == aseba.GET_VARIABLES]
    assert (7, 88, 2) in asked and (7, 34, 2) in asked


def test_thymio_battery_is_unknown_with_reason(robot) -> None:
    sim = robot("thymio", thymio_chatter=False)
    facts = read_thymio_battery(sim.tty_path, timeout_s=2.0)
    assert facts.level_pct is None
    assert facts.reason == "thymio.voltage_only" and facts.raw == "_vbat=800,800"
    assert facts.voltage_v == 4.02 and facts.source == "aseba"


def test_thymio_dead_is_unreachable(robot) -> None:
    with pytest.raises(Unreachable):
        read_thymio(robot("thymio", state="dead").tty_path, timeout_s=0.5)


def test_thymio_slow_is_unreachable(robot) -> None:
    with pytest.raises(Unreachable):
        read_thymio(robot("thymio", state="slow", slow_s=3).tty_path, timeout_s=0.5)


def test_thymio_garbage_is_bad_answer(robot) -> None:
    with pytest.raises(BadAnswer):
        read_thymio(robot("thymio", state="garbage").tty_path, timeout_s=0.5)


def test_hub_battery(robot) -> None:
    sim = robot("spike", battery_pct=23)
    facts = read_hub_battery(sim.tty_path, timeout_s=2.0)
    assert (facts.level_pct, facts.source, facts.reason) == (23, "repl", None)
    assert b"hub.battery.capacity_left()" in sim.received
    # raw REPL in (Ctrl-A), code + Ctrl-D, friendly REPL back (Ctrl-B)
    assert sim.received.index(b"\x01") < sim.received.index(b"\x04")
    deadline = time.monotonic() + 60
    while not sim.received.endswith(b"\x02") and time.monotonic() < deadline:
        time.sleep(0.02)  # the simulator thread reads the last byte asynchronously
    assert sim.received.endswith(b"\x02")


def test_hub_battery_after_boot_chatter(robot) -> None:
    """A hub that prints on its own (a running program) before we interrupt it."""
    sim = robot("spike", battery_pct=64)
    sim.send_unsolicited(b"BAT=12\r\nprogram output\r\n")
    assert read_hub_battery(sim.tty_path, timeout_s=2.0).level_pct == 64


def test_hub_without_battery_api(robot) -> None:
    facts = read_hub_battery(robot("spike", spike_battery_api=False).tty_path, timeout_s=2.0)
    assert facts.level_pct is None and facts.reason == "hub.battery_api_missing"


def test_plain_micropython_board_is_not_a_hub(robot) -> None:
    facts = read_hub_battery(robot("micropython").tty_path, timeout_s=2.0)
    assert facts.level_pct is None and facts.reason == "hub.battery_api_missing"


@pytest.mark.parametrize(("state", "error"), [("dead", Unreachable), ("slow", Unreachable), ("garbage", BadAnswer)])
def test_hub_states(robot, state: str, error: type) -> None:
    with pytest.raises(error):
        read_hub_battery(robot("spike", state=state, slow_s=3).tty_path, timeout_s=0.5)


def test_missing_port(tmp_path) -> None:
    with pytest.raises(Unreachable):
        read_thymio(str(tmp_path / "ttyACM0"), timeout_s=0.3)
