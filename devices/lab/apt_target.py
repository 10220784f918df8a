"""Debian PCs on loopback with their own apt and dpkg: one real sshd each, root by key.

    with AptTarget(sources="deb [trusted=yes] http://upstream.plateau.invalid/debian/ ./\\n") as pc:
        pc.host_vars()                       # ansible_host / ansible_port / key ... for an inventory
        pc.run("dpkg-query", "-W", "hello")  # a command inside the PC (its mount namespace)

What is real: OpenSSH's ``sshd`` on ``127.0.0.1:<port>``, Debian's own apt, dpkg, useradd...:
the playbooks run unchanged. Each PC's sshd lives in a private mount namespace (``unshare
--mount``) where ``/etc``, ``/var``, ``/usr``, ``/home`` and ``/root`` are overlays of this
machine's (``mount -t overlay``, upper layer in the lab's folder): a PC starts as a copy of
this machine and what it installs, its package lists, dpkg database, accounts and apt settings
stay its own, so eight PCs do eight independent downloads, as eight real PCs would, and the
machine itself is never changed. In the PC, apt's sources are only ``sources`` and
``/etc/hosts`` maps ``hosts`` (e.g. ``upstream.plateau.invalid`` to 127.0.0.1), so nothing
resolves a real name.

Each PC has its own loopback address (``address``, e.g. 127.0.0.11): sshd listens there, and
every process of the PC connects *from* there, as a real PC has its own address on the LAN.
The PCs share this machine's network stack, where the kernel would pick 127.0.0.1 as the source
of any loopback connection: a small preloaded library (``/etc/ld.so.preload`` of the PC only,
built with gcc) binds each unbound IPv4 socket to the PC's address just before ``connect()``.
That is the one stand-in: what the laptop's servers see is then what they would see in a centre.

Limit: an overlay's lower layer is live, so what another program changes on this machine while
a PC runs (a file added under /etc/apt...) shows through in the PC, unless the PC changed it too.
"""

from __future__ import annotations

import os
import shlex
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Self

from devices.lab.base import HOST, free_port, stop_process_group

SSHD = "/usr/sbin/sshd"
OVERLAID = ("/etc", "/var", "/usr", "/home")
_SOURCE_SHIM = r"""
#define _GNU_SOURCE
#include <dlfcn.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
/* connect() from the PC's own loopback address (see devices/lab/apt_target.py) */
int connect(int fd, const struct sockaddr *to, socklen_t len) {
    static int (*real)(int, const struct sockaddr *, socklen_t);
    if (!real) real = (int (*)(int, const struct sockaddr *, socklen_t))dlsym(RTLD_NEXT, "connect");
    if (to && to->sa_family == AF_INET) {
        struct sockaddr_in mine;
        socklen_t size = sizeof mine;
        if (getsockname(fd, (struct sockaddr *)&mine, &size) == 0 && mine.sin_family == AF_INET
            && mine.sin_port == 0 && mine.sin_addr.s_addr == htonl(INADDR_ANY)) {
            memset(&mine, 0, sizeof mine);
            mine.sin_family = AF_INET;
            inet_pton(AF_INET, PLATEAU_PC_ADDRESS, &mine.sin_addr);
            bind(fd, (struct sockaddr *)&mine, sizeof mine); /* a failure leaves the kernel's choice */
        }
    }
    return real(fd, to, len);
}
"""
START_TIMEOUT_S = 60.0


class AptTargetUnavailable(RuntimeError):
    """Root, openssh-server, unshare and overlayfs are needed."""


