"""The test bed of the provisioning benchmarks (provision_rerun.py, provision_slow_host.py).

What it adds to this machine (root only), and removes in :meth:`Machine.clean`:
- one Debian ``sshd`` per target, each on its own loopback address 127.0.2.<n>, all sharing
  one host key and one client key;
- a flat apt repository (the benchmark's tiny .deb, built with dpkg-deb, and one more per
  ``postinsts`` entry) behind a temporary ``/etc/apt/sources.list.d`` file;
- through the runs, the package(s) installed and the admin accounts
  ``plateau-bench-jury-<n>`` created on it: purged and deleted at the end.
:func:`write_inventory` writes the centre inventory of those targets (one Linux host each).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

PACKAGE = "plateau-bench-app"
USER_PREFIX = "plateau-bench-jury-"


def sh(*args: str, check: bool = True, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(list(args), capture_output=True, text=True, check=check, timeout=300, **kwargs)


def free_port(address: str) -> int:
    with socket.socket() as sock:
        sock.bind((address, 0))
        return sock.getsockname()[1]


def build_repo(repo: Path, postinsts: dict[str, str] | None = None) -> None:
    """The benchmark's package, and one more per *postinsts* entry (package -> postinst script)."""
    repo.mkdir()
    entries = []
    for name, postinst in {PACKAGE: None, **(postinsts or {})}.items():
        work = repo.parent / f"pkgroot-{name}"
        (work / "DEBIAN").mkdir(parents=True)
        (work / f"usr/share/{name}").mkdir(parents=True)
        (work / f"usr/share/{name}/README").write_text("paquet du banc d'essai de plateau\n")
        (work / "DEBIAN/control").write_text(
            f"Package: {name}\nVersion: 1.0\nArchitecture: all\n"
            "Maintainer: plateau <bench@plateau.invalid>\nDescription: plateau benchmark\n"
        )
        if postinst is not None:
            (work / "DEBIAN/postinst").write_text(postinst)
            (work / "DEBIAN/postinst").chmod(0o755)
        deb = repo / f"{name}_1.0_all.deb"
        sh("dpkg-deb", "--root-owner-group", "--build", str(work), str(deb))
        data = deb.read_bytes()
        control = (work / "DEBIAN/control").read_text().strip()
        entries.append(
            f"{control}\nFilename: ./{deb.name}\nSize: {len(data)}\nSHA256: {hashlib.sha256(data).hexdigest()}\n"
        )
    (repo / "Packages").write_text("\n".join(entries))
    raw = (repo / "Packages").read_bytes()
    (repo / "Release").write_text(
        f"Suite: plateau-bench\nSHA256:\n {hashlib.sha256(raw).hexdigest()} {len(raw)} Packages\n"
    )


