"""``plateau cache``: what gets cached from a plan, and the Linux role installing from the cache.

The real test (root, as test_linux_real.py) builds two tiny .deb with dpkg-deb
(``plateau-cache-app`` depends on ``plateau-cache-lib``) into a flat repository declared by
a temporary apt source, runs ``plateau cache --only apt`` (real apt-cache depends /
apt-get download / dpkg-deb), then **removes that source and its lists** so apt can no
longer find the packages anywhere but in the cache, and runs the real playbook over SSH on
loopback: ``plateau provision`` serves the cache over HTTP (provision/provisioning/lan.py,
with Debian's apt-cacher-ng beside it) and both packages get installed from there; a re-run
changes nothing, and nothing of the LAN cache stays in /etc/apt afterwards. Everything is
undone at the end.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from provision.cli import cache as cache_cli
from provision.cli import provision as prov_cli
from provision.cli import secrets as secrets_cli
from provision.context import load_all
from provision.provisioning.cache import (
    KINDS,
    Status,
    Wanted,
    apt_closure,
    build_cache,
    cache_vars,
    parse_only,
    wanted_from_plan,
    windows_manifest,
    with_candidate,
)

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "inventories" / "example"
APP, LIB = "plateau-cache-app", "plateau-cache-lib"
ADMIN = "plateau-cache-jury"


def make_app() -> typer.Typer:
    app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    app.command("provision")(prov_cli.provision_command)
    app.command("cache")(cache_cli.cache_command)
    app.add_typer(secrets_cli.secrets_app, name="secrets")
    return app


@pytest.fixture
def cli(monkeypatch):
    from provision.errors import PlateauError

    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.delenv("PLATEAU_VAULT_PASSWORD_FILE", raising=False)
    app = make_app()

    def run(*args: Any) -> tuple[int, str]:
        started = time.monotonic()
        result = CliRunner().invoke(app, [str(a) for a in args])
        print(f"plateau {args[0]}: {time.monotonic() - started:.1f} s")
        if isinstance(result.exception, PlateauError):
            return 2, result.output + "\n" + "\n".join(p.key for p in result.exception.problems)
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        return result.exit_code, result.output

    return run


# ---------------------------------------------------------------- what to cache (no root needed)
@pytest.fixture(scope="module")
def example_plan() -> dict:
    return load_all(EXAMPLE).plan.to_dict()


def test_wanted_follows_the_playbooks_manager_choice(example_plan):
    wanted = wanted_from_plan(example_plan)
    kinds = {w.kind for w in wanted}
    assert {"apt", "winget", "apk"} <= kinds, kinds
    firefox = next(w for w in wanted if w.kind == "winget" and w.id == "Mozilla.Firefox")
    assert firefox.choco == "firefox" and firefox.hosts
    # the Chocolatey fallback of a winget title is worth caching too
    assert any(w.kind == "choco" and w.id == "firefox" for w in wanted)
    assert [w.kind for w in wanted] == sorted((w.kind for w in wanted), key=KINDS.index)
    only_apt = wanted_from_plan(example_plan, ["apt"])
    assert only_apt and {w.kind for w in only_apt} == {"apt"}


def test_example_cache_without_network_tools(example_plan, tmp_path):
    """winget/choco -> a PowerShell script; flatpak missing -> unavailable; APK/IPA -> what to drop."""
    root = tmp_path / "centre"
    (root / "apk").mkdir(parents=True)
    apk = next(w for w in wanted_from_plan(example_plan) if w.kind == "apk")
    (root / "apk" / f"{apk.id}.apk").write_bytes(b"PK")
    report = build_cache(root, example_plan, ["flatpak", "winget", "choco", "apk", "ipa"], which=lambda _: None)
    by = {(e.kind, e.id): e for e in report.entries}
    assert by[("apk", apk.id)].status == Status.PRESENT
    assert all(e.status == Status.MANUAL for e in report.entries if e.kind in ("winget", "choco"))
    assert all(
        e.status == Status.UNAVAILABLE and e.key == "cache.flatpak_missing"
        for e in report.entries
        if e.kind == "flatpak"
    )
    missing_apk = [e for e in report.entries if e.kind == "apk" and e.status == Status.MANUAL]
    assert all(e.key == "cache.apk_missing" for e in missing_apk)
    ipa = [e for e in report.entries if e.kind == "ipa"]
    assert ipa and all(e.key == "cache.ipa_missing" for e in ipa)
    script = (root / "cache" / "windows" / "fetch-installers.ps1").read_text("utf-8-sig")
    assert "winget download --id Mozilla.Firefox --exact" in script
    assert "choco download firefox --internalize" in script
    manifest = json.loads((root / "cache" / "manifest.json").read_text())
    assert manifest["schema"] == "plateau.cache/1" and len(manifest["entries"]) == len(report.entries)
    assert cache_vars(root) == {}  # no apt repository: provisioning is told nothing


def test_windows_manifest_nothing_to_write(tmp_path):
    assert windows_manifest([], tmp_path) == []
    assert not (tmp_path / "windows").exists()
    entries = windows_manifest([Wanted("winget", "VideoLAN.VLC", "VLC", ["pc1"])], tmp_path)
    assert entries[0].params["command"].startswith("winget download --id VideoLAN.VLC")


def test_apt_closure_keeps_real_packages_of_this_architecture():
    listing = (
        "hello\n  Depends: libc6\nlibc6\n  Depends: libgcc-s1\n |Depends: <awk>\n"
        "<awk>\nmawk\nlibgcc-s1\nlibc6:i386\nlibfoo:amd64\n"
    )

    def fake_run(args, **kwargs):
        out = "amd64\n" if args[0] == "dpkg" else listing
        return subprocess.CompletedProcess(args, 0, out, "")

    assert apt_closure("hello", fake_run) == ["hello", "libc6", "mawk", "libgcc-s1", "libfoo"]

    def unknown(args, **kwargs):
        return subprocess.CompletedProcess(args, 100, "", "E: No packages found")

    with pytest.raises(LookupError):
        apt_closure("nope", unknown)


def test_alternatives_without_candidate_are_not_downloaded():
    policy = (
        "hello:\n  Installed: (none)\n  Candidate: 2.10-3\n  Version table:\n"
        "libc6:i386:\n  Installed: (none)\n  Candidate: (none)\n"
        "mawk:\n  Installed: 1.3.4\n  Candidate: 1.3.4\n"
    )

    def fake_run(args, **kwargs):
        assert args[:2] == ["apt-cache", "policy"]
        return subprocess.CompletedProcess(args, 0, policy, "")

    assert with_candidate(["hello", "libc6:i386", "gawk", "mawk"], fake_run) == ["hello", "mawk"]


def test_only_option(cli, tmp_path):
    assert parse_only(None) == list(KINDS)
    assert parse_only("apt, android,ios") == ["apt", "apk", "ipa"]
    code, output = cli("cache", "-i", EXAMPLE, "--only", "apt,snap")
    assert code == 2 and "cache.unknown_kind" in output and "Traceback" not in output


# ---------------------------------------------------------------- the real thing
def run(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(list(args), capture_output=True, text=True, check=check, timeout=120)


def build_deb(work: Path, repo: Path, name: str, depends: str | None = None) -> Path:
    root = work / name
    (root / "DEBIAN").mkdir(parents=True)
    (root / f"usr/share/{name}").mkdir(parents=True)
    (root / f"usr/share/{name}/README").write_text("paquet de test du cache de plateau\n")
    control = (
        f"Package: {name}\nVersion: 1.0\nArchitecture: all\nMaintainer: plateau tests <t@plateau.invalid>\n"
        + (f"Depends: {depends}\n" if depends else "")
        + "Description: plateau cache test package\n"
    )
    (root / "DEBIAN/control").write_text(control)
    deb = repo / f"{name}_1.0_all.deb"
    run("dpkg-deb", "--root-owner-group", "--build", str(root), str(deb))
    return deb


def write_index(repo: Path) -> None:
    paragraphs = []
    for deb in sorted(repo.glob("*.deb")):
        data = deb.read_bytes()
        control = run("dpkg-deb", "--field", str(deb)).stdout.strip()
        paragraphs.append(
            f"{control}\nFilename: ./{deb.name}\nSize: {len(data)}\nSHA256: {hashlib.sha256(data).hexdigest()}\n"
        )
    (repo / "Packages").write_text("\n".join(paragraphs))
    raw = (repo / "Packages").read_bytes()
    (repo / "Release").write_text(
        f"Suite: plateau-test\nSHA256:\n {hashlib.sha256(raw).hexdigest()} {len(raw)} Packages\n"
    )


def forget_source(source: Path, shared: Path) -> None:
    source.unlink(missing_ok=True)
    for lists in Path("/var/lib/apt/lists").glob(f"*{shared.name.replace('_', '%5f')}_repo_*"):
        lists.unlink(missing_ok=True)


@pytest.fixture
def target(tmp_path, local_sshd):
    """A live sshd on 127.0.0.1 and an apt source holding APP and LIB; all undone after."""
    tmp = tmp_path / "target"
    tmp.mkdir()
    shared = Path(tempfile.mkdtemp(prefix="plateau-cache-src-"))  # _apt must read it: not pytest's 0700 tmp
    os.chmod(shared, 0o755)
    repo = shared / "repo"
    repo.mkdir()
    source = Path(f"/etc/apt/sources.list.d/plateau-cache-test-{uuid.uuid4().hex[:8]}.list")
    try:
        with local_sshd(tmp / "sshd") as (port, key):
            build_deb(tmp, repo, LIB)
            build_deb(tmp, repo, APP, depends=LIB)
            write_index(repo)
            source.write_text(f"deb [trusted=yes] file:{repo} ./\n")
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
            yield {"port": port, "key": key, "forget": lambda: forget_source(source, shared)}
    finally:
        run("dpkg", "--purge", APP, LIB, check=False)
        run("userdel", "-r", ADMIN, check=False)
        forget_source(source, shared)
        shutil.rmtree(shared, ignore_errors=True)
        for left in LAN_LEFTOVERS:  # if the role stopped midway
            Path(left).unlink(missing_ok=True)


LAN_LEFTOVERS = (
    "/etc/apt/apt.conf.d/01plateau-lan",
    "/etc/apt/sources.list.d/plateau-lan.list",
)


def write_inventory(root: Path, port: int, key: Path) -> None:
    root.mkdir()
    (root / "hosts.yml").write_text(f"""
