"""Marlin firmware over USB serial (pyserial): the printer with no network controller.

Commands sent, one at a time, each waiting for its ``ok`` with its own timeout:
    M115   firmware name/version and ``Cap:NAME:0|1`` capabilities (Cap:RUNOUT, as Marlin's M115.cpp prints it)
    M105   temperatures: ``ok T:210.0 /210.0 B:60.0 /60.0``
    M119   endstops and, with a runout sensor, ``filament: open|TRIGGERED``
    M412   runout detection ``Filament runout ON|OFF`` (skipped when Cap:RUNOUT:0)
    M27    SD print status (``Not SD printing`` / ``SD printing byte a/b``)

Opening the port usually resets the board, which then prints ``start`` and ``echo:`` banner
lines: they are drained first (``boot_wait_s``). ``busy: processing`` lines prove the firmware
is alive and extend the wait. Holding the port also means no host (OctoPrint, a slicer) is
streaming a print, so only SD prints can be running.

Filament sensor logic (``triggered_means_present``): Marlin 2.x prints ``TRIGGERED`` when the
runout pin differs from ``FIL_RUNOUT_STATE``, i.e. *filament present*; that is the default.
Pass False for forks/boards wired the other way (check once with the filament removed).
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, replace

import serial

from devices.errors import BadAnswer, Unreachable
from devices.printer_3d.facts import FilamentSensor, Printer3DFacts, PrinterState, utc_now
from devices.printer_3d.parse_marlin import (
    FirmwareInfo,
    error_lines,
    has_ok,
    is_fatal,
    is_unknown_command,
    parse_m27,
    parse_m105,
    parse_m115,
    parse_m119,
    parse_m412,
)

DEFAULT_BAUDRATE = 115200
MAX_REPLY_BYTES = 64_000


@dataclass(frozen=True, slots=True)
class Reply:
    text: str
    ok: bool
    received: bool  # any byte at all


class MarlinSerial:
    """Line-oriented G-code exchange over a pyserial port (the only pyserial user)."""

    def __init__(self, port: str, *, baudrate: int = DEFAULT_BAUDRATE, timeout_s: float = 3.0) -> None:
        self.port_name = port
        self.timeout_s = timeout_s
        try:
            self._ser = serial.Serial(port, baudrate=baudrate, timeout=0.05, write_timeout=timeout_s)
        except (serial.SerialException, OSError, ValueError) as exc:
            raise Unreachable(f"cannot open serial port {port}: {type(exc).__name__}") from exc

    def close(self) -> None:
        try:
            self._ser.close()
        except (serial.SerialException, OSError):
            pass

    def __enter__(self) -> MarlinSerial:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _read_some(self) -> bytes:
        try:
            return self._ser.read(max(1, min(self._ser.in_waiting, 4096)))
        except (serial.SerialException, OSError) as exc:
            raise Unreachable(f"serial port {self.port_name} failed while reading") from exc

    def drain(self, *, quiet_s: float, max_s: float) -> str:
        """Read whatever the board prints at boot until it is quiet for ``quiet_s``."""
        data = bytearray()
        deadline = time.monotonic() + max_s
        last = time.monotonic()
        while time.monotonic() < deadline and time.monotonic() - last < quiet_s:
            chunk = self._read_some()
            if chunk:
                data += chunk
                last = time.monotonic()
                if len(data) > MAX_REPLY_BYTES:
                    break
        return data.decode("utf-8", errors="replace")

    def command(self, gcode: str, *, timeout_s: float | None = None) -> Reply:
        """Send one G-code line; collect lines until ``ok`` or the timeout."""
        timeout_s = self.timeout_s if timeout_s is None else timeout_s
        try:
            self._ser.write(gcode.encode("ascii") + b"\n")
            self._ser.flush()
        except (serial.SerialException, OSError) as exc:
            raise Unreachable(f"serial port {self.port_name} failed while writing") from exc
        data = bytearray()
        start = time.monotonic()
        deadline = start + timeout_s
        hard_deadline = start + 4 * timeout_s  # busy lines extend, but not forever
        while time.monotonic() < deadline:
            chunk = self._read_some()
            if not chunk:
                continue
            data += chunk
            if len(data) > MAX_REPLY_BYTES:
                break
            if b"\n" not in chunk and b"\r" not in chunk:
                continue
            text = data.decode("utf-8", errors="replace")
            complete = text[: max(text.rfind("\n"), text.rfind("\r")) + 1]
            if has_ok(complete):  # an ok line is complete only once its newline arrived
                return Reply(text=complete, ok=True, received=True)
            if "busy" in chunk.decode("ascii", errors="replace").lower():
                deadline = min(time.monotonic() + timeout_s, hard_deadline)
        return Reply(text=data.decode("utf-8", errors="replace"), ok=False, received=bool(data))


def _optional(link: MarlinSerial, gcode: str) -> Reply | None:
    """A command whose failure leaves its facts None instead of failing the whole read."""
    try:
        reply = link.command(gcode)
    except Unreachable:
        return None
    return reply if reply.ok else None


def build_facts(
    firmware: FirmwareInfo | None,
    m105: str | None,
    m119: str | None,
    m412: str | None,
    m27: str | None,
    *,
    errors: tuple[str, ...] = (),
    triggered_means_present: bool = True,
) -> Printer3DFacts:
    """Pure: the replies (None = not obtained) -> facts."""
    temps = parse_m105(m105) if m105 is not None else None
    runout_cap = firmware.capability("RUNOUT") if firmware else None
    filament: FilamentSensor | None = None
    if m119 is not None:
        try:
            report = parse_m119(m119)
        except BadAnswer:
            report = None
        if report is not None:
            filament = report.filament_sensor(triggered_means_present=triggered_means_present)
            prusa = bool(firmware and firmware.name and "prusa" in firmware.name.lower())
            if filament is None and runout_cap is not True and not prusa:
                # Prusa-Firmware's own IR/PAT9125 sensor is not reported by M119.
                filament = FilamentSensor.NOT_FITTED
    if runout_cap is False and filament is None:
        filament = FilamentSensor.NOT_FITTED
    runout_enabled = parse_m412(m412) if m412 is not None else None
    if m27 is None:
        printing, progress = None, None
    elif is_unknown_command(m27):
        printing, progress = False, None  # no SD support, and we hold the only host link
    else:
        printing, progress = parse_m27(m27)
    if is_fatal(errors):
        state = PrinterState.ERROR
    elif printing:
        state = PrinterState.PRINTING
    else:
        state = PrinterState.IDLE
    return Printer3DFacts(
        driver="marlin",
        connected=True,
        state=state,
        printing=printing,
        filament_sensor=filament,
        runout_detection_enabled=runout_enabled,
        nozzle_c=temps.nozzle_c if temps else None,
        nozzle_target_c=temps.nozzle_target_c if temps else None,
        bed_c=temps.bed_c if temps else None,
        bed_target_c=temps.bed_target_c if temps else None,
        progress_pct=progress if printing else None,
        firmware=firmware.name if firmware else None,
        errors=errors,
    )


def read_marlin(
    *,
    port: str,
    baudrate: int = DEFAULT_BAUDRATE,
    timeout_s: float = 3.0,
    boot_wait_s: float = 2.5,
    triggered_means_present: bool = True,
) -> Printer3DFacts:
    """Open ``port``, drain the boot banner, then M115, M105, M119, M412, M27.

    Time budget: a live board costs about ``min(0.5, boot_wait_s)`` plus one round trip per
    command; a silent one ``boot_wait_s + 2 * timeout_s`` (M115 is retried once) before
    Unreachable. M115 and M105 are required; M119/M412/M27 failures leave their facts None.
    """
    measured_at = utc_now()
    with MarlinSerial(port, baudrate=baudrate, timeout_s=timeout_s) as link:
        banner = link.drain(quiet_s=min(0.5, boot_wait_s), max_s=boot_wait_s)
        errors = list(error_lines(banner))
        m115 = link.command("M115")
        if not m115.received:  # the board may still be booting: one more try
            m115 = link.command("M115")
        errors += error_lines(m115.text)
        if not m115.ok:
            if is_fatal(tuple(errors)):
                return _halted(tuple(errors), measured_at)
            if not m115.received:
                raise Unreachable(f"no answer to M115 on {port} within {timeout_s:g} s")
            raise BadAnswer(f"M115 on {port}: answer without 'ok'")
        firmware = parse_m115(m115.text)
        m105 = link.command("M105")
        errors += error_lines(m105.text)
        if not m105.ok:
            if is_fatal(tuple(errors)):
                return _halted(tuple(errors), measured_at, firmware)
            raise (BadAnswer if m105.received else Unreachable)(f"M105 on {port}: no 'ok'")
        m119 = _optional(link, "M119")
        m412 = None
        if firmware.capability("RUNOUT") is not False:
            m412 = _optional(link, "M412")
        m27 = _optional(link, "M27")
    for reply in (m119, m412, m27):
        if reply is not None:
            errors += error_lines(reply.text)
    facts = build_facts(
        firmware,
        m105.text,
        m119.text if m119 else None,
        m412.text if m412 else None,
        m27.text if m27 else None,
        errors=tuple(dict.fromkeys(errors)),
        triggered_means_present=triggered_means_present,
    )
    return _with_time(facts, measured_at)


def _halted(errors: tuple[str, ...], measured_at: dt.datetime, firmware: FirmwareInfo | None = None) -> Printer3DFacts:
    return Printer3DFacts(
        driver="marlin",
        connected=True,
        state=PrinterState.ERROR,
        printing=None,
        filament_sensor=None,
        firmware=firmware.name if firmware else None,
        errors=tuple(dict.fromkeys(errors)),
        measured_at=measured_at,
    )


def _with_time(facts: Printer3DFacts, measured_at: dt.datetime) -> Printer3DFacts:
    return replace(facts, measured_at=measured_at)
