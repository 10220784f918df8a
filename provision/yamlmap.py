"""YAML loading that remembers the line of every key, so errors can point at it.

And reading a file a technician wrote without surprises: the size, encoding and control
characters are checked first (provision/yamltext.py, re-exported here), then
:func:`check_yaml` parses within limits (nesting, alias expansion) and reports duplicate keys
and values YAML cannot build, each as one :class:`provision.errors.Problem` naming the file.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from provision.errors import Problem, Severity
from provision.yamltext import MAX_FILE_BYTES as MAX_FILE_BYTES  # re-exported
from provision.yamltext import MAX_LISTED as MAX_LISTED  # re-exported
from provision.yamltext import control_characters as control_characters  # re-exported
from provision.yamltext import decode, read_bytes


def load_with_lines(text: str) -> tuple[Any, dict[tuple[Any, ...], int]]:
    """Parse ``text``; return (data, {path: line}) where path is a tuple of keys/indexes.

    Raises ``yaml.YAMLError`` on a syntax error, like ``yaml.safe_load``.
    """
    node = yaml.compose(text, Loader=yaml.SafeLoader)
    lines: dict[tuple[Any, ...], int] = {}
    if node is not None:
        _walk(node, (), lines)
    return yaml.safe_load(text), lines


def _walk(node: yaml.Node, path: tuple[Any, ...], lines: dict[tuple[Any, ...], int]) -> None:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value
            lines[(*path, key)] = key_node.start_mark.line + 1
            _walk(value_node, (*path, key), lines)
            lines[(*path, key)] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk(item, (*path, index), lines)


def key_lines(node: yaml.Node) -> dict[tuple[Any, ...], int]:
    """{path: line} of every key of a composed (and already checked) document."""
    lines: dict[tuple[Any, ...], int] = {}
    _walk(node, (), lines)
    return lines


def line_of(lines: dict[tuple[Any, ...], int], path: tuple[Any, ...]) -> int | None:
    """Line of ``path`` or of its nearest parent that exists."""
    while path:
        if path in lines:
            return lines[path]
        path = path[:-1]
    return lines.get(())


# --- reading a file a technician wrote: limits, duplicate keys, impossible values ---------------
#
# Every YAML file plateau reads (hosts.yml, group_vars/, host_vars/, session.yml, catalog.yml)
# goes through provision/yamltext.py (size, encoding, control characters) and :func:`check_yaml`
# first, so that a file saved in Latin-1, a NUL or form feed pasted from a PDF, an impossible
# date or an alias bomb is *one* clear problem naming the file (and line and column), never an
# exception deep in PyYAML or Ansible.

#: nesting depth (hosts.yml: all > children > rooms > children > salle > hosts > host > var > list ≈ 10)
MAX_DEPTH = 40
#: nodes once every alias is expanded (a 500-device hosts.yml has ~10 000): an alias bomb stops here
MAX_EXPANDED_NODES = 100_000

_CHECKED_TAGS = {
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:timestamp",
    "tag:yaml.org,2002:binary",
}
_SEXAGESIMAL = re.compile(r"^[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$")


class LimitedLoader(yaml.SafeLoader):
    """SafeLoader with a nesting limit while composing; ``ansible_tags`` accepts ``!vault``/``!unsafe``."""

    max_depth = MAX_DEPTH

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0
        self.vault_tags_seen = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        self._depth += 1
        try:
            if self._depth > self.max_depth:
                event = self.peek_event()
                raise _TooDeep(event.start_mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


class _TooDeep(yaml.YAMLError):
    def __init__(self, mark: Any) -> None:
        super().__init__("too deep")
        self.mark = mark


def _any_tag(loader: LimitedLoader, suffix: str, node: yaml.Node) -> Any:
    if suffix == "vault":
        loader.vault_tags_seen += 1
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node)
    assert isinstance(node, yaml.MappingNode)
    return loader.construct_mapping(node)


class AnsibleLoader(LimitedLoader):
    """Accepts Ansible's tags (``!vault``, ``!unsafe``) and counts the vault ones."""


AnsibleLoader.add_multi_constructor("!", _any_tag)


class TextTimesLoader(LimitedLoader):
    """YAML 1.2 reading of ``10:15``: text, not the sexagesimal integer 615 of YAML 1.1.

    Only for files plateau alone reads (session.yml): Ansible reads the inventory as YAML 1.1.
    """


