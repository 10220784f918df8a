"""The only module that imports Ansible's inventory machinery.

It loads ``hosts.yml`` with its ``group_vars/`` and ``host_vars/`` exactly as
``ansible-playbook`` would (same precedence, same vault decryption) and hands back plain
Python values together with where each value was written (file and line), so that
errors can name the file a technician must open.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Ansible reads its configuration at import time: fail loudly on an unparsable inventory
# instead of warning and going on with an empty one, and use only the YAML plugin.
os.environ.setdefault("ANSIBLE_INVENTORY_UNPARSED_FAILED", "True")
os.environ.setdefault("ANSIBLE_INVENTORY_ENABLED", "yaml")
os.environ.setdefault("ANSIBLE_LOCALHOST_WARNING", "False")
os.environ.setdefault("ANSIBLE_INVENTORY_UNPARSED_WARNING", "False")
os.environ.setdefault("ANSIBLE_NOCOLOR", "True")

from ansible.errors import AnsibleError
from ansible.inventory.manager import InventoryManager
from ansible.parsing.dataloader import DataLoader
from ansible.parsing.vault import VaultLib, VaultSecret
from ansible.utils.vars import combine_vars
from ansible.vars.manager import VariableManager
from ansible.vars.plugins import get_vars_from_inventory_sources

try:  # ansible-core >= 2.19 tags every loaded value with its origin
    from ansible._internal._datatag._tags import Origin
except ImportError:  # pragma: no cover - older ansible-core
    Origin = None

#: variables Ansible adds to every host; not written by the technician
MAGIC_VARS = frozenset(
    {
        "ansible_config_file",
        "ansible_facts",
        "ansible_playbook_python",
        "ansible_version",
        "group_names",
        "groups",
        "inventory_dir",
        "inventory_file",
        "inventory_hostname",
        "inventory_hostname_short",
        "playbook_dir",
        "omit",
    }
)


@dataclass(frozen=True, slots=True)
class Where:
    file: str
    line: int | None


@dataclass(slots=True)
class RawHost:
    name: str
    groups: list[str]  # every group, ancestors included
    vars: dict[str, Any]
    origins: dict[str, Where]


@dataclass(slots=True)
class RawInventory:
    hosts: list[RawHost]
    #: group name -> names of its direct child groups
    children: dict[str, list[str]]
    group_vars: dict[str, dict[str, Any]]


class AnsibleLoadError(Exception):
    """Ansible refused the inventory; ``str()`` is Ansible's own explanation."""


def vault_lib(password: bytes | None) -> VaultLib:
    return VaultLib([("default", VaultSecret(password))] if password is not None else [])


def load(hosts_file: Path, vault_password: bytes | None) -> RawInventory:
    loader = DataLoader()
    if vault_password is not None:
        loader.set_vault_secrets([("default", VaultSecret(vault_password))])
    try:
        inventory = InventoryManager(loader=loader, sources=[str(hosts_file)])
        variables = VariableManager(loader=loader, inventory=inventory)
        hosts = []
        for host in inventory.get_hosts():
            merged = variables.get_vars(host=host, include_hostvars=False, stage="all")
            values: dict[str, Any] = {}
            origins: dict[str, Where] = {}
            for key, value in merged.items():
                if key in MAGIC_VARS:
                    continue
                values[key] = native(value)
                where = origin_of(value)
                if where:
                    origins[key] = where
            groups = sorted(g.name for g in host.get_groups())
            hosts.append(RawHost(host.name, groups, values, origins))
        children = {
            name: sorted(child.name for child in group.child_groups)
            for name, group in inventory.groups.items()
        }
        # the same merge as `ansible-inventory --list`: inventory vars, then group_vars/ files
        group_vars = {
            name: native(
                combine_vars(
                    group.get_vars(),
                    get_vars_from_inventory_sources(loader, inventory._sources, [group], "all"),
                )
            )
            for name, group in inventory.groups.items()
        }
    except AnsibleError as exc:
        raise AnsibleLoadError(_first_line(exc)) from exc
    return RawInventory(hosts=hosts, children=children, group_vars=group_vars)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def origin_of(value: Any) -> Where | None:
    if Origin is None:
        return None
    tag = Origin.get_tag(value)
    if tag is None or not tag.path:
        return None
    return Where(tag.path, tag.line_num)


def native(value: Any) -> Any:
    """Strip Ansible's tagged types (and decrypt inline vault values) into plain Python."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, str):
        return str(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, dict):
        return {str(k): native(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [native(v) for v in value]
    return str(value)  # inline `!vault` values decrypt on str()
