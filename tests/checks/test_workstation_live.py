"""A Linux workstation measured live over the wire: Debian's real sshd on loopback
(devices/lab/workstation.py), a real password login as the jury's admin account, the plan of the
centre as it is *now* (session.yml), and the findings a technician meets on exam morning."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import yaml

from checks.model import Status, Verdict
from provision.context import load_all
from provision.messages import render
from provision.state import open_store
from provision.sweep import run_sweep

PASSWORD = "Jury-Exam-7421!"  # the vault's admin password; grepped everywhere at the end
VAULT_PASSWORD = "vault-pass-for-tests-9931"
HOST = "pc-linux-01"


@pytest.fixture
def pc(workstation_lab):
    return workstation_lab(password=PASSWORD)


def encrypt(values: dict[str, str]) -> bytes:
    from ansible.parsing.vault import VaultLib, VaultSecret

    vault = VaultLib([("default", VaultSecret(VAULT_PASSWORD.encode()))])
    return vault.encrypt(yaml.safe_dump(values))


def write_centre(
    root: Path,
    pc,
    *,
    admin_password: str = PASSWORD,
    linux_software: list[str] | None = None,
    internet_targets: list[str] | None = None,
) -> Path:
    """A centre with one Linux PC (the lab) in one room; candidate C01 asks for ``linux_software``."""
    root.mkdir(parents=True, exist_ok=True)
    host = {**pc.host_vars(), "baseline_software": [], "role": "candidate"}
    (root / "hosts.yml").write_text(
        yaml.safe_dump(
            {
                "all": {
                    "children": {
                        "rooms": {"children": {"salle_t": {"hosts": {HOST: None}}}},
                        "linux": {"hosts": {HOST: host}},
                    }
                }
            }
        ),
        "utf-8",
    )
    (root / "group_vars").mkdir(exist_ok=True)
    (root / "group_vars" / "all.yml").write_text(
        yaml.safe_dump(
            {"internet_targets": internet_targets if internet_targets is not None else ["http://127.0.0.1:9/examen"]}
        )
    )
    (root / "host_vars" / HOST).mkdir(parents=True, exist_ok=True)
    (root / "host_vars" / HOST / "vault.yml").write_bytes(encrypt({"admin_password": admin_password}))
    (root / ".vault_pass").write_text(VAULT_PASSWORD + "\n")
    (root / ".vault_pass").chmod(0o600)
    write_session(root, linux_software if linux_software is not None else ["VLC"])
    return root


def write_session(root: Path, linux_software: list[str]) -> None:
    (root / "session.yml").write_text(
        yaml.safe_dump(
            {
                "date": "2026-12-03",
                "referentiel": "mn-2025",
                "juries": [{"id": "jury-t", "label": "Jury T", "room": "salle_t"}],
                "candidates": [
                    {"id": "C01", "jury": "jury-t", "order": 1, "time": "09:00", "software": {"linux": linux_software}}
                ],
            },
            allow_unicode=True,
        ),
        "utf-8",
    )


def sweep(root: Path, store=None, timeout_s: float = 5.0) -> list[Verdict]:
    return run_sweep(load_all(root), store=store, devices=[HOST], timeout_s=timeout_s).verdicts


def by_check(verdicts: list[Verdict], check: str) -> list[Verdict]:
    return [v for v in verdicts if v.check == check]


def title(verdicts: list[Verdict], title_id: str) -> Verdict:
    found = [v for v in verdicts if v.check == "software" and v.params.get("title_id") == title_id]
    assert len(found) == 1, [v.as_dict() for v in verdicts if v.check == "software"]
    return found[0]


def test_present_titles_login_internet_disk_usb_are_green(tmp_path: Path, pc) -> None:
    pc.install_package("vlc")
    root = write_centre(tmp_path / "centre", pc)
    verdicts = sweep(root)
    got = {(v.check, v.params.get("title_id")): v for v in verdicts}
    assert got[("reachable", None)].status is Status.OK and got[("reachable", None)].probe == "ssh"
    login = got[("admin_login", None)]
    assert login.status is Status.OK and login.blocking
    assert render(login.key, login.params).startswith("Session « jury » : mot de passe vérifié à ")
    vlc = got[("software", "vlc")]
    assert vlc.status is Status.OK and vlc.params["via"] == "apt vlc"
    assert got[("internet", None)].status is Status.OK
    assert got[("disk_space", None)].status is Status.OK and got[("disk_space", None)].value == 40.0
    assert got[("usb_storage", None)].status is Status.OK


def test_a_title_added_to_the_session_after_provisioning_is_red_at_once(tmp_path: Path, pc) -> None:
    """The run record says everything went well; the plan changed since: the check is red,
    naming the title, the candidate, the host and the fix, without running provision again."""
    pc.install_package("vlc")
    root = write_centre(tmp_path / "centre", pc, linux_software=["VLC"])
    store = open_store(root)
    run = store.start_run("provision", {"check": False, "hosts": [HOST]})
    store.record_host_result(run, HOST, "changed", ok=20, changed=3)
    store.finish_run(run, "successful")
    assert title(sweep(root, store), "vlc").status is Status.OK

    write_session(root, ["VLC", "GIMP"])  # the candidate's late request
    verdicts = sweep(root, store)
    gimp = title(verdicts, "gimp")
    assert gimp.status is Status.FAIL and gimp.blocking and gimp.key == "check.software.title_missing"
    assert gimp.params["candidates"] == ["C01"] and gimp.params["host"] == HOST
    text = render(gimp.key, gimp.params)
    assert "GIMP" in text and "candidat C01" in text and HOST in text
    assert f"provision -i {root}" in text or "provision -i" in text
    assert text.endswith(f"--limit {HOST} ».")
    assert title(verdicts, "vlc").status is Status.OK
    # the recap of the jury sees the per-title verdict
    from provision.recap.data import build_recap
    from provision.recap.readiness import Readiness

    recap = build_recap(load_all(root), "jury-t", Readiness.of(verdicts, verdicts[0].measured_at))
    rows = {row.name: row.status for cand in recap.juries[0].candidates for row in cand.software}
    assert rows["GIMP"] is Status.FAIL and rows["VLC media player"] is Status.OK


def test_a_package_removed_by_hand_after_provisioning_is_found_missing(tmp_path: Path, pc) -> None:
    pc.install_package("vlc")
    root = write_centre(tmp_path / "centre", pc)
    assert title(sweep(root), "vlc").status is Status.OK
    pc.remove_package("vlc")
    vlc = title(sweep(root), "vlc")
    assert vlc.status is Status.FAIL and vlc.key == "check.software.title_missing"
    pc.install_package("vlc", status="rc")  # "apt remove": only its configuration files are left
    assert title(sweep(root), "vlc").key == "check.software.title_missing"
    pc.install_package("vlc", status="iU")  # unpacked, never configured (dpkg interrupted)
    broken = title(sweep(root), "vlc")
    assert broken.status is Status.FAIL and broken.params["state"] == "iU"


def test_another_architecture_or_a_user_flatpak_is_a_finding_not_a_green(tmp_path: Path, pc) -> None:
    pc.install_package("vlc", arch="i386")
    pc.set(flatpaks=[("edu.mit.Scratch", "x86_64", "user"), ("org.gimp.GIMP", "aarch64", "system")])
    root = write_centre(tmp_path / "centre", pc, linux_software=["VLC", "Scratch", "GIMP"])
    verdicts = sweep(root)
    vlc, scratch = title(verdicts, "vlc"), title(verdicts, "scratch")
    assert vlc.status is Status.FAIL and vlc.key == "check.software.title_foreign_arch"
    assert (vlc.params["found_arch"], vlc.params["arch"]) == ("i386", "amd64")
    assert scratch.status is Status.WARN and scratch.key == "check.software.title_user_only"
    assert scratch.params["user"] == "jury"
    gimp = title(verdicts, "gimp")  # apt absent; the Flatpak is for ARM
    assert gimp.status is Status.FAIL and gimp.key == "check.software.title_foreign_arch"
    # the dashboard keeps one verdict per (device, check): the last one is the worst
    software = [v for v in verdicts if v.check == "software"]
    assert software[-1].status is Status.FAIL and software[0].status is not Status.FAIL


def test_full_disk_no_internet_and_blocked_usb_are_red(tmp_path: Path, pc) -> None:
    pc.set(disk_free_kb=800 * 1024, internet="down", usb_blocked=True)
    root = write_centre(tmp_path / "centre", pc)
    got = {v.check: v for v in sweep(root) if v.check != "software"}
    assert got["disk_space"].status is Status.FAIL and got["disk_space"].value == 0.8
    assert got["internet"].status is Status.FAIL and got["internet"].key == "check.internet.host_down"
    assert got["usb_storage"].status is Status.FAIL and got["usb_storage"].key == "check.usb_storage.module_blocked"
    pc.set(usb_blocked=False, mount_denied=True, disk_free_kb=3 * 1024 * 1024)
    got = {v.check: v for v in sweep(root) if v.check != "software"}
    assert got["usb_storage"].key == "check.usb_storage.mount_denied"
    assert got["disk_space"].status is Status.WARN


def test_wrong_password_in_the_vault_or_on_the_machine_is_a_blocking_red(tmp_path: Path, pc) -> None:
    pc.install_package("vlc")
    root = write_centre(tmp_path / "centre", pc, admin_password="not-the-machine-password")
    verdicts = sweep(root)
    login = by_check(verdicts, "admin_login")[0]
    assert login.status is Status.FAIL and login.blocking and login.key == "check.admin_login.refused"
    assert "mot de passe refusé" in render(login.key, login.params)
    # nothing else is claimed: every other check of the probe is unknown, the host answered SSH
    others = {v.check: v.status for v in verdicts if v.check not in ("admin_login", "reachable")}
    assert others and set(others.values()) == {Status.UNKNOWN}
    assert by_check(verdicts, "reachable")[0].status is Status.OK

    root2 = write_centre(tmp_path / "centre2", pc)
    assert by_check(sweep(root2), "admin_login")[0].status is Status.OK
    pc.set_password("changed-by-hand-on-the-pc")  # a rotation the vault never saw
    assert by_check(sweep(root2), "admin_login")[0].key == "check.admin_login.refused"


def test_the_recap_says_which_login_was_verified_and_when(tmp_path: Path, pc) -> None:
    from provision.recap.data import build_recap
    from provision.recap.readiness import Readiness

    root = write_centre(tmp_path / "centre", pc)
    verdicts = sweep(root)
    login = by_check(verdicts, "admin_login")[0]
    recap = build_recap(load_all(root), None, Readiness.of(verdicts, login.measured_at))
    row = next(r for room in recap.rooms for r in room.computers if r.name == HOST)
    expected = f"mot de passe vérifié à {login.params['at']}"
    assert row.accounts[0].verified == expected and expected in row.details


def test_no_secret_in_any_log_verdict_fact_message_or_output(tmp_path: Path, pc, plateau) -> None:
    pc.install_package("vlc")
    root = write_centre(tmp_path / "centre", pc, linux_software=["VLC", "GIMP"])
    result = plateau("check", "-i", root, "--format", "json", "--timeout", "5")
    assert result.code == 1, result.text  # GIMP is missing: not ready
    checks = {(v["check"], v["params"].get("title_id")): v for v in json.loads(result.out)["verdicts"]}
    assert checks[("admin_login", None)]["status"] == "ok" and checks[("software", "gimp")]["status"] == "fail"
    bad = write_centre(tmp_path / "bad", pc, admin_password=PASSWORD + "-old")
    refused = plateau("check", "-i", bad, "--timeout", "5")
    assert refused.code == 1 and "mot de passe refusé" in refused.out, refused.text
    texts = [result.out, result.err, refused.out, refused.err, pc.log_file.read_text()]
    for folder in (root, bad):
        store = open_store(folder)
        for verdict in store.latest_verdicts():
            texts.append(json.dumps(verdict.as_dict(), ensure_ascii=False, default=str))
            texts.append(render(verdict.key, verdict.params))
        store.close()
        texts.append((folder / ".plateau" / "state.db").read_bytes().decode("latin-1"))
        texts.extend(
            p.read_text("utf-8", "replace")
            for p in (folder / ".plateau").rglob("*")
            if p.is_file() and p.suffix in (".log", ".txt", ".json", "")
        )
    for secret in (PASSWORD, PASSWORD + "-old", VAULT_PASSWORD):
        for text in texts:
            assert secret not in text
    # and never on a command line: the lab's processes never saw it in argv
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                assert PASSWORD.encode() not in (proc / "cmdline").read_bytes()
            except OSError:
                pass


def test_ansible_connection_local_runs_the_same_script_here(tmp_path: Path) -> None:
    """The demo's Linux PC: this machine, measured for real (dpkg of this very system)."""
    from checks.probes.common import PlannedTitle, ProbeContext
    from checks.probes.workstation import probe_linux
    from devices.models import LinuxWorkstation

    device = LinuxWorkstation(name="ici", ansible_connection="local", admin_user="jury")
    ctx = ProbeContext(
        timeout_s=5,
        key_dir=tmp_path,
        planned={
            "ici": (
                PlannedTitle(title_id="bash", name="Bash", ids={"apt": "bash"}, requested_by=("candidat:C09",)),
                PlannedTitle(title_id="nope", name="Nope", ids={"apt": "plateau-no-such-package"}),
            )
        },
    )
    got = {(v.check, v.params.get("title_id")): v for v in probe_linux(device, ctx)}
    assert got[("reachable", None)].key == "check.reachable.local"
    assert got[("admin_login", None)].status is Status.WARN and not got[("admin_login", None)].blocking
    assert got[("software", "bash")].status is Status.OK
    assert got[("software", "nope")].status is Status.FAIL
    assert got[("disk_space", None)].status in (Status.OK, Status.WARN, Status.FAIL)


