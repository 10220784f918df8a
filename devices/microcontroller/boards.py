"""The table of known USB boards (data in ``boards.yml``), extendable by a centre.

A centre that owns boards missing from the table drops a YAML file with the same shape
(``boards: [{vendor_id, product_id, kind, model_name, ambiguous?, protocol?}]``) and
passes it to :func:`load_board_table`; its entries override the shipped ones.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from devices.errors import BadAnswer

_SHIPPED = Path(__file__).with_name("boards.yml")
_HEX4 = re.compile(r"^(?:0x)?([0-9a-f]{1,4})$")
PROTOCOLS = frozenset({"micropython", "firmata", "aseba", "none"})


@dataclass(frozen=True, slots=True, kw_only=True)
class BoardSpec:
    """One row of the table: what a vendor:product id means."""

    vendor_id: str
    product_id: str
    kind: str
    model_name: str
    ambiguous: bool = False
    protocol: str = "none"


BoardTable = Mapping[tuple[str, str], BoardSpec]


def normalize_usb_id(value: object) -> str | None:
    """``"0x0D28"``, ``"d28"``, ``3368`` -> ``"0d28"``; anything else -> None."""
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:04x}" if 0 <= value <= 0xFFFF else None
    if not isinstance(value, str):
        return None
    match = _HEX4.match(value.strip().lower())
    return match.group(1).zfill(4) if match else None


def _rows(text: str, origin: str) -> list[BoardSpec]:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise BadAnswer(f"board table {origin}: not valid YAML") from exc
    rows = data.get("boards") if isinstance(data, dict) else None
    if not isinstance(rows, list):
        raise BadAnswer(f"board table {origin}: expected a top-level 'boards' list")
    specs = []
    for index, row in enumerate(rows):
        if not isinstance(row, dict):
            raise BadAnswer(f"board table {origin}: entry {index} is not a mapping")
        vendor = normalize_usb_id(row.get("vendor_id"))
        product = normalize_usb_id(row.get("product_id"))
        kind, model = row.get("kind"), row.get("model_name")
        protocol = row.get("protocol", "none")
        if not (vendor and product and isinstance(kind, str) and isinstance(model, str)):
            raise BadAnswer(
                f"board table {origin}: entry {index} needs vendor_id, product_id (hex), kind and model_name"
            )
        if protocol not in PROTOCOLS:
            raise BadAnswer(
                f"board table {origin}: entry {index}: protocol {protocol!r} is not one of {sorted(PROTOCOLS)}"
            )
        specs.append(
            BoardSpec(
                vendor_id=vendor,
                product_id=product,
                kind=kind,
                model_name=model,
                ambiguous=bool(row.get("ambiguous", False)),
                protocol=protocol,
            )
        )
    return specs


@lru_cache(maxsize=1)
def _shipped() -> tuple[BoardSpec, ...]:
    return tuple(_rows(_SHIPPED.read_text(encoding="utf-8"), str(_SHIPPED)))


def load_board_table(extra: Path | str | None = None) -> dict[tuple[str, str], BoardSpec]:
    """Shipped table, overridden by the entries of ``extra`` (a centre's YAML file)."""
    table = {(s.vendor_id, s.product_id): s for s in _shipped()}
    if extra is not None:
        path = Path(extra)
        for spec in _rows(path.read_text(encoding="utf-8"), str(path)):
            table[(spec.vendor_id, spec.product_id)] = spec
    return table


def lookup(vendor_id: object, product_id: object, table: BoardTable | None = None) -> BoardSpec | None:
    """The spec for an id pair, or None when the board is not in the table."""
    vendor, product = normalize_usb_id(vendor_id), normalize_usb_id(product_id)
    if vendor is None or product is None:
        return None
    return (table if table is not None else load_board_table()).get((vendor, product))
