"""What the models cannot check alone: where each variable may be written, the centre's and rooms'
own variables, variable files that match nothing, secrets in clear, references between hosts,
addresses (the loader, :mod:`provision.inventory.loader`, calls these)."""

from __future__ import annotations

import functools
import ipaddress
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from rapidfuzz import fuzz, process

from devices.models import Device, known_fields
from provision import yamlmap
from provision.errors import Problem, Severity
from provision.families import REGISTRY
from provision.inventory import ansible_source, prescan
from provision.paths import shown

if TYPE_CHECKING:
    from provision.inventory.loader import Room

#: the group whose children are the rooms (the inventory contract)
ROOMS_GROUP = "rooms"


#: prefix of the centre's own variables (for its own playbooks): never checked by plateau
CENTRE_PREFIX = "x_"
#: variables of ``group_vars/all`` read by plateau besides device fields
CENTRE_VARS = frozenset({"centre_name", "internet_targets", "dashboard_recheck_min", "lan_cache_address"})
#: dashboard_recheck_min: minutes between the dashboard's own re-checks (0 = never)
RECHECK_MIN_RANGE = (0, 240)
#: variables of a room's group (``group_vars/<salle>``) read by plateau besides device fields
ROOM_VARS = frozenset({"room_label"})
#: Ansible's own connection secrets: in clear outside a vault, a warning (a ``{{ }}`` reference is fine)
ANSIBLE_SECRET_VARS = frozenset(
    {"ansible_password", "ansible_ssh_pass", "ansible_become_password", "ansible_become_pass"}
)
_JINJA = ("{{", "{%", "{#")  # what starts a Jinja expression, statement or comment
_HOST_LABEL = re.compile(r"^[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$")
_URL = re.compile(r"^https?://[^\s/]+\S*$")


def _host_entries(hosts_file: Path, node: Any = None) -> dict[str, dict[str, int]]:
    """host -> {group: line of the host's entry under that group's ``hosts:``} in hosts.yml."""
    entries: dict[str, dict[str, int]] = {}
    if node is None:  # not handed over by the prescan: read it again
        text = hosts_file.read_text("utf-8")
        _data, problems, node = yamlmap.check_yaml(text, shown(hosts_file), yamlmap.AnsibleLoader)
        if node is None or any(p.is_error for p in problems):
            return entries
    lines = yamlmap.key_lines(node)
    for path, line in lines.items():
        if len(path) >= 3 and path[-2] == "hosts" and isinstance(path[-1], str):
            entries.setdefault(path[-1], {}).setdefault(str(path[-3]), line)
    return entries


def _family_fields(family: str) -> set[str]:
    fields = known_fields(REGISTRY[family].model)
    for other in REGISTRY[family].combines_with:
        fields |= known_fields(REGISTRY[other].model)
    return fields


def _all_device_fields() -> dict[str, list[str]]:
    """field -> the families that read it."""
    owners: dict[str, list[str]] = {}
    for name, family in REGISTRY.items():
        for field_name in known_fields(family.model):
            owners.setdefault(field_name, []).append(name)
    return owners


#: the playbooks' roles, whose defaults a centre may override (playbooks/roles/<role>/defaults/main.yml)
ROLES_DIR = Path(__file__).resolve().parents[2] / "playbooks" / "roles"


@functools.cache
def role_variables() -> frozenset[str]:
    """Every variable a role of plateau's playbooks declares in its defaults: the settings a centre
    may change (``baseline_apt_update_cache: false``...)."""
    names: set[str] = set()
    for defaults in sorted(ROLES_DIR.glob("*/defaults/main.y*ml")):
        try:
            data = yaml.safe_load(defaults.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError):  # the playbooks ship with plateau: a broken one is caught by its tests
            continue
        if isinstance(data, dict):
            names.update(str(name) for name in data)
    return frozenset(names)


def _free(var: str) -> bool:
    """Ansible's own variables, the playbooks' role settings and the centre's own (prefixed)
    ones are not plateau's to check."""
    return var.startswith("ansible_") or var.startswith(CENTRE_PREFIX) or var in role_variables()


