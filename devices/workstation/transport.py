"""Does the management service Ansible uses answer with its own protocol?

An ``SSH-2.0`` banner on SSH, an HTTP answer on WinRM 5985 (``POST /wsman``), a TLS
handshake on WinRM 5986. An open port alone proves nothing (a firewall or a proxy may
accept it).
"""

from __future__ import annotations

import socket
import ssl

from devices.errors import BadAnswer, Unreachable


def management_handshake(address: str, port: int, connection: str, *, timeout_s: float) -> str:
    """Talk to ``address:port`` as Ansible would; return what answered: ``ssh``, ``winrm`` or
    ``winrm-tls``. Raise :class:`Unreachable` or :class:`BadAnswer`."""
    try:
        with socket.create_connection((address, port), timeout=timeout_s) as sock:
            sock.settimeout(timeout_s)
            if connection == "ssh":
                if not sock.recv(256).startswith(b"SSH-"):
                    raise BadAnswer(f"port {port}: no SSH banner")
                return "ssh"
            if port == 5985:
                sock.sendall(b"POST /wsman HTTP/1.1\r\nHost: plateau\r\nContent-Length: 0\r\n\r\n")
                if not sock.recv(64).startswith(b"HTTP/1."):
                    raise BadAnswer(f"port {port}: no HTTP answer from WinRM")
                return "winrm"
            tls = ssl.create_default_context()
            tls.check_hostname = False
            tls.verify_mode = ssl.CERT_NONE  # self-signed WinRM certificates are the norm
            with tls.wrap_socket(sock, server_hostname=address):
                return "winrm-tls"
    except BadAnswer:
        raise
    except (ssl.SSLError, OSError) as exc:
        raise Unreachable(f"{address}:{port}: {getattr(exc, 'strerror', None) or exc}") from exc
