"""Load, validate and search the software catalog.

Name resolution is forgiving but never guesses: exact (case- and accent-insensitive)
matches on id, name or alias win; otherwise the error lists the closest titles.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, field_validator, model_validator
from rapidfuzz import fuzz, process

from provision.errors import CatalogError, Problem, UnknownSoftware
from provision.paths import shown

PLATFORMS = ("windows", "linux", "macos", "android", "ios")
CATEGORIES = (
    "office_suite", "web_browser", "video_player", "audio_player", "pdf_reader", "programming",
    "microcontroller", "robotics", "slicer_3d", "modeling_3d", "image_editor", "audio_editor",
    "video_editor", "screen_recording", "communication", "mail", "utility", "accessibility",
    "education", "public_services", "cloud_storage", "password_manager",
)  # fmt: skip
CAPABILITIES = (
    "office_suite", "presentation", "web_browser", "video_player", "pdf_reader", "screen_reader", "magnifier",
)  # fmt: skip

Id = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]*$")]
NonEmpty = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _valid_regex(value: str | None) -> str | None:
    if value is not None:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"not a regular expression: {exc}") from None
    return value


#: winget's PackageIdentifier (schema manifest.installer.1.x: 2 to 8 dot-separated parts, no spaces,
#: none of \\ / : * ? " < > |): also the folder path in microsoft/winget-pkgs; store ids (9N...) have no dot
WingetId = Annotated[
    str, StringConstraints(pattern=r'^[^.\s\\/:*?"<>|\x01-\x1f]{1,32}(\.[^.\s\\/:*?"<>|\x01-\x1f]{1,32}){1,7}$')
]
#: a Chocolatey package id (community.chocolatey.org/packages/<id>)
ChocoId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")]


class WindowsIds(_Strict):
    winget: WingetId | None = None
    choco: ChocoId | None = None
    #: why plateau cannot install it unattended for every user from the laptop's cache (e.g. the
    #: publisher ships a per-user installer only), in French for the technician; the role still
    #: tries winget / Chocolatey. A title whose recorded winget manifest has no per-machine silent
    #: installer and no Chocolatey id must say it (tests/provision/test_catalog.py).
    limits: NonEmpty | None = None
    #: how Windows records it once installed (plateau's live check): a regular expression matched
    #: (case-insensitive, from the start) against the DisplayName of the uninstall registry keys of
    #: both views; without it, the title's name is matched as a prefix
    display_name: NonEmpty | None = None
    #: the Name of its per-machine AppX/MSIX package (Get-AppxPackage -AllUsers), when it is one
    appx: NonEmpty | None = None

    @field_validator("display_name")
    @classmethod
    def _display_name_is_regex(cls, value: str | None) -> str | None:
        return _valid_regex(value)

    @model_validator(mode="after")
    def _one(self) -> WindowsIds:
        if not (self.winget or self.choco):
            raise ValueError("windows needs winget and/or choco")
        return self


class LinuxIds(_Strict):
    apt: NonEmpty | None = None
    flatpak: NonEmpty | None = None

    @model_validator(mode="after")
    def _one(self) -> LinuxIds:
        if not (self.apt or self.flatpak):
            raise ValueError("linux needs apt and/or flatpak")
        return self


BundleId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9.\-]*$")]


class MacIds(_Strict):
    brew_cask: NonEmpty | None = None
    brew: NonEmpty | None = None
    #: CFBundleIdentifier of its app in /Applications (found even when installed without Homebrew)
    bundle_id: BundleId | None = None

    @model_validator(mode="after")
    def _one(self) -> MacIds:
        if not (self.brew_cask or self.brew):
            raise ValueError("macos needs brew_cask or brew")
        return self


class AndroidIds(_Strict):
    package: Annotated[str, StringConstraints(pattern=r"^[A-Za-z][\w]*(\.[A-Za-z_][\w]*)+$")]


class IosIds(_Strict):
    app_store_id: Annotated[int, Field(ge=1)]
    #: CFBundleIdentifier of the app, as the iPad lists its installed apps (plateau's live check)
    bundle_id: BundleId | None = None


class Platforms(_Strict):
    windows: WindowsIds | None = None
    linux: LinuxIds | None = None
    macos: MacIds | None = None
    android: AndroidIds | None = None
    ios: IosIds | None = None


class Title(_Strict):
    id: Id
    name: NonEmpty
    category: Literal[CATEGORIES]  # type: ignore[valid-type]  # a Literal built from data at import; pydantic checks the values at run time
    provides: list[Literal[CAPABILITIES]] = Field(default_factory=list)  # type: ignore[valid-type]  # a Literal built from data at import; pydantic checks the values at run time
    aliases: list[NonEmpty] = Field(default_factory=list)
    platforms: Platforms = Field(default_factory=Platforms)
    lacks: dict[Literal[PLATFORMS], NonEmpty] = Field(default_factory=dict)  # type: ignore[valid-type]  # a Literal built from data at import; pydantic checks the values at run time
    web: Annotated[str, StringConstraints(pattern=r"^https?://")] | None = None

    @model_validator(mode="after")
    def _every_platform_said(self) -> Title:
        for platform in PLATFORMS:
            has = getattr(self.platforms, platform) is not None
            lacks = platform in self.lacks
            if has == lacks:
                raise ValueError(f"platform {platform} must be in exactly one of platforms / lacks")
        return self

    def ids_for(self, platform: str) -> dict[str, Any] | None:
        ids = getattr(self.platforms, platform)
        return None if ids is None else ids.model_dump(exclude_none=True)

    def available_on(self, platform: str) -> bool:
        return getattr(self.platforms, platform) is not None


class CatalogFile(_Strict):
    version: Literal[1]
    titles: list[Title]


def fold(text: str) -> str:
    """Case-, accent- and punctuation-insensitive form used to match names."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    kept = "".join(c for c in decomposed if c.isalnum() or c.isspace())
    return " ".join(kept.split())


