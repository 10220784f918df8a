"""A Windows PC's WS-Management service on loopback (:class:`WinRMLab`, the SOAP pywinrm speaks);
split from devices/lab/workstation.py, which re-exports it."""

from __future__ import annotations

import base64
import hmac
import tempfile
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

from devices.lab.base import FAULTS, HEALTHY, HOST
from devices.lab.web import LabHttpServer, Reply, Request
from devices.lab.windows_cmd import DEFAULT_MACHINE, answer

_SOAP_NS = {"s": "http://www.w3.org/2003/05/soap-envelope", "a": "http://schemas.xmlsoap.org/ws/2004/08/addressing",
            "w": "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd",
            "rsp": "http://schemas.microsoft.com/wbem/wsman/1/windows/shell"}  # fmt: skip
_ACTIONS = {
    "http://schemas.xmlsoap.org/ws/2004/09/transfer/Create": "create",
    "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Command": "command",
    "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Receive": "receive",
    "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Signal": "signal",
    "http://schemas.xmlsoap.org/ws/2004/09/transfer/Delete": "delete",
}


def _self_signed(cert: Path, key: Path, host: str) -> None:
    """A throwaway self-signed certificate, as a WinRM HTTPS listener usually has."""
    import datetime as dt
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    private = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "WIN-PLATEAU-LAB")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(private.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(host))]), critical=False)
        .sign(private, hashes.SHA256())
    )  # fmt: skip
    cert.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key.write_bytes(private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))  # fmt: skip


def _envelope(action: str, relates_to: str, body: str, extra_header: str = "") -> bytes:
    return (
        '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" '
        'xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" '
        'xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd" '
        'xmlns:rsp="http://schemas.microsoft.com/wbem/wsman/1/windows/shell" '
        'xmlns:x="http://schemas.xmlsoap.org/ws/2004/09/transfer">'
        f"<s:Header><a:Action>{action}</a:Action><a:MessageID>uuid:{uuid.uuid4()}</a:MessageID>"
        f"<a:To>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:To>"
        f"<a:RelatesTo>{relates_to}</a:RelatesTo>{extra_header}</s:Header><s:Body>{body}</s:Body></s:Envelope>"
    ).encode()


