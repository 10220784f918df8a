"""Everything a *user* can cause, as one exception tree.

    PlateauError                   caught by the CLI: rendered message, exit 2, no traceback
    ├── InventoryError             the inventory directory is wrong (carries every Problem found)
    │   └── VaultError             a vault file cannot be opened (no password, wrong password)
    ├── SessionError               session.yml is wrong
    ├── CatalogError               a software catalog file is wrong
    │   └── UnknownSoftware        a requested name matches no title (carries suggestions)
    └── ReferentielError           an unknown or malformed référentiel profile

Anything else escaping to the CLI is an internal error (exit 70, log path printed).

A :class:`Problem` is one finding: a message key from ``provision/locales`` with its
params, plus where it was found (file, line, host, field) and a severity. Loaders collect
all problems they can find before raising, so the technician fixes everything in one go.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True, kw_only=True)
class Problem:
    key: str
    params: dict[str, Any] = field(default_factory=dict)
    severity: Severity = Severity.ERROR
    file: str | None = None
    line: int | None = None
    host: str | None = None
    field: str | None = None

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def where(self) -> str:
        """'hosts.yml:12 · hôte pc1 · champ admin_user' style location, language-neutral."""
        parts = []
        if self.file:
            parts.append(f"{self.file}:{self.line}" if self.line else self.file)
        if self.host:
            parts.append(f"host={self.host}")
        if self.field:
            parts.append(f"field={self.field}")
        return " ".join(parts)

    def as_dict(self) -> dict[str, Any]:
        from provision.messages import render

        return {
            "severity": str(self.severity),
            "key": self.key,
            "params": {k: _jsonable(v) for k, v in self.params.items()},
            "file": self.file,
            "line": self.line,
            "host": self.host,
            "field": self.field,
            "message": render(self.key, self.params),
        }


def _jsonable(value: Any) -> Any:
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_jsonable(v) for v in value]
    return str(value)


class PlateauError(Exception):
    """Base of every error a user's input can cause."""

    def __init__(self, problems: Iterable[Problem] | Problem) -> None:
        if isinstance(problems, Problem):
            problems = [problems]
        self.problems: list[Problem] = list(problems)
        super().__init__("; ".join(f"{p.key} {p.where()}" for p in self.problems))


class InventoryError(PlateauError):
    pass


class VaultError(InventoryError):
    pass


class SessionError(PlateauError):
    pass


class CatalogError(PlateauError):
    pass


class UnknownSoftware(CatalogError):
    pass


class ReferentielError(PlateauError):
    pass
