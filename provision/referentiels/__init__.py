"""Référentiel profiles: the minimum plateau of each exam version, as data.

One YAML file per exam version in this folder. ``plan`` reads them to install the
baseline and report gaps; the readiness checks read them to grade the baseline and to
list the manual attestations a room needs.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from importlib import resources
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field

REFERENTIEL_IDS = ("mn-2025", "remn-ccp1-2020")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SoftwareRule(_Strict):
    baseline: list[str] = Field(default_factory=list)
    capabilities: dict[str, Annotated[int, Field(ge=1)]] = Field(default_factory=dict)


class DeviceRule(_Strict):
    id: str
    label: str
    family: str
    role: Literal["candidate", "jury", "spare"] | None = None
    min_count: Annotated[int, Field(ge=1)] = 1
    require: dict[str, bool | int | str] = Field(default_factory=dict)
    any_of: list[dict[str, bool | int | str]] = Field(default_factory=list)
    software: SoftwareRule | None = None

    def matches_host(self, device: object) -> bool:
        """Is this device of the rule's family and role (before the ``require`` test)?"""
        if getattr(device, "family", None) != self.family:
            return False
        return self.role is None or getattr(device, "role", None) == self.role

    def unmet(self, device: object) -> list[str]:
        """Names of ``require`` / ``any_of`` conditions the device does not meet."""
        missing = [k for k, v in self.require.items() if getattr(device, k, None) != v]
        if self.any_of and not any(_meets(device, alt) for alt in self.any_of):
            missing.append("any_of")
        return missing


def _meets(device: object, condition: dict[str, bool | int | str]) -> bool:
    for key, expected in condition.items():
        if key.endswith("_min"):
            actual = getattr(device, key[: -len("_min")], None)
            if actual is None or actual < expected:
                return False
        elif getattr(device, key, None) != expected:
            return False
    return True


class Attestation(_Strict):
    id: str
    label: str
    #: not needed when some device of the room matches this condition
    unless: dict[str, bool | int | str] | None = None

    def needed_in(self, devices: Sequence[object]) -> bool:
        return self.unless is None or not any(_meets(d, self.unless) for d in devices)


class Referentiel(_Strict):
    id: Literal[REFERENTIEL_IDS]  # type: ignore[valid-type]  # a Literal built from data at import; pydantic checks the values at run time
    name: str
    source: str
    devices: list[DeviceRule]
    attestations: list[Attestation] = Field(default_factory=list)


@cache
def load_referentiel(ref_id: str) -> Referentiel:
    text = resources.files("provision.referentiels").joinpath(f"{ref_id}.yml").read_text("utf-8")
    return Referentiel.model_validate(yaml.safe_load(text))
