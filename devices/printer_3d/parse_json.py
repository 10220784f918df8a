"""The JSON helpers the 3D-printer parsers share (:mod:`devices.printer_3d.parse`).

:func:`load_json` decodes a body (``bytes``/``str``, or a value already decoded) and turns
anything that is not JSON into :class:`devices.errors.BadAnswer`; :func:`field` matches a key
exactly first, then case-insensitively, so a firmware that changes the case of a key still
parses; :func:`number`, :func:`flag` and :func:`text` read one JSON value leniently and give
None for anything else.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

from devices.errors import BadAnswer

MAX_BODY_BYTES = 2_000_000


def load_json(raw: bytes | str | Mapping[str, Any] | list[Any], what: str) -> Any:
    """Decode a JSON body; already-decoded values pass through."""
    if isinstance(raw, (Mapping, list)):
        return raw
    if isinstance(raw, (bytes, bytearray)):
        if len(raw) > MAX_BODY_BYTES:
            raise BadAnswer(f"{what}: body too large ({len(raw)} bytes)")
        try:
            raw = bytes(raw).decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise BadAnswer(f"{what}: body is not UTF-8") from exc
    if not isinstance(raw, str):
        raise BadAnswer(f"{what}: unexpected body type {type(raw).__name__}")
    try:
        return json.loads(raw.lstrip("\ufeff"))
    except (ValueError, RecursionError) as exc:
        raise BadAnswer(f"{what}: body is not valid JSON") from exc


def field(obj: Any, name: str, default: Any = None) -> Any:
    """``obj[name]`` with a case-insensitive fallback; ``default`` if absent or not a dict."""
    if not isinstance(obj, Mapping):
        return default
    if name in obj:
        return obj[name]
    lowered = name.lower()
    for key, value in obj.items():
        if isinstance(key, str) and key.lower() == lowered:
            return value
    return default


def require_object(value: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise BadAnswer(f"{what}: expected a JSON object, got {type(value).__name__}")
    return value


def number(value: Any) -> float | None:
    """A finite float from a JSON number or numeric string; None otherwise (bool is not a number)."""
    if isinstance(value, bool) or value is None:
        return None
    if not isinstance(value, (int, float, str)):
        return None
    try:
        result = float(value.strip() if isinstance(value, str) else value)
    except (ValueError, OverflowError):
        return None
    return result if math.isfinite(result) else None


def flag(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    return None


def text(value: Any) -> str | None:
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None