all:
  children:
    rooms:
      children:
        salle_test:
          hosts:
            poste-cache:
    linux:
      hosts:
        poste-cache:
          ansible_host: 127.0.0.1
          ansible_port: {port}
""")
    (root / "group_vars").mkdir()
    (root / "group_vars" / "linux.yml").write_text(f"""
admin_user: {ADMIN}
baseline_software: []
extra_software: [{APP}]
ansible_user: root
ansible_ssh_private_key_file: {key}
ansible_ssh_common_args: "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null"
# no compression on loopback (it only costs CPU); the master connection outlives the first
# provisioning run so that the second one reuses it, and ends 30 s after the last task
ansible_ssh_args: "-o ControlMaster=auto -o ControlPersist=30s"
ansible_python_interpreter: /usr/bin/python3
# the SSH user is already root: no su, so Ansible pipelines each module in one SSH exchange
# (su cannot pipeline: ~5 SSH round trips a task). test_linux_real.py covers becoming with su.
ansible_become: false
ansible_become_method: su
# the target is this machine: refresh only the LAN cache's repository, not every list of it
baseline_apt_update_cache: false
""")
    (root / "catalog.yml").write_text(f"""
version: 1
titles:
  - id: {APP}
    name: Plateau Cache App
    category: utility
    platforms:
      linux: {{apt: {APP}}}
    lacks: {{windows: test, macos: test, android: test, ios: test}}
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


