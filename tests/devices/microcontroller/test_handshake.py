"""Handshake driver against the pty simulators (real pyserial on real ptys)."""

from __future__ import annotations

import time

import pytest

from devices.errors import BadAnswer, Unreachable
from devices.microcontroller import handshake


@pytest.mark.parametrize(
    ("personality", "protocol", "firmware"),
    [
        ("micropython", "micropython", "MicroPython v1.14 on 2021-02-05; Raspberry Pi Pico with RP2040"),
        ("microbit", "micropython", "MicroPython v1.0.1 on 2018-12-13; micro:bit v1.0.1 with nRF51822"),
        ("firmata", "firmata", "StandardFirmata.ino 2.5"),
    ],
)
def test_board_answers(board, personality: str, protocol: str, firmware: str) -> None:
    sim = board(personality)
    facts = handshake(sim.tty_path, protocol, timeout_s=2.0)
    assert facts.answered and facts.reason is None
    assert facts.firmware == firmware
    assert facts.measured_at.tzinfo is not None
    if protocol == "micropython":
        assert b"\x03" in sim.received and b"\x02" in sim.received
    else:
        assert sim.received.startswith(b"\xf9")


def test_wrong_protocol_is_not_an_answer(board) -> None:
    sim = board("firmata")  # an Arduino with Firmata does not speak the REPL
    assert handshake(sim.tty_path, "micropython", timeout_s=0.5).answered is False


@pytest.mark.parametrize("state", ["dead", "slow"])
@pytest.mark.parametrize(("personality", "protocol"), [("micropython", "micropython"), ("firmata", "firmata")])
def test_silent_board_within_timeout(board, state: str, personality: str, protocol: str) -> None:
    sim = board(personality, state=state, slow_s=3.0)
    started = time.monotonic()
    facts = handshake(sim.tty_path, protocol, timeout_s=0.6)
    assert time.monotonic() - started < 1.5
    assert facts.answered is False and facts.reason == "silent" and facts.firmware is None


@pytest.mark.parametrize(("personality", "protocol"), [("micropython", "micropython"), ("firmata", "firmata")])
def test_garbage_is_bad_answer(board, personality: str, protocol: str) -> None:
    sim = board(personality, state="garbage")
    with pytest.raises(BadAnswer):
        handshake(sim.tty_path, protocol, timeout_s=0.6)


def test_configured_probe(board) -> None:
    sim = board("micropython")
    facts = handshake(sim.tty_path, "probe", timeout_s=2.0, probe=b"\x02", expect=r"MicroPython (v[\d.]+)")
    assert facts.answered and facts.firmware == "v1.14"


def test_missing_port_is_unreachable(tmp_path) -> None:
    with pytest.raises(Unreachable):
        handshake(str(tmp_path / "ttyACM9"), "micropython", timeout_s=0.5)


def test_unknown_protocol_lists_supported() -> None:
    with pytest.raises(ValueError, match="micropython, firmata, probe"):
        handshake("/dev/null", "telnet", timeout_s=0.1)  # type: ignore[arg-type]
