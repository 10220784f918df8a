"""SSH shell to an access point through netmiko: the only module touching netmiko/paramiko.

Secrets: netmiko logs every byte read from and written to the channel at DEBUG level
on the ``netmiko`` logger (``write_channel: b"uci set ...key=..."``), and its own
filter only masks the SSH password. Wi-Fi keys cross that channel both ways (``uci
show wireless`` prints the key, ``apply`` sends it), so this module drops netmiko's
DEBUG records for good. No ``session_log`` is ever opened.
"""

from __future__ import annotations

import logging
from types import TracebackType

import paramiko
from netmiko import ConnectHandler
from netmiko.exceptions import (
    NetmikoAuthenticationException,
    NetmikoBaseException,
    NetmikoTimeoutException,
    ReadTimeout,
)

from devices.errors import AuthenticationFailed, BadAnswer, Unreachable


class _DropChannelData(logging.Filter):
    """netmiko's DEBUG records carry raw channel data, hence Wi-Fi keys: never emit them."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno > logging.DEBUG


_NETMIKO_LOG = logging.getLogger("netmiko")
if not any(isinstance(f, _DropChannelData) for f in _NETMIKO_LOG.filters):
    _NETMIKO_LOG.addFilter(_DropChannelData())


class SshShell:
    """An interactive SSH shell opened by netmiko. Use as a context manager.

    ``device_type`` is netmiko's: ``linux`` (OpenWrt's ash) or ``mikrotik_routeros``.
    Host keys are accepted on first sight (no known_hosts on an exam-room laptop).
    """

    def __init__(
        self, *, device_type: str, host: str, port: int, username: str, password: str, timeout_s: float
    ) -> None:
        self._where = f"{host}:{port}"
        self._timeout_s = timeout_s
        try:
            self._conn = ConnectHandler(
                device_type=device_type,
                host=host,
                port=port,
                username=username,
                password=password,
                conn_timeout=timeout_s,
                auth_timeout=timeout_s,
                banner_timeout=timeout_s,
                blocking_timeout=timeout_s,
                timeout=timeout_s,
                read_timeout_override=timeout_s,
                session_log=None,
                allow_agent=False,
                use_keys=False,
                system_host_keys=False,
                alt_host_keys=False,
                ssh_strict=False,
                ssh_config_file=None,
            )
        except NetmikoAuthenticationException as exc:
            raise AuthenticationFailed(f"SSH {self._where}: login refused") from exc
        except (NetmikoTimeoutException, ReadTimeout) as exc:
            raise Unreachable(f"SSH {self._where}: timed out") from exc
        except (TimeoutError, paramiko.SSHException, OSError, EOFError) as exc:
            raise Unreachable(f"SSH {self._where}: connection failed ({type(exc).__name__})") from exc
        except (NetmikoBaseException, ValueError) as exc:  # prompt not recognised
            raise BadAnswer(f"SSH {self._where}: unexpected login dialogue") from exc

    def __enter__(self) -> SshShell:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        try:
            self._conn.disconnect()
        except Exception:  # the device may already be gone; nothing to report  # noqa: BLE001
            pass

    def run(self, command: str) -> str:
        """Send one command line, wait for the prompt, return the output (CRLF -> LF)."""
        try:
            output = self._conn.send_command(command, read_timeout=self._timeout_s)
        except ReadTimeout as exc:
            raise Unreachable(f"SSH {self._where}: no prompt after a command (timed out)") from exc
        except (paramiko.SSHException, OSError, EOFError) as exc:
            raise Unreachable(f"SSH {self._where}: connection lost ({type(exc).__name__})") from exc
        except (NetmikoBaseException, ValueError) as exc:
            raise BadAnswer(f"SSH {self._where}: unexpected shell output") from exc
        return str(output).replace("\r\n", "\n").replace("\r", "\n")
