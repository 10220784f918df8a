"""Reading a YAML file a technician wrote, before YAML sees it: size, encoding, control characters.

:func:`read_bytes` refuses a file larger than :data:`MAX_FILE_BYTES`; :func:`decode` wants
UTF-8 (a BOM is accepted) and names the line and column of the first bad byte, guessing
Windows-1252 / Latin-1; :func:`control_characters` lists the characters the YAML reader
refuses (a NUL or form feed pasted from a PDF). Each is a :class:`provision.errors.Problem`
naming the file, never an exception. Used by :func:`provision.yamlmap.load_checked`.
"""

from __future__ import annotations

import re
from pathlib import Path

from provision.errors import Problem

#: an inventory file is a few kilobytes; 500 devices in one hosts.yml is about 150 KB
MAX_FILE_BYTES = 2 * 1024 * 1024
#: at most this many control characters are listed per file (then « … et N autres »)
MAX_LISTED = 5

# what the YAML reader accepts (PyYAML's Reader.NON_PRINTABLE, inverted)
_NON_PRINTABLE = re.compile("[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_CHAR_NAMES = {
    0x00: "caractère nul",
    0x08: "retour arrière",
    0x0B: "tabulation verticale",
    0x0C: "saut de page",
    0x1B: "échappement",
    0x7F: "suppression",
}


def read_bytes(path: Path, file: str) -> tuple[bytes | None, list[Problem]]:
    """The file's bytes, or a problem (unreadable, too large) naming it."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            return None, [
                Problem(
                    key="yaml.too_large",
                    file=file,
                    params={"file": file, "size_kb": size // 1024, "max_kb": MAX_FILE_BYTES // 1024},
                )
            ]
        return path.read_bytes(), []
    except OSError as exc:
        return None, [
            Problem(key="file.unreadable", file=file, params={"file": file, "reason": exc.strerror or str(exc)})
        ]


def decode(data: bytes, file: str) -> tuple[str | None, list[Problem]]:
    """UTF-8 text (a BOM is accepted), or a problem with line and column of the first bad byte."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        try:
            data.decode("cp1252")
            guess = "Windows-1252 / Latin-1"
        except UnicodeDecodeError:
            guess = "?"
        return None, [
            Problem(
                key="yaml.not_utf8",
                file=file,
                line=line,
                params={
                    "file": file,
                    "line": line,
                    "column": column,
                    "byte": f"0x{data[exc.start]:02X}",
                    "encoding": guess,
                },
            )
        ]
    return text, control_characters(text, file)


def control_characters(text: str, file: str) -> list[Problem]:
    """One problem per control character the YAML reader refuses, with line and column."""
    found = list(_NON_PRINTABLE.finditer(text))
    problems = []
    for match in found[:MAX_LISTED]:
        line = text.count("\n", 0, match.start()) + 1
        column = match.start() - (text.rfind("\n", 0, match.start()) + 1) + 1
        code = ord(match.group())
        problems.append(
            Problem(
                key="yaml.control_char",
                file=file,
                line=line,
                params={
                    "line": line,
                    "column": column,
                    "char": f"U+{code:04X}",
                    "name": _CHAR_NAMES.get(code, "caractère de contrôle"),
                },
            )
        )
    if len(found) > MAX_LISTED:
        problems.append(Problem(key="yaml.control_chars_more", file=file, params={"count": len(found) - MAX_LISTED}))
    return problems


def kind_of(data: object) -> str:
    """What a YAML document holds instead of « name: value » lines, in words (« une liste »)."""
    from provision.messages import render

    kind = ("empty" if data is None else "list" if isinstance(data, list) else "bool" if isinstance(data, bool)
            else "number" if isinstance(data, int | float) else "text" if isinstance(data, str) else "other")  # fmt: skip
    return render(f"yaml.kind.{kind}")
