"""Load an inventory directory into typed devices, collecting every problem.

    inventories/<centre>/hosts.yml        Ansible YAML inventory (families and rooms are groups)
                         group_vars/      Ansible group variables (vault files allowed)
                         host_vars/       Ansible host variables (vault files allowed)
                         session.yml      the exam session (see provision.session)
                         .vault_pass      vault password file, mode 0600, never in git

Rooms are the child groups of the ``rooms`` group; families are the groups named in
the family registry (:mod:`provision.families`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from devices.models import Device, known_fields
from provision.errors import InventoryError, Problem, Severity, VaultError
from provision.families import REGISTRY
from provision.inventory import ansible_source, prescan
from provision.inventory.rules import (
    ROOMS_GROUP,
    _centre_and_room_vars,
    _groups_like_families,
    _host_entries,
    _orphan_var_files,
    _secrets_in_clear,
    _unique,
    _unknown_variables,
    _value_checks,
)
from provision.paths import shown
from provision.validation import describe, field_bounds

HOSTS_FILE = "hosts.yml"
VAULT_PASSWORD_ENV = "PLATEAU_VAULT_PASSWORD_FILE"
DEFAULT_VAULT_PASSWORD_FILE = ".vault_pass"


@dataclass(slots=True)
class Room:
    id: str
    label: str
    hosts: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Inventory:
    root: Path
    centre: str
    rooms: dict[str, Room]
    #: host name -> one device per family of that host (two for a multifunction printer)
    hosts: dict[str, list[Device]]
    warnings: list[Problem]
    vault_password_file: Path | None
    centre_vars: dict[str, Any] = field(default_factory=dict)

    @property
    def devices(self) -> list[Device]:
        return [device for devices in self.hosts.values() for device in devices]

    def of_family(self, *families: str) -> list[Device]:
        return [d for d in self.devices if d.family in families]

    def in_room(self, room: str) -> list[Device]:
        return [d for d in self.devices if d.room == room]


def find_vault_password_file(root: Path, explicit: Path | None = None) -> tuple[Path | None, str | None]:
    """Return (path, how it was found). Order: option, environment, <inventory>/.vault_pass."""
    if explicit is not None:
        return explicit, f"{shown(explicit)} (--vault-password-file)"
    env = os.environ.get(VAULT_PASSWORD_ENV)
    if env:
        return Path(env), f"{shown(env)} ({VAULT_PASSWORD_ENV})"
    default = root / DEFAULT_VAULT_PASSWORD_FILE
    if default.is_file():
        return default, shown(default)
    return None, None


def load_inventory(root: Path | str, vault_password_file: Path | None = None) -> Inventory:
    """Load and validate; raise :class:`InventoryError` carrying every error found."""
    root = Path(root)
    hosts_file = root / HOSTS_FILE
    if not root.is_dir():
        raise InventoryError(Problem(key="inventory.no_dir", params={"path": shown(root)}))
    if not hosts_file.is_file():
        raise InventoryError(
            Problem(key="inventory.no_hosts_file", file=shown(hosts_file), params={"path": shown(root)})
        )

    password_file, source = find_vault_password_file(root, vault_password_file)
    password: bytes | None = None
    if password_file is not None:
        try:
            password = password_file.read_bytes().strip()
        except OSError as exc:
            raise VaultError(
                Problem(
                    key="vault.password_file_unreadable", file=shown(password_file), params={"reason": exc.strerror}
                )
            ) from exc

    nodes: dict[Path, Any] = {}
    found = prescan.prescan(root, hosts_file, password, source, nodes)
    if any(p.is_error for p in found):
        errors = [p for p in found if p.is_error]
        kind = VaultError if all(p.key.startswith("vault.") for p in errors) else InventoryError
        raise kind(found)
    try:
        raw = ansible_source.load(hosts_file, password)
    except ansible_source.InlineVaultError as exc:
        where = exc.where
        label = shown(where.file) if where else shown(hosts_file)
        raise VaultError(
            Problem(
                key="vault.wrong_password",
                file=label,
                line=where.line if where else None,
                params={"file": label, "source": source},
            )
        ) from exc
    except ansible_source.AnsibleLoadError as exc:
        raise InventoryError(
            Problem(key="inventory.ansible", file=shown(hosts_file), params={"reason": str(exc)})
        ) from exc

    return _build(root, hosts_file, raw, password_file, found, nodes.get(hosts_file))


def _build(
    root: Path,
    hosts_file: Path,
    raw: ansible_source.RawInventory,
    password_file: Path | None,
    warnings: list[Problem] | None = None,
    hosts_node: Any = None,
) -> Inventory:
    problems: list[Problem] = list(warnings or [])
    host_file = shown(hosts_file)
    entries = _host_entries(hosts_file, hosts_node)

    def declared_at(host: str, groups: list[str] | None = None) -> int | None:
        """The line of the host's entry under one of ``groups`` (its family), else its first one."""
        found = entries.get(host, {})
        for group in groups or []:
            if group in found:
                return found[group]
        return min(found.values()) if found else None

    room_ids = raw.children.get(ROOMS_GROUP)
    if not room_ids:
        problems.append(Problem(key="inventory.no_rooms_group", file=host_file))
        room_ids = []
    rooms = {rid: Room(rid, str(raw.group_vars.get(rid, {}).get("room_label") or rid)) for rid in room_ids}

    problems.extend(_centre_and_room_vars(raw, rooms, host_file))
    problems.extend(_unknown_variables(raw, rooms, host_file, declared_at))
    problems.extend(_orphan_var_files(root, raw))
    problems.extend(_groups_like_families(raw, rooms, host_file))
    problems.extend(
        Problem(key="inventory.ansible_warning", severity=Severity.WARNING, file=host_file, params={"reason": text})
        for text in raw.ansible_warnings
    )
    problems.extend(_secrets_in_clear(raw, host_file))
    host_names = sorted(h.name for h in raw.hosts)

    hosts: dict[str, list[Device]] = {}
    for host in raw.hosts:
        families = [g for g in host.groups if g in REGISTRY]
        host_rooms = [g for g in host.groups if g in rooms]
        where_host: dict[str, Any] = {"file": host_file, "line": declared_at(host.name, families), "host": host.name}
        if not families:
            problems.append(Problem(key="inventory.no_family", params={"families": sorted(REGISTRY)}, **where_host))
            continue
        if len(families) > 1 and not _combinable(families):
            problems.append(Problem(key="inventory.incompatible_families", params={"families": families}, **where_host))
            continue
        if rooms and len(host_rooms) != 1:
            key = "inventory.no_room" if not host_rooms else "inventory.many_rooms"
            problems.append(Problem(key=key, params={"rooms": host_rooms or sorted(rooms)}, **where_host))
        room = host_rooms[0] if len(host_rooms) == 1 else None
        devices = []
        for family in families:
            device, found = _validate(family, host, room, host_file, declared_at(host.name, [family]), host_names)
            problems.extend(found)
            if device is not None:
                devices.append(device)
        if len(devices) == len(families):
            hosts[host.name] = devices
            if room:
                rooms[room].hosts.append(host.name)

    problems.extend(_duplicates(hosts, raw))
    problems = _unique(problems)
    errors = [p for p in problems if p.is_error]
    if errors:
        raise InventoryError(problems)
    all_vars = raw.group_vars.get("all", {})
    return Inventory(
        root=root,
        centre=str(all_vars.get("centre_name") or root.name),
        rooms=rooms,
        hosts=hosts,
        warnings=problems,
        vault_password_file=password_file,
        centre_vars=all_vars,
    )


