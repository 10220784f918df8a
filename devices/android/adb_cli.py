"""Tablets on USB (or any serial the ``adb`` server knows) through Debian's real ``adb`` client.

adb-shell speaks ADB over TCP itself; for a tablet plugged into the technician's laptop the
host's adb server already owns the USB link (udev rules, keys in ~/.android), so we ask it:

    adb [-P PORT] -s SERIAL get-state        -> "device" | "unauthorized" | "offline"
    adb [-P PORT] -s SERIAL shell '<cmd>'    -> stdout (exit status of the command kept)
    adb [-P PORT] -s SERIAL push LOCAL REMOTE

It implements the driver's ``ShellSession`` protocol, so every reader and action of
:mod:`devices.android.driver` works on it unchanged.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from devices.errors import AuthenticationFailed, BadAnswer, Unreachable


class AdbCliSession:
    def __init__(self, serial: str, *, adb: str | None = None, server_port: int | None = None,
                 timeout_s: float = 10.0, env: dict[str, str] | None = None) -> None:  # fmt: skip
        self.serial = serial
        self.adb = adb or shutil.which("adb") or "adb"
        self.server_port = server_port
        self.timeout_s = timeout_s
        self.env = env

    def _run(self, *args: str, timeout_s: float | None = None) -> subprocess.CompletedProcess[str]:
        argv = [self.adb, *(["-P", str(self.server_port)] if self.server_port else []), "-s", self.serial, *args]
        try:
            return subprocess.run(argv, capture_output=True, text=True, timeout=timeout_s or self.timeout_s,
                                  env=self.env, check=False)  # fmt: skip
        except FileNotFoundError as exc:
            raise Unreachable("the adb client is not installed (Debian package adb)") from exc
        except subprocess.TimeoutExpired as exc:
            raise Unreachable(f"adb {args[0]} on {self.serial}: no answer within the timeout") from exc

    def __enter__(self) -> AdbCliSession:
        state = self._run("get-state")
        text = (state.stdout + state.stderr).strip().lower()
        if state.returncode == 0 and text.splitlines()[-1:] == ["device"]:
            return self
        if "unauthorized" in text:
            raise AuthenticationFailed(f"{self.serial}: unauthorized (accept 'Allow USB debugging' on the tablet)")
        raise Unreachable(f"{self.serial}: not connected ({text.splitlines()[-1] if text else 'no answer'})")

    def __exit__(self, *exc_info: object) -> None:
        return None

    def shell(self, command: str) -> str:
        result = self._run("shell", command)
        if result.returncode != 0 and not result.stdout:
            message = result.stderr.strip().splitlines()[-1:] or [f"exit {result.returncode}"]
            if "not found" in message[0] or "offline" in message[0] or "no devices" in message[0]:
                raise Unreachable(f"{self.serial}: {message[0][:200]}")
            raise BadAnswer(f"adb shell on {self.serial}: {message[0][:200]}")
        return result.stdout

    def push(self, local_path: Path, device_path: str) -> None:
        result = self._run("push", str(local_path), device_path, timeout_s=max(self.timeout_s, 120))
        if result.returncode != 0:
            raise BadAnswer(f"adb push to {self.serial} failed: {result.stderr.strip()[:200]}")