def test_probe_is_bounded_by_the_timeout_when_the_pc_hangs(tmp_path: Path, pc) -> None:
    import time

    root = write_centre(tmp_path / "centre", pc)
    pc.set_mode("slow", slow_s=30)
    started = time.monotonic()
    verdicts = sweep(root, timeout_s=1.0)
    assert time.monotonic() - started < 4.0
    assert {v.status for v in verdicts if v.device == HOST} == {Status.UNKNOWN}
    assert os.environ.get("PLATEAU_LOOPBACK_ONLY") == "1"


def test_a_ctrl_c_run_never_makes_the_software_green(tmp_path: Path, pc) -> None:
    """The first provisioning was cut: its record says « interrompu »; the software verdict comes
    from the workstation alone (absent: red), never from the run."""
    root = write_centre(tmp_path / "centre", pc, linux_software=["VLC"])
    store = open_store(root)
    run = store.start_run("provision", {"check": False, "hosts": [HOST]})
    store.record_host_result(run, HOST, "interrupted", ok=12, changed=4)
    store.finish_run(run, "canceled")
    assert title(sweep(root, store), "vlc").status is Status.FAIL
    pc.install_package("vlc")  # installed since, by hand or by a later run: measured, so green
    assert title(sweep(root, store), "vlc").status is Status.OK
