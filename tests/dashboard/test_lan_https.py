"""LAN mode over HTTPS: the real ``plateau dashboard`` process on 127.0.0.1 with ``--https``.

A TLS client that trusts only the certificate plateau generated connects (so the name, the
chain and the key are right); the fingerprint printed for the technician is the certificate's,
the certificate names the address served, the key is 0600, the token is still required, the QR
code printed is segno's encoding of the printed address, and a second start keeps the same
certificate (a phone's accepted exception stays valid). Plus the reuse rules on their own.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import http.client
import ipaddress
import re
import ssl
import stat
from pathlib import Path

import pytest
import segno
from cryptography import x509

from provision.dashboard.tls import CERT_FILE, KEY_FILE, QR_BORDER, ensure_certificate, served_addresses

TOKEN = "jeton-de-test-assez-long-2026"
ANSI_CELL = re.compile(r"\x1b\[(\d+);(\d+)m|▀|\x1b\[0m")


def printed_fingerprint(output: str) -> str:
    """The two lines of 16 hex pairs under the fingerprint message."""
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if "Empreinte SHA-256" in line)
    pairs = " ".join(lines[start + 1 : start + 3]).split()
    assert len(pairs) == 32 and all(re.fullmatch(r"[0-9A-F]{2}", p) for p in pairs), lines[start : start + 3]
    return "".join(pairs).lower()


def printed_url(output: str) -> str:
    found = re.findall(r"https://\S+", output)
    assert found, output
    return found[0]


def printed_qr(output: str) -> list[list[int]]:
    """Decode the half-block QR code back into modules (1 = dark): upper half = foreground colour,
    lower half = background colour, an escape only where they change."""
    rows: list[list[int]] = []
    for line in output.splitlines():
        if "▀" not in line:
            continue
        top: list[int] = []
        bottom: list[int] = []
        fg = bg = None
        for match in ANSI_CELL.finditer(line):
            if match.group(1):
                fg, bg = int(match.group(1)), int(match.group(2))
            elif match.group(0) == "▀":
                assert fg in (30, 97) and bg in (40, 107), line
                top.append(int(fg == 30))
                bottom.append(int(bg == 40))
        rows += [top, bottom]
    return rows


def https_get(port: int, cafile: Path, path: str, headers: dict[str, str] | None = None):
    context = ssl.create_default_context(cafile=str(cafile))  # trusts this certificate and no other
    connection = http.client.HTTPSConnection("127.0.0.1", port, context=context, timeout=30)
    try:
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        body = response.read()
        peer = connection.sock.getpeercert(binary_form=True)
        return response, body, peer
    finally:
        connection.close()


@pytest.mark.slow  # two starts of the real command (~3 s each on this machine)
def test_https_on_loopback_fingerprint_san_key_token_qr_and_reuse(demo: Path, dashboard_process, tmp_path) -> None:
    first = dashboard_process(demo, "--https", "--token", TOKEN, "--sans-verification")
    cert_file, key_file = demo / ".plateau" / CERT_FILE, demo / ".plateau" / KEY_FILE
    cert_pem = cert_file.read_bytes()
    der = ssl.PEM_cert_to_DER_cert(cert_pem.decode())

    # the TLS handshake succeeds against a client that trusts only this certificate, for this address
    response, _, peer = https_get(first.port, cert_file, "/api/etat", {"Authorization": f"Bearer {TOKEN}"})
    assert response.status == 200
    assert peer == der
    output = first.output
    assert printed_fingerprint(output) == hashlib.sha256(der).hexdigest()
    assert "nouveau certificat" in output

    cert = x509.load_pem_x509_certificate(cert_pem)
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.IPAddress) == [ipaddress.ip_address("127.0.0.1")]
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600

    # the token is still enforced over HTTPS; a first visit with it sets a Secure cookie
    refused, _, _ = https_get(first.port, cert_file, "/api/etat")
    assert refused.status == 401
    url = printed_url(output)
    assert url == f"https://127.0.0.1:{first.port}/?token={TOKEN}"
    visit, _, _ = https_get(first.port, cert_file, f"/?token={TOKEN}")
    assert visit.status == 303 and "Secure" in visit.getheader("set-cookie", "")
    # plain HTTP on the same port gets no page
    plain = http.client.HTTPConnection("127.0.0.1", first.port, timeout=30)
    with pytest.raises((http.client.HTTPException, ConnectionError)):
        plain.request("GET", "/api/etat", headers={"Authorization": f"Bearer {TOKEN}"})
        plain.getresponse().read()
    plain.close()

    # the QR code is segno's encoding of the printed address, with a light quiet zone around it
    modules = printed_qr(output)
    expected = [list(row) for row in segno.make_qr(url).matrix]
    size, border = len(expected), QR_BORDER
    assert len(modules[0]) == size + 2 * border
    assert [row[border : border + size] for row in modules[border : border + size]] == expected
    assert not any(modules[r][c] for r in range(size + 2 * border) for c in range(len(modules[0]))
                   if not (border <= r < border + size and border <= c < border + size))  # fmt: skip

    assert first.interrupt() in (0, 130)
    log = tmp_path / "state-home" / "plateau" / "plateau.log"
    assert not log.exists() or TOKEN not in log.read_text("utf-8", "replace")

    # a second start keeps the certificate: same file, same fingerprint, said so
    second = dashboard_process(demo, "--https", "--token", TOKEN, "--sans-verification")
    assert cert_file.read_bytes() == cert_pem
    _, _, peer_again = https_get(second.port, cert_file, "/api/etat", {"Authorization": f"Bearer {TOKEN}"})
    assert peer_again == der
    assert printed_fingerprint(second.output) == hashlib.sha256(der).hexdigest()
    assert "certificat repris" in second.output
    assert second.interrupt() in (0, 130)
    assert "Traceback" not in second.stderr


def test_certificate_reused_only_while_valid_and_naming_the_same_addresses(tmp_path: Path) -> None:
    one = ensure_certificate(tmp_path, ["127.0.0.1"])
    assert not one.reused
    again = ensure_certificate(tmp_path, ["127.0.0.1"])
    assert again.reused and again.fingerprint == one.fingerprint
    other = ensure_certificate(tmp_path, ["127.0.0.1", "::1"])  # another address: a new certificate
    assert not other.reused and other.fingerprint != one.fingerprint
    cert = x509.load_pem_x509_certificate(other.cert_file.read_bytes())
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert set(names.get_values_for_type(x509.IPAddress)) == {ipaddress.ip_address(a) for a in ("127.0.0.1", "::1")}
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=364)  # about to expire: replaced before the session
    renewed = ensure_certificate(tmp_path, ["127.0.0.1", "::1"], now=later)
    assert not renewed.reused and renewed.fingerprint != other.fingerprint
    (tmp_path / ".plateau" / KEY_FILE).write_bytes(b"not a key")  # a damaged key: a new pair
    assert not ensure_certificate(tmp_path, ["127.0.0.1", "::1"]).reused
    assert stat.S_IMODE((tmp_path / ".plateau" / KEY_FILE).stat().st_mode) == 0o600


def test_wildcard_addresses_are_this_machines_own() -> None:
    v4 = [ipaddress.ip_address(a) for a in served_addresses("0.0.0.0")]
    assert v4 and all(a.version == 4 and not a.is_unspecified for a in v4)
    assert ipaddress.ip_address("127.0.0.1") in v4
    assert v4[-1].is_loopback  # a reachable address first: the one shown to the phone
    both = {ipaddress.ip_address(a).version for a in served_addresses("::")}
    assert both == {4, 6}
    assert served_addresses("127.0.0.1") == ["127.0.0.1"]
    assert served_addresses("[::1]") == ["::1"]
