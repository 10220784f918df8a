"""The README's main command: `plateau demo` on a copy of the demo centre, end to end.

The demo runs the real playbooks (``plateau provision --check``) against its simulated Linux PC
(devices/lab/workstation.py, ``sandbox=True``: real sshd, root in a copy-on-write view of this
machine). The tests prove the run is shown (hosts, outcomes), recorded in the store and listed on the
dashboard, and that this machine did not change: same accounts, groups, dpkg database.
"""

from __future__ import annotations

import hashlib
import html
import json
import os
import re
import shutil
import signal
import stat
import warnings
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
#: other tests and benchmarks install throwaway accounts and packages on this machine, all named so;
#: the demo's own (the jury's account, LibreOffice, Thonny, Flatpak, dconf) never are
OTHER_TESTS = ("plateau-test", "plateau-bench")
needs_lab = pytest.mark.skipif(
    os.geteuid() != 0 or not Path("/usr/sbin/sshd").exists() or shutil.which("sshpass") is None,
    reason="the demo's Linux PC needs root, openssh-server and sshpass (./dev installs them)",
)


@pytest.fixture
def fresh_demo(tmp_path: Path, demo_prefix: str) -> Path:
    """A copy of inventories/demo without its state, on a loopback /24 of this test's own."""
    from devices.lab.demo import move_inventory

    demo = tmp_path / "demo"
    shutil.copytree(ROOT / "inventories" / "demo", demo, ignore=shutil.ignore_patterns(".plateau"))
    move_inventory(demo, demo_prefix)
    return demo


def host_state() -> dict[str, dict[str, str]]:
    """What a provisioning run could change on the machine it runs on: accounts and groups (with
    their members), dpkg's package states, the homes, dconf's system settings."""

    def entries(path: str, members: bool = False) -> dict[str, str]:
        table = {}
        for line in Path(path).read_text().splitlines() if Path(path).exists() else []:
            fields = line.split(":")
            if members:  # group lines: other tests' accounts joining a group are theirs
                fields[-1] = ",".join(m for m in fields[-1].split(",") if not m.startswith(OTHER_TESTS))
            table[fields[0]] = hashlib.sha256(":".join(fields).encode()).hexdigest()
        return table

    packages = {}
    for stanza in Path("/var/lib/dpkg/status").read_text().split("\n\n"):
        fields = dict(line.split(": ", 1) for line in stanza.splitlines() if ": " in line and line[0] != " ")
        if "Package" in fields:
            packages[fields["Package"]] = f"{fields.get('Status')} {fields.get('Version')}"
    return {
        "passwd": entries("/etc/passwd"),
        "shadow": entries("/etc/shadow"),
        "group": entries("/etc/group", members=True),
        "gshadow": entries("/etc/gshadow", members=True),
        "dpkg": packages,
        "home": dict.fromkeys(os.listdir("/home"), "") if Path("/home").is_dir() else {},
        "dconf": {str(p): "" for p in Path("/etc/dconf").rglob("*")} if Path("/etc/dconf").exists() else {},
    }


def changes(before: dict[str, dict[str, str]], after: dict[str, dict[str, str]]) -> dict[str, list[str]]:
    """Names added, removed or changed, per kind, leaving out other tests' throwaway ones."""
    found = {}
    for kind, old in before.items():
        new = after[kind]
        names = {n for n in old.keys() | new.keys() if old.get(n) != new.get(n) and not n.startswith(OTHER_TESTS)}
        if names:
            found[kind] = sorted(names)
    return found


def text_of(page: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))


