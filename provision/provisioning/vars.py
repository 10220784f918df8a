"""Turn the plan (schema ``plateau.plan/1``) into the variables playbooks/site.yml reads.

The playbooks hold no candidate data: everything a host needs arrives in one extra var,
``plateau_hosts``, a mapping host name -> :class:`HostVars` as a dict::

    plateau_hosts:
      a-pc-win-01:
        platform: windows
        winget:  [{id: Mozilla.Firefox, title: Mozilla Firefox, choco: firefox,
                   display_name: 'Mozilla Firefox\b', requested_by: [...]}, ...]
        choco:   [{id: ..., title: ..., display_name: ..., requested_by: [...]}]  # Chocolatey id only
        apt: [] ; flatpak: [] ; brew_cask: [] ; brew: []
        admin: {login: jury, secret_var: admin_password}
        accessibility: {high_contrast: true}

Choice of manager per title (one install per title):
    windows  winget when the title has a winget id (its choco id, if any, is the fallback
             used when winget fails), else choco. When ``plateau cache`` holds the title's
             installer (resolved from its winget manifest, provision/provisioning/winget.py), the
             windows role installs that one first, from the laptop (``plateau_windows_installers``,
             ``plateau_lan_url``); ``display_name`` (the catalog's regex, else the title's name as
             a prefix, as plateau check matches it) tells the role what is already installed.
    linux    apt when the title has a Debian package, else flatpak (Flathub)
    macos    brew_cask when the title has a cask, else brew

No secret ever goes through here: only the *name* of the vault variable.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, TypedDict

from provision.families import REGISTRY

#: the package managers of each catalog platform, in order of preference (one install per title)
MANAGERS_BY_PLATFORM = {"windows": ("winget", "choco"), "linux": ("apt", "flatpak"), "macos": ("brew_cask", "brew")}
MANAGERS = ("winget", "choco", "apt", "flatpak", "brew_cask", "brew")
A11Y_PREFIX = "accessibility."


class Install(TypedDict, total=False):
    id: str
    title: str
    choco: str
    #: Windows: regular expression matched from the start of an uninstall key's DisplayName
    display_name: str
    #: Windows: the catalog's French reason why it cannot be installed unattended per machine
    limits: str
    #: why it is installed: "candidat:C01", "référentiel:mn-2025", ...
    requested_by: list[str]


class HostVars(TypedDict, total=False):
    platform: str
    winget: list[Install]
    choco: list[Install]
    apt: list[Install]
    flatpak: list[Install]
    brew_cask: list[Install]
    brew: list[Install]
    admin: dict[str, str]
    accessibility: dict[str, bool]


def _install(software: Mapping[str, Any], manager: str) -> Install:
    ids = software["install"]
    item: Install = {"id": ids[manager], "title": software["name"], "requested_by": list(software["requested_by"])}
    if manager == "winget" and ids.get("choco"):
        item["choco"] = ids["choco"]
    if manager in ("winget", "choco"):
        item["display_name"] = ids.get("display_name") or re.escape(software["name"])
        if ids.get("limits"):
            item["limits"] = ids["limits"]
    return item


def _manager(platform: str, ids: Mapping[str, Any]) -> str | None:
    return next((m for m in MANAGERS_BY_PLATFORM[platform] if ids.get(m)), None)


def host_vars(host: Mapping[str, Any]) -> HostVars:
    """Variables of one workstation entry of ``plan["hosts"]``."""
    platform = REGISTRY[host["family"]].platform or ""
    lists: dict[str, list[Install]] = {m: [] for m in MANAGERS}
    for software in host["software"]:
        ids = software.get("install") or {}
        manager = _manager(platform, ids)
        if manager is not None:
            lists[manager].append(_install(software, manager))
    result: HostVars = {
        "platform": platform,
        "winget": lists["winget"],
        "choco": lists["choco"],
        "apt": lists["apt"],
        "flatpak": lists["flatpak"],
        "brew_cask": lists["brew_cask"],
        "brew": lists["brew"],
    }
    for account in host["accounts"]:
        if account["kind"] == "admin_session" and account.get("login"):
            result["admin"] = {"login": account["login"], "secret_var": account["secret_var"]}
    result["accessibility"] = {
        setting["id"].removeprefix(A11Y_PREFIX): bool(setting["value"])
        for setting in host["settings"]
        if setting["id"].startswith(A11Y_PREFIX) and setting["value"]
    }
    return result


def plateau_hosts(plan: Mapping[str, Any]) -> dict[str, HostVars]:
    """``plateau_hosts`` for every workstation of the plan (``Plan.to_dict()``)."""
    return {
        host["name"]: host_vars(host) for host in plan["hosts"] if REGISTRY[host["family"]].provisioning == "ansible"
    }


def extra_vars(plan: Mapping[str, Any]) -> dict[str, Any]:
    """The whole ``--extra-vars`` payload of a run."""
    return {"plateau_hosts": plateau_hosts(plan)}
