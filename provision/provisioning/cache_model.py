"""The records of ``plateau cache`` (provision/provisioning/cache.py), shared by its parts.

The folder names under ``<inventory>/cache/``, the manager kinds, the status of one cached
title (:class:`CacheEntry`) and what the plan asks to cache (:class:`Wanted`); the apt part
(cache_apt.py), the flatpak part (cache_flatpak.py), the Windows part (windows_installers.py)
and the macOS part (homebrew_casks.py) all build :class:`CacheEntry` records from :class:`Wanted` ones.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

CACHE_DIR = "cache"
APT_DIR = "apt"
FLATPAK_DIR = "flatpak"
WINDOWS_DIR = "windows"
MANIFEST = "manifest.json"
APK_DIR = "apk"  # same folder as provision.devices_apply.APK_CACHE
IPA_DIR = "ipa"
KINDS = ("apt", "flatpak", "winget", "choco", "cask", "apk", "ipa")
TIMEOUT_S = 1800  # one apt-get download of a whole office suite on a slow line

Run = Callable[..., subprocess.CompletedProcess]


class Status:
    CACHED = "cached"  # in the cache now (downloaded by this run or before)
    PRESENT = "present"  # dropped in by hand (APK, IPA) and found
    MANUAL = "manual"  # to fetch elsewhere (Windows PC, store); not a failure
    UNAVAILABLE = "unavailable"  # this machine cannot cache it (no flatpak...)
    FAILED = "failed"  # tried and failed: the title is not cached


@dataclass(slots=True)
class CacheEntry:
    kind: str  # apt | flatpak | winget | choco | cask | apk | ipa
    id: str  # package / app id
    title: str
    status: str
    key: str  # message key under ``cache.``
    params: dict[str, Any] = field(default_factory=dict)
    hosts: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Wanted:
    """One title to cache: (kind, id) with the titles' names and the hosts needing it."""

    kind: str
    id: str
    title: str
    hosts: list[str] = field(default_factory=list)
    choco: str | None = None  # winget titles: the Chocolatey fallback id
