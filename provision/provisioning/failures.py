"""What a failed task says, made safe to show: the title and who asked for a failed loop item,
the tool's own words when Ansible's are generic, a French reason for known causes (sudo without
a password, a ``no_log`` task), every secret redacted."""

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
    return msg


def _shorten(text: str) -> str:
    text = text.strip()
    return text if len(text) <= MESSAGE_MAX else text[: MESSAGE_MAX - 1] + "…"


def _message(res: Mapping[str, Any], task: str = "", secrets: Sequence[str] = ()) -> tuple[str, str | None]:
    """(message shown, reason key) of one failed result: a censored one gets a safe reason."""
    if res.get("censored") or str(res.get("msg") or "").startswith(_CENSORED):
        return render("provision.reason_hidden", {"task": task}), "provision.reason_hidden"
    text = redact(_raw_message(res), secrets)
    key = classify(text)
    if key is not None:
        return _shorten(render(key, {"detail": text.splitlines()[-1] if text else ""})), key
    return _shorten(text), None


def failures_of(task: str, res: Mapping[str, Any], secrets: Sequence[str] = (), *,
                unreachable: bool = False) -> list[TaskFailure]:  # fmt: skip
    """One failure per failed loop item (title, candidates, the tool's words), else one."""
    items = [r for r in res.get("results") or () if isinstance(r, Mapping) and r.get("failed")]
    if not items:
        message, reason = _message(res, task, secrets)
        return [TaskFailure(task, message, _item(res), unreachable, reason=reason)]
    found = []
    for item in items:
        message, reason = _message(item, task, secrets)
        raw_item = item.get("item")
        plan_item: Mapping[str, Any] = raw_item if isinstance(raw_item, Mapping) else {}
        title = plan_item.get("title")
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
