"""What a failed task says, made safe to show: the title and who asked for a failed loop item,
the tool's own words when Ansible's are generic, a French reason for known causes (sudo without
a password, a ``no_log`` task, a task past its ``timeout``), every secret redacted.

A task past its ``timeout`` (``plateau_install_timeout_s``) fails with
``{"timedout": {"period": N}, "msg": "Task failed: Timed out after N second(s)."}`` (per item in
a loop): « délai dépassé », naming the title and the host. :func:`scrub` takes the caller's
secrets out of a whole event before ansible-runner writes it to its artifacts."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from provision.messages import render

#: a failure message is cut there (the whole output is in the runner's artifacts)
MESSAGE_MAX = 400


@dataclass(slots=True)
class TaskFailure:
    task: str
    message: str
    item: str | None = None
    unreachable: bool = False
    #: the catalog title of a failed loop item and who asked for it ("candidat:C07", ...)
    title: str | None = None
    requested_by: list[str] = field(default_factory=list)
    #: message key of a known cause (provision.reason_*), when one was recognised
    reason: str | None = None


#: Ansible's own words that say nothing about the cause: the tool's stderr says more
GENERIC_MESSAGES = ("non-zero return code", "MODULE FAILURE", "One or more items failed")
#: a module's message that only says its tool failed (apt: "'apt-get … install x' failed: E: Sub-process
#: /usr/bin/dpkg returned an error code (1)"): the tool's stderr (a maintainer script's words) says why
_TOOL_FAILED = re.compile(r"(E: Sub-process \S+ returned an error code \(\d+\))")
#: apt's own progress lines, around a maintainer script's words in its output (dpkg runs in apt's
#: pseudo-terminal, so the script's stderr is in apt's stdout)
_APT_PROGRESS = re.compile(
    r"^(Reading |Building |Selecting |Preparing to unpack |Unpacking |Setting up |\(Reading database|debconf: "
    r"|Processing triggers |Get:\d|Fetched |The following |Need to get |After this |\d+ upgraded|W: )"
)
#: (pattern of Ansible's / sudo's / su's text, reason key): what went wrong, said safely
REASONS = (
    (
        re.compile(
            r"incorrect (sudo|su|become) password|sorry, try again|incorrect password attempt"
            r"|su: authentication failure|su: échec d'authentification",
            re.I,
        ),
        "provision.reason_become_wrong",
    ),
    (
        re.compile(
            r"missing (sudo|su|become) password|a password is required|a terminal is required"
            r"|waiting for (privilege escalation|become) (prompt|success)|no tty present",
            re.I,
        ),
        "provision.reason_become_missing",
    ),
)
_CENSORED = "the output has been hidden"
_URL_CREDENTIALS = re.compile(r"(\b[a-z][a-z0-9+.-]*://)[^/\s:@]+:[^/\s@]+@", re.I)
_ASSIGNED = re.compile(
    r"\b(password|passwd|pwd|passphrase|secret|token|api[_-]?key)(\s*[=:]\s*)(\"[^\"]*\"|'[^']*'|[^\s,;)]+)", re.I
)


def scrub(value: Any, secrets: Sequence[str]) -> Any:
    """*value* (an event: dicts, lists, strings) with every one of *secrets* replaced by ``***``,
    in place for dicts and lists (ansible-runner writes the event it handed over)."""
    values = sorted((s for s in secrets if s and len(s) >= 4), key=len, reverse=True)
    if not values:
        return value

    def clean(node: Any) -> Any:
        if isinstance(node, str):
            for secret in values:
                if secret in node:
                    node = node.replace(secret, "***")
            return node
        if isinstance(node, dict):
            for key in node:
                node[key] = clean(node[key])
        elif isinstance(node, list):
            node[:] = [clean(v) for v in node]
        return node

    return clean(value)


def redact(text: str, secrets: Sequence[str] = ()) -> str:
    """*text* without credentials: ``scheme://user:pass@`` -> ``scheme://***@``, ``password=x`` ->
    ``password=***``, and each of *secrets* (values the caller knows, e.g. the vault's) -> ``***``."""
    for secret in sorted((s for s in secrets if s and len(s) >= 4), key=len, reverse=True):
        text = text.replace(secret, "***")
    text = _URL_CREDENTIALS.sub(r"\1***@", text)
    return _ASSIGNED.sub(r"\1\2***", text)


def classify(text: str) -> str | None:
    """The reason key of a known cause in Ansible's or the tool's message, if any."""
    return next((key for pattern, key in REASONS if pattern.search(text)), None)


def _raw_message(res: Mapping[str, Any]) -> str:
    """The tool's own words: ``msg``, unless generic, then the last lines of its stderr/stdout."""
    msg = str(res.get("msg") or res.get("reason") or "").strip()
    detail = ""
    for key in ("stderr", "module_stderr", "stdout", "module_stdout"):
        value = str(res.get(key) or "").strip()
        if value:
            detail = "\n".join(value.splitlines()[-3:])
            break
    if not msg or any(msg.startswith(g) for g in GENERIC_MESSAGES):
        return f"{detail} ({msg})" if detail and msg else (detail or msg)
    tool_failed = _TOOL_FAILED.search(msg)
    if tool_failed:
        return f"{_dpkg_words(res) or detail or msg.strip()} ({tool_failed.group(1)})"
    return msg


def _dpkg_words(res: Mapping[str, Any]) -> str | None:
    """What a failed maintainer script said: the lines before dpkg's « error processing » (apt's
    progress aside) and dpkg's own line after it (« … pre-installation script subprocess returned
    error exit status 1 »)."""
    lines = [line for key in ("stdout", "stderr") for line in str(res.get(key) or "").splitlines() if line.strip()]
    for i, line in enumerate(lines):
        if line.startswith("dpkg: error processing"):
            before = [x for x in lines[max(0, i - 4) : i] if not _APT_PROGRESS.match(x)][-2:]
            return "\n".join([*before, *lines[i + 1 : i + 2]]).strip() or None
    return None


def _shorten(text: str) -> str:
    text = text.strip()
    return text if len(text) <= MESSAGE_MAX else text[: MESSAGE_MAX - 1] + "…"


def _message(
    res: Mapping[str, Any], task: str = "", secrets: Sequence[str] = (), title: str | None = None, host: str = ""
) -> tuple[str, str | None]:
    """(message shown, reason key) of one failed result: a censored one gets a safe reason."""
    if res.get("censored") or str(res.get("msg") or "").startswith(_CENSORED):
        return render("provision.reason_hidden", {"task": task}), "provision.reason_hidden"
    timedout = res.get("timedout")
    if timedout:
        period = timedout.get("period") if isinstance(timedout, Mapping) else None
        params = {"title": title or task, "host": host or "?", "timeout_s": period if period is not None else "?"}
        return render("provision.reason_timeout", params), "provision.reason_timeout"
    text = redact(_raw_message(res), secrets)
    key = classify(text)
    if key is not None:
        return _shorten(render(key, {"detail": text.splitlines()[-1] if text else ""})), key
    return _shorten(text), None


def failures_of(task: str, res: Mapping[str, Any], secrets: Sequence[str] = (), *,
                unreachable: bool = False, host: str = "") -> list[TaskFailure]:  # fmt: skip
    """One failure per failed loop item (title, candidates, the tool's words), else one."""
    items = [r for r in res.get("results") or () if isinstance(r, Mapping) and r.get("failed")]
    if not items:
        message, reason = _message(res, task, secrets, host=host)
        return [TaskFailure(task, message, _item(res), unreachable, reason=reason)]
    found = []
    for item in items:
        raw_item = item.get("item")
        plan_item: Mapping[str, Any] = raw_item if isinstance(raw_item, Mapping) else {}
        title = plan_item.get("title")
        message, reason = _message(item, task, secrets, None if title is None else str(title), host)
        requested = plan_item.get("requested_by") or []
        found.append(
            TaskFailure(
                task,
                message,
                _item(item),
                unreachable,
                title=None if title is None else str(title),
                requested_by=[str(r) for r in requested] if isinstance(requested, list) else [],
                reason=reason,
            )
        )
    return found


def _item(res: Mapping[str, Any]) -> str | None:
    label = res.get("_ansible_item_label", res.get("item"))
    return None if label is None else str(label)[:120]
