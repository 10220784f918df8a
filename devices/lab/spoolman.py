"""Spoolman (the filament spool database a 3D printer's host reads) on 127.0.0.1.

``GET /api/v1/spool`` lists the spools not archived, ``GET /api/v1/spool/{id}`` one spool, both
shaped like Spoolman's real answers (:func:`lab_spool`). ``sim.spools`` is settable while running.
Modes: the HTTP ones every lab server shares (healthy, dead, slow, garbage) and auth_fail.
"""

from __future__ import annotations

from typing import Any

from devices.lab.web import LabHttpServer

MODES = ("healthy", "auth_fail", "dead", "slow", "garbage")
GARBAGE = b'\x00\xff<html>502 Bad Gateway</htm\xfe[{"id": 1, "remaining_weight": '
Answer = tuple[int, object]


def lab_spool(
    spool_id: int,
    *,
    remaining_g: float,
    name: str = "PLA Galaxy Black",
    material: str = "PLA",
    vendor: str = "Prusament",
    initial_g: float = 1000.0,
    archived: bool = False,
) -> dict[str, Any]:
    """A spool shaped like Spoolman's ``GET /api/v1/spool/{id}`` answer."""
    used = max(initial_g - remaining_g, 0.0)
    return {
        "id": spool_id,
        "registered": "2025-09-01T08:00:00",
        "first_used": "2025-09-02T09:12:44",
        "last_used": "2025-11-20T16:03:10",
        "filament": {
            "id": 1,
            "registered": "2025-09-01T08:00:00",
            "name": name,
            "vendor": {"id": 1, "registered": "2025-09-01T08:00:00", "name": vendor},
            "material": material,
            "price": 24.99,
            "density": 1.24,
            "diameter": 1.75,
            "weight": initial_g,
            "spool_weight": 201.0,
            "color_hex": "1B1B1B",
        },
        "remaining_weight": remaining_g,
        "initial_weight": initial_g,
        "used_weight": used,
        "remaining_length": remaining_g / 1.24 / 2.405 * 1000,
        "used_length": used / 1.24 / 2.405 * 1000,
        "archived": archived,
        "extra": {},
    }


class SpoolmanSim(LabHttpServer):
    api_name = "spoolman"
    auth_status = 401
    modes, garbage, garbage_type = MODES, GARBAGE, "application/json"

    def __init__(self, *, spools: list[dict[str, Any]] | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.spools = [lab_spool(1, remaining_g=742.5)] if spools is None else spools

    def answer(self, path: str, query: dict[str, list[str]]) -> Answer:
        if path.rstrip("/") == "/api/v1/spool":
            return 200, [s for s in self.spools if not s.get("archived")]
        if path.startswith("/api/v1/spool/"):
            wanted = path.rsplit("/", 1)[-1]
            for spool in self.spools:
                if str(spool.get("id")) == wanted:
                    return 200, spool
            return 404, {"message": f"No spool with ID {wanted} found."}
        return 404, {"detail": "Not Found"}