def _unknown_variables(
    raw: ansible_source.RawInventory, rooms: dict[str, Room], host_file: str, declared_at: Any
) -> list[Problem]:
    """Every variable a technician wrote must mean something where it is written.

    A family's group and a host accept that family's fields; a room's group, the fields of any
    family and the room's variables; ``all``, the fields of any family and the centre's ones;
    any other group, the fields of any family. ``ansible_*`` and ``x_*`` are always free.
    A typo is an error (a misspelt threshold would silently keep its default).
    """
    owners = _all_device_fields()
    problems: list[Problem] = []

    def report(
        var: str,
        where: ansible_source.Where | None,
        allowed: set[str] | frozenset[str],
        scope: dict[str, Any],
        host: str | None,
        line: int | None,
    ) -> None:
        file = shown(where.file) if where else host_file
        at = where.line if where else line
        elsewhere = [*owners.get(var, [])]
        if var in ROOM_VARS:
            elsewhere.append("group_vars/<salle>")
        if var in CENTRE_VARS:
            elsewhere.append("group_vars/all")
        params: dict[str, Any] = {"name": var, "scope": scope, "prefix": CENTRE_PREFIX}
        if elsewhere:
            key = "field.misplaced"
            params["owners"] = elsewhere
        else:
            match = process.extractOne(var, sorted(allowed), scorer=fuzz.ratio, score_cutoff=70)
            key = "field.unknown_did_you_mean" if match else "field.unknown_var"
            if match:
                params["suggestion"] = match[0]
        problems.append(Problem(key=key, file=file, line=at, host=host, field=var, params=params))

    any_device = set(owners)
    for group, variables in raw.group_own.items():
        if group in REGISTRY:
            allowed: set[str] | frozenset[str] = _family_fields(group)
            scope = {"key": "scope.family_group", "params": {"group": group}}
        elif group in rooms:
            allowed = any_device | ROOM_VARS
            scope = {"key": "scope.room", "params": {"group": group}}
        elif group == "all":
            allowed = any_device | CENTRE_VARS
            scope = {"key": "scope.all", "params": {"group": group}}
        else:
            # without a « rooms » group (reported), a room's own group_vars are not its fault
            allowed = any_device if rooms or ROOMS_GROUP in raw.children else any_device | ROOM_VARS
            scope = {"key": "scope.group", "params": {"group": group}}
        for written in variables:
            if written.name not in allowed and not _free(written.name):
                report(written.name, written.where, allowed, scope, None, None)
    for host in raw.hosts:
        families = [g for g in host.groups if g in REGISTRY]
        if not families:
            continue  # reported as inventory.no_family
        allowed = set().union(*(_family_fields(f) for f in families))
        scope = {"key": "scope.host", "params": {"host": host.name, "families": families}}
        for written in raw.host_own.get(host.name, []):
            if written.name not in allowed and not _free(written.name):
                report(written.name, written.where, allowed, scope, host.name, declared_at(host.name, families))
    return problems