TextTimesLoader.yaml_implicit_resolvers = {
    first: [
        (tag, regexp) for tag, regexp in resolvers if tag not in ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float")
    ]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
for _tag, _pattern, _first in (
    (
        "tag:yaml.org,2002:int",
        r"^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+)$",
        list("-+0123456789"),
    ),
    (
        "tag:yaml.org,2002:float",
        r"^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
        list("-+0123456789."),
    ),
):
    TextTimesLoader.add_implicit_resolver(_tag, re.compile(_pattern), _first)


def _mark(problem_mark: Any) -> tuple[int | None, int | None]:
    if problem_mark is None:
        return None, None
    return problem_mark.line + 1, problem_mark.column + 1


def syntax_problem(exc: yaml.YAMLError, file: str) -> Problem:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    line, column = _mark(mark)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    return Problem(key="yaml.syntax", file=file, line=line, params={"problem": problem, "column": column or "?"})


def check_yaml(text: str, file: str, loader_cls: type[LimitedLoader] = LimitedLoader) -> tuple[Any, list[Problem], Any]:
    """Parse ``text`` within the limits; return (data, problems, composed node).

    Problems: syntax, nesting deeper than :data:`MAX_DEPTH`, more than :data:`MAX_EXPANDED_NODES`
    nodes once aliases are expanded (or an alias inside itself), a key written twice in one
    mapping, a value YAML cannot build (``2026-02-30``, ``!!int abc``); a ``10:15`` read as 615
    is a warning. ``data`` is None when there is any error.
    """
    loader = loader_cls(text)
    try:
        try:
            node = loader.get_single_node()
        except _TooDeep as exc:
            line, _ = _mark(exc.mark)
            return None, [Problem(key="yaml.too_deep", file=file, line=line, params={"max": MAX_DEPTH})], None
        except yaml.YAMLError as exc:
            return None, [syntax_problem(exc, file)], None
        if node is None:
            return None, [], None
        problems = _walk_checks(loader, node, file)
        if any(p.severity is Severity.ERROR for p in problems):
            return None, problems, node
        try:
            data = loader.construct_document(node)
        except yaml.YAMLError as exc:
            return None, [*problems, syntax_problem(exc, file)], node
        except (
            ValueError,
            TypeError,
            OverflowError,
        ) as exc:  # pragma: no cover - _walk_checks builds each scalar first
            return (
                None,
                [*problems, Problem(key="yaml.bad_value", file=file, params={"value": "?", "detail": str(exc)})],
                node,
            )
        return data, problems, node
    finally:
        loader.dispose()


def _walk_checks(loader: LimitedLoader, root: yaml.Node, file: str) -> list[Problem]:
    """Alias expansion size and cycles, duplicate keys, unbuildable scalars — without recursion."""
    problems: list[Problem] = []
    size: dict[int, int] = {}
    on_path: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    cap = MAX_EXPANDED_NODES + 1

    def children(node: yaml.Node) -> list[yaml.Node]:
        if isinstance(node, yaml.MappingNode):
            return [n for pair in node.value for n in pair]
        if isinstance(node, yaml.SequenceNode):
            return list(node.value)
        return []

    while stack:
        node, done = stack.pop()
        nid = id(node)
        if done:
            on_path.discard(nid)
            size[nid] = min(cap, 1 + sum(size.get(id(c), 0) for c in children(node)))
            continue
        if nid in size:
            continue
        on_path.add(nid)
        stack.append((node, True))
        if isinstance(node, yaml.ScalarNode):
            problems.extend(_scalar_checks(loader, node, file))
            continue
        if isinstance(node, yaml.MappingNode):
            problems.extend(_duplicate_keys(node, file))
        for child in children(node):
            if id(child) in on_path:
                line, _ = _mark(child.start_mark)
                return [Problem(key="yaml.recursive_alias", file=file, line=line, params={})]
            if id(child) not in size:
                stack.append((child, False))
    total = size.get(id(root), 0)
    if total > MAX_EXPANDED_NODES:
        problems.append(Problem(key="yaml.alias_bomb", file=file, params={"max": MAX_EXPANDED_NODES}))
    return sorted(problems, key=lambda p: (p.severity is not Severity.ERROR, p.line or 0))


def _duplicate_keys(node: yaml.MappingNode, file: str) -> list[Problem]:
    seen: dict[tuple[str, str], int] = {}
    problems = []
    for key_node, _value in node.value:
        if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == "tag:yaml.org,2002:merge":
            continue
        line = key_node.start_mark.line + 1
        key = (key_node.tag, key_node.value)
        first = seen.get(key)
        if first is None:
            seen[key] = line
        else:
            problems.append(
                Problem(
                    key="yaml.duplicate_key", file=file, line=line, params={"key": key_node.value, "first_line": first}
                )
            )
    return problems


def _scalar_checks(loader: LimitedLoader, node: yaml.ScalarNode, file: str) -> list[Problem]:
    line, column = _mark(node.start_mark)
    if node.tag in _CHECKED_TAGS:
        try:
            loader.construct_object(node)
        except (ValueError, TypeError, OverflowError, yaml.YAMLError) as exc:
            key = "yaml.bad_date" if node.tag.endswith("timestamp") else "yaml.bad_value"
            return [
                Problem(
                    key=key,
                    file=file,
                    line=line,
                    params={"value": node.value, "column": column, "detail": _reason(exc)},
                )
            ]
        finally:
            loader.constructed_objects.pop(node, None)
    if (
        node.style is None
        and node.tag in ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float")
        and _SEXAGESIMAL.match(node.value)
    ):
        value = loader.construct_object(node)
        loader.constructed_objects.pop(node, None)
        return [
            Problem(
                key="yaml.sexagesimal",
                file=file,
                line=line,
                severity=Severity.WARNING,
                params={"value": node.value, "number": value, "column": column},
            )
        ]
    return []


def _reason(exc: BaseException) -> str:
    text = str(getattr(exc, "problem", None) or exc)
    return {
        "day is out of range for month": "ce jour n'existe pas dans ce mois",
        "month must be in 1..12": "le mois doit être entre 1 et 12",
        "year is out of range": "année impossible",
    }.get(text, text)


def load_checked(
    path: Path, file: str, loader_cls: type[LimitedLoader] = LimitedLoader
) -> tuple[Any, dict[tuple[Any, ...], int], list[Problem]]:
    """Read, decode and parse one YAML file: (data, {path: line}, problems)."""
    data, problems = read_bytes(path, file)
    if data is None:
        return None, {}, problems
    text, problems = decode(data, file)
    if text is None or problems:
        return None, {}, problems
    value, problems, node = check_yaml(text, file, loader_cls)
    lines: dict[tuple[Any, ...], int] = {}
    if node is not None and value is not None:
        _walk(node, (), lines)
    return value, lines, problems
