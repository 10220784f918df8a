"""Read every inventory file once before Ansible does, to report *all* mistakes with
file and line: YAML syntax errors, vault files with no or the wrong password.

Ansible stops at the first broken file and its message often names no file; a
technician fixing one error per run would lose the evening.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from provision.errors import Problem
from provision.inventory import ansible_source
from provision.paths import shown as shown_path

VAULT_HEADER = b"$ANSIBLE_VAULT"
YAML_SUFFIXES = {".yml", ".yaml", ".json", ""}


class _AnyTagLoader(yaml.SafeLoader):
    """SafeLoader that accepts Ansible's tags (``!vault``, ``!unsafe``) and remembers vault ones."""

    vault_tags_seen: int = 0


def _any_tag(loader: _AnyTagLoader, suffix: str, node: yaml.Node):
    if suffix == "vault":
        loader.vault_tags_seen += 1
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node)
    assert isinstance(node, yaml.MappingNode)
    return loader.construct_mapping(node)


_AnyTagLoader.add_multi_constructor("!", _any_tag)


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


def prescan(root: Path, hosts_file: Path, vault_password: bytes | None, password_source: str | None) -> list[Problem]:
    problems: list[Problem] = []
    vault = ansible_source.vault_lib(vault_password)
    for path in inventory_files(root, hosts_file):
        shown = shown_path(path)
        data = path.read_bytes()
        if data.lstrip().startswith(VAULT_HEADER):
            if vault_password is None:
                problems.append(Problem(key="vault.no_password", file=shown, params={"file": shown}))
                continue
            try:
                data = vault.decrypt(data)
            except Exception:  # AnsibleVaultError and friends: wrong password or damaged file
                problems.append(
                    Problem(key="vault.wrong_password", file=shown, params={"file": shown, "source": password_source})
                )
                continue
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            problems.append(Problem(key="yaml.not_utf8", file=shown, params={"position": exc.start}))
            continue
        loader = _AnyTagLoader(text)
        try:
            loader.get_single_data()
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            problems.append(
                Problem(
                    key="yaml.syntax",
                    file=shown,
                    line=mark.line + 1 if mark else None,
                    params={"problem": getattr(exc, "problem", None) or str(exc).splitlines()[0]},
                )
            )
            continue
        finally:
            loader.dispose()
        if loader.vault_tags_seen and vault_password is None:
            problems.append(Problem(key="vault.no_password", file=shown, params={"file": shown}))
    return problems


