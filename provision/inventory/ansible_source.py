"""The only module that imports Ansible's inventory machinery.

It loads ``hosts.yml`` with its ``group_vars/`` and ``host_vars/`` exactly as
``ansible-playbook`` would (same precedence, same vault decryption) and hands back plain
Python values together with where each value was written (file and line), so that
errors can name the file a technician must open.
"""

from __future__ import annotations

import contextlib
import io
import os
from dataclasses import dataclass, field
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
    from ansible._internal._datatag._tags import Origin, SourceWasEncrypted
    from ansible.parsing.vault import EncryptedString, VaultHelper
except ImportError:  # pragma: no cover - older ansible-core
    Origin = SourceWasEncrypted = EncryptedString = VaultHelper = None

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


@dataclass(frozen=True, slots=True)
class Written:
    """One variable as written in one source (before Ansible's precedence picks a winner)."""

    name: str
    where: Where | None
    vaulted: bool
    value: Any


@dataclass(slots=True)
class RawHost:
    name: str
    groups: list[str]  # every group, ancestors included
    vars: dict[str, Any]
    origins: dict[str, Where]
    #: variables whose value came from a vault (an encrypted file or an inline ``!vault``)
    vaulted: set[str] = field(default_factory=set)


@dataclass(slots=True)
class RawInventory:
    hosts: list[RawHost]
    #: group name -> names of its direct child groups
    children: dict[str, list[str]]
    group_vars: dict[str, dict[str, Any]]
    #: group name -> every variable written on that group itself (hosts.yml, group_vars/)
    group_own: dict[str, list[Written]] = field(default_factory=dict)
    #: host name -> every variable written on that host itself (hosts.yml, host_vars/)
    host_own: dict[str, list[Written]] = field(default_factory=dict)
    #: what Ansible warned about while reading (its own words)
    ansible_warnings: list[str] = field(default_factory=list)


class AnsibleLoadError(Exception):
    """Ansible refused the inventory; ``str()`` is Ansible's own explanation."""


class InlineVaultError(AnsibleLoadError):
    """An inline ``!vault`` value does not decrypt with the vault password."""

    def __init__(self, where: Where | None) -> None:
        super().__init__("inline vault value")
        self.where = where


def vault_lib(password: bytes | None) -> VaultLib:
    return VaultLib([("default", VaultSecret(password))] if password is not None else [])


def load(hosts_file: Path, vault_password: bytes | None) -> RawInventory:
    """Ansible's reading of the inventory. What Ansible prints (its warnings, the reason it
    could not parse a file) is captured, never shown raw: it comes back in the exception
    (:class:`AnsibleLoadError`) or in :attr:`RawInventory.ansible_warnings`."""
    said = io.StringIO()
    try:
        with contextlib.redirect_stderr(said), contextlib.redirect_stdout(said):
            raw = _load(hosts_file, vault_password)
    except AnsibleLoadError as exc:
        reason = _explanation(said.getvalue())
        if reason and not isinstance(exc, InlineVaultError):
            raise AnsibleLoadError(reason) from exc
        raise
    raw.ansible_warnings = _warnings(said.getvalue())
    return raw


def _explanation(text: str) -> str | None:
    """The line of Ansible's output that says why (not « Unable to parse » nor « Origin: »)."""
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith(("Origin:", "[WARNING]: Unable to parse", "^")):
            continue
        return line.removeprefix("[WARNING]: ").removeprefix("[ERROR]: ")
    return None


def _warnings(text: str) -> list[str]:
    return [line.strip().removeprefix("[WARNING]: ") for line in text.splitlines() if line.startswith("[WARNING]")]


def _load(hosts_file: Path, vault_password: bytes | None) -> RawInventory:
    loader = DataLoader()
    vault = vault_lib(vault_password)
    if vault_password is not None:
        loader.set_vault_secrets([("default", VaultSecret(vault_password))])
    try:
        inventory = InventoryManager(loader=loader, sources=[str(hosts_file)])
        variables = VariableManager(loader=loader, inventory=inventory)
        hosts = []
        host_own: dict[str, list[Written]] = {}
        for host in inventory.get_hosts():
            host_own[host.name] = _written(
                host.get_vars(), get_vars_from_inventory_sources(loader, inventory._sources, [host], "all"), vault
            )
            merged = variables.get_vars(host=host, include_hostvars=False, stage="all")
            values: dict[str, Any] = {}
            origins: dict[str, Where] = {}
            vaulted: set[str] = set()
            for key, value in merged.items():
                if key in MAGIC_VARS:
                    continue
                values[key] = native(value, vault)
                where = origin_of(value)
                if where:
                    origins[key] = where
                if was_vaulted(value):
                    vaulted.add(key)
            groups = sorted(g.name for g in host.get_groups())
            hosts.append(RawHost(host.name, groups, values, origins, vaulted))
        children = {
            name: sorted(child.name for child in group.child_groups) for name, group in inventory.groups.items()
        }
        # the same merge as `ansible-inventory --list`: inventory vars, then group_vars/ files
        tagged = {
            name: combine_vars(
                group.get_vars(),
                get_vars_from_inventory_sources(loader, inventory._sources, [group], "all"),
            )
            for name, group in inventory.groups.items()
        }
        group_vars = {name: native(values, vault) for name, values in tagged.items()}
        group_own = {
            name: _written(
                group.get_vars(), get_vars_from_inventory_sources(loader, inventory._sources, [group], "all"), vault
            )
            for name, group in inventory.groups.items()
        }
    except AnsibleError as exc:
        raise AnsibleLoadError(_first_line(exc)) from exc
    return RawInventory(hosts=hosts, children=children, group_vars=group_vars, group_own=group_own, host_own=host_own)


def _written(*sources: Any) -> list[Written]:
    """The variables of each source (the last argument is the vault), magic ones left out."""
    *dicts, vault = sources
    out = []
    for values in dicts:
        for key, value in values.items():
            if key in MAGIC_VARS:
                continue
            try:
                plain = native(value, vault)
            except InlineVaultError:
                plain = None  # reported when the merged variables are read
            out.append(Written(str(key), origin_of(value), was_vaulted(value), plain))
    return out


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


def was_vaulted(value: Any) -> bool:
    """The value was written in a vault: an ansible-vault file or an inline ``!vault``."""
    if EncryptedString is not None and isinstance(value, EncryptedString):
        return True
    return SourceWasEncrypted is not None and SourceWasEncrypted.is_tagged_on(value)


def native(value: Any, vault: VaultLib | None = None) -> Any:
    """Strip Ansible's tagged types (and decrypt inline vault values) into plain Python."""
    if isinstance(value, bool) or value is None:
        return value
    if EncryptedString is not None and isinstance(value, EncryptedString):
        # decrypted with *this* inventory's password (Ansible's own decryption needs a
        # process-wide context that only its CLI sets up)
        try:
            ciphertext = VaultHelper.get_ciphertext(value, with_tags=False)
            return (vault or vault_lib(None)).decrypt(ciphertext).decode("utf-8")
        except (AnsibleError, UnicodeDecodeError, TypeError, ValueError) as exc:
            raise InlineVaultError(origin_of(value)) from exc
    if isinstance(value, str):
        return str(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, dict):
        return {str(k): native(v, vault) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [native(v, vault) for v in value]
    return str(value)
