"""Reaching a workstation the way Ansible does: the only module importing paramiko for it.

:func:`management_handshake`: does the management service answer with its own protocol? An
``SSH-2.0`` banner on SSH, an HTTP answer on WinRM 5985 (``POST /wsman``), a TLS handshake on
WinRM 5986. An open port alone proves nothing (a firewall or a proxy may accept it).

:func:`run_script_ssh`: plateau's live check: one SSH session opened *as the jury's admin
account with its vault password* (so the login on the recap is proven), one script sent on the
standard input of ``/bin/sh -s``, its output returned. :func:`run_script_local` runs the same
script on this machine (``ansible_connection: local``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import socket
import ssl
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from requests import adapters as requests_adapters

from devices.errors import AuthenticationFailed, BadAnswer, Unreachable


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


# ------------------------------------------------------------------------------ one script, one trip

#: the command that reads the script on its standard input (any login shell can start it)
SCRIPT_COMMAND = "/bin/sh -s"
_KNOWN_HOSTS_LOCK = threading.Lock()


@dataclass(frozen=True, slots=True)
class ScriptRun:
    """What one run of a script printed, and when the session was authenticated (SSH)."""

    stdout: str
    stderr: str
    exit_status: int
    authenticated_at: dt.datetime | None  # None: no authentication happened (local run)
    seconds: float


class PasswordLoginRefused(AuthenticationFailed):
    """The account exists as far as we can tell, but the password was refused."""


class PasswordLoginUnavailable(AuthenticationFailed):
    """The server offers no password authentication: the password cannot be tried this way."""


class _PinHostKey:
    """Trust a workstation's host key on first contact and keep it in plateau's own known_hosts
    (``known_hosts`` None: remember nothing). A known key that changed is refused by paramiko
    *before* the password is sent (BadHostKeyException)."""

    def __init__(self, known_hosts: Path | None) -> None:
        self.known_hosts = known_hosts

    def missing_host_key(self, client: Any, hostname: str, key: Any) -> None:
        client.get_host_keys().add(hostname, key.get_name(), key)
        if self.known_hosts is None:
            return
        import paramiko

        with _KNOWN_HOSTS_LOCK:  # probes of several workstations run at once
            keys = paramiko.HostKeys()
            if self.known_hosts.is_file():
                keys.load(str(self.known_hosts))
            if keys.lookup(hostname) is None:
                keys.add(hostname, key.get_name(), key)
                self.known_hosts.parent.mkdir(parents=True, exist_ok=True)
                partial = self.known_hosts.with_name(f".{self.known_hosts.name}.{os.getpid()}.{threading.get_ident()}")
                keys.save(str(partial))
                os.replace(partial, self.known_hosts)


def run_script_ssh(address: str, port: int, *, username: str, password: str, script: str, timeout_s: float,
                   known_hosts: Path | None = None, command: str = SCRIPT_COMMAND) -> ScriptRun:  # fmt: skip
    """Open an SSH session *as* ``username`` with its password (a real authentication, nothing on
    a command line), run ``script`` on ``/bin/sh -s`` in one exec, return what it printed.
    ``command``: another command line, given ``script`` on its standard input (Windows:
    :func:`run_powershell_ssh`).

    ``timeout_s`` is the whole budget: one deadline covers connect, banner, authentication, the
    channel and the script's run (a watchdog closes the connection when it passes, whatever step
    is blocked). Raise :class:`PasswordLoginRefused` (a subclass of AuthenticationFailed)
    when the password is refused, :class:`PasswordLoginUnavailable` when the server accepts no
    password at all, :class:`Unreachable` when nothing answers in time, :class:`BadAnswer` when the
    host key changed or the session breaks.
    """
    import paramiko

    started = time.monotonic()
    deadline = started + timeout_s
    client = paramiko.SSHClient()
    expired = threading.Event()

    def expire() -> None:
        expired.set()
        client.close()  # unblocks a connect, a key exchange, an authentication or a read

    watchdog = threading.Timer(timeout_s, expire)
    watchdog.daemon = True
    watchdog.start()
    try:
        return _session(
            client,
            paramiko,
            address,
            port,
            username=username,
            password=password,
            script=script,
            timeout_s=timeout_s,
            known_hosts=known_hosts,
            started=started,
            deadline=deadline,
            command=command,
        )
    except (BadAnswer, Unreachable, AuthenticationFailed):
        if expired.is_set():
            raise Unreachable(f"SSH {address}:{port}: the check did not finish within {timeout_s:g} s") from None
        raise
    finally:
        watchdog.cancel()
        client.close()


def _session(client: Any, paramiko: Any, address: str, port: int, *, username: str, password: str, script: str,
             timeout_s: float, known_hosts: Path | None, started: float, deadline: float,
             command: str = SCRIPT_COMMAND) -> ScriptRun:  # fmt: skip
    if known_hosts is not None and known_hosts.is_file():
        with _KNOWN_HOSTS_LOCK:
            client.get_host_keys().load(str(known_hosts))
    client.set_missing_host_key_policy(_PinHostKey(known_hosts))
    try:
        client.connect(address, port=port, username=username, password=password, timeout=timeout_s,
                       banner_timeout=timeout_s, auth_timeout=timeout_s, channel_timeout=timeout_s,
                       allow_agent=False, look_for_keys=False)  # fmt: skip
    except paramiko.BadAuthenticationType as exc:
        raise PasswordLoginUnavailable(
            f"SSH {address}:{port}: no password authentication (server allows {', '.join(exc.allowed_types)})"
        ) from None
    except paramiko.AuthenticationException:
        raise PasswordLoginRefused(f"SSH {address}:{port}: password refused for the admin account") from None
    except paramiko.BadHostKeyException:
        raise BadAnswer(
            f"SSH {address}:{port}: the host key changed since plateau first saw it "
            f"(remove its line from {known_hosts} if the PC was reinstalled)"
        ) from None
    except (paramiko.SSHException, EOFError) as exc:
        raise Unreachable(f"SSH {address}:{port}: {type(exc).__name__}: {exc}") from None
    except TimeoutError:
        raise Unreachable(f"SSH {address}:{port}: no answer within {timeout_s:g} s") from None
    except OSError as exc:
        raise Unreachable(f"SSH {address}:{port}: {exc.strerror or exc}") from None
    authenticated_at = dt.datetime.now(dt.UTC)
    transport = client.get_transport()
    if transport is None:
        raise Unreachable(f"SSH {address}:{port}: the session closed after authentication")
    try:
        channel = transport.open_session(timeout=max(0.1, deadline - time.monotonic()))
        channel.settimeout(max(0.1, deadline - time.monotonic()))
        channel.exec_command(command)
        channel.sendall(script.encode())
        channel.shutdown_write()
        out, err = _drain(channel, deadline)
        status = channel.recv_exit_status() if channel.exit_status_ready() else -1
    except TimeoutError:
        raise Unreachable(f"SSH {address}:{port}: the check did not finish within {timeout_s:g} s") from None
    except (paramiko.SSHException, EOFError, OSError) as exc:
        raise BadAnswer(f"SSH {address}:{port}: session broken: {type(exc).__name__}") from None
    return ScriptRun(
        out.decode("utf-8", "replace"),
        err.decode("utf-8", "replace")[:2000],
        status,
        authenticated_at,
        time.monotonic() - started,
    )


#: how Windows' OpenSSH (cmd.exe or PowerShell as its DefaultShell) starts plateau's check script
POWERSHELL_COMMAND = "powershell.exe -NoProfile -NonInteractive -ExecutionPolicy Bypass -EncodedCommand {encoded}"


def run_powershell_ssh(address: str, port: int, *, username: str, password: str, script: str, timeout_s: float,
                       known_hosts: Path | None = None) -> ScriptRun:  # fmt: skip
    """A PowerShell script on a Windows PC reached through OpenSSH Server (the bootstrap's SSH
    transport), as :func:`run_script_ssh` runs a shell script: the same password login and host
    key pinning, one exec of ``powershell.exe -EncodedCommand`` (base64 of UTF-16LE: no quoting
    for either shell to mangle; plateau's script stays far below cmd.exe's 8,191 characters)."""
    from devices.workstation.script import powershell_encoded

    line = POWERSHELL_COMMAND.format(encoded=powershell_encoded(script))
    return run_script_ssh(address, port, username=username, password=password, script="", timeout_s=timeout_s,
                          known_hosts=known_hosts, command=line)  # fmt: skip


def _drain(channel: Any, deadline: float) -> tuple[bytes, bytes]:
    """Read stdout and stderr until the remote end closes, never past ``deadline``."""
    out, err = bytearray(), bytearray()
    while True:
        if time.monotonic() > deadline:
            raise TimeoutError
        while channel.recv_stderr_ready():
            err += channel.recv_stderr(65536)
        chunk = channel.recv(65536)  # blocks at most until the channel's timeout
        if not chunk:
            break
        out += chunk
    while channel.recv_stderr_ready():
        err += channel.recv_stderr(65536)
    end = time.monotonic() + 1.0  # the exit status follows the end of the output
    while not channel.exit_status_ready() and time.monotonic() < min(end, deadline):
        time.sleep(0.005)
    return bytes(out), bytes(err)


def run_script_local(script: str, *, timeout_s: float) -> ScriptRun:
    """The same script on this very machine (``ansible_connection: local``), as the current user."""
    import signal

    started = time.monotonic()
    try:
        process = subprocess.Popen(["/bin/sh", "-s"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True, errors="replace", start_new_session=True)  # fmt: skip
    except OSError as exc:
        raise Unreachable(f"/bin/sh: {exc.strerror or exc}") from None
    try:
        out, err = process.communicate(script, timeout=timeout_s)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)  # the script and whatever it started (curl, dpkg-query...)
        process.communicate()
        raise Unreachable(f"the local check did not finish within {timeout_s:g} s") from None
    return ScriptRun(out, err[:2000], process.returncode, None, time.monotonic() - started)


class _PinnedAdapter(requests_adapters.HTTPAdapter):
    """A requests adapter whose connections must present one certificate (urllib3 assert_fingerprint)."""

    def __init__(self, fingerprint: str) -> None:
        self._fingerprint = fingerprint
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["assert_fingerprint"] = self._fingerprint
        super().init_poolmanager(*args, **kwargs)


def winrm_certificate_pin(address: str, port: int, known_hosts: Path, *, timeout_s: float) -> str:
    """The SHA-256 fingerprint the WinRM service at ``address:port`` must present: the one pinned in
    ``<known_hosts>.winrm`` on first contact (as SSH host keys are), so a later run sends the
    password only to that same certificate (urllib3 checks it on the very connection that
    carries it). Raise :class:`AuthenticationFailed` when the pinned one changed."""
    pins = known_hosts.with_name(known_hosts.name + ".winrm")
    where = f"{address}:{port}"
    known = {}
    if pins.is_file():
        for line in pins.read_text(encoding="utf-8").splitlines():
            name, _, fingerprint = line.strip().partition(" ")
            if name and fingerprint:
                known[name] = fingerprint
    try:
        with socket.create_connection((address, port), timeout=timeout_s) as sock:
            tls = ssl.create_default_context()
            tls.check_hostname = False
            tls.verify_mode = ssl.CERT_NONE  # self-signed: trust is the pin below, not a CA
            with tls.wrap_socket(sock, server_hostname=address) as wrapped:
                der = wrapped.getpeercert(binary_form=True) or b""
    except (ssl.SSLError, OSError) as exc:
        raise Unreachable(f"WinRM {where}: no TLS handshake ({type(exc).__name__})") from exc
    seen = hashlib.sha256(der).hexdigest()
    if where in known:
        if known[where] != seen:
            raise AuthenticationFailed(f"WinRM {where}: certificate changed since first contact (not trusted)")
        return seen
    pins.parent.mkdir(parents=True, exist_ok=True)
    with pins.open("a", encoding="utf-8") as handle:
        handle.write(f"{where} {seen}\n")
    return seen


def run_powershell_winrm(address: str, port: int, *, username: str, password: str, script: str, timeout_s: float,
                         https: bool, known_hosts: Path | None = None) -> ScriptRun:  # fmt: skip
    """Run a PowerShell script over WinRM (WS-Management, pywinrm) as ``username`` with its password:
    Create shell, Command ``powershell -EncodedCommand``, Receive until Done (bounded: pywinrm's own
    loop retries operation timeouts forever), Signal, Delete.

    Authentication as Ansible's winrm connection does by default for a local account: Basic, over
    TLS on https (``ssl``, certificate not validated: WinRM's are self-signed), or over HTTP
    (``plaintext``) **only to a loopback address**: elsewhere it would send the password in clear,
    so plateau refuses (Unreachable) and asks for HTTPS (5986).
    """
    import ipaddress

    import requests
    from winrm import exceptions as wexc
    from winrm.protocol import Protocol

    from devices.workstation.script import powershell_encoded

    if not https:
        try:
            loopback = ipaddress.ip_address(address).is_loopback
        except ValueError:
            loopback = address == "localhost"
        if not loopback:
            raise Unreachable(f"WinRM {address}:{port} over HTTP would send the password in clear: use HTTPS (5986)")
    started = time.monotonic()
    deadline = started + timeout_s  # the whole budget (each HTTP exchange is bounded by read_timeout_sec)
    operation_s = max(1, int(timeout_s) - 1)
    endpoint = f"{'https' if https else 'http'}://{address}:{port}/wsman"
    fingerprint = (
        winrm_certificate_pin(address, port, known_hosts, timeout_s=timeout_s) if https and known_hosts else None
    )
    protocol = Protocol(endpoint, transport="ssl" if https else "plaintext", username=username, password=password,
                        server_cert_validation="ignore", read_timeout_sec=operation_s + 1,
                        operation_timeout_sec=operation_s, proxy=None)  # fmt: skip
    if fingerprint is not None:  # the password goes only to the pinned certificate, on this very connection
        protocol.transport.build_session().mount("https://", _PinnedAdapter(fingerprint))
    shell_id = command_id = None
    authenticated_at = None
    out, err, status = [], [], -1
    try:
        try:
            shell_id = protocol.open_shell(codepage=65001)  # UTF-8 output
            authenticated_at = dt.datetime.now(dt.UTC)
            command_id = protocol.run_command(shell_id, "powershell.exe", [
                "-NoProfile", "-NonInteractive", "-ExecutionPolicy", "Bypass", "-EncodedCommand",
                powershell_encoded(script)])  # fmt: skip
            while True:
                if time.monotonic() > deadline:
                    raise Unreachable(f"WinRM {address}:{port}: the check did not finish within {timeout_s:g} s")
                try:
                    chunk_out, chunk_err, status, done = protocol.get_command_output_raw(shell_id, command_id)
                except wexc.WinRMOperationTimeoutError:
                    continue  # nothing new yet: ask again, within our own deadline
                out.append(chunk_out)
                err.append(chunk_err)
                if done:
                    break
        finally:
            try:
                if shell_id and command_id:
                    protocol.cleanup_command(shell_id, command_id)
                if shell_id:
                    protocol.close_shell(shell_id)
            except Exception:  # cleaning up a shell that may be gone: never the result  # noqa: BLE001
                pass
    except wexc.InvalidCredentialsError:
        raise PasswordLoginRefused(f"WinRM {address}:{port}: password refused for the admin account") from None
    except (requests.exceptions.Timeout, TimeoutError):
        raise Unreachable(f"WinRM {address}:{port}: no answer within {timeout_s:g} s") from None
    except (requests.exceptions.ConnectionError, OSError) as exc:
        raise Unreachable(f"WinRM {address}:{port}: {type(exc).__name__}") from None
    except (wexc.WinRMError, requests.exceptions.RequestException, ValueError, StopIteration) as exc:
        raise BadAnswer(f"WinRM {address}:{port}: {type(exc).__name__}") from None
    return ScriptRun(b"".join(out).decode("utf-8", "replace"), b"".join(err).decode("utf-8", "replace")[:2000],
                     status, authenticated_at, time.monotonic() - started)  # fmt: skip
