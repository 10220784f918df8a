"""Recap and poster as the plain data the Typst templates read (``templates/*.typ``).

Everything a page shows is decided here, in Python: French dates, status names, how each
secret is cut into groups and runs. The templates only lay it out. The data reaches Typst as
one JSON string (``sys.inputs.data``), in memory: inventory text is *data* there, never markup,
so a name holding ``#`` or ``*`` prints as typed, and no secret is ever written to a file.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from checks.model import Status
from provision.messages import render as render_message
from provision.recap import qr
from provision.recap.data import Account, DeviceRow, Poster, Recap, Secret, Wifi, status_label
from provision.session import ACCESSIBILITY

GROUP = 4
MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
          "novembre", "décembre")  # fmt: skip
#: the shape plateau's own generator gives (provision/secrets.py): Feciju-Donuje-Kafefe-542
_HYPHENATED = re.compile(r"[A-Za-z0-9]{2,}(?:-[A-Za-z0-9]{2,})+")
#: secrets longer than these are set smaller (sizes ``long``, ``very-long``) to stay on one line
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


def char_class(ch: str) -> str:
    """``d`` digit (bold blue), ``sp`` space (drawn as ␣), ``s`` symbol (grey box), ``""`` letter."""
    return "d" if ch.isdigit() else "sp" if ch == " " else "s" if not ch.isalpha() else ""


def runs(text: str) -> list[list[str]]:
    """``[[class, characters], ...]``: a run of digits or of symbols is one box; each space its own."""
    out: list[list[str]] = []
    for ch in text:
        css = char_class(ch)
        if out and out[-1][0] == css and css != "sp":
            out[-1][1] += ch
        else:
            out.append([css, ch])
    return out


def secret_doc(secret: Secret | None) -> dict[str, Any] | None:
    """A secret for the page: its groups of runs and its size; None = not stored by the centre.

    Nothing is added between or around characters: joined, the runs are the value, so the PDF
    text layer holds the secret verbatim (the groups alternate a tinted background)."""
    if secret is None:
        return None
    value = secret.value
    size = "very-long" if len(value) > VERY_LONG else "long" if len(value) > LONG else ""
    return {"size": size, "groups": [runs(group) for group in secret_groups(value)]}


def date_fr(value: dt.date) -> str:
    day = "1er" if value.day == 1 else str(value.day)
    return f"{day} {MONTHS[value.month - 1]} {value.year}"


def datetime_fr(value: dt.datetime) -> str:
    local = value.astimezone()
    return f"{date_fr(local.date())} à {local:%H:%M}"


def _accessibility(key: str) -> str:
    names = ACCESSIBILITY.get(key)
    return names[0] if names else key


def _account(account: Account) -> dict[str, Any]:
    return {"what": account.what, "login": account.login, "kind": account.kind, "secret": secret_doc(account.secret)}


def _row(row: DeviceRow) -> dict[str, Any]:
    missing = render_message("recap.missing_field", {"fields": list(row.missing)}, "fr") if row.missing else None
    return {
        "name": row.name,
        "label": row.label,
        "kind": row.kind,
        "address": row.address,
        "model": row.model,
        "access": row.access,
        "details": list(row.details),
        "accounts": [_account(a) for a in row.accounts],
        "missing": missing,
    }


def _wifi(wifi: Wifi) -> dict[str, Any]:
    key = wifi.key.value if wifi.key else None
    return {
        "room_label": wifi.room_label,
        "ssid": wifi.ssid,
        "ssid_runs": [["sp" if ch == " " else "", ch] for ch in wifi.ssid],
        "open": wifi.open,
        "key": None if wifi.open else secret_doc(wifi.key),
        "key_length": len(key or ""),
        # the QR: a PNG of one pixel per module, as bytes (Typst's bytes() of an array)
        "qr": list(qr.png_bytes(qr.wifi_payload(wifi.ssid, key, wifi.security))),
        "access_point": _row(wifi.access_point),
    }


def recap_document(recap: Recap) -> dict[str, Any]:
    r = recap.readiness
    title_scope = ", ".join(j.label for j in recap.juries) if recap.scope != "centre" else "centre"
    return {
        "title": f"Récapitulatif du plateau technique — {title_scope}",
        "scope": recap.scope,
        "centre": recap.centre,
        "session_date": date_fr(recap.session_date),
        "referentiel": recap.referentiel,
        "generated_at": datetime_fr(recap.generated_at),
        "ready": recap.ready,
        "juries": [
            {
                "label": jury.label,
                "room_label": jury.room_label,
                "candidates": [
                    {
                        "order": c.order,
                        "time": c.time,
                        "id": c.id,
                        "name": c.name,
                        "own_laptop": c.own_laptop,
                        "accessibility": ", ".join(_accessibility(a) for a in c.accessibility),
                        "software": [
                            {
                                "name": s.name,
                                "kind": s.kind,
                                "hosts": list(s.hosts),
                                "status": str(s.status),
                                "label": s.status_label,
                            }  # fmt: skip
                            for s in c.software
                        ],
                    }
                    for c in jury.candidates
                ],
            }
            for jury in recap.juries
        ],
        "rooms": [
            {
                "label": room.label,
                "wifi": [_wifi(w) for w in room.wifi],
                **{
                    part: [_row(d) for d in getattr(room, part)]
                    for part in ("computers", "tablets", "peripherals", "others")
                },  # fmt: skip
            }
            for room in recap.rooms
        ],
        "readiness": {
            "finished_at": datetime_fr(r.finished_at) if r.finished_at else None,
            "counts": {str(s): r.count(s) for s in Status},
            "unmeasured": r.unmeasured,
            "labels": {str(s): status_label(s) for s in Status},
            "on_site_total": r.on_site_total,
            "on_site_failing": r.on_site_failing,
            "blockers": len(r.blockers),
            "groups": [
                {
                    "place": g.place,
                    "items": [
                        {"what": what, "whom": [{"who": who, "checks": ", ".join(checks)} for who, checks in whom]}
                        for what, whom in g.items
                    ],
                }
                for g in r.groups
            ],  # fmt: skip
            "devices": [
                {
                    "label": d.label,
                    "name": d.name,
                    "status": str(d.status) if d.measured else "unmeasured",
                    "label_status": status_label(d.status),
                    "notes": " ; ".join(d.notes),
                }
                for d in r.devices
            ],  # fmt: skip
        },
    }


def poster_document(poster: Poster) -> dict[str, Any]:
    return {
        "centre": poster.centre,
        "session_date": date_fr(poster.session_date),
        "wifi": [_wifi(w) for w in poster.wifi],
    }
