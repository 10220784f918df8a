"""The Linux role for real: sshd on loopback, a local apt repository, a real admin account.

What the test starts (as root, cleaned up afterwards):
- Debian's sshd on 127.0.0.1:<random port> with a throwaway host key and authorized key;
- a flat apt repository in a temp dir holding ``plateau-test-app`` built with dpkg-deb,
  declared by a uniquely named file in /etc/apt/sources.list.d (removed afterwards, with
  its package lists);
- an inventory with two Linux hosts: ``poste-ok`` (that sshd) and ``poste-injoignable``
  (127.0.0.2 on a closed port).
The machine has no sudo: the inventory becomes root with ``su`` (the SSH user is root).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import pytest

from devices.lab.base import free_port

pytest.importorskip("passlib", reason="password_hash needs passlib on the controller: pip install passlib==1.7.4")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(600),  # real ansible-playbook runs with su (~25 s idle, far more under load)
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root (sshd, apt, useradd)"),
    pytest.mark.skipif(
        not Path("/usr/sbin/sshd").exists() or shutil.which("dpkg-deb") is None,
        reason="needs openssh-server and dpkg-deb",
    ),
]

PACKAGE = "plateau-test-app"
ADMIN = "plateau-test-jury"


def run(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(list(args), capture_output=True, text=True, check=check, timeout=120)


def build_repo(repo: Path) -> None:
    """One tiny .deb and the flat-repository indexes apt needs (Packages, Release)."""
    root = repo.parent / "pkgroot"
    (root / "DEBIAN").mkdir(parents=True)
    (root / "usr/share/plateau-test-app").mkdir(parents=True)
    (root / "usr/share/plateau-test-app/README").write_text("paquet de test de plateau\n")
    (root / "DEBIAN/control").write_text(
        f"Package: {PACKAGE}\nVersion: 1.0\nArchitecture: all\nMaintainer: plateau tests <tests@plateau.invalid>\n"
        "Description: plateau provisioning test package\n"
    )
    repo.mkdir()
    deb = repo / f"{PACKAGE}_1.0_all.deb"
    run("dpkg-deb", "--root-owner-group", "--build", str(root), str(deb))
    data = deb.read_bytes()
    control = (root / "DEBIAN/control").read_text().strip()
    packages = (
        f"{control}\nFilename: ./{deb.name}\nSize: {len(data)}\nMD5sum: {hashlib.md5(data).hexdigest()}\n"
        f"SHA256: {hashlib.sha256(data).hexdigest()}\n\n"
    )
    (repo / "Packages").write_text(packages)
    raw = packages.encode()
    (repo / "Release").write_text(
        "Origin: plateau-test\nLabel: plateau-test\nSuite: plateau-test\nCodename: plateau-test\n"
        f"Date: {time.strftime('%a, %d %b %Y %H:%M:%S UTC', time.gmtime())}\n"
        f"MD5Sum:\n {hashlib.md5(raw).hexdigest()} {len(raw)} Packages\n"
        f"SHA256:\n {hashlib.sha256(raw).hexdigest()} {len(raw)} Packages\n"
    )


@pytest.fixture(scope="module")
def target(tmp_path_factory, local_sshd):
    """(port, client key) of a live sshd, an apt source for the test repo; all undone after."""
    tmp = tmp_path_factory.mktemp("linux-target")
    # apt reads file: repositories as its sandbox user (_apt): pytest's tmp dirs are 0700
    shared = Path(tempfile.mkdtemp(prefix="plateau-apt-"))
    os.chmod(shared, 0o755)
    repo = shared / "repo"
    source = Path(f"/etc/apt/sources.list.d/plateau-test-{uuid.uuid4().hex[:8]}.list")
    try:
        with local_sshd(tmp) as (port, key):
            build_repo(repo)
            source.write_text(f"deb [trusted=yes] file:{repo} ./\n")
            # refresh only this source: the machine's other lists are left as they are
            run(
                "apt-get",
                "update",
                "-qq",
                "-o",
                f"Dir::Etc::sourcelist={source}",
                "-o",
                "Dir::Etc::sourceparts=-",
                "-o",
                "APT::Get::List-Cleanup=0",
            )
            yield port, key
    finally:
        run("dpkg", "--purge", PACKAGE, check=False)
        run("userdel", "-r", ADMIN, check=False)
        source.unlink(missing_ok=True)
        # list files are named after the URI, "_" escaped as "%5f"
        for lists in Path("/var/lib/apt/lists").glob(f"*{shared.name.replace('_', '%5f')}_repo_*"):
            lists.unlink(missing_ok=True)
        shutil.rmtree(shared, ignore_errors=True)


def write_inventory(root: Path, port: int, key: Path, closed_port: int) -> None:
    root.mkdir()
    (root / "hosts.yml").write_text(f"""