def _combinable(families: list[str]) -> bool:
    """One host may be in several families only when the registry says they combine
    (a multifunction printer is a printer and a scanner)."""
    return all(set(families) - {f} <= REGISTRY[f].combines_with for f in families)


def _validate(
    family: str,
    host: ansible_source.RawHost,
    room: str | None,
    host_file: str,
    host_line: int | None,
    host_names: list[str] | None = None,
) -> tuple[Device | None, list[Problem]]:
    cls = REGISTRY[family].model
    problems: list[Problem] = []

    def locate(field_name: str) -> dict[str, Any]:
        where = host.origins.get(field_name)
        if where:
            return {"file": shown(where.file), "line": where.line}
        return {"file": host_file, "line": host_line}

    known = known_fields(cls)
    data = {k: v for k, v in host.vars.items() if k in known}
    # rules the models cannot see: a dotted quad out of range is not a host name, a regex must
    # compile, a secret must not be a Jinja template, a host named elsewhere must exist
    for field_name, key, params in _value_checks(cls, data, host_names):
        problems.append(
            Problem(
                key=key, host=host.name, field=field_name, params={**params, "family": family}, **locate(field_name)
            )
        )
        if field_name == "ansible_host":
            data[field_name] = "adresse.invalide"  # already reported: let the model check the rest
    data.update(name=host.name, room=room)
    try:
        device = cls.model_validate(data)
    except ValidationError as exc:
        for error in exc.errors(include_url=False):
            loc = [str(part) for part in error["loc"]]
            field_name = loc[0] if loc else ""
            if field_name == "address":
                field_name = "ansible_host"
            key, params = describe(
                error,
                secret=field_name in cls.secret_fields,
                bounds=field_bounds(cls, "address" if field_name == "ansible_host" else field_name),
            )
            params["family"] = family
            problems.append(
                Problem(
                    key=key,
                    host=host.name,
                    field=".".join([field_name, *loc[1:]]),
                    params=params,
                    **locate(field_name),
                )
            )
        return None, problems
    for field_name, key, params in device.check():
        problems.append(Problem(key=key, host=host.name, field=field_name, params=params, **locate(field_name)))
    if any(p.is_error for p in problems):
        return None, problems
    return device, problems


def _duplicates(hosts: dict[str, list[Device]], raw: ansible_source.RawInventory) -> list[Problem]:
    seen: dict[tuple[str, str], str] = {}
    problems = []
    origins = {h.name: h.origins for h in raw.hosts}
    for name, devices in hosts.items():
        fields_checked: set[str] = set()
        for device in devices:
            for field_name in device.unique_fields:
                value = getattr(device, field_name, None)
                if value is None or field_name in fields_checked:
                    continue
                fields_checked.add(field_name)
                kind = "address" if field_name == "address" else field_name
                key = (kind, str(value).lower())
                other = seen.setdefault(key, name)
                if other != name:
                    var = "ansible_host" if field_name == "address" else field_name
                    where = origins[name].get(var)
                    problems.append(
                        Problem(
                            key="inventory.duplicate",
                            host=name,
                            field=var,
                            file=shown(where.file) if where else None,
                            line=where.line if where else None,
                            params={"value": value, "other": other},
                        )
                    )
    return problems
