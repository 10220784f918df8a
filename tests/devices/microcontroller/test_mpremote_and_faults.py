"""The pty simulators proven faithful with the real ``mpremote`` (raw REPL), and the serial
faults a technician meets: a port another program holds, a board present but silent."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from devices.errors import BadAnswer, Unreachable
from devices.microcontroller import handshake
from devices.microcontroller.parse import parse_raw_repl_reply
from devices.robot import read_hub_battery, read_thymio

mpremote = pytest.mark.skipif(
    subprocess.run([sys.executable, "-c", "import mpremote"], capture_output=True).returncode,
    reason="mpremote not installed (pip install mpremote==1.29.0)",
)


def _mpremote(tty_path: str, code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mpremote", "connect", tty_path, "exec", code],
        capture_output=True,
        text=True,
        timeout=30,
    )


@mpremote
@pytest.mark.parametrize("personality", ["microbit", "micropython", "spike"])
def test_real_mpremote_exec(board, personality: str) -> None:
    sim = board(personality)
    result = _mpremote(sim.tty_path, "print(1+1)")
    assert (result.returncode, result.stdout, result.stderr) == (0, "2\n", "")
    # mpremote's own sequence: interrupt, raw REPL, soft reset, raw-paste attempt, code, EOF
    assert sim.received.startswith(b"\r\x03\r\x01\x04\x05A\x01print(1+1)\x04")


@mpremote
def test_real_mpremote_reads_spike_battery(board) -> None:
    sim = board("spike", battery_pct=58)
    result = _mpremote(sim.tty_path, "import hub; print(hub.battery.capacity_left())")
    assert (result.returncode, result.stdout) == (0, "58\n")


@mpremote
def test_real_mpremote_sees_micropython_errors(board) -> None:
    result = _mpremote(board("microbit").tty_path, "import hub")
    assert result.returncode == 1
    assert "ImportError: no module named 'hub'" in result.stdout


def _hold(tty_path: str) -> subprocess.Popen[str]:
    """Another process that opens the port the way Thonny/mpremote do (flock) and keeps it."""
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(f"""
        import serial, sys, time
        port = serial.Serial({tty_path!r}, exclusive=True)
        print("held", flush=True)
        sys.stdin.read()
    """),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdout.readline() == "held\n"
    return holder


@pytest.mark.parametrize(
    "reader",
    [
        lambda path: handshake(path, "micropython", timeout_s=1.0),
        lambda path: read_hub_battery(path, timeout_s=1.0),
        lambda path: read_thymio(path, timeout_s=1.0),
    ],
    ids=["handshake", "hub_battery", "thymio"],
)
def test_busy_port_is_unreachable_with_hint(board, reader) -> None:
    sim = board("spike")
    holder = _hold(sim.tty_path)
    try:
        started = time.monotonic()
        with pytest.raises(Unreachable, match="busy: another program holds it") as info:
            reader(sim.tty_path)
        assert time.monotonic() - started < 1.0
        assert info.value.__cause__ is not None
        assert sim.received == b""  # we did not talk over the holder
    finally:
        holder.communicate("", timeout=5)
    assert read_hub_battery(sim.tty_path, timeout_s=2.0).level_pct is not None  # released


@pytest.mark.parametrize("personality", ["microbit", "spike"])
def test_present_but_silent_board(board, personality: str) -> None:
    """The port opens (board enumerated) but the firmware never answers."""
    sim = board(personality, state="dead")
    started = time.monotonic()
    facts = handshake(sim.tty_path, "micropython", timeout_s=0.6)
    assert (facts.answered, facts.reason) == (False, "silent")
    with pytest.raises(Unreachable, match="did not answer"):
        read_hub_battery(sim.tty_path, timeout_s=0.6)
    assert time.monotonic() - started < 2.5
    assert b"\x03" in sim.received  # we did try to wake it


def test_raw_repl_reply_parse() -> None:
    assert parse_raw_repl_reply(b"OK2\r\n\x04\x04>") == ("2\n", "")
    out, err = parse_raw_repl_reply(b"junk OK\x04Traceback...\r\nNameError: x\r\n\x04>")
    assert out == "" and err.endswith("NameError: x\n")
    for bad in (b"", b"2\r\n\x04\x04>", b"OK2\r\n\x04", "OK\x04\x04"):
        with pytest.raises(BadAnswer):
            parse_raw_repl_reply(bad)  # type: ignore[arg-type]


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_raw_repl_garbage_only_bad_answer(data: bytes) -> None:
    try:
        out, err = parse_raw_repl_reply(data)
    except BadAnswer:
        return
    assert isinstance(out, str) and isinstance(err, str)


def test_raw_repl_simulator_soft_reset_wording(board) -> None:
    """The bytes pyboard.py/mpremote wait for after Ctrl-D on an empty raw REPL."""
    import os
    import select

    sim = board("microbit")
    fd = os.open(sim.tty_path, os.O_RDWR | os.O_NOCTTY)
    try:
        os.write(fd, b"\x01\x04")
        data, deadline = b"", time.monotonic() + 60
        while not data.endswith(b"soft reboot\r\nraw REPL; CTRL-B to exit\r\n>") and time.monotonic() < deadline:
            if select.select([fd], [], [], 0.05)[0]:
                data += os.read(fd, 1024)
        assert data == (b"raw REPL; CTRL-B to exit\r\n>OK\r\nMPY: soft reboot\r\nraw REPL; CTRL-B to exit\r\n>")
    finally:
        os.close(fd)