@dataclass(frozen=True, slots=True)
class Match:
    title: Title
    via: str  # the name that matched


class Catalog:
    def __init__(self, titles: list[Title]) -> None:
        self.titles: dict[str, Title] = {t.id: t for t in titles}
        self._names: dict[str, str] = {}
        for title in titles:
            for name in (title.id, title.name, *title.aliases):
                self._names.setdefault(fold(name), title.id)

    def __len__(self) -> int:
        return len(self.titles)

    def __getitem__(self, title_id: str) -> Title:
        return self.titles[title_id]

    def resolve(self, name: str) -> Title:
        """Return the title a technician or candidate meant, or raise UnknownSoftware."""
        key = fold(name)
        if key in self._names:
            return self.titles[self._names[key]]
        raise UnknownSoftware(Problem(key="catalog.unknown", params={"name": name, "suggestions": self.suggest(name)}))

    def suggest(self, name: str, limit: int = 3) -> list[str]:
        choices = list(self._names)
        found = process.extract(fold(name), choices, scorer=fuzz.WRatio, limit=limit * 4, score_cutoff=75)
        names: list[str] = []
        for choice, _score, _index in found:
            display = self.titles[self._names[choice]].name
            if display not in names:
                names.append(display)
        return names[:limit]

    def with_capability(self, capability: str) -> list[Title]:
        return [t for t in self.titles.values() if capability in t.provides]


def _read(path_label: str, text: str) -> tuple[list[Title], list[Problem]]:
    try:
        # libyaml's loader when PyYAML has it: same safe subset, the built-in catalog loads ~5x faster
        data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        return [], [
            Problem(
                key="yaml.syntax",
                file=path_label,
                line=mark.line + 1 if mark else None,
                params={"problem": getattr(exc, "problem", None) or str(exc)},
            )
        ]
    try:
        parsed = CatalogFile.model_validate(data)
    except ValidationError as exc:
        problems = []
        for error in exc.errors(include_url=False):
            loc = list(error["loc"])
            title = None
            if len(loc) >= 2 and loc[0] == "titles" and isinstance(loc[1], int):
                try:
                    title = data["titles"][loc[1]].get("id")
                except (KeyError, IndexError, TypeError, AttributeError):
                    title = None
            problems.append(
                Problem(
                    key="catalog.invalid",
                    file=path_label,
                    field=".".join(str(p) for p in loc),
                    params={"title": title or "?", "detail": error["msg"]},
                )
            )
        return [], problems
    return parsed.titles, []


def load_catalog(extra: Path | None = None) -> Catalog:
    """The shipped catalog, plus the centre's ``catalog.yml`` if given (overrides by id)."""
    shipped = resources.files("provision.catalog").joinpath("software.yml").read_text("utf-8")
    titles, problems = _read("provision/catalog/software.yml", shipped)
    by_id = {t.id: t for t in titles}
    if extra is not None and extra.is_file():
        more, more_problems = _read(shown(extra), extra.read_text("utf-8"))
        problems.extend(more_problems)
        by_id.update({t.id: t for t in more})
    problems.extend(_collisions(list(by_id.values())))
    if problems:
        raise CatalogError(problems)
    return Catalog(list(by_id.values()))


def _collisions(titles: list[Title]) -> list[Problem]:
    owner: dict[str, str] = {}
    problems = []
    for title in titles:
        for name in {fold(n) for n in (title.id, title.name, *title.aliases)}:
            other = owner.setdefault(name, title.id)
            if other != title.id:
                problems.append(
                    Problem(key="catalog.ambiguous_alias", params={"name": name, "a": other, "b": title.id})
                )
    return problems
