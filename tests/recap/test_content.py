"""What the recap PDF says: every credential exactly as stored, nothing of another jury's room."""

from __future__ import annotations

import datetime as dt
import subprocess

import pytest

from checks.model import Status, Verdict
from provision.recap.data import build_recap
from provision.recap.readiness import Readiness
from provision.recap.render import recap_pdf


def attested_ok(loaded, now):
    """OK attestations of every on-site item and manual device, as a real clean sweep holds them."""
    from provision.families import manual_check

    out = [
        Verdict(
            device=f"salle:{a['room']}",
            check=f"attestation:{a['id']}",
            status=Status.OK,
            key="check.attestation.ok",
            params={"label": a["label"], "by": "Mme Martin", "at": "07:00"},
            room=a["room"],
            probe="manual",
            measured_at=now,
        )
        for a in loaded.plan.attestations
    ]
    return out + [
        Verdict(
            device=d.name,
            check=f"attestation:{manual_check(d).item}",
            status=Status.OK,
            key="check.attestation.ok",
            params={"label": "x", "by": "Mme Martin", "at": "07:00"},
            room=d.room,
            probe="manual",
            measured_at=now,
        )
        for d in loaded.inventory.devices
        if manual_check(d) is not None
    ]


NOW = dt.datetime(2026, 12, 3, 7, 30, tzinfo=dt.UTC)
ROOM_HOSTS_PREFIX = {"salle_a": "a-", "salle_b": "b-"}


def _ready(loaded, *extra: Verdict) -> Readiness:
    verdicts = [
        Verdict(
            device=d.name, check="reachable", status=Status.OK, key="check.reachable.ok", room=d.room, measured_at=NOW
        )
        for d in loaded.inventory.devices
    ]
    return Readiness.of([*verdicts, *attested_ok(loaded, NOW), *extra], NOW - dt.timedelta(minutes=20))


@pytest.fixture(scope="module")
def centre_pdf(loaded) -> bytes:
    return recap_pdf(build_recap(loaded, None, _ready(loaded), now=NOW)).data


@pytest.fixture
def centre_text(centre_pdf, pdf) -> str:
    return pdf.text(centre_pdf)


@pytest.fixture
def centre_flat(centre_pdf, pdf) -> str:
    """Reading order, whitespace collapsed: for prose that may wrap inside a cell."""
    return pdf.text(centre_pdf, layout=False)


def test_every_credential_of_the_example_appears_exactly_as_stored(centre_text, host_secrets, pdf) -> None:
    assert sum(len(s) for s in host_secrets.values()) == 20  # guards against an empty or unreadable vault
    for host, secrets in host_secrets.items():
        for field, value in secrets.items():
            assert pdf.grouped(value).search(centre_text), f"{host}.{field} missing or altered"


def test_logins_accounts_and_devices_are_listed(centre_text, centre_flat, loaded) -> None:
    for text in (
        "plateau.salle.a@gmail.com",
        "plateau.salle.b@icloud.com",
        "Examen-Salle-A",
        "Examen-Salle-B",
        "ipp://192.168.10.30/ipp/print",
        "http://192.168.10.30:8080/eSCL",
        "http://192.168.20.31/eSCL",
        "HP Color LaserJet Pro",
        "Epson WorkForce Pro",
        "http://192.168.20.40:5000",
        "seuil filament : 150 g",
        "BBC micro:bit",
        "Robot Bee-Bot",
        "Écran",
        "Vidéoprojecteur",
    ):
        assert text in centre_flat, text
    for device in loaded.inventory.of_family("windows", "linux", "macos"):
        assert device.display() in centre_text
    assert centre_text.count(" jury ") >= 5  # admin login of the five computers


def test_header_footer_and_confidentiality(centre_text, centre_flat) -> None:
    assert "Centre exemple — Médiathèque des Tilleuls" in centre_flat
    assert "3 décembre 2026" in centre_flat
    assert "Titre professionnel Médiateur numérique (2025)" in centre_flat
    assert "Jury A — Salle A — jury A (rez-de-chaussée)" in centre_flat
    assert "Document confidentiel — ne pas diffuser, à détruire à l'issue de la session" in centre_text
    pages = centre_text.count("\f") + (0 if centre_text.endswith("\f") else 1)
    assert f"page 1 / {pages}" in centre_text and f"page {pages} / {pages}" in centre_text
    assert "NON PRÊT" not in centre_text


