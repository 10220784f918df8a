"""Wi-Fi QR code: the payload phones understand, and its image (a PNG of one pixel per module).

Payload (ZXing "Wi-Fi network config", read by the Android and iOS cameras)::

    WIFI:T:WPA;S:<ssid>;P:<key>;;       WPA2 / WPA3 / mixed (phones negotiate the version)
    WIFI:T:nopass;S:<ssid>;;            open network

In the SSID and the key, ``\\``, ``;``, ``,``, ``:`` and ``"`` are escaped by a backslash.
Hex-looking values are *not* wrapped in double quotes: the optional quoting of the spec
is read literally by several readers, and the keys plateau generates are never pure hex.
"""

from __future__ import annotations

import io

import segno

_SPECIAL = frozenset('\\;,:"')


def escape(value: str) -> str:
    """Backslash-escape the characters the WIFI: format reserves."""
    return "".join("\\" + ch if ch in _SPECIAL else ch for ch in value)


def wifi_payload(ssid: str, key: str | None, security: str = "wpa2-psk") -> str:
    """The string encoded in the QR code; ``security`` is the inventory's ``wifi_security``."""
    if security == "open" or not key:
        return f"WIFI:T:nopass;S:{escape(ssid)};;"
    return f"WIFI:T:WPA;S:{escape(ssid)};P:{escape(key)};;"


def png_bytes(payload: str) -> bytes:
    """QR code (error correction M, quiet zone 4 modules) as a PNG of one pixel per module: the
    matrix itself, exact. Placed with Typst's ``scaling: "pixelated"`` (the PDF image has
    ``/Interpolate false``), every module prints as a sharp square at any size. Byte mode in
    UTF-8, so accented SSIDs survive."""
    code = segno.make_qr(payload, error="m", encoding="utf-8", boost_error=False)
    buffer = io.BytesIO()
    code.save(buffer, kind="png", scale=1, border=4, dark="#000", light="#fff")
    return buffer.getvalue()
