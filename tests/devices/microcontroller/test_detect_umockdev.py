"""Detection with pyudev against umockdev testbeds (Debian's umockdev-run).

umockdev works by LD_PRELOAD, so the detection runs in a child process started by
``umockdev-run -d <device file>... -- python``; the child prints the facts as JSON.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from devices.microcontroller import detect_boards

ROOT = Path(__file__).resolve().parents[3]
USB = ROOT / "devices" / "lab" / "usb"
CHILD = """
import dataclasses, json, sys
from devices.microcontroller import detect_boards, find_board
boards = [dataclasses.asdict(b) | {"measured_at": b.measured_at.isoformat()} for b in detect_boards()]
found = find_board(serial=sys.argv[1]) if sys.argv[1] else None
print(json.dumps({"boards": boards, "found": found and found.tty_path}))
"""

pytestmark = pytest.mark.skipif(
    shutil.which("umockdev-run") is None, reason="umockdev-run (Debian package umockdev) not installed"
)


def run_under_umockdev(files: list[str], serial: str = "") -> dict:
    argv = ["umockdev-run"]
    for name in files:
        argv += ["-d", str(USB / name)]
    argv += ["--", sys.executable, "-c", CHILD, serial]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=30, cwd=ROOT, check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_three_boards_and_noise() -> None:
    result = run_under_umockdev(
        [
            "microbit_v1.umockdev",
            "arduino_uno_r3.umockdev",
            "pico_micropython.umockdev",
            "esp32_cp2102.umockdev",
            "ttyS0_builtin.umockdev",
        ]
    )
    by_tty = {b["tty_path"]: b for b in result["boards"]}
    assert sorted(by_tty) == ["/dev/ttyACM0", "/dev/ttyACM1", "/dev/ttyACM2", "/dev/ttyUSB0"]
    uno, microbit, pico, esp = (by_tty[p] for p in sorted(by_tty))
    assert (uno["kind"], uno["vendor_id"], uno["product_id"], uno["serial"]) == (
        "arduino_uno_r3",
        "2341",
        "0043",
        "75533343136351712150",
    )
    assert uno["protocol"] == "firmata" and not uno["ambiguous"]
    assert (microbit["kind"], microbit["vendor_id"], microbit["product_id"]) == ("microbit", "0d28", "0204")
    assert microbit["serial"] == "9900000031864e45001d1007000000680000000097969901"
    # the Pico's tty node carries no ID_* properties: ids come from the USB parent
    assert (pico["kind"], pico["serial"]) == ("rp2040_micropython", "e6600000000000a1")
    assert esp["kind"] == "usb_serial_generic" and esp["ambiguous"] is True
    assert all(b["measured_at"].endswith("+00:00") for b in result["boards"])


def test_find_board_by_serial_case_insensitive() -> None:
    result = run_under_umockdev(
        ["microbit_v1.umockdev", "arduino_uno_r3.umockdev"], serial="9900000031864E45001D1007000000680000000097969901"
    )
    assert result["found"] == "/dev/ttyACM1"


def test_unknown_serial_finds_nothing() -> None:
    result = run_under_umockdev(["arduino_uno_r3.umockdev"], serial="NOPE")
    assert result["found"] is None and len(result["boards"]) == 1


def test_no_usb_board() -> None:
    result = run_under_umockdev(["ttyS0_builtin.umockdev"])
    assert result["boards"] == []


def test_unknown_board_kept_as_unknown(tmp_path) -> None:
    text = (USB / "arduino_uno_r3.umockdev").read_text().replace("2341", "abcd")
    custom = tmp_path / "custom.umockdev"
    custom.write_text(text)
    argv = ["umockdev-run", "-d", str(custom), "--", sys.executable, "-c", CHILD, ""]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=30, cwd=ROOT, check=False)
    board = json.loads(done.stdout)["boards"][0]
    assert board["kind"] == "unknown" and board["vendor_id"] == "abcd"
    assert board["model_name"] == "Uno R3 (CDC ACM)"  # from udev's hwdb property


def test_find_board_needs_a_criterion() -> None:
    from devices.microcontroller import find_board

    with pytest.raises(ValueError):
        find_board()


def test_detect_returns_list_outside_testbed() -> None:
    # on the bare machine (no boards, maybe no udev database) it must not crash
    assert isinstance(detect_boards(), list)
