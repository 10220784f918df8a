"""Read every inventory file once before Ansible does, to report *all* mistakes with
file and line: a wrong encoding, control characters, YAML syntax errors, duplicate keys,
impossible dates, a file too large, too deep or an alias bomb (Ansible would expand it in
memory), vault files with no or the wrong password.

Ansible stops at the first broken file and its message often names no file; a
technician fixing one error per run would lose the evening.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from provision import yamlmap
from provision.errors import Problem
from provision.inventory import ansible_source
from provision.paths import shown as shown_path
from provision.yamltext import kind_of

VAULT_HEADER = b"$ANSIBLE_VAULT"
YAML_SUFFIXES = {".yml", ".yaml", ".json", ""}


def inventory_files(root: Path, hosts_file: Path) -> list[Path]:
    files = [hosts_file]
    for folder in ("group_vars", "host_vars"):
        base = root / folder
        if base.is_dir():
            files.extend(
                sorted(
                    p
                    for p in base.rglob("*")
                    if p.is_file() and p.suffix in YAML_SUFFIXES and not p.name.startswith(".")
                )
            )
    return files


def prescan(
    root: Path,
    hosts_file: Path,
    vault_password: bytes | None,
    password_source: str | None,
    nodes: dict[Path, yaml.Node] | None = None,
) -> list[Problem]:
    """Every problem of every inventory file (errors and warnings), before Ansible reads any.

    Each file is read (size limit), decrypted if it is a vault file, decoded as UTF-8, searched
    for control characters, then parsed with limits on nesting and alias expansion and checked
    for duplicate keys and impossible values (:func:`provision.yamlmap.check_yaml`).
    ``nodes``, when given, receives each clean file's composed YAML (the loader reads the
    line of every host in hosts.yml from it, without parsing the file again).
    """
    problems: list[Problem] = []
    vault = ansible_source.vault_lib(vault_password)
    for path in inventory_files(root, hosts_file):
        shown = shown_path(path)
        data, found = yamlmap.read_bytes(path, shown)
        if data is None:
            problems.extend(found)
            continue
        if data.lstrip().startswith(VAULT_HEADER):
            if vault_password is None:
                problems.append(Problem(key="vault.no_password", file=shown, params={"file": shown}))
                continue
            try:
                data = vault.decrypt(data)
            except Exception:  # AnsibleVaultError and friends: wrong password or damaged file  # noqa: BLE001
                problems.append(
                    Problem(key="vault.wrong_password", file=shown, params={"file": shown, "source": password_source})
                )
                continue
        text, found = yamlmap.decode(data, shown)
        if text is None or found:
            problems.extend(found)
            continue
        data_read, found, node = yamlmap.check_yaml(text, shown, yamlmap.AnsibleLoader)
        problems.extend(found)
        if any(p.is_error for p in found):
            continue
        if nodes is not None and node is not None:
            nodes[path] = node
        if data_read is None and path == hosts_file:
            problems.append(Problem(key="inventory.empty_hosts", file=shown, params={"file": shown}))
            continue
        if data_read is not None and not isinstance(data_read, dict):
            # Ansible would refuse it naming hosts.yml, or drop it: variables are « name: value »
            problems.append(
                Problem(
                    key="yaml.not_mapping",
                    file=shown,
                    line=1,
                    params={"file": shown, "found": kind_of(data_read)},
                )
            )
            continue
        inline = _vault_nodes(node)
        if inline and vault_password is None:
            problems.append(Problem(key="vault.no_password", file=shown, params={"file": shown}))
            continue
        for vault_node in inline:  # each inline `!vault` value must open too, named by its line
            try:
                vault.decrypt(vault_node.value.strip().encode("ascii", "replace"))
            except Exception:  # AnsibleVaultError, binascii.Error...: wrong password, damaged value  # noqa: BLE001
                problems.append(
                    Problem(
                        key="vault.wrong_password",
                        file=shown,
                        line=vault_node.start_mark.line + 1,
                        params={"file": shown, "source": password_source},
                    )
                )
    return problems


def _vault_nodes(root: yaml.Node | None) -> list[yaml.ScalarNode]:
    """Every inline ``!vault`` value of the file (each node visited once, aliases too)."""
    seen: set[int] = set()
    found = []
    stack = [root] if root is not None else []
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if node.tag == "!vault" and isinstance(node, yaml.ScalarNode):
            found.append(node)
        if isinstance(node, yaml.MappingNode):
            stack.extend(n for pair in node.value for n in pair)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
    return sorted(found, key=lambda n: n.start_mark.line)
