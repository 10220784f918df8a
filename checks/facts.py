"""Facts dataclasses → JSON-able dicts stored with each verdict (no secret ever in there)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from enum import Enum
from typing import Any

#: field names never copied into stored facts, whatever a driver returns
REDACT = frozenset({"password", "key", "wifi_key", "api_key", "secret", "token", "psk", "community"})


def jsonable(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: jsonable(getattr(value, f.name)) for f in dataclasses.fields(value) if f.name not in REDACT}
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items() if str(k) not in REDACT}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [jsonable(v) for v in value]
        return sorted(items, key=str) if isinstance(value, (set, frozenset)) else items
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)
