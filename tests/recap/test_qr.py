"""Wi-Fi QR payloads: escaping per the ZXing WIFI: format, and decoded back from the rendered PDF."""

from __future__ import annotations

import datetime as dt

import pytest

from provision.recap import qr
from provision.recap.data import DeviceRow, Poster, Secret, Wifi
from provision.recap.render import poster_pdf


@pytest.mark.parametrize(
    ("ssid", "key", "security", "expected"),
    [
        ("Examen", "motdepasse", "wpa2-psk", "WIFI:T:WPA;S:Examen;P:motdepasse;;"),
        ("Salle;A", 'k;e:y,\\"x', "wpa3-sae", 'WIFI:T:WPA;S:Salle\\;A;P:k\\;e\\:y\\,\\\\\\"x;;'),
        ("Libre accès", None, "open", "WIFI:T:nopass;S:Libre accès;;"),
        ("Ouvert", "ignored", "open", "WIFI:T:nopass;S:Ouvert;;"),  # an open network has no key
        ("Café:Wi-Fi", "avec espace ", "wpa2-wpa3", "WIFI:T:WPA;S:Café\\:Wi-Fi;P:avec espace ;;"),
    ],
    ids=["plain", "every-special-char", "open-network", "open-ignores-key", "spaces-and-accents"],
)
def test_payload_escapes_reserved_characters(ssid, key, security, expected) -> None:
    assert qr.wifi_payload(ssid, key, security) == expected


def test_png_is_one_pixel_per_module() -> None:
    from io import BytesIO

    import segno
    from PIL import Image

    payload = qr.wifi_payload("a", "12345678")
    image = Image.open(BytesIO(qr.png_bytes(payload)))
    side = len(list(segno.make_qr(payload, error="m", encoding="utf-8", boost_error=False).matrix_iter(border=4)))
    assert image.size == (side, side)


TRICKY = [
    ("Salle;B,1:x\\y", 'Cle;avec:tout,\\ok"!', "wpa2-psk"),
    ('Réseau "examen"', "Salle-A;Wifi:2026", "wpa2-wpa3"),
    ("Plateau,ouvert", None, "open"),
]


def test_poster_qr_decodes_to_the_exact_wifi_string(pdf) -> None:
    """Rendered → PNG at 150 dpi → zbarimg: exactly what a phone camera reads."""
    ap = DeviceRow("ap", "ap", "Borne Wi-Fi")
    poster = Poster(
        "Centre",
        dt.date(2026, 12, 3),
        tuple(Wifi("Salle", ssid, sec, Secret(key) if key else None, ap) for ssid, key, sec in TRICKY),
    )
    rendered = poster_pdf(poster)
    assert rendered.pages == len(TRICKY)
    for page, (ssid, key, security) in enumerate(TRICKY, start=1):
        assert pdf.qr(rendered.data, page) == [qr.wifi_payload(ssid, key, security)]
    text = pdf.text(rendered.data)
    assert "Salle;B,1:x\\y" in text and 'Réseau "examen"' in text
    assert pdf.grouped('Cle;avec:tout,\\ok"!').search(text)


def test_recap_qr_of_the_example_rooms(loaded, pdf, host_secrets) -> None:
    """The example's keys hold ; : , and \\ on purpose; the small QR of the recap still decodes."""
    from provision.recap.data import build_recap
    from provision.recap.render import recap_pdf

    for jury, ap, ssid in (("jury-a", "a-ap-01", "Examen-Salle-A"), ("jury-b", "b-ap-01", "Examen-Salle-B")):
        key = host_secrets[ap]["wifi_key"]
        assert any(ch in key for ch in ";:,\\")
        rendered = recap_pdf(build_recap(loaded, jury))
        assert pdf.qr(rendered.data, 1) == [qr.wifi_payload(ssid, key)]


def test_recap_qr_is_the_exact_matrix_never_interpolated(loaded, host_secrets, tmp_path) -> None:
    """The PDF carries the QR as an image of one pixel per module, with /Interpolate false:
    pixel for pixel segno's matrix (quiet zone included), printed as sharp squares."""
    import shutil
    import subprocess

    import segno
    from PIL import Image

    from provision.recap.data import build_recap
    from provision.recap.render import recap_pdf

    pdfimages = shutil.which("pdfimages")
    if pdfimages is None:
        pytest.skip("pdfimages not installed (apt-get install poppler-utils)")
    path = tmp_path / "recap.pdf"
    path.write_bytes(recap_pdf(build_recap(loaded, "jury-a")).data)
    listing = subprocess.run([pdfimages, "-list", path], capture_output=True, text=True, check=True).stdout
    [row] = [line.split() for line in listing.splitlines()[2:] if line.split()[0] == "1"]
    assert row[9] == "no"  # the "interp" column: not interpolated
    subprocess.run([pdfimages, "-png", "-f", "1", "-l", "1", path, tmp_path / "img"], check=True)
    [png] = sorted(tmp_path.glob("img-*.png"))
    image = Image.open(png).convert("L")
    code = segno.make_qr(qr.wifi_payload("Examen-Salle-A", host_secrets["a-ap-01"]["wifi_key"]), error="m",
                         encoding="utf-8", boost_error=False)  # fmt: skip
    matrix = [[bool(v) for v in row] for row in code.matrix_iter(scale=1, border=4)]
    assert image.size == (len(matrix), len(matrix))
    assert [[image.getpixel((x, y)) < 128 for x in range(image.width)] for y in range(image.height)] == matrix
