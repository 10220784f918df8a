"""The laptop as the centre's LAN cache (provision/provisioning/lan.py), for real.

Unit part (no root): apt-cacher-ng's transfer log as it really writes it, the matching of
clients to hosts, the HTTP server of the cache folder over a real socket.

Real part (root): a loopback "upstream" mirror counting bytes (devices/lab/apt_mirror.py: a
flat repository of .deb built with dpkg-deb), two Debian PCs with their own apt and dpkg
(devices/lab/apt_target.py: real sshd, overlays of /etc, /var, /usr in a mount namespace), and
``plateau provision`` as the technician runs it: it starts Debian's apt-cacher-ng (remapping
the upstream, ``cache/apt-cacher-ng.conf``) and the playbooks' apt goes through it.
"""

from __future__ import annotations

import os
import shutil
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from provision.cli import provision as prov_cli
from provision.cli import secrets as secrets_cli
from provision.provisioning import lan
from provision.provisioning.cache import lan_vars

# Recorded from apt-cacher-ng 3.7.4 (Debian 12): one client fetching two packages, then a
# second client getting the same from the cache (its indexes re-checked upstream).
ACNG_LOG = """\
1796164834|I|370|127.0.0.1|plateaulab/./InRelease [HTTP error, code: 404]
1796164834|E|628|127.0.0.1|plateaulab/./InRelease [HTTP error, code: 404]
1796164834|I|792|127.0.0.1|plateaulab/./Release
1796164834|O|637|127.0.0.1|plateaulab/./Release
1796164834|I|726|127.0.0.1|plateaulab/./Packages.gz
1796164834|O|591|127.0.0.1|plateaulab/./Packages.gz
1796164834|I|33950|127.0.0.1|plateaulab/./plateau-lan-lib_1.0_all.deb
1796164834|O|33787|127.0.0.1|plateaulab/./plateau-lan-lib_1.0_all.deb
1796164834|I|66726|127.0.0.1|plateaulab/./plateau-lan-app_1.0_all.deb
1796164834|O|66563|127.0.0.1|plateaulab/./plateau-lan-app_1.0_all.deb
1796164836|I|402|10.0.0.12|plateaulab/./Release
1796164836|O|637|10.0.0.12|plateaulab/./Release
1796164837|O|33787|10.0.0.12|plateaulab/./plateau-lan-lib_1.0_all.deb
1796164837|O|66563|10.0.0.12|plateaulab/./plateau-lan-app_1.0_all.deb
not a log line
"""


def test_acng_log_tells_cache_hits_from_downloads():
    flows = lan.parse_acng_log(ACNG_LOG.splitlines())
    first, second = flows["127.0.0.1"], flows["10.0.0.12"]
    assert (first["apt"].internet_files, first["apt"].lan_files) == (2, 0)
    assert first["apt"].internet_bytes == 33950 + 66726
    assert (second["apt"].internet_files, second["apt"].lan_files) == (0, 2)
    assert second["apt"].lan_bytes == 33787 + 66563 and second["apt"].internet_bytes == 0
    assert second["apt-index"].internet_bytes == 402  # the re-check of Release crossed the uplink
    assert first["apt-index"].internet_bytes == 792 + 726  # the 404 of InRelease is not counted


def test_report_matches_clients_to_hosts():
    flows = lan.parse_acng_log(ACNG_LOG.splitlines())
    report = lan.build_report(flows, {"pc-a": {"127.0.0.1"}, "pc-b": {"10.0.0.12"}})
    assert set(report.hosts) == {"pc-a", "pc-b"} and not report.shared and not report.unknown
    shared = lan.build_report(flows, {"pc-a": {"127.0.0.1"}, "pc-c": {"127.0.0.1"}})
    assert shared.shared["127.0.0.1"]["hosts"] == ["pc-a", "pc-c"]  # cannot be told apart: said so
    assert set(shared.unknown) == {"10.0.0.12"}
    document = shared.as_dict()
    assert document["shared"]["127.0.0.1"]["kinds"]["apt"]["internet_files"] == 2


