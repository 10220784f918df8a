"""Spoolman driver: filament left on a spool.

Endpoints (no authentication by default):
    GET /api/v1/spool/{id}   one spool: remaining_weight (g), used_weight (g), filament.{name,material}
    GET /api/v1/spool        all non-archived spools (a JSON list)

Spoolman does not know which spool is on which printer. Without ``spool_id`` the only spool
we can attribute is the *single* non-archived spool of the server; with several spools and
no id the answer is ambiguous and reported as such (never guessed).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from devices.errors import BadAnswer
from devices.printer_3d.facts import SpoolFacts
from devices.printer_3d.parse import field, flag, load_json, number, require_object, text
from devices.printer_3d.transport import base_url, http_get

DEFAULT_PORT = 7912


def parse_spoolman_spool(raw: bytes | str | Mapping[str, Any]) -> SpoolFacts:
    """``GET /api/v1/spool/{id}`` -> id, remaining_weight, used_weight, initial_weight,
    filament.{name, material, vendor.name}, archived."""
    data = require_object(load_json(raw, "/api/v1/spool"), "/api/v1/spool")
    spool_id = number(field(data, "id"))
    filament = field(data, "filament")
    remaining = number(field(data, "remaining_weight"))
    used = number(field(data, "used_weight"))
    if spool_id is None and remaining is None and not isinstance(filament, Mapping):
        raise BadAnswer("/api/v1/spool: not a spool object")
    initial = number(field(data, "initial_weight"))
    if initial is None:
        initial = number(field(filament, "weight"))
    if remaining is None and initial is not None and used is not None:
        remaining = max(initial - used, 0.0)
    return SpoolFacts(
        spool_id=int(spool_id) if spool_id is not None else None,
        filament_name=text(field(filament, "name")),
        material=text(field(filament, "material")),
        vendor=text(field(field(filament, "vendor"), "name")),
        remaining_g=remaining,
        used_g=used,
        initial_g=initial,
        archived=flag(field(data, "archived")),
    )


def parse_spoolman_spools(raw: bytes | str | list[Any]) -> tuple[SpoolFacts, ...]:
    """``GET /api/v1/spool`` -> a JSON list of spool objects."""
    data = load_json(raw, "/api/v1/spool")
    if not isinstance(data, list):
        raise BadAnswer("/api/v1/spool: expected a JSON list")
    return tuple(parse_spoolman_spool(item) for item in data)


class AmbiguousSpool(BadAnswer):
    """Several spools and no spool id: we cannot tell which one is loaded."""


def read_spool(
    *,
    host: str,
    port: int = DEFAULT_PORT,
    spool_id: int | None = None,
    api_key: str | None = None,
    timeout_s: float = 5.0,
) -> SpoolFacts:
    """``GET /api/v1/spool/{spool_id}``, or ``GET /api/v1/spool`` when no id is given."""
    url = base_url(host, port)
    if spool_id is not None:
        path = f"/api/v1/spool/{int(spool_id)}"
        answer = http_get(url, path, timeout_s=timeout_s, api_key=api_key)
        if answer.status == 404:
            raise BadAnswer(f"GET {path}: no such spool on the Spoolman server")
        if answer.status != 200:
            raise BadAnswer(f"GET {path}: HTTP {answer.status}")
        return parse_spoolman_spool(answer.body)
    answer = http_get(url, "/api/v1/spool", timeout_s=timeout_s, api_key=api_key)
    if answer.status != 200:
        raise BadAnswer(f"GET /api/v1/spool: HTTP {answer.status}")
    spools = [s for s in parse_spoolman_spools(answer.body) if s.archived is not True]
    if len(spools) != 1:
        raise AmbiguousSpool(f"GET /api/v1/spool: {len(spools)} active spools and no spool id given")
    return spools[0]