def _centre_and_room_vars(raw: ansible_source.RawInventory, rooms: dict[str, Room], host_file: str) -> list[Problem]:
    """centre_name and room_label are text; internet_targets a list of http(s) URLs; dashboard_recheck_min
    a number of minutes."""
    problems: list[Problem] = []

    def at(group: str, var: str) -> dict[str, Any]:
        where = next((w.where for w in raw.group_own.get(group, []) if w.name == var), None)
        if where:
            return {"file": shown(where.file), "line": where.line, "field": var}
        # Ansible tags no origin on a bare true/false: name the group's own file when there is one
        folder = Path(host_file).parent / "group_vars"
        files = [f for f in (folder / f"{group}.yml", folder / f"{group}.yaml") if f.is_file()]
        files += sorted((folder / group).glob("*.y*ml")) if (folder / group).is_dir() else []
        return {"file": shown(files[0]) if files else host_file, "line": None, "field": var}

    checks = [("all", "centre_name")] + [(rid, "room_label") for rid in rooms]
    for group, var in checks:
        value = raw.group_vars.get(group, {}).get(var)
        if value is not None and (
            not isinstance(value, (str, int, float)) or isinstance(value, bool) or not str(value).strip()
        ):
            problems.append(Problem(key="field.not_text", params={"value": value}, **at(group, var)))
    targets = raw.group_vars.get("all", {}).get("internet_targets")
    if targets is not None:
        if not isinstance(targets, list):
            problems.append(Problem(key="field.not_list", params={"value": targets}, **at("all", "internet_targets")))
        else:
            for target in targets:
                if not isinstance(target, str) or not _URL.match(target.strip()):
                    problems.append(
                        Problem(
                            key="field.format",
                            params={"value": target, "format": "http://… ou https://…"},
                            **at("all", "internet_targets"),
                        )
                    )
    recheck = raw.group_vars.get("all", {}).get("dashboard_recheck_min")
    if recheck is not None:
        low, high = RECHECK_MIN_RANGE
        if isinstance(recheck, bool) or not isinstance(recheck, (int, float)) or not low <= recheck <= high:
            problems.append(
                Problem(
                    key="field.out_of_range",
                    params={"value": recheck, "min": low, "max": high},
                    **at("all", "dashboard_recheck_min"),
                )
            )
    return problems


def _orphan_var_files(root: Path, raw: ansible_source.RawInventory) -> list[Problem]:
    """group_vars/<g> for no group, host_vars/<h> for no host: Ansible ignores them without a word."""
    problems: list[Problem] = []
    if not raw.hosts:  # hosts.yml itself is wrong (reported): every host_vars/ would look orphan
        return problems
    known = {"group_vars": sorted(raw.children), "host_vars": sorted(h.name for h in raw.hosts)}
    for folder, names in known.items():
        base = root / folder
        if not base.is_dir():
            continue
        for entry in sorted(base.iterdir()):
            if entry.name.startswith("."):
                continue
            if entry.is_file():
                if entry.suffix not in prescan.YAML_SUFFIXES:
                    continue
                name = entry.stem if entry.suffix else entry.name
            elif entry.is_dir():
                name = entry.name
            else:
                continue
            if name in names:
                continue
            match = process.extractOne(name, names, scorer=fuzz.ratio, score_cutoff=70)
            problems.append(
                Problem(
                    key=f"inventory.orphan_{folder}" + ("_did_you_mean" if match else ""),
                    severity=Severity.WARNING,
                    file=shown(entry),
                    params={"name": name, "suggestion": match[0] if match else "", "known": names[:20]},
                )
            )
    return problems


def _groups_like_families(raw: ansible_source.RawInventory, rooms: dict[str, Room], host_file: str) -> list[Problem]:
    """A group named almost like a family (« projecteur », « andriod »): its hosts are in no family."""
    problems = []
    for group in sorted(raw.children):
        if group in REGISTRY or group in rooms or group in (ROOMS_GROUP, "all", "ungrouped"):
            continue
        match = process.extractOne(group, sorted(REGISTRY), scorer=fuzz.ratio, score_cutoff=70)
        if match:
            problems.append(
                Problem(
                    key="inventory.group_like_family",
                    severity=Severity.WARNING,
                    file=host_file,
                    params={"group": group, "family": match[0]},
                )
            )
    return problems