class Machine:
    """Everything the benchmark adds to this machine, and its removal."""

    def __init__(self, work: Path, targets: int, postinsts: dict[str, str] | None = None) -> None:
        self.work = work
        self.targets = targets
        self.postinsts = postinsts or {}
        self.sshds: list[subprocess.Popen] = []
        self.shared = Path(tempfile.mkdtemp(prefix="plateau-bench-apt-"))
        self.source = Path(f"/etc/apt/sources.list.d/{self.shared.name}.list")
        self.ports: list[tuple[str, int]] = []

    def start(self) -> None:
        os.chmod(self.shared, 0o755)  # apt reads file: repositories as _apt
        build_repo(self.shared / "repo", self.postinsts)
        self.source.write_text(f"deb [trusted=yes] file:{self.shared / 'repo'} ./\n")
        sh(
            "apt-get",
            "update",
            "-qq",
            "-o",
            f"Dir::Etc::sourcelist={self.source}",
            "-o",
            "Dir::Etc::sourceparts=-",
            "-o",
            "APT::Get::List-Cleanup=0",
        )
        keys = self.work / "keys"
        keys.mkdir()
        sh("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(keys / "host"))
        sh("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(keys / "client"))
        shutil.copy(keys / "client.pub", keys / "authorized_keys")
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)
        for n in range(1, self.targets + 1):
            address = f"127.0.2.{n}"
            port = free_port(address)
            config = self.work / f"sshd_{n}.conf"
            config.write_text(
                f"Port {port}\nListenAddress {address}\nHostKey {keys / 'host'}\nPidFile {self.work / f'sshd_{n}.pid'}\n"
                f"AuthorizedKeysFile {keys / 'authorized_keys'}\nPermitRootLogin prohibit-password\n"
                "PasswordAuthentication no\nKbdInteractiveAuthentication no\nUsePAM no\nStrictModes no\n"
                "MaxSessions 50\nMaxStartups 50\n"
            )
            log = open(self.work / f"sshd_{n}.log", "wb")  # noqa: SIM115
            self.sshds.append(
                subprocess.Popen(
                    ["/usr/sbin/sshd", "-D", "-e", "-f", str(config)], stdout=subprocess.DEVNULL, stderr=log
                )
            )
            log.close()
            self.ports.append((address, port))
        deadline = time.monotonic() + 10
        for address, port in self.ports:
            while True:
                try:
                    socket.create_connection((address, port), timeout=1).close()
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"sshd on {address}:{port} did not start") from None
                    time.sleep(0.1)

    def clean(self) -> None:
        for sshd in self.sshds:  # only the daemons this benchmark started, by their handle
            sshd.terminate()
        for sshd in self.sshds:
            try:
                sshd.wait(10)
            except subprocess.TimeoutExpired:
                sshd.kill()
        sh("dpkg", "--purge", PACKAGE, *self.postinsts, check=False)
        for n in range(1, self.targets + 1):
            sh("userdel", "-r", f"{USER_PREFIX}{n}", check=False)
        self.source.unlink(missing_ok=True)
        for lists in Path("/var/lib/apt/lists").glob(f"*{self.shared.name.replace('_', '%5f')}_repo_*"):
            lists.unlink(missing_ok=True)
        shutil.rmtree(self.shared, ignore_errors=True)


def write_inventory(root: Path, ports: list[tuple[str, int]], key: Path) -> None:
    hosts = "\n".join(
        f"        bench-{n:02d}:\n          ansible_host: {a}\n          ansible_port: {p}\n"
        f"          admin_user: {USER_PREFIX}{n}"
        for n, (a, p) in enumerate(ports, start=1)
    )
    names = "\n".join(f"            bench-{n:02d}:" for n in range(1, len(ports) + 1))
    root.mkdir()
    (root / "hosts.yml").write_text(
        f"all:\n  children:\n    rooms:\n      children:\n        salle_bench:\n"
        f"          hosts:\n{names}\n    linux:\n      hosts:\n{hosts}\n"
    )
    (root / "group_vars").mkdir()
    # no ansible_ssh_args here: both sides get plateau's (pipelining, ControlPersist) from the environment
    (root / "group_vars" / "linux.yml").write_text(f"""
baseline_software: []
extra_software: [{PACKAGE}]
ansible_user: root
ansible_ssh_private_key_file: {key}
ansible_ssh_common_args: "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null"
ansible_python_interpreter: /usr/bin/python3
ansible_become_method: su
baseline_apt_update_cache: false
""")
    (root / "catalog.yml").write_text(f"""
version: 1
titles:
  - id: {PACKAGE}
    name: Plateau Bench App
    category: utility
    platforms:
      linux: {{apt: {PACKAGE}}}
    lacks: {{windows: banc, macos: banc, android: banc, ios: banc}}
""")
    (root / "session.yml").write_text(
        "date: 2026-12-03\nreferentiel: mn-2025\njuries:\n  - id: jury-bench\n"
        "    label: Banc\n    room: salle_bench\ncandidates: []\n"
    )
