"""Find the boards plugged into this machine, with pyudev (libudev).

For every device of the ``tty`` subsystem that has a USB parent, read the parent
``usb_device``'s ``ID_VENDOR_ID`` / ``ID_MODEL_ID`` / ``ID_SERIAL_SHORT`` udev properties
(falling back to its sysfs ``idVendor`` / ``idProduct`` / ``serial`` attributes, then to the
tty's own properties, which udev's ``usb_id`` builtin also sets) and classify the id pair
with the board table. Equivalent to ``udevadm info --name=/dev/ttyACM0``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from devices.errors import Unreachable
from devices.microcontroller.boards import BoardTable, load_board_table, normalize_usb_id

UNKNOWN_KIND = "unknown"


@dataclass(frozen=True, slots=True, kw_only=True)
class BoardFacts:
    kind: str  # table kind ("microbit", "arduino_uno_r3"...) or "unknown"
    vendor_id: str  # 4 lowercase hex digits, "0d28"
    product_id: str  # "0204"
    serial: str | None  # USB iSerial, None when the board has none
    tty_path: str | None  # "/dev/ttyACM0"
    model_name: str | None
    ambiguous: bool  # generic USB-serial bridge: the id does not say which board
    protocol: str  # handshake to try: micropython | firmata | aseba | none
    measured_at: datetime


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="replace")
    value = str(value).strip()
    return value or None


def _usb_ids(tty: Any) -> tuple[str | None, str | None, str | None, str | None]:
    """(vendor, product, serial, model) for a pyudev tty device; None where unknown."""
    parent = tty.find_parent("usb", "usb_device")
    sources: list[tuple[Any, str, str, str]] = []
    if parent is not None:
        sources.append((parent.properties, "ID_VENDOR_ID", "ID_MODEL_ID", "ID_SERIAL_SHORT"))
        sources.append((parent.attributes, "idVendor", "idProduct", "serial"))
    sources.append((tty.properties, "ID_VENDOR_ID", "ID_MODEL_ID", "ID_SERIAL_SHORT"))
    vendor = product = serial = None
    for mapping, vkey, pkey, skey in sources:
        try:
            vendor = vendor or normalize_usb_id(_text(mapping.get(vkey)))
            product = product or normalize_usb_id(_text(mapping.get(pkey)))
            serial = serial or _text(mapping.get(skey))
        except (KeyError, OSError, UnicodeDecodeError):
            continue  # an attribute that vanished mid-read (board unplugged)
    model = None
    for mapping in ([parent.properties] if parent is not None else []) + [tty.properties]:
        model = model or _text(mapping.get("ID_MODEL_FROM_DATABASE")) or _text(mapping.get("ID_MODEL"))
    if parent is None and vendor is None:
        return None, None, None, None
    return vendor, product, serial, model


def detect_boards(context: Any = None, *, table: BoardTable | None = None) -> list[BoardFacts]:
    """Every USB serial board present, known or not (``kind="unknown"``), sorted by tty."""
    try:
        import pyudev  # imported lazily: the rest of the package works without libudev

        context = context if context is not None else pyudev.Context()
        ttys = list(context.list_devices(subsystem="tty"))
    except (ImportError, OSError) as exc:
        raise Unreachable(f"cannot enumerate udev devices: {exc}") from exc
    table = table if table is not None else load_board_table()
    now = datetime.now(UTC)
    boards = []
    for tty in ttys:
        vendor, product, serial, model = _usb_ids(tty)
        if vendor is None or product is None:
            continue  # not a USB serial port (ttyS0, virtual consoles, ptys)
        spec = table.get((vendor, product))
        boards.append(
            BoardFacts(
                kind=spec.kind if spec else UNKNOWN_KIND,
                vendor_id=vendor,
                product_id=product,
                serial=serial,
                tty_path=_text(tty.device_node),
                model_name=spec.model_name if spec else model,
                ambiguous=spec.ambiguous if spec else False,
                protocol=spec.protocol if spec else "none",
                measured_at=now,
            )
        )
    return sorted(boards, key=lambda b: b.tty_path or "")


def find_board(
    *,
    serial: str | None = None,
    vendor_id: str | None = None,
    product_id: str | None = None,
    context: Any = None,
    table: BoardTable | None = None,
) -> BoardFacts | None:
    """The first board matching the USB serial number, or the vendor[/product] id."""
    if serial is None and vendor_id is None:
        raise ValueError("find_board needs serial= or vendor_id= (and optionally product_id=)")
    vendor, product = normalize_usb_id(vendor_id), normalize_usb_id(product_id)
    for board in detect_boards(context, table=table):
        if serial is not None and (board.serial or "").lower() != serial.strip().lower():
            continue
        if vendor is not None and board.vendor_id != vendor:
            continue
        if product is not None and board.product_id != product:
            continue
        return board
    return None