def _secrets_in_clear(raw: ansible_source.RawInventory, host_file: str) -> list[Problem]:
    """A secret written in clear (hosts.yml, group_vars/...) outside a vault file: a warning.

    Every place it is written counts, even one that a vault value overrides: the clear text is
    still in a file that may be shared or committed.
    """
    family_secrets: dict[str, set[str]] = {name: set(f.model.secret_fields) for name, f in REGISTRY.items()}
    every_secret = set(ANSIBLE_SECRET_VARS).union(*family_secrets.values())
    problems = []
    sources: list[tuple[str | None, set[str], list[ansible_source.Written]]] = []
    for host in raw.hosts:
        secret_vars = set(ANSIBLE_SECRET_VARS).union(*(family_secrets.get(g, set()) for g in host.groups))
        sources.append((host.name, secret_vars, raw.host_own.get(host.name, [])))
    for group, written in raw.group_own.items():
        sources.append((None, family_secrets.get(group, every_secret) | ANSIBLE_SECRET_VARS, written))
    for host_name, secret_vars, written in sources:
        for item in written:
            if item.name not in secret_vars or item.vaulted or item.value in (None, ""):
                continue
            if item.where is not None and _is_vault_file(item.where.file):
                continue
            if isinstance(item.value, str) and "{{" in item.value and item.name in ANSIBLE_SECRET_VARS:
                continue  # a reference to a vaulted variable
            problems.append(
                Problem(
                    key="secrets.clear_text",
                    severity=Severity.WARNING,
                    host=host_name,
                    field=item.name,
                    file=shown(item.where.file) if item.where else host_file,
                    line=item.where.line if item.where else None,
                    params={"name": item.name, "host": host_name or "<hôte>"},
                )
            )
    return problems


def _is_vault_file(path: str) -> bool:
    try:
        with open(path, "rb") as handle:
            return handle.read(64).lstrip().startswith(prescan.VAULT_HEADER)
    except OSError:
        return False


def _value_checks(
    cls: type[Device], data: dict[str, Any], host_names: list[str] | None
) -> list[tuple[str, str, dict[str, Any]]]:
    found: list[tuple[str, str, dict[str, Any]]] = []
    address = data.get("ansible_host")
    if isinstance(address, str) and address.strip():
        reason = address_problem(address.strip())
        if reason:
            found.append(("ansible_host", "field.bad_address", {"value": address, "reason": {"key": reason}}))
    for name in cls.secret_fields:
        value = data.get(name)
        if isinstance(value, str) and any(mark in value for mark in _JINJA):
            found.append((name, "secrets.jinja", {"name": name}))  # the value is never shown
    expect = data.get("expect")
    if isinstance(expect, str) and "expect" in cls.model_fields:
        try:
            re.compile(expect)
        except re.error as exc:
            found.append(
                ("expect", "field.bad_regex", {"value": expect, "detail": exc.msg, "position": (exc.pos or 0) + 1})
            )
    attached = data.get("attached_to")
    if (
        host_names is not None
        and isinstance(attached, str)
        and attached.strip()
        and "attached_to" in cls.model_fields
        and attached.strip() not in host_names
    ):
        match = process.extractOne(attached.strip(), host_names, scorer=fuzz.ratio, score_cutoff=70)
        found.append(
            ("attached_to", "field.unknown_host", {"value": attached, "suggestion": match[0] if match else "—"})
        )
    return found


def address_problem(value: str) -> str | None:
    """None for an IP address or a plausible host name, else the message key of why not."""
    try:
        ipaddress.ip_address(value)
        return None
    except ValueError:
        pass
    labels = value[:-1].split(".") if value.endswith(".") else value.split(".")
    if all(label.isdigit() for label in labels):
        return "address.bad_ipv4" if len(labels) == 4 else "address.digits_only"
    if labels[-1].isdigit():
        return "address.numeric_tld"
    if len(value) > 253 or not all(_HOST_LABEL.match(label) for label in labels):
        return "address.bad_name"
    return None


def _unique(problems: list[Problem]) -> list[Problem]:
    """The same finding reached through several hosts (a group variable) is told once."""
    seen: set[tuple[Any, ...]] = set()
    out = []
    for problem in problems:
        if problem.key == "secrets.clear_text":  # one line of group_vars reaches many hosts
            ident: tuple[Any, ...] = (problem.key, problem.file, problem.line, problem.field)
        else:
            ident = (
                problem.key,
                problem.file,
                problem.line,
                problem.field,
                problem.host,
                repr(sorted(problem.params.items(), key=lambda kv: kv[0])),
            )
        if ident in seen:
            continue
        seen.add(ident)
        out.append(problem)
    return out