def test_address_is_the_route_source_or_the_centres_choice():
    assert lan.route_source("127.0.0.1") == "127.0.0.1"
    assert lan.choose_address(["127.0.0.1"]) == "127.0.0.1"
    assert lan.choose_address(["127.0.0.1"], "127.0.0.1") == "127.0.0.1"
    assert lan.choose_address([], None) is None


def test_no_acng_means_no_lan_cache(tmp_path):
    with pytest.raises(lan.LanCacheUnavailable) as caught:
        lan.start_lan_cache(tmp_path, "127.0.0.1", which=lambda _: None)
    assert caught.value.key == "lan.no_acng"


def test_cache_folder_server_serves_only_what_hosts_need(tmp_path):
    folder = tmp_path / "cache"
    for sub in ("apt", "flatpak", "apt-proxy"):
        (folder / sub).mkdir(parents=True)
    (folder / "apt" / "Packages").write_text("Package: x\n")
    (folder / "flatpak" / "org.example.App.flatpak").write_bytes(b"\0" * 1000)
    (folder / "apt-proxy" / "secret").write_text("not served")
    (folder / "manifest.json").write_text("{}")
    server = lan._CacheFolderServer(("127.0.0.1", 0), folder)
    import threading

    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    try:
        assert urllib.request.urlopen(base + "apt/Packages", timeout=10).read() == b"Package: x\n"
        assert len(urllib.request.urlopen(base + "flatpak/org.example.App.flatpak", timeout=10).read()) == 1000
        for refused in ("apt-proxy/secret", "manifest.json", "apt/", ""):
            with pytest.raises(urllib.error.HTTPError) as caught:
                urllib.request.urlopen(base + refused, timeout=10)
            assert caught.value.code == 404, refused
    finally:
        server.shutdown()
        server.server_close()
    assert server.served["127.0.0.1"]["flatpak"].lan_bytes == 1000
    assert server.served["127.0.0.1"]["apt"].lan_files == 1
    assert lan_vars(tmp_path) == {"plateau_lan_apt_repo": True, "plateau_lan_flatpaks": ["org.example.App"]}


# ---------------------------------------------------------------- the real thing
APP, LIB = "plateau-lan-app", "plateau-lan-lib"
UPSTREAM = "upstream.plateau.invalid"  # what the PCs' sources name; apt-cacher-ng remaps it to the mirror


def make_app() -> typer.Typer:
    app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    app.command("provision")(prov_cli.provision_command)
    app.add_typer(secrets_cli.secrets_app, name="secrets")
    return app


def cli(*args: Any) -> tuple[int, str]:
    result = CliRunner().invoke(make_app(), [str(a) for a in args])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.output


def write_inventory(root: Path, pcs: dict[str, dict[str, Any]], mirror_url: str) -> None:
    import yaml

    root.mkdir()
    (root / "hosts.yml").write_text(
        yaml.safe_dump(
            {
                "all": {
                    "children": {
                        "rooms": {"children": {"salle_test": {"hosts": dict.fromkeys(pcs)}}},
                        "linux": {"hosts": pcs},
                    }
                }
            }  # fmt: skip
        )
    )
    (root / "group_vars").mkdir()
    (root / "group_vars" / "linux.yml").write_text(f"""
admin_user: plateau-lan-jury
baseline_software: []
extra_software: [{APP}]
ansible_ssh_args: "-o ControlMaster=auto -o ControlPersist=30s"
""")
    (root / "catalog.yml").write_text(f"""
version: 1
titles:
  - id: {APP}
    name: Plateau LAN App
    category: utility
    platforms:
      linux: {{apt: {APP}}}
    lacks: {{windows: test, macos: test, android: test, ios: test}}
""")
    (root / "session.yml").write_text(
        'date: 2026-12-03\nreferentiel: mn-2025\njuries:\n  - id: jury-test\n    label: "Jury"\n'
        "    room: salle_test\ncandidates: []\n"
    )
    (root / "cache").mkdir()
    # the centre's extra apt-cacher-ng settings: the upstream is the loopback mirror, and
    # nothing else may be fetched (ForceManaged), so the test never reaches a real mirror
    (root / "cache" / "apt-cacher-ng.conf").write_text(
        f"Remap-plateaulab: {UPSTREAM}/debian ; {mirror_url}\nForceManaged: 1\n"
    )


