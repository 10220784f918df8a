"""Hosts at their own pace, bounded tasks and redaction, for real (sshd on loopback, su, apt).

What the test starts (as root, cleaned up afterwards): Debian's sshd on three addresses of a random
loopback /24, a flat apt repository of three packages built with dpkg-deb behind a uniquely
named /etc/apt/sources.list.d file, and an inventory of three Linux hosts on that sshd, each with
its own loopback address and admin account:

- ``poste-rapide`` installs nothing; ``poste-lent`` installs ``plateau-test-attente``, whose
  postinst waits for a flag file that the test creates only once it has seen ``poste-rapide``
  end (ceiling 120 s). With every host at its own pace (strategy free) the fast host's end is an
  event *before* the slow host's install result; in lockstep (strategy linear) the fast host
  waits at that task and its end comes after: the order of the runner's events says which.
- ``poste-bloque`` has ``plateau_install_timeout_s: 20`` in the inventory and installs
  ``plateau-test-fige`` (its postinst waits, like an installer behind a hidden dialog): « délai
  dépassé » naming title and host. ``poste-erreur`` installs ``plateau-test-erreur``, whose
  preinst prints a real vault value of the centre and fails: the tool's words, the secret
  redacted, and the secret nowhere (output, store, runner artifacts). Each on its own host: dpkg's
  lock is one for the machine, and the hung script holds it until the test lets it end.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import random
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import pytest

pytest.importorskip("passlib", reason="password_hash needs passlib on the controller: pip install passlib==1.7.4")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(900),
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root (sshd, apt, useradd)"),
    pytest.mark.skipif(
        not Path("/usr/sbin/sshd").exists() or shutil.which("dpkg-deb") is None,
        reason="needs openssh-server and dpkg-deb",
    ),
]

WAIT, FAIL, HANG = "plateau-test-attente", "plateau-test-erreur", "plateau-test-fige"
ADMINS = {
    "poste-rapide": "plateau-jury-rapide",
    "poste-lent": "plateau-jury-lent",
    "poste-erreur": "plateau-jury-erreur",
    "poste-bloque": "plateau-jury-bloque",  # the last: its own bound follows it in hosts.yml
}
CEILING_TENTHS = 1200  # a maintainer script waits at most 120 s for its flag
BOUND_S = 20  # poste-bloque's plateau_install_timeout_s: short, yet above any sound task on a loaded machine


def run(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(list(args), capture_output=True, text=True, check=check, timeout=120)


def files_text(folder: Path) -> str:
    return "\n".join(p.read_text("utf-8", errors="replace") for p in folder.rglob("*") if p.is_file())


def waiting_script(flag: Path, done: Path) -> str:
    return (
        f"#!/bin/sh\ni=0\nwhile [ ! -e {flag} ] && [ $i -lt {CEILING_TENTHS} ]; do sleep 0.1; i=$((i+1)); done\n"
        f"touch {done}\nexit 0\n"
    )


def build_repo(repo: Path, scripts: dict[str, dict[str, str]]) -> None:
    """One .deb per package (with its maintainer scripts) and the flat-repository indexes."""
    repo.mkdir()
    entries = []
    for name, maintainer in scripts.items():
        root = repo.parent / f"root-{name}"
        (root / "DEBIAN").mkdir(parents=True)
        (root / f"usr/share/{name}").mkdir(parents=True)
        (root / f"usr/share/{name}/README").write_text("paquet de test de plateau\n")
        control = (
            f"Package: {name}\nVersion: 1.0\nArchitecture: all\nMaintainer: plateau tests <tests@plateau.invalid>\n"
            "Description: plateau provisioning test package\n"
        )
        (root / "DEBIAN/control").write_text(control)
        for script, text in maintainer.items():
            (root / "DEBIAN" / script).write_text(text)
            (root / "DEBIAN" / script).chmod(0o755)
        deb = repo / f"{name}_1.0_all.deb"
        run("dpkg-deb", "--root-owner-group", "--build", str(root), str(deb))
        data = deb.read_bytes()
        entries.append(
            f"{control.strip()}\nFilename: ./{deb.name}\nSize: {len(data)}\n"
            f"SHA256: {hashlib.sha256(data).hexdigest()}\n"
        )
    (repo / "Packages").write_text("\n".join(entries))
    raw = (repo / "Packages").read_bytes()
    (repo / "Release").write_text(
        f"Suite: plateau-test\nCodename: plateau-test\nSHA256:\n {hashlib.sha256(raw).hexdigest()} {len(raw)} Packages\n"
    )


@contextlib.contextmanager
def sshd_on(folder: Path, addresses: list[str]):
    """Debian's sshd listening on each of *addresses* (one host each: plateau refuses two hosts on one
    address), root by key only; yields (port, client key); stopped on exit."""
    from devices.lab.base import free_port

    folder.mkdir(parents=True, exist_ok=True)
    for name in ("host_key", "client_key"):
        run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(folder / name))
    shutil.copy(folder / "client_key.pub", folder / "authorized_keys")
    port = free_port()
    listen = "".join(f"ListenAddress {a}:{port}\n" for a in addresses)
    (folder / "sshd_config").write_text(
        f"{listen}HostKey {folder / 'host_key'}\nPidFile {folder / 'sshd.pid'}\n"
        f"AuthorizedKeysFile {folder / 'authorized_keys'}\nPermitRootLogin prohibit-password\n"
        "PasswordAuthentication no\nKbdInteractiveAuthentication no\nUsePAM no\nStrictModes no\n"
        "MaxSessions 50\nMaxStartups 50\n"
    )
    Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)
    with open(folder / "sshd.log", "wb") as log:
        sshd = subprocess.Popen(["/usr/sbin/sshd", "-D", "-e", "-f", str(folder / "sshd_config")],
                                stdout=subprocess.DEVNULL, stderr=log)  # fmt: skip
    try:
        deadline = time.monotonic() + 60  # generous: sshd starts slowly on a loaded machine
        for address in addresses:
            while True:
                try:
                    socket.create_connection((address, port), timeout=1).close()
                    break
                except OSError:
                    if time.monotonic() > deadline or sshd.poll() is not None:
                        pytest.fail(f"sshd did not start: {(folder / 'sshd.log').read_text()}")
                    time.sleep(0.1)
        yield port, folder / "client_key"
    finally:
        sshd.terminate()
        sshd.wait(timeout=10)


@pytest.fixture(scope="module")
def machine(tmp_path_factory):
    """sshd, the apt source of the three packages, the flags their scripts wait for; all undone after."""
    tmp = tmp_path_factory.mktemp("free-target")
    shared = Path(tempfile.mkdtemp(prefix="plateau-apt-"))  # apt reads file: repositories as _apt
    os.chmod(shared, 0o755)
    flags = Path(tempfile.mkdtemp(prefix="plateau-flags-"))
    source = Path(f"/etc/apt/sources.list.d/plateau-test-{uuid.uuid4().hex[:8]}.list")
    paths = {name: flags / name for name in ("go-attente", "done-attente", "go-fige", "done-fige", "jeton")}
    prefix = f"127.{random.randint(100, 250)}.{random.randint(0, 255)}"
    addresses = {host: f"{prefix}.{n}" for n, host in enumerate(ADMINS, start=1)}
    try:
        with sshd_on(tmp, list(addresses.values())) as (port, key):
            build_repo(
                shared / "repo",
                {
                    WAIT: {"postinst": waiting_script(paths["go-attente"], paths["done-attente"])},
                    FAIL: {"preinst": f'#!/bin/sh\necho "jeton refusé : $(cat {paths["jeton"]})" >&2\nexit 1\n'},
                    HANG: {"postinst": waiting_script(paths["go-fige"], paths["done-fige"])},
                },
            )
            source.write_text(f"deb [trusted=yes] file:{shared / 'repo'} ./\n")
            run(
                "apt-get", "update", "-qq", "-o", f"Dir::Etc::sourcelist={source}",
                "-o", "Dir::Etc::sourceparts=-", "-o", "APT::Get::List-Cleanup=0",
            )  # fmt: skip
            yield addresses, port, key, paths
    finally:
        for name in ("go-attente", "go-fige"):  # a script still waiting ends now
            paths[name].touch()
        for name in ("done-attente", "done-fige"):
            wait_for(paths[name], 30)
        run("dpkg", "--purge", WAIT, FAIL, HANG, check=False)
        for admin in ADMINS.values():
            run("userdel", "-r", admin, check=False)
        source.unlink(missing_ok=True)
        for lists in Path("/var/lib/apt/lists").glob(f"*{shared.name.replace('_', '%5f')}_repo_*"):
            lists.unlink(missing_ok=True)
        shutil.rmtree(shared, ignore_errors=True)
        shutil.rmtree(flags, ignore_errors=True)


def wait_for(path: Path, ceiling_s: float) -> bool:
    """A real signal (the script's own file), with a ceiling; never a fixed sleep."""
    deadline = time.monotonic() + ceiling_s
    while not path.exists():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def write_inventory(root: Path, addresses: dict[str, str], port: int, key: Path) -> None:
    software = {"poste-rapide": [], "poste-lent": [WAIT], "poste-erreur": [FAIL], "poste-bloque": [HANG]}
    hosts = "".join(
        f"        {host}:\n          ansible_host: {addresses[host]}\n          ansible_port: {port}\n"
        f"          admin_user: {ADMINS[host]}\n          extra_software: {json.dumps(software[host])}\n"
        for host in ADMINS
    )
    hosts += f"          plateau_install_timeout_s: {BOUND_S}\n"  # poste-bloque's own bound (the last host)
    root.mkdir()
    (root / "hosts.yml").write_text(
        "all:\n  children:\n    rooms:\n      children:\n        salle_test:\n          hosts:\n"
        + "".join(f"            {host}:\n" for host in ADMINS)
        + f"    linux:\n      hosts:\n{hosts}"
    )
    (root / "group_vars").mkdir()
    (root / "group_vars" / "linux.yml").write_text(f"""
baseline_software: []
ansible_user: root
ansible_ssh_private_key_file: {key}
ansible_ssh_common_args: "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null"
ansible_ssh_args: "-C -o ControlMaster=auto -o ControlPersist=3s"
ansible_python_interpreter: /usr/bin/python3
ansible_become_method: su
baseline_apt_update_cache: false
""")
    titles = {WAIT: "Logiciel lent", FAIL: "Logiciel en erreur", HANG: "Logiciel figé"}
    (root / "catalog.yml").write_text(
        "version: 1\ntitles:\n"
        + "".join(
            f"  - id: {name}\n    name: {title}\n    category: utility\n    platforms:\n      linux: {{apt: {name}}}\n"
            "    lacks: {windows: test, macos: test, android: test, ios: test}\n"
            for name, title in titles.items()
        )
    )
    (root / "session.yml").write_text(
        "date: 2026-12-03\nreferentiel: mn-2025\njuries:\n  - id: jury-test\n    label: Jury de test\n"
        "    room: salle_test\ncandidates: []\n"
    )


def job_events(inventory: Path) -> list[dict]:
    """The last run's events as ansible-runner wrote them, in Ansible's own order (counter)."""
    artifacts = inventory / ".plateau" / "runner" / "artifacts"
    last = max((d for d in artifacts.iterdir() if d.is_dir()), key=lambda d: d.stat().st_mtime)
    files = sorted((last / "job_events").glob("*.json"), key=lambda p: int(p.name.split("-", 1)[0]))
    return [json.loads(p.read_text("utf-8")) for p in files]


@contextlib.contextmanager
def on_host_update(callback):
    """Call *callback(result)* on every host update the live view gets during the run."""
    from provision.provisioning import view

    original = view.LiveView.host_updated

    def hooked(self, result):
        original(self, result)
        callback(result)

    view.LiveView.host_updated = hooked
    try:
        yield
    finally:
        view.LiveView.host_updated = original


def test_hosts_at_their_own_pace_bounded_tasks_and_no_secret_anywhere(machine, tmp_path, invoke, store, vault_secrets):
    addresses, port, key, paths = machine
    inventory = tmp_path / "centre"
    write_inventory(inventory, addresses, port, key)
    init = invoke("secrets", "init", "-i", inventory)
    assert init.code == 0, init.output
    secrets = vault_secrets(inventory)
    assert len(secrets) == len(ADMINS)
    paths["jeton"].write_text(secrets[0])  # a real vault value, printed by a failing installer
    paths["jeton"].chmod(0o644)

    # 1. the fast host ends while the slow host's installer is still running
    seen: list[tuple[str, str]] = []

    def release_slow(result) -> None:
        seen.append((result.host, result.status.value))
        if result.host == "poste-rapide" and result.done:
            paths["go-attente"].touch()

    with on_host_update(release_slow):
        free = invoke("provision", "-i", inventory, "--limit", "poste-rapide,poste-lent", "--forks", "2")
    assert free.code == 0, free.output
    assert store.hosts["poste-lent"]["status"] == store.hosts["poste-rapide"]["status"] == "changed"
    events = job_events(inventory)
    fast_end = next(e["counter"] for e in events if e["event"] == "runner_on_ok"
                    and e["event_data"]["host"] == "poste-rapide"
                    and e["event_data"]["task"] == "Terminer la préparation du poste")  # fmt: skip
    slow_install = next(e["counter"] for e in events if e["event"] == "runner_on_ok"
                        and e["event_data"]["host"] == "poste-lent"
                        and any(isinstance(r.get("item"), dict) and r["item"].get("id") == WAIT
                                for r in e["event_data"]["res"].get("results") or ()))  # fmt: skip
    assert fast_end < slow_install, "the fast host waited for the slow host's install"
    # the live view: the slow host « en cours » (never « prêt ») until its own end
    lent = [status for host, status in seen if host == "poste-lent"]
    assert lent[-1] == "changed" and set(lent[: lent.index("changed")]) == {"running"}, lent
    assert "install ok installed" in run("dpkg-query", "-W", "-f=${Status}", WAIT).stdout

    # 2. a hanging installer is cut at the host's own bound; the failing one's words are redacted
    def release_hung(result) -> None:  # poste-erreur may be waiting for dpkg's lock meanwhile
        if result.host == "poste-bloque" and result.failed:
            paths["go-fige"].touch()  # the remote script outlives Ansible's timeout: let it end

    with on_host_update(release_hung):
        bounded = invoke("provision", "-i", inventory, "--limit", "poste-bloque,poste-erreur", "--forks", "2")
    assert bounded.code == 1, bounded.output
    assert wait_for(paths["done-fige"], 120)  # dpkg's lock is free again before the cleanup
    [timeout] = store.hosts["poste-bloque"]["detail"]["failures"]
    [refused] = store.hosts["poste-erreur"]["detail"]["failures"]
    assert timeout["title"] == "Logiciel figé" and refused["title"] == "Logiciel en erreur"
    assert timeout["reason"] == "provision.reason_timeout"
    assert "délai dépassé" in timeout["message"] and "poste-bloque" in timeout["message"]
    assert f"{BOUND_S} s" in timeout["message"] and "délai dépassé" in bounded.output
    # the tool's own words (the maintainer script's, then dpkg's), a real vault value redacted in them
    assert "jeton refusé : ***" in refused["message"] and "pre-installation script" in refused["message"]
    everything = free.output + bounded.output + json.dumps(store.hosts) + files_text(inventory / ".plateau")
    for secret in secrets:
        assert secret not in everything