class AptTarget:
    def __init__(
        self, *, sources: str, address: str = HOST, hosts: Mapping[str, str] | None = None, root: Path | None = None
    ) -> None:
        """``address``: the PC's own loopback address (127.0.0.0/8); ``hosts``: name -> address
        lines added to its /etc/hosts."""
        self.sources = sources
        self.address = address
        self.hosts = dict(hosts or {})
        self._root = root
        self.dir: Path | None = None
        self.port = 0
        self._sshd: subprocess.Popen[bytes] | None = None

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> Self:
        if os.geteuid() != 0 or not Path(SSHD).exists() or shutil.which("unshare") is None:
            raise AptTargetUnavailable("AptTarget needs root, openssh-server and unshare (util-linux)")
        if self.address != HOST and shutil.which("gcc") is None:
            raise AptTargetUnavailable("AptTarget needs gcc for a PC address other than 127.0.0.1")
        base = Path(tempfile.mkdtemp(prefix="plateau-apt-pc-", dir=self._root))
        self.dir = base
        for name in ("host_key", "client_key"):
            subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(base / name)], check=True,
                           capture_output=True, timeout=60)  # fmt: skip
        shutil.copy(base / "client_key.pub", base / "authorized_keys")
        self.port = free_port(self.address)
        (base / "sshd_config").write_text(
            f"Port {self.port}\nListenAddress {self.address}\nHostKey {base / 'host_key'}\nPidFile {base / 'sshd.pid'}\n"
            f"AuthorizedKeysFile {base / 'authorized_keys'}\nPermitRootLogin prohibit-password\n"
            "PasswordAuthentication no\nKbdInteractiveAuthentication no\nUsePAM no\nStrictModes no\n"
            "MaxStartups 100\nMaxSessions 50\nSubsystem sftp internal-sftp\n"
        )
        (base / "sources.list").write_text(self.sources)
        if self.address != HOST:
            (base / "source.c").write_text(_SOURCE_SHIM)
            subprocess.run(["gcc", "-shared", "-fPIC", "-O2", f'-DPLATEAU_PC_ADDRESS="{self.address}"', "-o",
                            str(base / "source.so"), str(base / "source.c"), "-ldl"], check=True, capture_output=True,
                           timeout=120)  # fmt: skip
            (base / "source.so").chmod(0o755)
        base.chmod(0o755)  # the PC's processes (apt's _apt sandbox user too) load source.so from here
        script = ["set -e"]
        for index, top in enumerate(OVERLAID):
            upper, work = base / f"upper{index}", base / f"work{index}"
            upper.mkdir()
            work.mkdir()
            script.append(f"mount -t overlay plateau-pc -o lowerdir={top},upperdir={upper},workdir={work} {top}")
        script += [
            "rm -f /etc/apt/sources.list /etc/apt/sources.list.d/* /etc/apt/apt.conf.d/*plateau*",
            f"cp {base / 'sources.list'} /etc/apt/sources.list",
            # a fresh PC: no lists, no downloaded packages, and no "updated recently" stamp
            # (Ansible's apt cache_valid_time reads it)
            "rm -rf /var/lib/apt/lists/* /var/cache/apt/archives/*.deb /var/cache/apt/*.bin /var/lib/apt/periodic/*",
            "touch -d 2000-01-01 /var/lib/apt/lists",
            *(f"echo {shlex.quote(f'{address} {name}')} >> /etc/hosts" for name, address in self.hosts.items()),
            *([f"echo {base / 'source.so'} > /etc/ld.so.preload"] if self.address != HOST else []),
            f"exec {SSHD} -D -e -f {base / 'sshd_config'}",
        ]
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # sshd's privilege separation directory
        with open(base / "sshd.log", "ab") as log:
            self._sshd = subprocess.Popen(
                ["unshare", "--mount", "--propagation", "private", "/bin/sh", "-c", "\n".join(script)],
                stdout=subprocess.DEVNULL, stderr=log, start_new_session=True)  # fmt: skip
        deadline = time.monotonic() + START_TIMEOUT_S  # sshd starts slowly on a loaded machine
        while True:
            try:
                socket.create_connection((self.address, self.port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or self._sshd.poll() is not None:
                    self.stop()
                    raise AptTargetUnavailable(
                        f"sshd did not start: {(base / 'sshd.log').read_text()[-2000:]}"
                    ) from None
                time.sleep(0.05)
        return self

    def stop(self) -> None:
        sshd, self._sshd = self._sshd, None
        if sshd is None:
            return
        stop_process_group(sshd)  # sshd and the sessions it forked

    def cleanup(self) -> None:
        """Remove the PC's folder (its overlays vanished with the namespace's last process)."""
        if self.dir is not None:
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
        self.cleanup()

    # ------------------------------------------------------------------ use
    @property
    def key(self) -> Path:
        assert self.dir is not None
        return self.dir / "client_key"

    def host_vars(self) -> dict[str, Any]:
        """Inventory variables of a Linux host reaching this PC as root over SSH (no sudo, no su)."""
        return {
            "ansible_host": self.address,
            "ansible_port": self.port,
            "ansible_user": "root",
            "ansible_ssh_private_key_file": str(self.key),
            "ansible_ssh_common_args": "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null",
            "ansible_python_interpreter": "/usr/bin/python3",
            "ansible_become": False,
        }

    def run(self, *argv: str, check: bool = False) -> subprocess.CompletedProcess[str]:
        """``argv`` inside the PC (``nsenter`` into its sshd's mount namespace)."""
        assert self._sshd is not None, "AptTarget not started"
        return subprocess.run(["nsenter", "--target", str(self._sshd.pid), "--mount", "--", *argv],
                              capture_output=True, text=True, check=check, timeout=120)  # fmt: skip

    def installed(self, package: str) -> str | None:
        """The installed version of ``package`` in this PC, or None."""
        done = self.run("dpkg-query", "-W", "-f=${Status}\t${Version}", package)
        status, _, version = done.stdout.partition("\t")
        return version if done.returncode == 0 and status == "install ok installed" else None