def deb_requests(mirror: Any) -> list[str]:
    return [path for path in mirror.requests if path.endswith(".deb")]


@pytest.mark.slow
@pytest.mark.timeout(900)  # three real ansible-playbook runs on a loaded 2-core machine
@pytest.mark.skipif(os.geteuid() != 0, reason="needs root (sshd, mount namespaces)")
@pytest.mark.skipif(
    shutil.which("apt-cacher-ng") is None or shutil.which("dpkg-deb") is None or not Path("/usr/sbin/sshd").exists(),
    reason="needs apt-cacher-ng, dpkg-deb and openssh-server",
)
def test_each_package_crosses_the_uplink_once(tmp_path, monkeypatch, store):
    pytest.importorskip("passlib")
    from devices.lab.apt_mirror import AptMirror
    from devices.lab.apt_target import AptTarget

    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.delenv("PLATEAU_VAULT_PASSWORD_FILE", raising=False)
    monkeypatch.delenv("PLATEAU_LAN_CACHE", raising=False)
    sources = f"deb [trusted=yes] http://{UPSTREAM}/debian/ ./\n"
    names = {UPSTREAM: "127.0.0.1"}
    with (
        AptMirror() as mirror,
        AptTarget(sources=sources, address="127.0.0.11", hosts=names) as pc1,
        AptTarget(sources=sources, address="127.0.0.12", hosts=names) as pc2,
    ):
        mirror.add_package(LIB, "1.0", size_kb=32)
        mirror.add_package(APP, "1.0", depends=LIB, size_kb=64)
        mirror.publish()
        inventory = tmp_path / "centre"
        write_inventory(inventory, {"poste-1": pc1.host_vars(), "poste-2": pc2.host_vars()}, mirror.url)
        assert cli("secrets", "init", "-i", inventory)[0] == 0

        # the first PC: everything comes from the internet, once
        code, output = cli("provision", "-i", inventory, "--limit", "poste-1")
        assert code == 0, output
        assert pc1.installed(APP) == "1.0" and pc1.installed(LIB) == "1.0"
        assert pc2.installed(APP) is None  # independent PCs: the second one has nothing yet
        assert sorted(deb_requests(mirror)) == [f"/debian/./{APP}_1.0_all.deb", f"/debian/./{LIB}_1.0_all.deb"]
        first = store.hosts["poste-1"]["detail"]["lan"]
        assert first["apt"]["internet_files"] == 2 and first["apt"]["lan_files"] == 0, first

        # the second PC: nothing from the internet but the indexes' 1-byte re-check
        mirror.reset_counts()
        code, output = cli("provision", "-i", inventory, "--limit", "poste-2")
        assert code == 0, output
        assert pc2.installed(APP) == "1.0" and pc2.installed(LIB) == "1.0"
        assert deb_requests(mirror) == []
        assert all(sent <= 1 for sent in mirror.sent_by_path.values()), mirror.sent_by_path
        second = store.hosts["poste-2"]["detail"]["lan"]
        assert second["apt"]["internet_files"] == 0 and second["apt"]["lan_files"] == 2, second
        assert second["apt"]["lan_bytes"] > 64 * 1024
        assert "Réseau local" in output  # the run says it, not only the record

        # a new version upstream, and two PCs that need the title again (removed by hand; the
        # role installs what is missing, it does not upgrade): the new .deb is fetched once
        mirror.add_package(APP, "1.1", depends=LIB, size_kb=64)
        mirror.publish()
        mirror.reset_counts()
        for pc in (pc1, pc2):
            assert pc.run("dpkg", "--purge", APP).returncode == 0
            assert pc.installed(APP) is None
        code, output = cli("provision", "-i", inventory, "--forks", "2")
        assert code == 0, output
        proxy_log = (inventory / ".plateau" / "lan" / "log" / "apt-cacher.log").read_text(errors="replace")
        assert pc1.installed(APP) == "1.1" and pc2.installed(APP) == "1.1", (proxy_log, output[-3000:])
        assert deb_requests(mirror) == [f"/debian/./{APP}_1.1_all.deb"]
        # one PC brought it from the internet, the other got it from the laptop (and its
        # unchanged dependency from the laptop too)
        flows = [store.hosts[h]["detail"]["lan"]["apt"] for h in ("poste-1", "poste-2")]
        assert sorted(f["internet_files"] for f in flows) == [0, 1], flows
        assert sum(f["lan_files"] for f in flows) == 1, flows  # LIB 1.0 was already installed on both

        for pc in (pc1, pc2):  # nothing of the LAN cache stays on the PCs
            listing = pc.run("ls", "/etc/apt/apt.conf.d", "/etc/apt/sources.list.d").stdout
            assert "plateau" not in listing, listing
    assert not list(Path("/etc/apt/apt.conf.d").glob("*plateau*"))  # the machine itself was never touched


