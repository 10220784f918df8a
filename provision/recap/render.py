"""Recap and poster → plain data (document.py) → PDF (Typst, ``templates/*.typ``), offline.

* Typst (the ``typst`` binding on PyPI, the compiler itself, in-process) lays out the pages:
  a centre of 100 devices in a fraction of a second, where an HTML/CSS engine took seconds.
* Fonts come from the system through fontconfig's folders (Debian ``fonts-dejavu-core``):
  :func:`check_fonts` fails with a fix rather than let a fallback font print the secrets.
* Nothing is fetched: the templates read only their own folder (Typst cannot read URLs, and
  they import no package); the data, secrets included, is passed in memory as one JSON string.
* Secrets are cut into groups and runs in document.py and drawn by ``plateau.typ``:
  monospace, groups set apart by an alternating tint (no character nor gap is added: the PDF
  text of a secret is exactly the secret) and never broken inside, digits bold and blue,
  symbols on a grey background, each space kept and drawn as an open box ␣.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from provision.errors import PlateauError, Problem
from provision.recap.data import Poster, Recap
from provision.recap.document import poster_document, recap_document

TEMPLATES = Path(__file__).parent / "templates"
FONTS = ("DejaVu Sans", "DejaVu Sans Mono")
_PAGE = re.compile(rb"/Type\s*/Page(?![a-zA-Z])")


@cache
def check_fonts() -> None:
    """Fail with a fix, not with a silent fallback font, when DejaVu is not installed."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return  # no fontconfig tools: Typst falls back to its own fonts, and says so
    families = subprocess.run([fc_list, ":", "family"], capture_output=True, text=True, timeout=20).stdout
    known = {name.strip() for line in families.splitlines() for name in line.split(",")}
    missing = [f for f in FONTS if f not in known]
    if missing:
        raise PlateauError(Problem(key="recap.font_missing", params={"fonts": missing}))


@dataclass(frozen=True, slots=True)
class RenderedPdf:
    data: bytes
    pages: int

    def __repr__(self) -> str:  # the bytes hold secrets: never dump them in a log
        return f"RenderedPdf({len(self.data)} bytes, {self.pages} page(s))"


def typeset(template: str, document: dict[str, Any]) -> RenderedPdf:
    """``templates/<template>.typ`` with ``document`` as its data → PDF."""
    import typst  # the compiler: imported only when a PDF is really made

    check_fonts()
    data = typst.compile(
        str(TEMPLATES / f"{template}.typ"),
        root=str(TEMPLATES),
        sys_inputs={"data": json.dumps(document, ensure_ascii=False)},
    )
    return RenderedPdf(data, len(_PAGE.findall(data)))


def recap_pdf(recap: Recap) -> RenderedPdf:
    return typeset("recap", recap_document(recap))


def poster_pdf(poster: Poster) -> RenderedPdf:
    return typeset("poster", poster_document(poster))
