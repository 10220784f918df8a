"""A Mac measured live over the wire: Debian's real sshd on loopback, chrooted in a root where
/Applications (bundles with their Info.plist) and /opt/homebrew are the lab's
(devices/lab/workstation.py, ``flavour="macos"``), a real password login as the jury's admin
account, and plateau's macOS script (devices/workstation/script.py) run by /bin/sh over SSH."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from checks.model import Status, Verdict
from provision.context import load_all
from provision.messages import render
from provision.state import open_store
from provision.sweep import run_sweep

PASSWORD = "Mac-Jury-5183!"  # the vault's admin password; grepped everywhere at the end
VAULT_PASSWORD = "vault-pass-for-mac-tests-2207"
HOST = "mac-01"


@pytest.fixture
def mac(workstation_lab):
    return workstation_lab(password=PASSWORD, flavour="macos")


def encrypt(values: dict[str, str]) -> bytes:
    from ansible.parsing.vault import VaultLib, VaultSecret

    vault = VaultLib([("default", VaultSecret(VAULT_PASSWORD.encode()))])
    return vault.encrypt(yaml.safe_dump(values))


def write_centre(root: Path, mac, *, admin_password: str = PASSWORD, software: list[str] | None = None) -> Path:
    """A centre with one Mac (the lab) in one room; candidate C01 asks for ``software`` on macOS."""
    root.mkdir(parents=True, exist_ok=True)
    host = {**mac.host_vars(), "baseline_software": [], "role": "candidate"}
    inventory = {"all": {"children": {"rooms": {"children": {"salle_m": {"hosts": {HOST: None}}}},
                                      "macos": {"hosts": {HOST: host}}}}}  # fmt: skip
    (root / "hosts.yml").write_text(yaml.safe_dump(inventory), "utf-8")
    (root / "group_vars").mkdir(exist_ok=True)
    (root / "group_vars" / "all.yml").write_text(yaml.safe_dump({"internet_targets": ["http://127.0.0.1:9/examen"]}))
    (root / "host_vars" / HOST).mkdir(parents=True, exist_ok=True)
    (root / "host_vars" / HOST / "vault.yml").write_bytes(encrypt({"admin_password": admin_password}))
    (root / ".vault_pass").write_text(VAULT_PASSWORD + "\n")
    (root / ".vault_pass").chmod(0o600)
    write_session(root, software if software is not None else ["VLC"])
    return root


def write_session(root: Path, software: list[str]) -> None:
    session = {
        "date": "2026-12-03",
        "referentiel": "mn-2025",
        "juries": [{"id": "jury-m", "label": "Jury M", "room": "salle_m"}],
        "candidates": [{"id": "C01", "jury": "jury-m", "order": 1, "time": "09:00", "software": {"macos": software}}],
    }
    (root / "session.yml").write_text(yaml.safe_dump(session, allow_unicode=True), "utf-8")


def sweep(root: Path, timeout_s: float = 5.0) -> list[Verdict]:
    return run_sweep(load_all(root), devices=[HOST], timeout_s=timeout_s).verdicts


def one(verdicts: list[Verdict], check: str) -> Verdict:
    found = [v for v in verdicts if v.check == check]
    assert len(found) == 1, [v.as_dict() for v in found]
    return found[0]


def title(verdicts: list[Verdict], title_id: str) -> Verdict:
    found = [v for v in verdicts if v.check == "software" and v.params.get("title_id") == title_id]
    assert len(found) == 1, [v.as_dict() for v in verdicts if v.check == "software"]
    return found[0]


def test_a_planned_cask_present_login_internet_disk_are_green(tmp_path: Path, mac) -> None:
    mac.install_cask("vlc", app="VLC.app", bundle_id="org.videolan.vlc")
    mac.set(formulae=["mpv"])
    verdicts = sweep(write_centre(tmp_path / "centre", mac, software=["VLC", "mpv"]))
    reachable, login = one(verdicts, "reachable"), one(verdicts, "admin_login")
    assert reachable.status is Status.OK and reachable.probe == "ssh"
    assert login.status is Status.OK and login.blocking
    assert render(login.key, login.params).startswith("Session « jury » : mot de passe vérifié à ")
    vlc, mpv = title(verdicts, "vlc"), title(verdicts, "mpv")
    assert vlc.status is Status.OK and vlc.params["via"] == "brew cask vlc"
    assert mpv.status is Status.OK and mpv.params["via"] == "brew mpv"
    assert one(verdicts, "internet").status is Status.OK
    disk = one(verdicts, "disk_space")  # APFS: the container's free space, not the sealed system volume's
    assert disk.status is Status.OK and disk.value == 40.0
    assert not [v for v in verdicts if v.check == "usb_storage"]  # not measured on macOS


def test_an_app_installed_by_hand_is_found_by_its_bundle_id(tmp_path: Path, mac) -> None:
    """Firefox dragged from its disk image: no cask, but its Info.plist says org.mozilla.firefox
    (in a sub-folder of /Applications too)."""
    mac.set(apps=[("Safari.app", "com.apple.Safari"), ("Navigateurs/Firefox.app", "org.mozilla.firefox"),
                  ("Utilities/Sans Identifiant.app", None)])  # fmt: skip
    firefox = title(sweep(write_centre(tmp_path / "centre", mac, software=["Firefox"])), "firefox")
    assert firefox.status is Status.OK and firefox.params["via"] == "/Applications (org.mozilla.firefox)"


def test_a_missing_cask_is_red_naming_the_title_the_candidate_and_the_retry(tmp_path: Path, mac) -> None:
    mac.install_cask("vlc", app="VLC.app", bundle_id="org.videolan.vlc")
    root = write_centre(tmp_path / "centre", mac, software=["VLC", "Scratch"])
    verdicts = sweep(root)
    scratch = title(verdicts, "scratch")
    assert scratch.status is Status.FAIL and scratch.blocking and scratch.key == "check.software.title_missing"
    assert scratch.params["candidates"] == ["C01"] and scratch.params["host"] == HOST
    text = render(scratch.key, scratch.params)
    assert "Scratch" in text and "candidat C01" in text and HOST in text
    assert "provision -i" in text and text.endswith(f"--limit {HOST} ».")
    assert title(verdicts, "vlc").status is Status.OK
    # the app dragged to the Trash: Homebrew still lists its cask, /Applications no longer has it
    mac.remove_app("VLC.app")
    vlc = title(sweep(root), "vlc")
    assert vlc.status is Status.FAIL and vlc.key == "check.software.title_missing"
    assert vlc.facts["why"] == "app_not_in_applications"


def test_wrong_admin_password_is_a_blocking_red_and_nothing_else_is_claimed(tmp_path: Path, mac) -> None:
    mac.install_cask("vlc", app="VLC.app", bundle_id="org.videolan.vlc")
    verdicts = sweep(write_centre(tmp_path / "centre", mac, admin_password="not-the-mac-password"))
    login = one(verdicts, "admin_login")
    assert login.status is Status.FAIL and login.blocking and login.key == "check.admin_login.refused"
    assert "mot de passe refusé" in render(login.key, login.params)
    others = {v.check: v.status for v in verdicts if v.check not in ("admin_login", "reachable")}
    assert others and set(others.values()) == {Status.UNKNOWN}
    assert one(verdicts, "reachable").status is Status.OK

    root = write_centre(tmp_path / "centre2", mac)
    assert one(sweep(root), "admin_login").status is Status.OK
    mac.set_password("changed-by-hand-on-the-mac")  # a rotation the vault never saw
    assert one(sweep(root), "admin_login").key == "check.admin_login.refused"


def test_without_homebrew_a_cask_only_title_is_unknown_a_bundle_is_still_read(tmp_path: Path, mac) -> None:
    """No /opt/homebrew at all: `brew list` cannot say, so a title known only by its cask is
    unknown (never red, never green); one with a bundle id is judged on /Applications."""
    mac.set(homebrew="missing", apps=[("Safari.app", "com.apple.Safari"), ("VLC.app", "org.videolan.vlc")])
    root = write_centre(tmp_path / "centre", mac, software=["VLC", "Scratch", "Firefox"])
    verdicts = sweep(root)
    scratch = title(verdicts, "scratch")
    assert scratch.status is Status.UNKNOWN and scratch.key == "check.software.title_unmatchable"
    assert scratch.facts["why"] == "no_brew"
    assert title(verdicts, "vlc").status is Status.OK
    assert title(verdicts, "firefox").status is Status.FAIL  # bundle id known, not in /Applications
    assert one(verdicts, "admin_login").status is Status.OK and one(verdicts, "disk_space").status is Status.OK
    # Homebrew there but broken (`brew list` exits 1): an unreadable list is not an empty one
    mac.set(homebrew="broken", casks=["scratch"])
    scratch = title(sweep(root), "scratch")
    assert scratch.status is Status.UNKNOWN and "exit status 1" in scratch.facts["why"]


def test_a_full_disk_and_no_internet_are_red(tmp_path: Path, mac) -> None:
    mac.set(disk_free_kb=700 * 1024, internet="down")
    root = write_centre(tmp_path / "centre", mac)
    verdicts = sweep(root)
    disk, internet = one(verdicts, "disk_space"), one(verdicts, "internet")
    assert disk.status is Status.FAIL and disk.value == 0.7
    assert internet.status is Status.FAIL and internet.key == "check.internet.host_down"
    mac.set(disk_free_kb=3 * 1024 * 1024, internet="up")
    verdicts = sweep(root)
    assert one(verdicts, "disk_space").status is Status.WARN and one(verdicts, "internet").status is Status.OK


def test_no_secret_in_any_log_verdict_message_or_output(tmp_path: Path, mac, plateau) -> None:
    mac.install_cask("vlc", app="VLC.app", bundle_id="org.videolan.vlc")
    root = write_centre(tmp_path / "centre", mac, software=["VLC", "Scratch"])
    result = plateau("check", "-i", root, "--format", "json", "--timeout", "5")
    assert result.code == 1, result.text  # Scratch is missing: not ready
    checks = {(v["check"], v["params"].get("title_id")): v for v in json.loads(result.out)["verdicts"]}
    assert checks[("admin_login", None)]["status"] == "ok" and checks[("software", "scratch")]["status"] == "fail"
    bad = write_centre(tmp_path / "bad", mac, admin_password=PASSWORD + "-old")
    refused = plateau("check", "-i", bad, "--timeout", "5")
    assert refused.code == 1 and "mot de passe refusé" in refused.out, refused.text
    texts = [result.out, result.err, refused.out, refused.err, mac.log_file.read_text()]
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
    for proc in Path("/proc").iterdir():  # never on a command line of the lab's processes
        if proc.name.isdigit():
            try:
                assert PASSWORD.encode() not in (proc / "cmdline").read_bytes()
            except OSError:
                pass


def test_the_lab_leaves_this_machine_untouched(mac) -> None:
    """/Applications and /opt/homebrew exist only in sshd's root, never on this machine."""
    assert not Path("/Applications").exists() and not Path("/opt/homebrew").exists()
    assert (mac.dir / "Applications" / "Safari.app" / "Contents" / "Info.plist").is_file()


def test_probe_is_bounded_by_the_timeout_when_the_mac_hangs(tmp_path: Path, mac) -> None:
    import time

    root = write_centre(tmp_path / "centre", mac)
    mac.set_mode("slow", slow_s=30)
    started = time.monotonic()
    verdicts = sweep(root, timeout_s=1.0)
    assert time.monotonic() - started < 4.0
    assert {v.status for v in verdicts if v.device == HOST} == {Status.UNKNOWN}
