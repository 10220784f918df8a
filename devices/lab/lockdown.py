"""What the simulated iPad's lockdownd needs besides the server: a pair record and plist framing.

The pair record is what usbmuxd stores in ``/var/lib/lockdown/<UDID>.plist``; its certificates
are real throwaway X.509 (``cryptography``), generated once per process. Framing: lockdownd and
its services send a 4-byte big-endian length, then an XML plist.
"""

from __future__ import annotations

import datetime
import functools
import os
import plistlib
import socket
import struct
from typing import Any

# ---------------------------------------------------------------- pair record (throwaway PKI)


@functools.cache
def pki() -> dict[str, Any]:
    """Root CA, host and device keys/certificates, as ``lockdownd_pair`` would create them."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    def pem_key(key: rsa.RSAPrivateKey) -> bytes:
        return key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
        )

    def cert(subject_key: rsa.RSAPrivateKey, issuer_key: rsa.RSAPrivateKey, ca: bool) -> bytes:
        now = datetime.datetime.now(datetime.UTC)
        name = x509.Name([])  # libimobiledevice's certificates have empty names too
        built = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(subject_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
            .sign(issuer_key, hashes.SHA256())
        )
        return built.public_bytes(serialization.Encoding.PEM)

    root, host, device = (rsa.generate_private_key(public_exponent=65537, key_size=2048) for _ in range(3))
    # lockdownd hands out DevicePublicKey as a PKCS#1 "RSA PUBLIC KEY" PEM
    device_public = device.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.PKCS1)
    return {
        "root_cert": cert(root, root, True),
        "root_key": pem_key(root),
        "host_cert": cert(host, root, False),
        "host_key": pem_key(host),
        "device_cert": cert(device, root, False),
        "device_public": device_public,
    }


def make_pair_record(host_id: str, system_buid: str) -> dict[str, Any]:
    keys = pki()
    return {
        "DeviceCertificate": keys["device_cert"],
        "EscrowBag": os.urandom(32),
        "HostCertificate": keys["host_cert"],
        "HostID": host_id,
        "HostPrivateKey": keys["host_key"],
        "RootCertificate": keys["root_cert"],
        "RootPrivateKey": keys["root_key"],
        "SystemBUID": system_buid,
        "WiFiMACAddress": "8c:86:1e:4b:2a:0f",
    }


# ---------------------------------------------------------------- framing


def recv_exact(sock: socket.socket, size: int) -> bytes | None:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def recv_plist(sock: socket.socket) -> dict[str, Any] | None:
    """One 4-byte big-endian length + plist message (lockdownd and services)."""
    head = recv_exact(sock, 4)
    if head is None:
        return None
    body = recv_exact(sock, struct.unpack(">I", head)[0])
    return None if body is None else plistlib.loads(body)


def send_plist(sock: socket.socket, message: dict[str, Any]) -> None:
    body = plistlib.dumps(message, fmt=plistlib.FMT_XML)
    sock.sendall(struct.pack(">I", len(body)) + body)
