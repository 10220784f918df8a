"""Turn pydantic validation errors into message keys and params the technician can read.

pydantic's own ``msg`` is English developer prose; we keep it only as a last resort.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

_KEYS = {
    "missing": "field.missing",
    "greater_than_equal": "field.out_of_range",
    "less_than_equal": "field.out_of_range",
    "greater_than": "field.out_of_range",
    "less_than": "field.out_of_range",
    "string_pattern_mismatch": "field.format",
    "string_too_short": "field.empty",
    "literal_error": "field.choice",
    "enum": "field.choice",
    "int_parsing": "field.not_integer",
    "int_type": "field.not_integer",
    "int_from_float": "field.not_integer",
    "bool_parsing": "field.not_boolean",
    "bool_type": "field.not_boolean",
    "string_type": "field.not_text",
    "list_type": "field.not_list",
    "dict_type": "field.not_mapping",
    "model_type": "field.not_mapping",
    "date_from_datetime_parsing": "field.not_date",
    "date_parsing": "field.not_date",
    "date_type": "field.not_date",
    "extra_forbidden": "field.unknown",
    "value_error": "field.invalid_value",
}

#: what a string pattern means, for people (keyed by the field's last name)
FORMATS = {
    "time": "HH:MM",
    "google_account": "adresse e-mail",
    "apple_id": "adresse e-mail",
    "ble_address": "AA:BB:CC:DD:EE:FF",
    "spoolman_url": "http://… ou https://…",
    "web_url": "http://… ou https://…",
    "id": "lettres, chiffres, - _ .",
    "jury": "lettres, chiffres, - _ .",
    "room": "lettres, chiffres, - _ .",
}


def describe(error: Mapping[str, Any], *, secret: bool) -> tuple[str, dict[str, Any]]:
    """(message key, params) for one entry of ``ValidationError.errors()``."""
    key = _KEYS.get(error["type"], "field.invalid_type")
    params: dict[str, Any] = {"detail": error["msg"]}
    ctx = error.get("ctx") or {}
    for bound in ("ge", "gt"):
        if bound in ctx:
            params["min"] = ctx[bound]
    for bound in ("le", "lt"):
        if bound in ctx:
            params["max"] = ctx[bound]
    params.setdefault("min", "—")
    params.setdefault("max", "—")
    if "expected" in ctx:
        params["expected"] = str(ctx["expected"]).replace("'", "").replace(" or ", ", ")
    loc = [str(p) for p in error.get("loc", ()) if not isinstance(p, int)]
    params["format"] = FORMATS.get(loc[-1] if loc else "", str(ctx.get("pattern", "")))
    if error["type"] == "value_error":
        params["detail"] = str(ctx.get("error", error["msg"]))
    if error["type"] != "missing":
        # a secret's value is never repeated back, anywhere
        params["value"] = "(masqué)" if secret else error.get("input")
    return key, params
