"""HTTPS for the dashboard on the centre's network: a self-signed certificate plateau makes itself.

The key (0600) and the certificate live in the inventory's ``.plateau/`` folder. The certificate
names the address(es) the dashboard is served on (for 0.0.0.0 or ::, this machine's own
addresses) and is reused from one run to the next while it is valid and names the same
addresses, so the exception a phone's browser accepted once stays valid. Otherwise a new pair
is made. The technician compares the SHA-256 fingerprint printed in the terminal with the one
the phone's warning page shows, and opens the address by scanning the QR code printed next to it.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import os
import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from provision.paths import state_dir

KEY_FILE = "dashboard-key.pem"
CERT_FILE = "dashboard-cert.pem"
#: a new certificate is valid this long (the exception a phone accepted lasts as long)
VALID_DAYS = 365
#: a certificate that expires within this margin is replaced before the session, not during it
RENEW_BEFORE = dt.timedelta(days=2)
WILDCARDS = {"0.0.0.0", "::", ""}

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True, slots=True)
class Certificate:
    cert_file: Path
    key_file: Path
    fingerprint: str  # SHA-256 of the DER, upper-case hex pairs separated by spaces
    addresses: tuple[str, ...]  # the IP addresses it names, as given
    not_after: dt.datetime
    reused: bool


def served_addresses(host: str) -> list[str]:
    """The addresses a browser can reach when the dashboard listens on ``host``: the host itself,
    or, for 0.0.0.0 / ::, this machine's addresses (IPv4 for 0.0.0.0, both families for ::)."""
    host = host.strip("[]")
    if host == "localhost":
        return ["127.0.0.1", "::1"]
    if host not in WILDCARDS:
        return [str(ipaddress.ip_address(host))]
    families = (4,) if host == "0.0.0.0" else (4, 6)
    found = [a for a in _machine_addresses() if a.version in families]
    found += [a for a in (ipaddress.ip_address("127.0.0.1"), ipaddress.ip_address("::1")) if a.version in families]
    # non-loopback first: the first one is the address shown to the phone
    ordered = sorted(set(found), key=lambda a: (a.is_loopback, a.version, int(a)))
    return [str(a) for a in ordered]


def _machine_addresses() -> list[Address]:
    """This machine's unicast addresses (iproute2's JSON; link-local ones need a zone, left out)."""
    found: list[Address] = []
    try:
        listing = subprocess.run(["ip", "-j", "address", "show"], capture_output=True, text=True, timeout=10,
                                 check=True).stdout  # fmt: skip
        links = json.loads(listing)
    except (OSError, subprocess.SubprocessError, ValueError):
        links = []
    for link in links:
        for info in link.get("addr_info", []):
            try:
                address = ipaddress.ip_address(info.get("local", ""))
            except ValueError:
                continue
            if not (address.is_link_local or address.is_multicast or address.is_unspecified):
                found.append(address)
    if not found:  # no iproute2: what the host name resolves to
        try:
            for *_, sockaddr in socket.getaddrinfo(socket.gethostname(), None):
                found.append(ipaddress.ip_address(str(sockaddr[0]).split("%")[0]))
        except (OSError, ValueError):
            pass
    return found


def ensure_certificate(inventory_root: Path, addresses: list[str], *, centre: str = "",
                       now: dt.datetime | None = None) -> Certificate:  # fmt: skip
    """The certificate and key for these addresses: the ones kept from a previous run when they
    still fit, a new pair otherwise."""
    folder = state_dir(inventory_root)
    cert_file, key_file = folder / CERT_FILE, folder / KEY_FILE
    now = now or dt.datetime.now(dt.UTC)
    wanted = {ipaddress.ip_address(a) for a in addresses}
    kept = _reusable(cert_file, key_file, wanted, now)
    if kept is not None:
        return Certificate(cert_file, key_file, kept[0], tuple(addresses), kept[1], reused=True)
    cert = _generate(cert_file, key_file, wanted, centre, now)
    return Certificate(cert_file, key_file, fingerprint_of(cert), tuple(addresses), cert.not_valid_after_utc,
                       reused=False)  # fmt: skip


