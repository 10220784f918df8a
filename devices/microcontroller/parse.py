"""Pure parsers for what boards say: USB identity listings and handshake answers.

Nothing here touches a port; every function takes text or bytes and returns facts or
raises :class:`~devices.errors.BadAnswer`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from devices.errors import BadAnswer
from devices.microcontroller.boards import normalize_usb_id

# Firmata (https://github.com/firmata/protocol): REPORT_VERSION 0xF9 major minor;
# SysEx START 0xF0, REPORT_FIRMWARE 0x79, major, minor, name as 7-bit LSB/MSB pairs, END 0xF7.
REPORT_VERSION = 0xF9
SYSEX_START, SYSEX_END, REPORT_FIRMWARE = 0xF0, 0xF7, 0x79

# "MicroPython v1.14 on 2021-02-05; Raspberry Pi Pico with RP2040"
# "Adafruit CircuitPython 8.2.0 on 2023-07-05; Raspberry Pi Pico with rp2040"
_BANNER = re.compile(
    r"((?:Adafruit\s+)?(?:MicroPython|CircuitPython)\s+v?\d[^\r\n;]*?(?:;[^\r\n]*)?)\s*(?:\r?\n|$)", re.IGNORECASE
)
_PROMPT = b">>>"


@dataclass(frozen=True, slots=True, kw_only=True)
class UsbIdentity:
    """USB descriptor facts as listed by udevadm, dmesg or macOS System Information."""

    vendor_id: str | None
    product_id: str | None
    serial: str | None
    product_name: str | None
    manufacturer: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class ReplAnswer:
    prompt_seen: bool
    banner: str | None  # the banner line, e.g. "MicroPython v1.14 on ...; Pico"


@dataclass(frozen=True, slots=True, kw_only=True)
class FirmataAnswer:
    protocol_version: str | None  # from REPORT_VERSION, e.g. "2.5"
    firmware_name: str | None  # from REPORT_FIRMWARE, e.g. "StandardFirmata.ino"
    firmware_version: str | None  # from REPORT_FIRMWARE, e.g. "2.5"

    @property
    def firmware(self) -> str:
        if self.firmware_name:
            return f"{self.firmware_name} {self.firmware_version}".strip()
        return f"Firmata protocol {self.protocol_version}"


def _first(patterns: list[str], text: str) -> str | None:
    for pattern in patterns:
        match = re.search(pattern, text, re.IGNORECASE | re.MULTILINE)
        if match and match.group(1).strip():
            return match.group(1).strip()
    return None


def parse_usb_identity(text: str) -> UsbIdentity:
    """Vendor/product/serial from ``udevadm info``, kernel ``dmesg`` or macOS System Information.

    Formats (all from real captures)::

        E: ID_VENDOR_ID=2341            udevadm info --name=/dev/ttyACM0
        usb 1-5: New USB device found, idVendor=2341, idProduct=1002     dmesg
        Vendor ID: 0x0d28 / Product ID: 0x0204                           macOS

    A listing cut before one of the ids gives None for it (BadAnswer only when both lack).
    """
    if not isinstance(text, str):
        raise BadAnswer("USB listing is not text")
    sep = r"[ \t]*[:=][ \t]*"
    vendor = _first([rf"^\s*E:\s*ID_VENDOR_ID{sep}(\w+)", r"idVendor\s*=\s*(\w+)", rf"^\s*Vendor ID{sep}(\w+)"], text)
    product = _first([rf"^\s*E:\s*ID_MODEL_ID{sep}(\w+)", r"idProduct\s*=\s*(\w+)", rf"^\s*Product ID{sep}(\w+)"], text)
    serial = _first(
        [rf"^\s*E:\s*ID_SERIAL_SHORT{sep}(\S+)", r"SerialNumber:\s*(\S+)\s*$", rf"^\s*Serial Number{sep}(\S+)"], text
    )
    name = _first(
        [
            rf"^\s*E:\s*ID_MODEL_FROM_DATABASE{sep}(.+?)\s*$",
            r"usb [\d.-]+: Product:\s*(.+?)\s*$",
            r"^(\S[^\r\n:]*):\s*$",
        ],
        text,
    )
    maker = _first(
        [
            rf"^\s*E:\s*ID_VENDOR_FROM_DATABASE{sep}(.+?)\s*$",
            r"usb [\d.-]+: Manufacturer:\s*(.+?)\s*$",
            rf"^\s*Manufacturer{sep}(.+?)\s*$",
            rf"^\s*E:\s*ID_VENDOR{sep}(.+?)\s*$",
        ],
        text,
    )
    vendor_id, product_id = normalize_usb_id(vendor), normalize_usb_id(product)
    if vendor_id is None and product_id is None:
        raise BadAnswer("no USB vendor/product id found in the listing")
    return UsbIdentity(vendor_id=vendor_id, product_id=product_id, serial=serial, product_name=name, manufacturer=maker)


def parse_repl_answer(data: bytes) -> ReplAnswer:
    """What a MicroPython/CircuitPython board printed after Ctrl-C, Ctrl-B.

    Ctrl-B on the friendly REPL reprints the banner then the ``>>> `` prompt. A board
    showing only the prompt still answered (banner None).
    """
    if not isinstance(data, (bytes, bytearray)):
        raise BadAnswer("REPL answer is not bytes")
    text = bytes(data).decode("utf-8", errors="replace")
    match = _BANNER.search(text)
    banner = re.sub(r"\s+", " ", match.group(1)).strip() if match else None
    prompt = _PROMPT in data
    if not prompt and banner is None:
        raise BadAnswer("no MicroPython prompt or banner in the answer")
    return ReplAnswer(prompt_seen=prompt, banner=banner)


def _decode_firmware_sysex(body: bytes) -> tuple[str, str]:
    major, minor, rest = body[0], body[1], body[2:]
    chars = []
    for i in range(0, len(rest) - 1, 2):
        code = (rest[i] & 0x7F) | ((rest[i + 1] & 0x7F) << 7)
        chars.append(chr(code) if 32 <= code < 0x7F else "?")
    return "".join(chars), f"{major}.{minor}"


def parse_firmata_answer(data: bytes) -> FirmataAnswer:
    """REPORT_VERSION (``F9 major minor``) and REPORT_FIRMWARE sysex, anywhere in ``data``.

    Data bytes in Firmata are 7-bit; a byte with the high bit set starts a new message,
    so a REPORT_VERSION followed by a high byte is truncated, not a version.
    """
    if not isinstance(data, (bytes, bytearray)):
        raise BadAnswer("Firmata answer is not bytes")
    data = bytes(data)
    version = name = fw_version = None
    for i, byte in enumerate(data[:-2]):
        if byte == REPORT_VERSION and data[i + 1] < 0x80 and data[i + 2] < 0x80:
            version = f"{data[i + 1]}.{data[i + 2]}"
            break
    start = data.find(bytes([SYSEX_START, REPORT_FIRMWARE]))
    if start >= 0:
        end = data.find(bytes([SYSEX_END]), start + 2)
        body = data[start + 2 : end] if end > 0 else b""
        if len(body) >= 2 and all(b < 0x80 for b in body):
            name, fw_version = _decode_firmware_sysex(body)
    if version is None and name is None:
        raise BadAnswer("no Firmata REPORT_VERSION or REPORT_FIRMWARE in the answer")
    return FirmataAnswer(protocol_version=version, firmware_name=name or None, firmware_version=fw_version)


def encode_firmata_firmware(name: str, major: int, minor: int) -> bytes:
    """The REPORT_FIRMWARE sysex a board sends (used by the lab simulator)."""
    body = bytearray([SYSEX_START, REPORT_FIRMWARE, major & 0x7F, minor & 0x7F])
    for char in name.encode("ascii"):
        body += bytes([char & 0x7F, char >> 7])
    return bytes(body + bytes([SYSEX_END]))


def parse_probe_answer(data: bytes, expect: str) -> str:
    """First match of the configured regex ``expect`` in the answer (group 1 if any)."""
    if not isinstance(data, (bytes, bytearray)):
        raise BadAnswer("probe answer is not bytes")
    text = bytes(data).decode("utf-8", errors="replace")
    match = re.search(expect, text)
    if match is None:
        raise BadAnswer("the answer does not match the expected pattern")
    return (match.group(1) if match.groups() else match.group(0)).strip()


RAW_REPL_BANNER = b"raw REPL; CTRL-B to exit\r\n>"


def parse_raw_repl_reply(data: bytes) -> tuple[str, str]:
    """(stdout, stderr) of a raw-REPL exec: ``OK`` <stdout> ``\\x04`` <stderr> ``\\x04>``.

    MicroPython's ``pyexec_raw_repl``; the same framing ``mpremote exec`` reads.
    """
    if not isinstance(data, (bytes, bytearray)):
        raise BadAnswer("raw REPL reply is not bytes")
    start = data.find(b"OK")
    if start < 0:
        raise BadAnswer("raw REPL did not acknowledge the code (no OK)")
    parts = bytes(data[start + 2 :]).split(b"\x04")
    if len(parts) < 3:
        raise BadAnswer("raw REPL reply is truncated (missing \\x04 markers)")
    return (
        parts[0].decode("utf-8", "replace").replace("\r\n", "\n"),
        parts[1].decode("utf-8", "replace").replace("\r\n", "\n"),
    )
