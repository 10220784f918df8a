"""Microcontroller boards on USB serial: detection (pyudev) and handshake (pyserial).

    detect_boards(context=None) -> list[BoardFacts]
    find_board(serial=... | vendor_id=..., product_id=...) -> BoardFacts | None
    handshake(tty_path, protocol, timeout_s) -> HandshakeFacts

The board table is data (``boards.yml``), extendable with :func:`load_board_table`.
"""

from devices.microcontroller.boards import BoardSpec, load_board_table, lookup
from devices.microcontroller.detect import BoardFacts, detect_boards, find_board
from devices.microcontroller.handshake import PROTOCOLS, HandshakeFacts, handshake

__all__ = [
    "PROTOCOLS",
    "BoardFacts",
    "BoardSpec",
    "HandshakeFacts",
    "detect_boards",
    "find_board",
    "handshake",
    "load_board_table",
    "lookup",
]