def test_the_run_prints_and_records_the_report():
    from rich.console import Console

    from provision.cli.cache import lan_detail, print_lan_report

    flows = lan.parse_acng_log(ACNG_LOG.splitlines())
    report = lan.build_report(flows, {"pc-a": {"127.0.0.1"}, "pc-b": {"10.0.0.12"}})
    console = Console(record=True, width=160)
    print_lan_report(console, report)
    text = console.export_text()
    assert "pc-a" in text and "pc-b" in text and "2 fichier(s), 0,1 Mo" in text
    document = report.as_dict()
    assert lan_detail({"key": "x"}, document, "pc-b")["lan"]["apt"]["lan_files"] == 2
    assert lan_detail({"key": "x"}, None, "pc-b") == {"key": "x"}
    assert lan_detail({"key": "x"}, document, "pc-z") == {"key": "x"}


def build_flatpak_bundles(work: Path) -> tuple[Path, Path]:
    """A tiny runtime and an app using it, as flatpak bundles (real ``flatpak build-export`` /
    ``build-bundle``; Flathub is not reachable here, so the test makes its own)."""
    import subprocess

    runtime, app, repo = work / "runtime", work / "app", work / "repo"
    (runtime / "usr").mkdir(parents=True)
    (runtime / "metadata").write_text(
        "[Runtime]\nname=org.plateau.LabPlatform\nruntime=org.plateau.LabPlatform/x86_64/1\n"
        "sdk=org.plateau.LabPlatform/x86_64/1\n"
    )
    (app / "files" / "bin").mkdir(parents=True)
    (app / "export").mkdir()
    (app / "files" / "bin" / "hello").write_text("#!/bin/sh\necho bonjour\n")
    (app / "files" / "bin" / "hello").chmod(0o755)
    (app / "metadata").write_text(
        "[Application]\nname=org.plateau.LabApp\nruntime=org.plateau.LabPlatform/x86_64/1\n"
        "sdk=org.plateau.LabPlatform/x86_64/1\ncommand=hello\n"
    )
    env = {**os.environ, "FLATPAK_USER_DIR": str(work / "user")}
    for argv in (
        ["flatpak", "build-export", "--runtime", "--files=usr", str(repo), str(runtime), "1"],
        ["flatpak", "build-export", str(repo), str(app), "stable"],
        [
            "flatpak",
            "build-bundle",
            "--runtime",
            str(repo),
            str(work / "runtime.flatpak"),
            "org.plateau.LabPlatform",
            "1",
        ],
        [
            "flatpak",
            "build-bundle",
            str(repo),
            str(work / "org.plateau.LabApp.flatpak"),
            "org.plateau.LabApp",
            "stable",
        ],
    ):
        subprocess.run(argv, check=True, capture_output=True, timeout=120, env=env)
    return work / "runtime.flatpak", work / "org.plateau.LabApp.flatpak"


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root (sshd, mount namespaces)")
@pytest.mark.skipif(shutil.which("flatpak") is None, reason="needs flatpak (Debian package)")
def test_flatpak_bundle_from_the_lan_installs_offline(tmp_path):
    """What the linux role's LAN Flatpak tasks do (get_url from plateau_lan_url, then
    ``flatpak install --system --bundle``), in a PC with its own /var/lib/flatpak. The runtime
    is installed first by hand: a bundle carries the app only (the role then relies on the
    PC having the runtime, or on Flathub for it)."""
    import threading

    from devices.lab.apt_target import AptTarget

    runtime, bundle = build_flatpak_bundles(tmp_path)
    cache = tmp_path / "centre" / "cache"
    (cache / "flatpak").mkdir(parents=True)
    shutil.copy(bundle, cache / "flatpak" / bundle.name)
    server = lan._CacheFolderServer(("127.0.0.1", 0), cache)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}/flatpak/{bundle.name}"
    try:
        with AptTarget(sources="", address="127.0.0.13") as pc:
            shutil.copy(runtime, pc.dir / "runtime.flatpak")
            steps = [
                [
                    "flatpak",
                    "install",
                    "--system",
                    "--noninteractive",
                    "-y",
                    "--bundle",
                    str(pc.dir / "runtime.flatpak"),
                ],
                [
                    "python3",
                    "-c",
                    f"import urllib.request; urllib.request.urlretrieve({url!r}, '/var/tmp/app.flatpak')",
                ],
                ["flatpak", "install", "--system", "--noninteractive", "-y", "--bundle", "/var/tmp/app.flatpak"],
            ]
            for argv in steps:
                done = pc.run(*argv)
                assert done.returncode == 0, (argv, done.stdout, done.stderr)
            listed = pc.run("flatpak", "list", "--system", "--app", "--columns=application").stdout
            assert "org.plateau.LabApp" in listed
            assert (
                pc.run("test", "-d", "/var/lib/flatpak/app/org.plateau.LabApp").returncode == 0
            )  # the role's `creates`
            assert not Path("/var/lib/flatpak/app/org.plateau.LabApp").exists()  # the machine itself is untouched
    finally:
        server.shutdown()
        server.server_close()
    assert server.served["127.0.0.13"]["flatpak"].lan_files == 1  # counted for that PC's address


@pytest.mark.skipif(shutil.which("apt-cacher-ng") is None, reason="needs apt-cacher-ng")
def test_a_port_taken_meanwhile_is_not_mistaken_for_the_proxy(tmp_path, monkeypatch):
    """Another program binds the chosen port before apt-cacher-ng (which then goes on without
    TCP): plateau must see that the listener is not apt-cacher-ng and move to the next port."""
    import socket

    squatter = socket.socket()
    squatter.bind(("127.0.0.1", 0))
    squatter.listen()
    taken = squatter.getsockname()[1]
    real = lan._free_port
    calls: list[int] = []

    def first_the_taken_one(address, avoid):
        calls.append(1)
        return taken if len(calls) == 1 else real(address, avoid | {taken})

    monkeypatch.setattr(lan, "_free_port", first_the_taken_one)
    cache = lan.start_lan_cache(tmp_path, "127.0.0.1")
    try:
        assert cache.proxy_port != taken
        assert lan._is_acng("127.0.0.1", cache.proxy_port) and not lan._is_acng("127.0.0.1", cache.http_port)
    finally:
        cache.stop()
        squatter.close()
    assert cache.process.poll() is not None  # stopped with the run
