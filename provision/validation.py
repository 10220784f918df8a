"""Turn pydantic validation errors into message keys and params the technician can read.

pydantic's own ``msg`` is English developer prose; we keep it only as a last resort.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, get_args, get_origin

import annotated_types
from pydantic import BaseModel

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


def field_bounds(model: type[BaseModel], name: str) -> tuple[Any, Any]:
    """(min, max) of a numeric field from its ``Field(ge=..., le=...)``, None when unbounded.

    pydantic reports only the bound a value crossed; the message gives the whole range.
    """
    info = model.model_fields.get(name)
    if info is None:
        return None, None
    low = high = None
    metadata = list(info.metadata)
    stack = [info.annotation]
    while stack:  # Annotated[int, Field(ge=..)] | None keeps its bounds inside the union
        annotation = stack.pop()
        if get_origin(annotation) is Annotated:
            metadata.extend(get_args(annotation)[1:])
            stack.append(get_args(annotation)[0])
        else:
            stack.extend(a for a in get_args(annotation) if a is not type(None))
    for item in metadata:
        for each in getattr(item, "metadata", None) or [item]:
            if isinstance(each, (annotated_types.Ge, annotated_types.Gt)):
                low = each.ge if isinstance(each, annotated_types.Ge) else each.gt
            elif isinstance(each, (annotated_types.Le, annotated_types.Lt)):
                high = each.le if isinstance(each, annotated_types.Le) else each.lt
    return low, high


def describe(
    error: Mapping[str, Any], *, secret: bool, bounds: tuple[Any, Any] = (None, None)
) -> tuple[str, dict[str, Any]]:
    """(message key, params) for one entry of ``ValidationError.errors()``.

    ``bounds``: the field's whole (min, max), so a range message never reads « entre — et 100 ».
    """
    key = _KEYS.get(error["type"], "field.invalid_type")
    params: dict[str, Any] = {"detail": error["msg"]}
    ctx = error.get("ctx") or {}
    for bound in ("ge", "gt"):
        if bound in ctx:
            params["min"] = ctx[bound]
    for bound in ("le", "lt"):
        if bound in ctx:
            params["max"] = ctx[bound]
    if bounds[0] is not None:
        params.setdefault("min", bounds[0])
    if bounds[1] is not None:
        params.setdefault("max", bounds[1])
    if key == "field.out_of_range" and ("min" not in params or "max" not in params):
        key = "field.too_small" if "min" in params else "field.too_large"
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


#: what the exam file asks the recap to give of each device of its « printer and scanner »
#: table (the families whose ``recap_section`` is "peripherals"); ansible_host is already
#: required of a network one by its model, a USB one has no address
EXAM_FILE_FIELDS = ("brand", "model")


def exam_file_gaps(device: Any) -> tuple[str, ...]:
    """The fields the exam file needs on the recap that this printer or scanner leaves empty."""
    from provision.families import REGISTRY

    family = REGISTRY.get(getattr(device, "family", ""))
    if family is None or family.recap_section != "peripherals":
        return ()
    return tuple(f for f in EXAM_FILE_FIELDS if not str(getattr(device, f, "") or "").strip())


def exam_file_warnings(devices: Any, host_file: str = "hosts.yml") -> list[Any]:
    """A warning per missing field (the recap would print « — »), naming the host and the field."""
    from provision.errors import Problem, Severity

    found, seen = [], set()
    for device in devices:
        for name in exam_file_gaps(device):
            if (device.name, name) in seen:  # a printer-scanner is two devices of one host
                continue
            seen.add((device.name, name))
            found.append(Problem(key="validate.exam_file_field", severity=Severity.WARNING, file=host_file,
                                 host=device.name, field=name,
                                 params={"host": device.name, "field": name, "family": device.family}))  # fmt: skip
    return found