def installed(package: str) -> bool:
    return "install ok installed" in run("dpkg-query", "-W", "-f=${Status}", package, check=False).stdout


@pytest.mark.slow
# Two real ansible-playbook runs of ~35 tasks over SSH: ~45 s on a 2-core machine at load 3
# (it was 60-90 s, and past 120 s under a full run, while each task became root with su, which
# cannot pipeline); 600 s leaves room for a machine loaded by parallel runs.
@pytest.mark.timeout(600)
@pytest.mark.skipif(os.geteuid() != 0, reason="needs root (sshd, apt, useradd)")
@pytest.mark.skipif(
    not Path("/usr/sbin/sshd").exists() or shutil.which("dpkg-deb") is None, reason="needs openssh-server and dpkg-deb"
)
def test_linux_role_installs_from_the_offline_cache(target, tmp_path, cli, store):
    pytest.importorskip("passlib")
    inventory = tmp_path / "centre"
    write_inventory(inventory, target["port"], target["key"])
    assert cli("secrets", "init", "-i", inventory)[0] == 0

    code, output = cli("cache", "-i", inventory, "--only", "apt")
    assert code == 0, output
    repo = inventory / "cache" / "apt"
    assert sorted(p.name for p in repo.glob("*.deb")) == [f"{APP}_1.0_all.deb", f"{LIB}_1.0_all.deb"]
    assert f"Package: {LIB}" in (repo / "Packages").read_text()
    assert not (inventory / "cache" / "apt-repo.tar").exists()  # no whole-cache archive for every host

    target["forget"]()  # the "network" source is gone: only the cache can provide the packages
    for kept in Path("/var/cache/apt/archives").glob("plateau-cache-*.deb"):  # apt's copies from an earlier run
        kept.unlink()
    policy = run("apt-cache", "policy", APP).stdout
    assert "Candidate" not in policy or "(none)" in policy, policy
    assert not installed(APP) and not installed(LIB)

    code, output = cli("provision", "-i", inventory)
    assert code == 0, output
    assert installed(APP) and installed(LIB)
    assert store.hosts["poste-cache"]["status"] == "changed"
    # both packages came from the laptop's HTTP server (plateau_lan_url), over the "LAN"
    served = store.hosts["poste-cache"]["detail"]["lan"]["apt"]
    debs = sum(p.stat().st_size for p in repo.glob("*.deb"))
    assert served["lan_files"] >= 2 and served["lan_bytes"] >= debs and served["internet_files"] == 0, served
    for left in LAN_LEFTOVERS:  # nothing of the LAN cache stays on the PC
        assert not Path(left).exists(), left
    assert not list(Path("/var/lib/apt/lists").glob("*_apt_._*Packages"))

    code, output = cli("provision", "-i", inventory)
    assert code == 0, output
    assert store.hosts["poste-cache"]["changed"] == 0, store.hosts
    for left in LAN_LEFTOVERS:
        assert not Path(left).exists(), left
