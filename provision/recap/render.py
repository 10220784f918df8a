"""Recap and poster → HTML (Jinja2, templates/) → PDF (WeasyPrint), with no network.

* Fonts come from the system through fontconfig (Debian ``fonts-dejavu-core``): DejaVu Sans
  for text, DejaVu Sans Mono for secrets (0/O, 1/l/I have distinct shapes). WeasyPrint
  embeds the subsets actually used, so the PDF prints the same anywhere.
* The only URLs a page may load are ``data:`` URIs (the QR codes): :class:`OfflineFetcher`
  refuses anything else and stops the rendering, so a template can never reach the network.
* Secrets are typeset by :func:`secret_html`: monospace, groups of 4 characters separated
  by spacing (no character: the PDF text of a secret is exactly the secret), digits bold
  and blue, symbols on a grey background, spaces shown as an outlined box.
"""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import jinja2
from markupsafe import Markup, escape
from weasyprint import HTML
from weasyprint.urls import URLFetcher

from provision.errors import PlateauError, Problem
from provision.recap import qr
from provision.recap.data import Poster, Recap, Secret, status_label
from provision.session import ACCESSIBILITY

TEMPLATES = Path(__file__).parent / "templates"
FONTS = ("DejaVu Sans", "DejaVu Sans Mono")
GROUP = 4
MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
          "octobre", "novembre", "décembre")


class OfflineFetcher(URLFetcher):
    """Only ``data:`` URIs; any other URL (http, https, file, ftp) aborts the rendering."""

    def __init__(self) -> None:
        super().__init__(allowed_protocols={"data"}, fail_on_errors=True, allow_redirects=False)


def secret_html(secret: Secret | None) -> Markup:
    """A secret for the page: ``<span class="pw">`` of groups of 4, characters classed."""
    if secret is None:
        return Markup('<span class="missing">non enregistré</span>')
    value = secret.value
    groups = []
    for start in range(0, len(value), GROUP):
        chars = []
        for ch in value[start:start + GROUP]:
            if ch.isdigit():
                css = "d"
            elif ch == " ":
                css = "sp"
            elif not ch.isalpha():
                css = "s"
            else:
                css = ""
            chars.append(f'<span class="{css}">{escape(ch)}</span>' if css else str(escape(ch)))
        groups.append('<span class="g">' + "".join(chars) + "</span>")
    return Markup('<span class="pw">' + "".join(groups) + "</span>")


def _date_fr(value: dt.date) -> str:
    return f"{value.day} {MONTHS[value.month - 1]} {value.year}"


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
    env.filters.update(secret=secret_html, date_fr=_date_fr, datetime_fr=_datetime_fr,
                       accessibility=_accessibility)
    env.globals.update(wifi_qr=lambda w: qr.svg_data_uri(qr.wifi_payload(w.ssid, w.key and w.key.value, w.security)),
                       status_label=status_label)
    return env


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
    check_fonts()
    document = HTML(string=html, base_url=str(TEMPLATES), url_fetcher=OfflineFetcher()).render()
    return RenderedPdf(document.write_pdf(), len(document.pages))


def recap_pdf(recap: Recap) -> RenderedPdf:
    return html_to_pdf(recap_html(recap))


def poster_pdf(poster: Poster) -> RenderedPdf:
    return html_to_pdf(poster_html(poster))
