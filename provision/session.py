"""The exam session: ``inventories/<centre>/session.yml``.

Who sits the exam, before which jury, in which room, in what order, and what each
candidate asked for: software per device kind, accessibility settings, own laptop.
Record only what the plateau needs (GDPR): a setting such as ``lecteur_ecran``, never
a diagnosis. Candidate names stay out of logs and of the dashboard's public views.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints, ValidationError

from provision.catalog import Catalog
from provision.catalog.catalog import fold
from provision.errors import Problem, SessionError, UnknownSoftware
from provision.families import REGISTRY
from provision.inventory import Inventory
from provision.paths import shown
from provision.referentiels import REFERENTIEL_IDS
from provision.validation import describe, field_bounds
from provision.yamlmap import TextTimesLoader, line_of, load_checked
from provision.yamltext import kind_of

SESSION_FILE = "session.yml"

#: accessibility settings a candidate may need, with the French spellings people write
ACCESSIBILITY = {
    "screen_reader": ("lecteur d'écran", "lecteur_ecran", "lecteur ecran", "screen reader"),
    "magnifier": ("loupe", "zoom", "agrandissement"),
    "high_contrast": ("contraste élevé", "contraste_eleve", "contraste"),
    "large_text": ("grands caractères", "grands_caracteres", "texte agrandi"),
    "captions": ("sous-titres", "sous_titres"),
}
_ACCESSIBILITY_NAMES = {fold(n): key for key, names in ACCESSIBILITY.items() for n in (key, *names)}

Slug = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
#: the families a candidate may ask software for (those with a catalog platform), from the registry
SOFTWARE_KINDS = tuple(f.name for f in REGISTRY.values() if f.platform)
DeviceKind = Literal[SOFTWARE_KINDS]  # type: ignore[valid-type]  # built from the registry, checked at run time


def _to_list(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Jury(_Strict):
    id: Slug
    label: Text | None = None
    room: Slug


class Candidate(_Strict):
    id: Slug
    name: Text | None = None
    jury: Slug
    order: Annotated[int, Field(ge=1)]
    time: Annotated[str, StringConstraints(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")] | None = None
    own_laptop: bool = False
    software: dict[DeviceKind, Annotated[list[Text], BeforeValidator(_to_list)]] = Field(default_factory=dict)
    accessibility: Annotated[list[Text], BeforeValidator(_to_list)] = Field(default_factory=list)


class SessionFile(_Strict):
    date: dt.date
    referentiel: Literal[REFERENTIEL_IDS]  # type: ignore[valid-type]  # a Literal built from data at import; pydantic checks the values at run time
    centre: Text | None = None
    juries: Annotated[list[Jury], Field(min_length=1)]
    candidates: list[Candidate] = Field(default_factory=list)


class Request(BaseModel):
    """One software title a candidate needs on one device kind (resolved in the catalog)."""

    model_config = ConfigDict(frozen=True)

    candidate: str
    kind: DeviceKind
    title_id: str
    asked_as: str


class Session(BaseModel):
    model_config = ConfigDict(frozen=True)

    file: str
    date: dt.date
    referentiel: str
    centre: str | None
    juries: list[Jury]
    candidates: list[Candidate]
    requests: list[Request]
    #: candidate id -> canonical accessibility settings
    accessibility: dict[str, list[str]]

    def jury(self, jury_id: str) -> Jury:
        return next(j for j in self.juries if j.id == jury_id)

    def candidates_in_room(self, room: str) -> list[Candidate]:
        juries = {j.id for j in self.juries if j.room == room}
        return sorted((c for c in self.candidates if c.jury in juries), key=lambda c: (c.jury, c.order))


def parse_session_file(path: Path) -> tuple[SessionFile, Any, dict, str]:
    """Syntax and shape of ``session.yml`` alone (no inventory needed): (parsed, data, lines, label)."""
    label = shown(path)
    if not path.is_file():
        raise SessionError(Problem(key="session.missing", file=label))
    # encoding, control characters, limits, duplicate keys, impossible dates; « 10:15 » stays text
    data, lines, found = load_checked(path, label, TextTimesLoader)
    if any(p.is_error for p in found):
        raise SessionError(found)
    if not isinstance(data, dict):
        raise SessionError(Problem(key="session.not_mapping", file=label, line=1, params={"found": kind_of(data)}))
    try:
        parsed = SessionFile.model_validate(data)
    except ValidationError as exc:
        problems = []
        for error in exc.errors(include_url=False):
            loc = tuple(error["loc"])
            key, params = describe(error, secret=False, bounds=_bounds_at(loc))
            problems.append(
                Problem(
                    key="session.invalid",
                    file=label,
                    line=line_of(lines, loc),
                    field=".".join(str(p) for p in loc),
                    params={"who": _who(data, loc), "reason": {"key": key, "params": params}},
                )
            )
        raise SessionError(problems) from exc
    return parsed, data, lines, label


def load_session(inventory: Inventory, catalog: Catalog, path: Path | None = None) -> Session:
    """Load and check ``session.yml`` against the inventory and the catalog; report every error."""
    parsed, data, lines, label = parse_session_file(path or inventory.root / SESSION_FILE)

    def at(*path_parts: Any, key: str, field: str | None = None, **params: Any) -> Problem:
        return Problem(key=key, file=label, line=line_of(lines, tuple(path_parts)), field=field, params=params)

    problems: list[Problem] = []
    jury_ids: set[str] = set()
    for i, jury in enumerate(parsed.juries):
        if jury.id in jury_ids:
            problems.append(at("juries", i, "id", key="session.duplicate_jury", field="id", jury=jury.id))
        jury_ids.add(jury.id)
        if jury.room not in inventory.rooms:
            problems.append(
                at(
                    "juries",
                    i,
                    "room",
                    key="session.unknown_room",
                    field="room",
                    jury=jury.id,
                    room=jury.room,
                    rooms=sorted(inventory.rooms),
                )
            )

    requests: list[Request] = []
    accessibility: dict[str, list[str]] = {}
    seen_ids: set[str] = set()
    orders: dict[tuple[str, int], str] = {}
    for i, cand in enumerate(parsed.candidates):
        if cand.id in seen_ids:
            problems.append(at("candidates", i, "id", key="session.duplicate_candidate", field="id", candidate=cand.id))
        seen_ids.add(cand.id)
        if cand.jury not in jury_ids:
            problems.append(
                at(
                    "candidates",
                    i,
                    "jury",
                    key="session.unknown_jury",
                    field="jury",
                    candidate=cand.id,
                    jury=cand.jury,
                    juries=sorted(jury_ids),
                )
            )
        else:
            other = orders.setdefault((cand.jury, cand.order), cand.id)
            if other != cand.id:
                problems.append(
                    at(
                        "candidates",
                        i,
                        "order",
                        key="session.duplicate_order",
                        field="order",
                        candidate=cand.id,
                        other=other,
                        order=cand.order,
                        jury=cand.jury,
                    )
                )
        settings = []
        for j, need in enumerate(cand.accessibility):
            canonical = _ACCESSIBILITY_NAMES.get(fold(need))
            if canonical is None:
                problems.append(
                    at(
                        "candidates",
                        i,
                        "accessibility",
                        j,
                        key="session.unknown_accessibility",
                        field="accessibility",
                        candidate=cand.id,
                        value=need,
                        known=sorted(ACCESSIBILITY),
                    )
                )
            elif canonical not in settings:
                settings.append(canonical)
        accessibility[cand.id] = settings
        room = next((j.room for j in parsed.juries if j.id == cand.jury), None)
        for kind, names in cand.software.items():
            platform = REGISTRY[kind].platform or ""
            if room in inventory.rooms and not cand.own_laptop and not _room_has(inventory, room, kind):
                problems.append(
                    at(
                        "candidates",
                        i,
                        "software",
                        kind,
                        key="session.no_device_in_room",
                        field=f"software.{kind}",
                        candidate=cand.id,
                        kind=kind,
                        room=room,
                    )
                )
            for j, name in enumerate(names):
                where = ("candidates", i, "software", kind, j)
                try:
                    title = catalog.resolve(name)
                except UnknownSoftware as exc:
                    params = exc.problems[0].params
                    problems.append(
                        at(
                            *where,
                            key="session.unknown_software",
                            field=f"software.{kind}",
                            candidate=cand.id,
                            name=name,
                            suggestions=params["suggestions"],
                        )
                    )
                    continue
                if not title.available_on(platform):
                    problems.append(
                        at(
                            *where,
                            key="session.not_on_platform",
                            field=f"software.{kind}",
                            candidate=cand.id,
                            name=title.name,
                            kind=kind,
                            reason=title.lacks.get(platform, ""),
                        )
                    )
                    continue
                requests.append(Request(candidate=cand.id, kind=kind, title_id=title.id, asked_as=name))
    if problems:
        raise SessionError(problems)
    return Session(
        file=label,
        date=parsed.date,
        referentiel=parsed.referentiel,
        centre=parsed.centre,
        juries=parsed.juries,
        candidates=parsed.candidates,
        requests=requests,
        accessibility=accessibility,
    )


def _room_has(inventory: Inventory, room: str, kind: str) -> bool:
    return any(d.family == kind for d in inventory.in_room(room))


def _bounds_at(loc: tuple[Any, ...]) -> tuple[Any, Any]:
    """(min, max) of the field at ``loc`` in session.yml (e.g. candidates.0.order: (1, None))."""
    model: Any = SessionFile
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        info = getattr(model, "model_fields", {}).get(part)
        if info is None:
            return None, None
        inner = [
            a for a in getattr(info.annotation, "__args__", ()) if isinstance(a, type) and issubclass(a, BaseModel)
        ]
        if not inner:
            return None, None
        model = inner[0]
    name = loc[-1] if loc else None
    if not isinstance(name, str) or not hasattr(model, "model_fields"):
        return None, None
    return field_bounds(model, name)


def _who(data: Any, loc: tuple[Any, ...]) -> str:
    """'candidat C01' / 'jury jury-a' for a validation error location, when known."""
    if len(loc) >= 2 and loc[0] in ("candidates", "juries") and isinstance(loc[1], int):
        try:
            ident = data[loc[0]][loc[1]].get("id")
        except (KeyError, IndexError, TypeError, AttributeError):
            ident = None
        kind = "candidat" if loc[0] == "candidates" else "jury"
        return f"{kind} {ident or '#' + str(loc[1] + 1)}"
    return "session"
