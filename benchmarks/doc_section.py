"""Write one benchmark's section of docs/benchmarks.md (``--write``), keeping every other section."""

from __future__ import annotations

from pathlib import Path

DOC = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"


def write_section(section: str, lines: list[str], doc: Path = DOC) -> None:
    """Replace the section titled ``section`` (up to the next ``## ``) by ``lines``, or append it."""
    text = doc.read_text(encoding="utf-8")
    if section in text:
        head, _, rest = text.partition(section)
        nxt = rest.find("\n## ")
        text = head + "\n".join(lines) + (rest[nxt + 1 :] if nxt >= 0 else "")
    else:
        text = text.rstrip("\n") + "\n\n" + "\n".join(lines)
    doc.write_text(text.rstrip("\n") + "\n", encoding="utf-8")