@pytest.mark.slow
@needs_lab
@pytest.mark.timeout(600)
def test_demo_runs_the_whole_chain(fresh_demo: Path, plateau, vault_secrets) -> None:
    demo = fresh_demo
    before = host_state()
    result = plateau("demo", "-i", demo, "--no-dashboard")
    after = host_state()
    assert result.code == 0, result.err
    text = result.out
    for step in (
        "1. Vérification de l'inventaire",
        "2. Plan de préparation",
        "3. Démarrage des équipements",
        "4. Préparation des postes (Ansible : plateau provision --check)",
        "5. Préparation des appareils",
        "6. Vérification de tous les équipements",
        "7. Récapitulatif du jury",
    ):
        assert step in text
    assert "Traceback" not in result.out + result.err
    # the provisioning run, through plateau provision's own live view and summary
    summary = text[text.index("4. Préparation des postes") : text.index("5. Préparation des appareils")]
    assert "simulation (--check)" in summary
    assert re.search(r"demo-pc-linux\s*│\s*modifié", summary), summary  # reached, as root, things to do
    assert "LibreOffice, Thonny" in summary  # « à installer »: the plan's titles for this PC
    assert re.search(r"demo-pc-win\s*│\s*injoignable", summary)  # nothing listens at the absent PC
    assert "provision -i" in summary and "--limit demo-pc-win" in summary  # the retry command
    # the rest of the chain still runs
    assert "NON PRÊT" in text and "brancher l'appareil" in text  # the deliberately flat tablet
    assert "Réseau « Plateau-Demo » appliqué" in text  # the access point was provisioned
    written = sorted((demo / ".plateau").glob("*.pdf"))
    assert [p.name.split("-")[0] for p in written] == ["recap", "wifi"]
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in written)

    # the run is in the store: a check-mode provisioning run, one result per workstation
    from provision.state import open_store

    store = open_store(demo)
    runs = [r for r in store.runs() if r.kind == "provision"]
    assert len(runs) == 1 and runs[0].args["check"] is True and runs[0].finished_at is not None
    assert runs[0].status == "failed"  # the absent Windows PC
    hosts = {h["host"]: h for h in store.run_hosts(runs[0].id)}
    assert hosts["demo-pc-linux"]["status"] == "changed" and hosts["demo-pc-linux"]["failed"] == 0
    assert {"LibreOffice", "Thonny"} <= {t["title"] for t in hosts["demo-pc-linux"]["detail"]["titles"]}
    assert hosts["demo-pc-win"]["status"] == "unreachable"
    recorded = json.dumps([h["detail"] for h in hosts.values()], ensure_ascii=False)
    for secret in vault_secrets(demo):  # the PC's password is also Ansible's login: never shown
        assert secret not in result.out + result.err and secret not in recorded

    # ... and on the dashboard the demo serves
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from starlette.testclient import TestClient
    from provision.context import load_all
    from provision.dashboard import create_app

    with TestClient(create_app(load_all(demo), store), base_url="http://127.0.0.1:8765") as client:
        page = text_of(client.get("/").text)
    assert "Dernière préparation des postes" in page
    assert "en simulation (--check" in page
    assert re.search(r"demo-pc-linux modifié \d+ [1-9]\d* 0", page), page
    assert re.search(r"demo-pc-win injoignable 0 0 1", page)

    # this machine did not change: no account, group member, package or dconf file appeared
    assert changes(before, after) == {}
    assert "jury" not in after["passwd"] or "jury" in before["passwd"]  # the plan's admin account


@needs_lab
def test_the_demo_pc_sandbox_keeps_root_writes_in_memory(tmp_path: Path) -> None:
    """The second guard (the first is check mode): even a task that ignores --check, run as root on the
    demo's PC, writes into the lab's tmpfs only."""
    import paramiko

    from devices.lab.workstation import WorkstationLab

    proof = f"/etc/plateau-demo-proof-{os.getpid()}"
    with WorkstationLab(password="Jury-Demo-1", root_password="Root-Demo-1", sandbox=True) as pc:
        client = paramiko.SSHClient()
        client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
        client.connect(pc.host, pc.port, username="root", password="Root-Demo-1", look_for_keys=False,
                       allow_agent=False, timeout=30)  # fmt: skip
        try:
            _, stdout, _ = client.exec_command(
                f"id -u; echo written > {proof}; cat {proof}; ls /var/lib/apt/lists | wc -l", timeout=30
            )
            answer = stdout.read().decode().split()
        finally:
            client.close()
    pc.cleanup()
    assert answer == ["0", "written", "1"]  # root, its file readable there; apt lists: only partial/
    assert not Path(proof).exists()  # ... and not here


@pytest.mark.slow
def test_without_the_lab_the_demo_says_why_and_goes_on(fresh_demo: Path, plateau, monkeypatch) -> None:
    """Not root (a newcomer's own account): the simulated PC cannot start; the demo says so in French,
    records no provisioning run, and shows everything else."""
    from devices.lab import workstation

    monkeypatch.setattr(workstation.os, "geteuid", lambda: 1000)
    demo = fresh_demo
    result = plateau("demo", "-i", demo, "--no-dashboard")
    assert result.code == 0, result.err
    assert "Préparation des postes non montrée : le PC Linux simulé a besoin des droits root" in result.out
    assert "6. Vérification de tous les équipements" in result.out and "7. Récapitulatif du jury" in result.out
    assert "Traceback" not in result.out + result.err
    from provision.state import open_store

    assert [r for r in open_store(demo).runs() if r.kind == "provision"] == []


@pytest.mark.slow
@needs_lab
@pytest.mark.timeout(600)
def test_the_ansible_step_is_bounded(fresh_demo: Path, plateau, monkeypatch) -> None:
    """Past its ceiling the step is cut like a Ctrl-C: said in French, never recorded as a finished
    run, and the demo goes on."""
    from provision.cli import demo_provision

    # 1 s: always inside the step, before its playbook ends (loading the inventory and Ansible's
    # own --list-tasks take longer than that on any machine), whatever the machine's speed
    monkeypatch.setattr(demo_provision, "CEILING_S", 1.0)
    demo = fresh_demo
    # whatever SIGINT handler the process had (here: ignored), the cut still stops the run
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        result = plateau("demo", "-i", demo, "--no-dashboard")
    finally:
        signal.signal(signal.SIGINT, previous)
    assert result.code == 0, result.err
    assert "Préparation des postes arrêtée après 1 s (limite de la démonstration)" in result.out
    assert "6. Vérification de tous les équipements" in result.out and "7. Récapitulatif du jury" in result.out
    from provision.state import open_store

    assert {r.status for r in open_store(demo).runs() if r.kind == "provision"} <= {"canceled"}
