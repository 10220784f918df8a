"""Marlin firmware simulator on a pseudo-terminal, for tests and ``plateau demo``.

Opens a pty pair (``os.openpty``) and answers G-code on the master side; a driver opens
``sim.device`` (the slave path, e.g. ``/dev/pts/7``) with pyserial exactly as it would a USB
printer. Replies are modelled on the real captures: Prusa/Marlin ``M115`` with ``Cap:`` lines,
``M105`` ``ok T:.. /.. B:.. /..``, Marlin 2 ``M119`` with ``filament: TRIGGERED`` (= filament
present, Marlin's convention) and ``ok P63 B3`` (ADVANCED_OK), ``echo:Filament runout ON``.

Settable ``sim.mode`` while running (:mod:`devices.lab.base`; ``ok`` is the older name of
``healthy``):
    healthy       a Marlin 2.1 printer with a runout sensor and filament loaded
    filament_out  the same with the spool run out (``filament: open``)
    no_sensor     firmware built without FILAMENT_RUNOUT_SENSOR (no ``filament:`` line, Cap:RUNOUT:0,
                  M412 unknown)
    busy          prints ``echo:busy: processing`` a few times before each answer
    error         halted: ``Error:Printer halted. kill() called!`` and no ``ok``
    dead          reads commands and never answers
    slow          answers each command after ``slow_s``
    garbage       answers line noise, never ``ok``
The boot banner (``start``, ``echo:Marlin ...``) is written once at start-up, like a board
that resets when the port is opened.

Standalone: ``python -m devices.lab.marlin [--mode filament_out]`` prints the device path.
(``--port`` is accepted for symmetry with the other simulators and ignored: a pty has no port.)
"""

from __future__ import annotations

import argparse
import os
import select
import time
import tty

from devices.lab.base import HEALTHY, Simulator, wait_for_interrupt

MODES = ("healthy", "filament_out", "no_sensor", "busy", "error", "dead", "slow", "garbage")
BANNER = (
    "start\n"
    "echo:Marlin 2.1.2.1\n"
    "echo: Last Updated: 2023-07-02 | Author: (lab, Ender-3 Pro)\n"
    "echo:Compiled: Jul  2 2023\n"
    "echo: Free Memory: 2829  PlannerBufferBytes: 1232\n"
    "echo:SD card ok\n"
)


class MarlinSim(Simulator):
    """A Marlin board on a pty: ``sim.device`` (also ``sim.address``) is the path to open."""

    modes = MODES

    def __init__(
        self,
        *,
        mode: str = HEALTHY,
        nozzle_c: float = 21.8,
        bed_c: float = 21.5,
        busy_lines: int = 2,
        banner: bool = True,
        slow_s: float = 30.0,
    ) -> None:
        super().__init__(mode=mode, slow_s=slow_s)
        self.nozzle_c = nozzle_c
        self.bed_c = bed_c
        self.busy_lines = busy_lines
        self.banner = banner
        self.commands: list[str] = []  # received, for tests
        self._master: int | None = None
        self._slave: int | None = None
        self.device = ""

    @property
    def address(self) -> str:
        return self.device

    @property
    def port(self) -> int:
        raise RuntimeError("a pty simulator has no port: open sim.device")

    def _open(self) -> None:
        self._master, self._slave = os.openpty()
        tty.setraw(self._slave)  # no echo, no newline translation: a plain byte pipe
        self.device = os.ttyname(self._slave)
        if self.banner:
            os.write(self._master, BANNER.encode())
        self.run_in_thread(self._run, "lab-marlin")

    def _close(self) -> None:
        for fd in (self._master, self._slave):
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass
        self._master = self._slave = None

    # -- loop
    def _run(self) -> None:
        buffer = b""
        while not self.stopping.is_set() and self._master is not None:
            ready, _, _ = select.select([self._master], [], [], 0.05)
            if not ready:
                continue
            try:
                chunk = os.read(self._master, 4096)
            except OSError:  # no slave open right now
                time.sleep(0.02)
                continue
            buffer += chunk
            while b"\n" in buffer:
                line, buffer = buffer.split(b"\n", 1)
                command = line.decode("ascii", errors="replace").strip()
                if command:
                    self.commands.append(command)
                    self._answer(command)

    def _write(self, text: str) -> None:
        if self._master is not None:
            try:
                os.write(self._master, text.encode())
            except OSError:
                pass

    def _answer(self, command: str) -> None:
        mode = self.mode
        if mode == "dead" or (mode == "slow" and self.wait_slow()):
            return
        if mode == "garbage":
            self._write("\x1b[2J\xb0\xb1 T@@ ~~ C0FFEE 0xDEAD ::: ;;;\n#$%&\n")
            return
        if mode == "error":
            self._write(
                "Error:MINTEMP triggered, system stopped! Heater_ID: bed\nError:Printer halted. kill() called!\n"
            )
            return
        if mode == "busy":
            for _ in range(self.busy_lines):
                self._write("echo:busy: processing\n")
                time.sleep(0.05)
        code = command.split()[0].upper()
        self._write(self._reply(code, mode))

    def _reply(self, code: str, mode: str) -> str:
        sensor = mode != "no_sensor"
        if code == "M115":
            return (
                "FIRMWARE_NAME:Marlin 2.1.2.1 (Jul  2 2023 12:00:00) SOURCE_CODE_URL:"
                "github.com/MarlinFirmware/Marlin PROTOCOL_VERSION:1.0 MACHINE_TYPE:"
                "Ender-3 Pro EXTRUDER_COUNT:1 UUID:cede2a2f-41a2-4748-9b12-c55c62f367ff\n"
                "Cap:SERIAL_XON_XOFF:0\nCap:BINARY_FILE_TRANSFER:0\nCap:EEPROM:1\n"
                "Cap:VOLUMETRIC:1\nCap:AUTOREPORT_POS:0\nCap:AUTOREPORT_TEMP:1\n"
                "Cap:PROGRESS:0\nCap:PRINT_JOB:1\nCap:AUTOLEVEL:1\nCap:RUNOUT:"
                f"{int(sensor)}\nCap:Z_PROBE:1\nCap:LEVELING_DATA:1\n"
                "Cap:SDCARD:1\n"
                "Cap:AUTOREPORT_SD_STATUS:0\nCap:LONG_FILENAME:0\nCap:EMERGENCY_PARSER:1\n"
                "ok\n"
            )
        if code == "M105":
            return f"ok T:{self.nozzle_c:.2f} /0.00 B:{self.bed_c:.2f} /0.00 @:0 B@:0\n"
        if code == "M119":
            lines = "Reporting endstop status\nx_min: open\ny_min: open\nz_min: TRIGGERED\n"
            if sensor:
                lines += f"filament: {'open' if mode == 'filament_out' else 'TRIGGERED'}\n"
            return lines + "ok P63 B3\n"
        if code == "M412":
            if not sensor:
                return 'echo:Unknown command: "M412"\nok\n'
            return "echo:Filament runout ON ; Distance 7.00mm\nok\n"
        if code == "M27":
            return "Not SD printing\nok\n"
        return "ok\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Marlin firmware simulator on a pty")
    parser.add_argument("--port", type=int, default=0, help="ignored (a pty has no port)")
    parser.add_argument("--mode", choices=(*MODES, "ok"), default=HEALTHY)
    args = parser.parse_args(argv)
    sim = MarlinSim(mode=args.mode).start()
    print(f"marlin simulator on {sim.device} (mode {args.mode})", flush=True)
    wait_for_interrupt(sim)


if __name__ == "__main__":
    main()
