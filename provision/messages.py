"""Message catalogue: keys rendered in French (default) or English.

Texts live in ``provision/locales/fr.yml`` and ``en.yml`` (same keys, checked by a test).
Code and tests use keys and params; only the CLI, dashboard and PDF render prose.
Set ``PLATEAU_LANG=en`` for English.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any

import yaml

LANGUAGES = ("fr", "en")


@cache
def catalogue(lang: str) -> dict[str, str]:
    text = resources.files("provision.locales").joinpath(f"{lang}.yml").read_text("utf-8")
    data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # libyaml: safe, faster
    return _flatten(data)


def _flatten(tree: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in tree.items():
        full = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(_flatten(value, full + "."))
        else:
            flat[full] = str(value)
    return flat


def current_language() -> str:
    lang = os.environ.get("PLATEAU_LANG", "fr").lower()[:2]
    return lang if lang in LANGUAGES else "fr"


class _Params(dict):
    def __missing__(self, key: str) -> str:  # a missing param shows as {name}, never crashes
        return "{" + key + "}"


def render(key: str, params: Mapping[str, Any] | None = None, lang: str | None = None) -> str:
    lang = lang or current_language()
    template = catalogue(lang).get(key)
    if template is None:
        return f"{key} {dict(params or {})}"
    shown = _Params({k: _show(v, lang) for k, v in (params or {}).items()})
    if "capability" in shown:  # capability ids are shown by their name in the reader's language
        shown["capability"] = catalogue(lang).get(f"capability.{shown['capability']}", shown["capability"])
    return template.format_map(shown)


def _show(value: Any, lang: str) -> Any:
    if isinstance(value, Mapping) and "key" in value:  # a nested message: {"key": ..., "params": {...}}
        return render(str(value["key"]), value.get("params") or {}, lang)
    if isinstance(value, (list, tuple, set, frozenset)):
        return ", ".join(str(_show(v, lang)) for v in value)
    if isinstance(value, float) and lang == "fr":  # « 3,86 V », « 76,5 Gio »: the French decimal comma
        return f"{value:.6f}".rstrip("0").rstrip(".").replace(".", ",")
    return value
