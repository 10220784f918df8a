"""Recap and poster → HTML (Jinja2, templates/) → PDF (WeasyPrint), with no network.

* Fonts come from the system through fontconfig (Debian ``fonts-dejavu-core``): DejaVu Sans
  for text, DejaVu Sans Mono for secrets (0/O, 1/l/I have distinct shapes). WeasyPrint
  embeds the subsets actually used, so the PDF prints the same anywhere.
* The only URLs a page may load are ``data:`` URIs (the QR codes): :class:`OfflineFetcher`
  refuses anything else and stops the rendering, so a template can never reach the network.
* Secrets are typeset by :func:`secret_html`: monospace, cut at their own hyphens (generated
  passwords) or every 4 characters, groups set apart by an alternating tint (no character nor
  gap is added: the PDF text of a secret is exactly the secret) and never broken inside, digits
  bold and blue, symbols on a grey background, each space kept and drawn as an open box ␣.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import jinja2
from markupsafe import Markup, escape

from provision.errors import PlateauError, Problem
from provision.messages import render as render_message
from provision.recap import qr
from provision.recap.data import Poster, Recap, Secret, status_label
from provision.session import ACCESSIBILITY

TEMPLATES = Path(__file__).parent / "templates"
FONTS = ("DejaVu Sans", "DejaVu Sans Mono")
GROUP = 4
MONTHS = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)


def OfflineFetcher():  # reads as the class it was; WeasyPrint is imported only here
    """Only ``data:`` URIs; any other URL (http, https, file, ftp) aborts the rendering."""
    from weasyprint.urls import URLFetcher

    return URLFetcher(allowed_protocols={"data"}, fail_on_errors=True, allow_redirects=False)


#: the shape plateau's own generator gives (provision/secrets.py): Feciju-Donuje-Kafefe-542
_HYPHENATED = re.compile(r"[A-Za-z0-9]{2,}(?:-[A-Za-z0-9]{2,})+")
#: secrets longer than these are set smaller (classes ``long``, ``very-long``) to stay on one line
LONG, VERY_LONG = 26, 40


def secret_groups(value: str) -> list[str]:
    """How a secret is cut for reading: at its own hyphens when it has the generated shape
    (each hyphen ends its group), else every 4 characters. Joined, the groups are the value."""
    if _HYPHENATED.fullmatch(value):
        parts = value.split("-")
        return [part + "-" for part in parts[:-1]] + [parts[-1]]
    if value.isdigit() and len(value) in (6, 9):  # PINs: 482 915
        return [value[start : start + 3] for start in range(0, len(value), 3)]
    return [value[start : start + GROUP] for start in range(0, len(value), GROUP)]


def secret_html(secret: Secret | None) -> Markup:
    """A secret for the page: ``<span class="pw">`` of groups that never break inside.

    Nothing is added between or around characters: the PDF text layer holds the secret
    verbatim (groups alternate a tinted background, a space is a real space kept by
    ``white-space: pre`` with an open box ␣ drawn by CSS). Digits ``d``, symbols ``s``.
    """
    if secret is None:
        return Markup('<span class="missing">non enregistré</span>')
    value = secret.value
    size = " very-long" if len(value) > VERY_LONG else " long" if len(value) > LONG else ""
    groups = []
    for group in secret_groups(value):
        runs: list[tuple[str, str]] = []  # (class, characters): a run of digits or symbols is one box
        for ch in group:
            css = "d" if ch.isdigit() else "sp" if ch == " " else "s" if not ch.isalpha() else ""
            if runs and runs[-1][0] == css and css != "sp":  # each space keeps its own ␣ box
                runs[-1] = (css, runs[-1][1] + ch)
            else:
                runs.append((css, ch))
        chars = [f'<span class="{css}">{escape(text)}</span>' if css else str(escape(text)) for css, text in runs]
        groups.append('<span class="g">' + "".join(chars) + "</span>")
    return Markup(f'<span class="pw{size}">' + "".join(groups) + "</span>")


def ssid_html(ssid: str, css: str = "ssid") -> Markup:
    """A network name in the secrets' monospace, on one line, each space drawn as ␣."""
    long = " long" if len(ssid) > 18 else ""
    chars = "".join('<span class="sp"> </span>' if ch == " " else str(escape(ch)) for ch in ssid)
    return Markup(f'<span class="{css}{long}">{chars}</span>')


def _date_fr(value: dt.date) -> str:
    day = "1er" if value.day == 1 else str(value.day)
    return f"{day} {MONTHS[value.month - 1]} {value.year}"


def _datetime_fr(value: dt.datetime) -> str:
    local = value.astimezone()
    return f"{_date_fr(local.date())} à {local:%H:%M}"


def _accessibility(key: str) -> str:
    names = ACCESSIBILITY.get(key)
    return names[0] if names else key


@cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        secret=secret_html, ssid=ssid_html, date_fr=_date_fr, datetime_fr=_datetime_fr, accessibility=_accessibility
    )
    env.globals.update(
        wifi_qr=lambda w: qr.png_data_uri(qr.wifi_payload(w.ssid, w.key and w.key.value, w.security)),
        status_label=status_label,
        missing_field=lambda fields: render_message("recap.missing_field", {"fields": list(fields)}, "fr"),
        stylesheet=_stylesheet,
    )
    return env


@cache
def _stylesheet(name: str) -> Markup:
    """A stylesheet of templates/, verbatim (read as text: Jinja would parse it as a template)."""
    return Markup((TEMPLATES / name).read_text("utf-8"))


@cache
def check_fonts() -> None:
    """Fail with a fix, not with a silent fallback font, when DejaVu is not installed."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return  # no fontconfig tools: WeasyPrint will tell through its own warnings
    families = subprocess.run([fc_list, ":", "family"], capture_output=True, text=True, timeout=20).stdout
    known = {name.strip() for line in families.splitlines() for name in line.split(",")}
    missing = [f for f in FONTS if f not in known]
    if missing:
        raise PlateauError(Problem(key="recap.font_missing", params={"fonts": missing}))


def recap_html(recap: Recap) -> str:
    return _environment().get_template("recap.html.j2").render(recap=recap)


def poster_html(poster: Poster) -> str:
    return _environment().get_template("poster.html.j2").render(poster=poster)


@dataclass(frozen=True, slots=True)
class RenderedPdf:
    data: bytes
    pages: int

    def __repr__(self) -> str:  # the bytes hold secrets: never dump them in a log
        return f"RenderedPdf({len(self.data)} bytes, {self.pages} page(s))"


def html_to_pdf(html: str) -> RenderedPdf:
    from weasyprint import HTML  # ~1.5 s of imports: only when a PDF is really made

    check_fonts()
    document = HTML(string=html, base_url=str(TEMPLATES), url_fetcher=OfflineFetcher()).render()
    return RenderedPdf(document.write_pdf(), len(document.pages))


def recap_pdf(recap: Recap) -> RenderedPdf:
    return html_to_pdf(recap_html(recap))


def poster_pdf(poster: Poster) -> RenderedPdf:
    return html_to_pdf(poster_html(poster))