class WinRMLab(LabHttpServer):
    """A Windows PC's WS-Management service on loopback, speaking the SOAP envelopes pywinrm sends:
    Create (a cmd shell), Command (``powershell.exe -EncodedCommand ...``), Receive (stdout and
    stderr as base64 streams, then CommandState Done with the exit code), Signal (terminate),
    Delete; HTTP Basic authentication of one local account (401 with ``WWW-Authenticate: Basic``
    otherwise), as a WinRM service with Basic enabled answers.

    The command is not run: devices/lab/windows_cmd.py decodes the EncodedCommand (UTF-16LE),
    checks it is plateau's script (kept in ``scripts`` for tests) and answers its JSON from
    ``machine`` (:meth:`set`):

        uninstall   [(view "64" | "32" | "user", DisplayName, DisplayVersion)]
        appx        [(Name, Version, Architecture)]
        free_bytes / used_bytes   the system drive
        internet    "up" (200 for every target) | "down" (no answer)
    """

    api_name = "winrm"
    auth_status = 401
    modes: ClassVar[tuple[str, ...]] = (HEALTHY, *FAULTS)

    def __init__(self, *, user: str = "jury", password: str = "Jury-Lab-2026", host: str = HOST, port: int = 0,
                 tls: bool = True, mode: str = HEALTHY, slow_s: float = 30.0) -> None:  # fmt: skip
        """``tls``: HTTPS with a self-signed certificate, as WinRM listens on 5986 (False: plain HTTP,
        which plateau only speaks to loopback)."""
        super().__init__(port, mode=mode, slow_s=slow_s, host=host)
        self.tls = tls
        self.user = user
        self._password = password
        self.machine: dict[str, Any] = dict(DEFAULT_MACHINE)
        self.scripts: list[str] = []  # the PowerShell scripts received, decoded
        self._shells: dict[str, list[str]] = {}  # shell id -> command ids
        self._outputs: dict[str, tuple[bytes, bytes, int]] = {}

    def set(self, **changes: Any) -> WinRMLab:
        for key, value in changes.items():
            if key not in self.machine:
                raise AttributeError(f"WinRMLab has no setting {key!r}")
            self.machine[key] = value
        return self

    def set_password(self, password: str) -> None:
        self._password = password

    def host_vars(self) -> dict[str, Any]:
        return {"ansible_host": self.host, "ansible_port": self.port, "ansible_connection": "winrm",
                "admin_user": self.user}  # fmt: skip

    def _open(self) -> None:
        super()._open()
        if self.tls:
            import ssl

            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            with tempfile.TemporaryDirectory(prefix="plateau-winrm-") as folder:
                cert, key = Path(folder) / "cert.pem", Path(folder) / "key.pem"
                _self_signed(cert, key, self.host)
                context.load_cert_chain(cert, key)
            server = self._servers[-1][0]
            server.socket = context.wrap_socket(server.socket, server_side=True)

    # ------------------------------------------------------------------ HTTP
    def authorized(self, request: Request) -> bool:
        header = request.headers.get("Authorization") or ""
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            user, _, password = base64.b64decode(value).decode("utf-8").partition(":")
        except (ValueError, UnicodeDecodeError):
            return False
        return hmac.compare_digest(user.encode(), self.user.encode()) and hmac.compare_digest(
            password.encode(), self._password.encode()
        )

    def challenge(self) -> dict[str, str]:
        return {"WWW-Authenticate": 'Basic realm="WSMAN"'}

    def respond(self, request: Request) -> Reply:
        if request.path != "/wsman" or request.method != "POST":
            return Reply(404)
        import defusedxml.ElementTree as SafeET

        try:
            root = SafeET.fromstring(request.body)
        except Exception:  # a malformed envelope is the client's fault: a SOAP fault  # noqa: BLE001
            return self._fault("", "the envelope is not XML")
        action = (root.findtext("s:Header/a:Action", namespaces=_SOAP_NS) or "").strip()
        message_id = (root.findtext("s:Header/a:MessageID", namespaces=_SOAP_NS) or "").strip()
        shell_id = next((s.text or "" for s in root.iterfind("s:Header/w:SelectorSet/w:Selector", _SOAP_NS)
                         if s.get("Name") == "ShellId"), "")  # fmt: skip
        kind = _ACTIONS.get(action)
        if kind == "create":
            new = str(uuid.uuid4()).upper()
            self._shells[new] = []
            body = ('<x:ResourceCreated><a:Address>http://windows-host/wsman</a:Address><a:ReferenceParameters>'
                    '<w:ResourceURI>http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd</w:ResourceURI>'
                    f'<w:SelectorSet><w:Selector Name="ShellId">{new}</w:Selector></w:SelectorSet>'
                    f'</a:ReferenceParameters></x:ResourceCreated><rsp:Shell><rsp:ShellId>{new}</rsp:ShellId></rsp:Shell>')  # fmt: skip
            return self._ok(action + "Response", message_id, body)
        if shell_id not in self._shells:
            return self._fault(message_id, "unknown shell")
        if kind == "command":
            command = root.findtext("s:Body/rsp:CommandLine/rsp:Command", namespaces=_SOAP_NS) or ""
            arguments = (root.findtext("s:Body/rsp:CommandLine/rsp:Arguments", namespaces=_SOAP_NS) or "").split()
            command_id = str(uuid.uuid4()).upper()
            self._shells[shell_id].append(command_id)
            self._outputs[command_id] = self._run(command, arguments)
            return self._ok(
                action + "Response",
                message_id,
                f"<rsp:CommandResponse><rsp:CommandId>{command_id}</rsp:CommandId></rsp:CommandResponse>",
            )
        if kind == "receive":
            stream = root.find("s:Body/rsp:Receive/rsp:DesiredStream", _SOAP_NS)
            command_id = stream.get("CommandId", "") if stream is not None else ""
            if command_id not in self._outputs:
                return self._fault(message_id, "unknown command")
            out, err, code = self._outputs.pop(command_id)
            streams = "".join(f'<rsp:Stream Name="{name}" CommandId="{command_id}">{base64.b64encode(data).decode()}'
                              f"</rsp:Stream>" for name, data in (("stdout", out), ("stderr", err)) if data)  # fmt: skip
            streams += "".join(f'<rsp:Stream Name="{n}" CommandId="{command_id}" End="true"></rsp:Stream>'
                               for n in ("stdout", "stderr"))  # fmt: skip
            done = (f'<rsp:CommandState CommandId="{command_id}" State="http://schemas.microsoft.com/wbem/wsman/1/'
                    f'windows/shell/CommandState/Done"><rsp:ExitCode>{code}</rsp:ExitCode></rsp:CommandState>')  # fmt: skip
            return self._ok(
                action + "Response", message_id, f"<rsp:ReceiveResponse>{streams}{done}</rsp:ReceiveResponse>"
            )
        if kind == "signal":
            return self._ok(action + "Response", message_id, "<rsp:SignalResponse/>")
        if kind == "delete":
            for command_id in self._shells.pop(shell_id, []):
                self._outputs.pop(command_id, None)
            return self._ok(action + "Response", message_id, "")
        return self._fault(message_id, f"unsupported action {action}")

    def _ok(self, action: str, message_id: str, body: str) -> Reply:
        return Reply(200, _envelope(action, message_id, body), "application/soap+xml;charset=UTF-8")

    def _fault(self, message_id: str, reason: str) -> Reply:
        body = ('<s:Fault><s:Code><s:Value>s:Sender</s:Value></s:Code>'
                f'<s:Reason><s:Text xml:lang="en-US">{reason}</s:Text></s:Reason></s:Fault>')  # fmt: skip
        return Reply(
            500,
            _envelope("http://schemas.dmtf.org/wbem/wsman/1/wsman/fault", message_id, body),
            "application/soap+xml;charset=UTF-8",
        )

    # ------------------------------------------------------------------ the "command"
    def _run(self, command: str, arguments: Sequence[str]) -> tuple[bytes, bytes, int]:
        from devices.workstation.script import WINDOWS_MARKER

        out, err, status, script = answer(self.machine, WINDOWS_MARKER, command, arguments)
        if script is not None:
            self.scripts.append(script)
        return out, err, status