all:
  children:
    rooms:
      children:
        salle_test:
          hosts:
            poste-ok:
            poste-injoignable:
    linux:
      hosts:
        poste-ok:
          ansible_host: 127.0.0.1
          ansible_port: {port}
        poste-injoignable:
          ansible_host: 127.0.0.2
          ansible_port: {closed_port}
""")
    (root / "group_vars").mkdir()
    (root / "group_vars" / "linux.yml").write_text(f"""
admin_user: {ADMIN}
baseline_software: []
extra_software: [{PACKAGE}]
ansible_user: root
ansible_ssh_private_key_file: {key}
ansible_ssh_common_args: "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null"
# plateau's own SSH settings, with a short ControlPersist so no master outlives the test long
ansible_ssh_args: "-C -o ControlMaster=auto -o ControlPersist=3s"
ansible_python_interpreter: /usr/bin/python3
ansible_become_method: su
# the test refreshed its own apt source; do not update every list of the machine
baseline_apt_update_cache: false
""")
    (root / "catalog.yml").write_text(f"""
version: 1
titles:
  - id: {PACKAGE}
    name: Plateau Test App
    category: utility
    platforms:
      linux: {{apt: {PACKAGE}}}
    lacks:
      windows: "paquet de test"
      macos: "paquet de test"
      android: "paquet de test"
      ios: "paquet de test"
""")
    (root / "session.yml").write_text("""
date: 2026-12-03
referentiel: mn-2025
juries:
  - id: jury-test
    label: "Jury de test"
    room: salle_test
candidates: []
""")


def files_text(folder: Path) -> str:
    return "\n".join(p.read_text("utf-8", errors="replace") for p in folder.rglob("*") if p.is_file())


def test_linux_role_installs_creates_admin_and_is_idempotent(target, tmp_path, invoke, store, vault_secrets):
    port, key = target
    inventory = tmp_path / "centre"
    write_inventory(inventory, port, key, free_port())

    init = invoke("secrets", "init", "-i", inventory)
    assert init.code == 0, init.output
    secrets = vault_secrets(inventory)
    assert len(secrets) == 2 and all(s not in init.output for s in secrets)

    first = invoke("provision", "-i", inventory, "--forks", "2")
    assert first.code == 1, first.output  # one host unreachable: the run is not all green
    assert store.hosts["poste-ok"]["status"] == "changed", first.output
    assert store.hosts["poste-ok"]["failed"] == 0 and store.hosts["poste-ok"]["changed"] >= 2
    assert store.hosts["poste-injoignable"]["status"] == "unreachable"
    assert store.runs[-1]["status"] == "failed"
    assert "--limit poste-injoignable" in first.output

    assert "install ok installed" in run("dpkg-query", "-W", "-f=${Status}", PACKAGE).stdout
    assert "sudo" in run("id", "-nG", ADMIN).stdout.split()
    shadow = run("getent", "shadow", ADMIN).stdout.split(":")[1]
    assert shadow.startswith("$6$")  # a real sha512 hash, not the clear password

    second = invoke("provision", "-i", inventory, "--limit", "poste-ok")
    assert second.code == 0, second.output
    assert store.hosts["poste-ok"]["status"] == "ok" and store.hosts["poste-ok"]["changed"] == 0, store.hosts

    runner_dir = inventory / ".plateau" / "runner"
    everything = files_text(runner_dir) + first.output + second.output
    assert "runner_on_ok" in files_text(runner_dir / "artifacts")  # the events really are there
    for secret in secrets:
        assert secret not in everything

    # Ctrl-C during a run: the runner is canceled, the run is stored as such, exit 130
    from provision.provisioning import view

    original = view.LiveView.task_started
    sent = []

    def interrupt_once(self, host, task):
        original(self, host, task)
        if not sent:
            sent.append(task)
            os.kill(os.getpid(), signal.SIGINT)

    view.LiveView.task_started = interrupt_once
    try:
        stopped = invoke("provision", "-i", inventory, "--limit", "poste-ok")
    finally:
        view.LiveView.task_started = original
    assert stopped.code == 130, stopped.output
    assert store.runs[-1]["status"] == "canceled"
