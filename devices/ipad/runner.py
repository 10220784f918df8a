"""How commands reach the tools: a local subprocess, or SSH to a Mac (paramiko).

A runner is any callable ``(argv, timeout_s) -> CommandResult``; tests inject one that
runs fake executables. Runners raise :class:`Unreachable` when the program is missing,
the SSH host does not answer, or the command overruns its timeout, and
:class:`AuthenticationFailed` when SSH refuses the credentials. Interpreting the exit
status and output is the driver's job.
"""

from __future__ import annotations

import os
import shlex
import subprocess
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from devices.errors import AuthenticationFailed, Unreachable


@dataclass(frozen=True, slots=True)
class CommandResult:
    returncode: int
    stdout: str
    stderr: str


Runner = Callable[[Sequence[str], float], CommandResult]

INSTALL_HINTS = {
    "ideviceinfo": "install libimobiledevice-utils (Debian/Ubuntu) or libimobiledevice (Homebrew)",
    "ideviceinstaller": "install ideviceinstaller (Debian/Ubuntu, Homebrew)",
    "cfgutil": "install Apple Configurator on the Mac, then its menu 'Install Automation Tools...'",
}


def _hint(program: str) -> str:
    return INSTALL_HINTS.get(os.path.basename(program), "install it or fix PATH")


def local_runner(env: Mapping[str, str] | None = None) -> Runner:
    """Run argv on this machine (``env`` replaces the environment, e.g. a test PATH)."""

    def run(argv: Sequence[str], timeout_s: float) -> CommandResult:
        try:
            done = subprocess.run(
                list(argv),
                capture_output=True,
                text=True,
                errors="replace",
                timeout=timeout_s,
                env=dict(env) if env is not None else None,
                check=False,
            )
        except FileNotFoundError as exc:
            raise Unreachable(f"{argv[0]} not found: {_hint(argv[0])}") from exc
        except PermissionError as exc:
            raise Unreachable(f"{argv[0]} is not executable") from exc
        except subprocess.TimeoutExpired as exc:
            raise Unreachable(f"{argv[0]} did not finish within {timeout_s:g} s") from exc
        return CommandResult(done.returncode, done.stdout, done.stderr)

    return run


def ssh_runner(
    host: str,
    *,
    username: str,
    port: int = 22,
    password: str | None = None,
    key_filename: str | None = None,
    known_hosts: str | None = None,
    connect_timeout_s: float = 10.0,
) -> Runner:
    """Run argv on a Mac over SSH (``paramiko``), one connection per command.

    Host keys: checked against ``known_hosts`` when given, else against the user's
    ``~/.ssh/known_hosts``; an unknown host is refused (no silent trust).
    """
    import paramiko

    def run(argv: Sequence[str], timeout_s: float) -> CommandResult:
        client = paramiko.SSHClient()
        try:
            if known_hosts:
                client.load_host_keys(known_hosts)
            else:
                client.load_system_host_keys()
            client.set_missing_host_key_policy(paramiko.RejectPolicy())
            client.connect(
                host,
                port=port,
                username=username,
                password=password,
                key_filename=key_filename,
                timeout=connect_timeout_s,
                banner_timeout=connect_timeout_s,
                auth_timeout=connect_timeout_s,
                allow_agent=False,
                look_for_keys=key_filename is None and password is None,
            )
            command = shlex.join(argv)
            _, stdout, stderr = client.exec_command(command, timeout=timeout_s)
            out = stdout.read().decode("utf-8", "replace")
            err = stderr.read().decode("utf-8", "replace")
            status = stdout.channel.recv_exit_status()
        except paramiko.AuthenticationException as exc:
            raise AuthenticationFailed(f"SSH {username}@{host}:{port} refused the credentials") from exc
        except paramiko.SSHException as exc:
            raise Unreachable(f"SSH {host}:{port}: {type(exc).__name__}: {exc}") from exc
        except TimeoutError as exc:
            raise Unreachable(f"SSH {host}:{port}: no answer within the timeout") from exc
        except OSError as exc:
            raise Unreachable(f"SSH {host}:{port}: {exc.strerror or exc}") from exc
        finally:
            client.close()
        if status == 127:
            raise Unreachable(f"{argv[0]} not found on {host}: {_hint(argv[0])}")
        return CommandResult(status, out, err)

    return run