@pytest.mark.parametrize(
    ("jury", "room", "other"), [("jury-a", "salle_a", "salle_b"), ("jury-b", "salle_b", "salle_a")]
)
def test_a_jury_recap_holds_no_secret_of_another_room(loaded, host_secrets, pdf, jury, room, other) -> None:
    text = pdf.text(recap_pdf(build_recap(loaded, jury, _ready(loaded), now=NOW)).data)
    compact = "".join(text.split())
    for host, secrets in host_secrets.items():
        for value in secrets.values():
            if host.startswith(ROOM_HOSTS_PREFIX[room]):
                assert pdf.grouped(value).search(text), host
            else:
                assert "".join(value.split()) not in compact, f"secret of {host} in the {jury} recap"
    other_ssid = "Examen-Salle-B" if other == "salle_b" else "Examen-Salle-A"
    assert other_ssid not in text
    assert f"plateau.{other.replace('_', '.')}@gmail.com" not in text


def test_candidates_with_order_time_and_software_status(loaded, pdf) -> None:
    ok = Verdict(
        device="a-pc-win-01",
        check="software",
        status=Status.OK,
        key="check.software.ok",
        params={"title_id": "libreoffice"},
        room="salle_a",
        measured_at=NOW,
    )
    recap = build_recap(loaded, "jury-a", _ready(loaded, ok), now=NOW)
    camille = recap.juries[0].candidates[0]
    assert (camille.order, camille.time, camille.name) == (1, "09:00", "Camille M.")
    statuses = {s.name: s.status for s in camille.software}
    assert statuses["LibreOffice"] is Status.OK and statuses["VLC media player"] is Status.UNKNOWN
    text = pdf.text(recap_pdf(recap).data)
    assert "Camille M." in text and "10:15" in text and "Samir B." in text
    assert "Louise D." not in text  # jury B's candidate
    assert "lecteur d'écran" in text


def test_fonts_are_embedded_and_monospace_for_secrets(loaded, tmp_path) -> None:
    path = tmp_path / "r.pdf"
    path.write_bytes(recap_pdf(build_recap(loaded, "jury-a", now=NOW)).data)
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    rows = fonts.splitlines()[2:]
    assert any("DejaVuSansMono" in r.replace("-", "") for r in rows)
    assert rows and all(r.split()[-5] == "yes" for r in rows), fonts  # the "emb" column


def test_secrets_do_not_show_in_reprs(loaded, host_secrets) -> None:
    recap = build_recap(loaded, None, now=NOW)
    dumped = repr(recap)
    for secrets in host_secrets.values():
        for value in secrets.values():
            assert value not in dumped
    assert "Secret('********')" in dumped


def test_inventory_text_is_printed_never_run(loaded, pdf) -> None:
    """The data reaches Typst as one JSON string, never as markup: text that would read a file,
    load an image from the network or set bold type prints exactly as typed."""
    import dataclasses

    hostile = ('#read("/etc/passwd") *gras* $x$ <l>', '#image("http://127.0.0.1:9/x.png") @ref')
    recap = dataclasses.replace(build_recap(loaded, "jury-a", now=NOW), centre=hostile[0], referentiel=hostile[1])
    text = " ".join(pdf.text(recap_pdf(recap).data).split())
    assert all(value in text for value in hostile) and "root:" not in text


def test_templates_read_nothing_outside_their_folder(tmp_path) -> None:
    """Typst reads only under the root render.py gives it (the templates' folder); it cannot
    fetch a URL, and the templates import no package (which Typst would download)."""
    import typst

    from provision.recap.render import TEMPLATES

    source = tmp_path / "t.typ"
    source.write_text('#read("/etc/hostname")', encoding="utf-8")
    with pytest.raises(typst.TypstError, match="not found") as refused:  # an absolute path is under the root
        typst.compile(str(source), root=str(tmp_path))
    assert str(tmp_path / "etc" / "hostname") in str(refused.value)
    for template in TEMPLATES.glob("*.typ"):
        assert "@preview" not in template.read_text("utf-8") and "http" not in template.read_text("utf-8")