def _reusable(cert_file: Path, key_file: Path, wanted: set[Address],
              now: dt.datetime) -> tuple[str, dt.datetime] | None:  # fmt: skip
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    try:
        cert = x509.load_pem_x509_certificate(cert_file.read_bytes())
        key = serialization.load_pem_private_key(key_file.read_bytes(), password=None)
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except (OSError, ValueError, x509.ExtensionNotFound):
        return None
    if key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo) != (
        cert.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    ):
        return None
    if not cert.not_valid_before_utc <= now < cert.not_valid_after_utc - RENEW_BEFORE:
        return None
    if set(san.get_values_for_type(x509.IPAddress)) != wanted:
        return None
    os.chmod(key_file, 0o600)  # a key copied in by hand with wider rights
    return fingerprint_of(cert), cert.not_valid_after_utc


def _generate(cert_file: Path, key_file: Path, wanted: set[Address], centre: str, now: dt.datetime):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    private = ec.generate_private_key(ec.SECP256R1())  # ECDSA P-256: every phone browser takes it
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"plateau {centre}".strip()[:64])])
    ordered = sorted(wanted, key=lambda a: (a.is_loopback, a.version, int(a)))
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(private.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=VALID_DAYS))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(a) for a in ordered]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(private, hashes.SHA256())
    )  # fmt: skip
    key_pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption())  # fmt: skip
    _write(key_file, key_pem, 0o600)
    _write(cert_file, cert.public_bytes(serialization.Encoding.PEM), 0o644)
    return cert


def _write(path: Path, data: bytes, mode: int) -> None:
    """Atomically, created with its final rights (the key is never readable by others, even briefly)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        os.fchmod(fd, mode)
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)


def fingerprint_of(cert) -> str:
    from cryptography.hazmat.primitives import hashes

    return " ".join(f"{b:02X}" for b in cert.fingerprint(hashes.SHA256()))


def fingerprint_lines(fingerprint: str, per_line: int = 16) -> list[str]:
    """The fingerprint in two lines of 16 pairs, as phones' certificate viewers group it."""
    pairs = fingerprint.split()
    return [" ".join(pairs[i : i + per_line]) for i in range(0, len(pairs), per_line)]


# --- the address as a QR code, in the terminal ---------------------------------------------
QR_BORDER = 4  # the quiet zone the QR standard asks for: scanners find the code on a dark terminal too
_BLACK_FG, _WHITE_FG, _BLACK_BG, _WHITE_BG = 30, 97, 40, 107


def qr_lines(url: str) -> list[str]:
    """``url`` as a QR code drawn with half blocks: each character is two modules, the upper one
    in the foreground colour, the lower one in the background colour. Explicit black and white,
    so it scans on a dark terminal as well as on a light one."""
    import segno

    rows = [list(row) for row in segno.make_qr(url).matrix_iter(scale=1, border=QR_BORDER)]
    if len(rows) % 2:
        rows.append([0] * len(rows[0]))
    lines = []
    for top, bottom in zip(rows[0::2], rows[1::2], strict=True):
        line, colours = [], None
        for up, down in zip(top, bottom, strict=True):
            wanted = (_BLACK_FG if up else _WHITE_FG, _BLACK_BG if down else _WHITE_BG)
            if wanted != colours:  # an escape only where the colours change
                line.append(f"\033[{wanted[0]};{wanted[1]}m")
                colours = wanted
            line.append("▀")
        lines.append("".join(line) + "\033[0m")
    return lines


def write_qr(url: str, out: IO[str]) -> None:
    """On the terminal only: the URL carries the token, it never goes to a log."""
    out.write("\n".join(qr_lines(url)) + "\n")
    out.flush()
