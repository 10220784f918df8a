"""The macos role (playbooks/roles/macos) run for real by ansible-playbook for a given plan, on this
machine, with a stand-in ``brew`` (Homebrew cannot run on Linux) and a loopback HTTP server standing
for the technician laptop's LAN cache.

What is real: Ansible and community.general.homebrew_cask (its SUDO_ASKPASS file for sudo
passwords), the role's tasks and templating, the HTTP probe of ``plateau_lan_url`` from the host.
The stand-in answers ``brew --version`` / ``list --cask`` / ``install --cask`` as Homebrew does,
records the HOMEBREW_* variables it was started with, asks sudo's password through SUDO_ASKPASS for
a cask whose installer needs it, and looks for the password in every process's command line.
"""

from __future__ import annotations

import functools
import hashlib
import http.server
import json
import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
SUDO = "Tech-Sudo-77"
#: the URL Homebrew would download each cask from on this "Mac", and the bytes the vendor serves
VENDOR = {"vlc": "https://get.videolan.org/vlc/3.0.21/macosx/vlc-3.0.21-arm64.dmg"}
VLC_DMG = b"plateau lab: the VLC disk image\n" * 64
VENDOR_SHA = {"vlc": hashlib.sha256(VLC_DMG).hexdigest()}
PLAN = {
    "platform": "macos",
    "brew_cask": [
        {"id": "vlc", "title": "VLC", "requested_by": ["candidat:C01"]},
        {"id": "pkg-sudo", "title": "Pilote imprimante", "requested_by": ["référentiel:mn-2025"]},
        {"id": "inexistant", "title": "Logiciel fantôme", "requested_by": ["candidat:C02"]},
    ],
    "brew": [],
}


@pytest.fixture
def lan(tmp_path):
    """A loopback HTTP server over a folder (the laptop's cache): yields (base URL, folder)."""
    folder = tmp_path / "cache"
    folder.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    handler.log_message = lambda *args: None  # type: ignore[attr-defined]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/", folder
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def brew(tmp_path):
    """The stand-in brew in a folder of its own (macos_homebrew_path): (folder, state file, log)."""
    folder = tmp_path / "brew-bin"
    folder.mkdir()
    installed, log = tmp_path / "installed.txt", tmp_path / "brew-log.jsonl"
    installed.write_text("")
    downloads = tmp_path / "Caches" / "Homebrew" / "downloads"  # created by the role when needed
    script = folder / "brew"
    script.write_text(
        textwrap.dedent(f"""\
        #!{sys.executable}
        import hashlib, json, os, subprocess, sys
        from pathlib import Path
        installed = Path({str(installed)!r})
        args = sys.argv[1:]
        def cached(token):  # where Homebrew keeps the download of the URL this Mac would use
            url = {VENDOR!r}.get(token, "https://vendor.invalid/" + token + ".dmg")
            return Path({str(downloads)!r}) / (hashlib.sha256(url.encode()).hexdigest() + "--" + url.rsplit("/", 1)[-1])
        if args == ["--version"]:
            print("Homebrew 4.4.20"); sys.exit(0)
        if args[:2] == ["--cache", "--cask"]:
            print(cached(args[2])); sys.exit(0)
        if args[:2] == ["list", "--cask"]:
            sys.exit(0 if args[2] in installed.read_text().split() else 1)
        if args[:2] == ["install", "--cask"]:
            token = args[-1]
            hits = []
            for pid in filter(str.isdigit, os.listdir("/proc")):
                try:
                    if {SUDO!r}.encode() in open(f"/proc/{{pid}}/cmdline", "rb").read():
                        hits.append(pid)
                except OSError:
                    pass
            env = {{k: v for k, v in os.environ.items() if k.startswith("HOMEBREW_")}}
            found = cached(token)
            from_cache = found.is_file() and hashlib.sha256(found.read_bytes()).hexdigest() == {VENDOR_SHA!r}.get(token)
            with open({str(log)!r}, "a") as f:
                f.write(json.dumps({{"token": token, "env": env, "ps_hits": hits, "from_cache": from_cache,
                                    "env_has_password": any({SUDO!r} in v for v in os.environ.values())}}) + "\\n")
            if token == "inexistant":
                print("Error: Cask 'inexistant' is unavailable: No Cask with this name exists.", file=sys.stderr)
                sys.exit(1)
            if token == "pkg-sudo":  # its .pkg installer runs « sudo -A installer … »
                askpass = os.environ.get("SUDO_ASKPASS")
                said = subprocess.run([askpass], capture_output=True, text=True).stdout.strip() if askpass else ""
                if said != {SUDO!r}:
                    print("sudo: a terminal is required to read the password", file=sys.stderr)
                    sys.exit(1)
            installed.write_text(installed.read_text() + token + "\\n")
            print(f"==> Installing Cask {{token}}")
            sys.exit(0)
        print("Error: unknown command " + " ".join(args), file=sys.stderr); sys.exit(1)
        """)
    )
    script.chmod(0o755)
    return folder, installed, log


def run_role(tmp_path: Path, brew_dir: Path, **extra) -> tuple[dict, str]:
    """ansible-playbook (JSON callback) of the macos role on localhost: (its JSON, raw stdout)."""
    playbook = tmp_path / "play.yml"
    playbook.write_text(
        "- hosts: localhost\n  gather_facts: false\n  roles:\n    - role: macos\n",
        encoding="utf-8",
    )
    variables = {"plateau": PLAN, "macos_homebrew_path": str(brew_dir), "plateau_install_timeout_s": 120,
                 "ansible_python_interpreter": sys.executable, **extra}  # fmt: skip
    vars_file = tmp_path / "vars.json"  # as the vault: the password is never on a command line
    vars_file.write_text(json.dumps(variables), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    env.update(ANSIBLE_STDOUT_CALLBACK="json", ANSIBLE_ROLES_PATH=str(ROOT / "playbooks" / "roles"),
               ANSIBLE_LOCALHOST_WARNING="False", ANSIBLE_INVENTORY_UNPARSED_WARNING="False", ANSIBLE_NOCOLOR="1")  # fmt: skip
    done = subprocess.run(
        [str(BIN / "ansible-playbook"), "-i", "localhost,", "-c", "local", str(playbook), "-e", f"@{vars_file}"],
        capture_output=True, text=True, env=env, timeout=300, check=False,
    )  # fmt: skip
    assert done.stdout.strip().startswith("{"), done.stdout + done.stderr
    return json.loads(done.stdout), done.stdout


def tasks(report: dict) -> dict[str, dict]:
    return {t["task"]["name"].removeprefix("macos : "): t["hosts"].get("localhost", {})
            for t in report["plays"][0]["tasks"]}  # fmt: skip


@pytest.mark.slow
def test_casks_with_sudo_through_the_lan_and_failures_named(tmp_path, lan, brew):
    url, cache = lan
    (cache / "homebrew" / "api").mkdir(parents=True)
    (cache / "homebrew" / "index.json").write_text("{}")  # what plateau cache mirrored (bottles)
    (cache / "homebrew" / "api" / "formula.jws.json").write_text("{}")
    # what plateau cache fetched for VLC (homebrew_casks.py): the vendor's file, under its URL's digest
    vlc_url = VENDOR["vlc"]
    record = {"url": vlc_url, "url_sha256": hashlib.sha256(vlc_url.encode()).hexdigest(), "sha256": VENDOR_SHA["vlc"],
              "version": "3.0.21", "file": "homebrew/casks/vlc/x/vlc-3.0.21-arm64.dmg", "size": len(VLC_DMG)}  # fmt: skip
    (cache / record["file"]).parent.mkdir(parents=True)
    (cache / record["file"]).write_bytes(VLC_DMG)
    brew_dir, installed, log = brew
    report, raw = run_role(tmp_path, brew_dir, plateau_lan_url=url, ansible_become_password=SUDO,
                           plateau_homebrew_casks={"vlc": [record]})  # fmt: skip
    got = tasks(report)

    calls = [json.loads(line) for line in log.read_text().splitlines()]
    assert {c["token"] for c in calls} == {"vlc", "pkg-sudo", "inexistant"}
    for call in calls:  # Homebrew was pointed at the laptop for bottles and for its index
        assert call["env"]["HOMEBREW_ARTIFACT_DOMAIN"] == f"{url}homebrew"
        assert call["env"]["HOMEBREW_API_DOMAIN"] == f"{url}homebrew/api"
        assert call["ps_hits"] == [] and call["env_has_password"] is False  # never visible to ps
    assert installed.read_text().split() == ["vlc", "pkg-sudo"]  # the sudo cask got its password

    failed = got["Échec d'installation d'une application (cask Homebrew)"]["results"]
    named = [r for r in failed if r.get("failed")]
    assert len(named) == 1 and named[0]["item"]["title"] == "Logiciel fantôme"
    assert named[0]["item"]["requested_by"] == ["candidat:C02"] and "No Cask with this name" in named[0]["msg"]
    # VLC's file came from the laptop into Homebrew's download cache: brew found it downloaded
    assert {c["token"]: c["from_cache"] for c in calls} == {"vlc": True, "pkg-sudo": False, "inexistant": False}
    warning = got["Signaler les applications qui viennent d'internet (casks)"]["ansible_facts"]["macos_warning"]
    assert warning["key"] == "macos_casks_from_internet"
    assert warning["params"]["titles"] == "Pilote imprimante, Logiciel fantôme"  # not VLC
    assert SUDO not in raw  # nowhere in what Ansible reports


@pytest.mark.slow
def test_a_lan_cache_without_homebrew_and_no_lan_at_all(tmp_path, lan, brew):
    url, cache = lan  # serves nothing under homebrew/ (a folder alone is not a cache)
    (cache / "homebrew").mkdir()
    brew_dir, _installed, log = brew
    report, _raw = run_role(tmp_path, brew_dir, plateau_lan_url=url)
    got = tasks(report)
    warning = got["Signaler un cache du portable sans Homebrew"]["ansible_facts"]["macos_warning"]
    assert warning == {"key": "macos_homebrew_lan_missing", "params": {"url": f"{url}homebrew/"}}
    calls = [json.loads(line) for line in log.read_text().splitlines()]
    assert calls and all("HOMEBREW_ARTIFACT_DOMAIN" not in c["env"] for c in calls)  # the internet
    # no sudo password: the sudo cask fails visibly, with Homebrew's own words and its title
    cask = got["Installer les applications (casks Homebrew)"]
    bad = {r["item"]["id"]: r for r in cask["results"] if r.get("failed")}
    assert "sudo: a terminal is required" in (bad["pkg-sudo"].get("msg", "") + bad["pkg-sudo"].get("stderr", ""))

    log.write_text("")
    report, _raw = run_role(tmp_path, brew_dir)  # no plateau_lan_url: no probe, the internet
    got = tasks(report)
    assert got["Chercher le cache Homebrew du portable"].get("skipped") is True
    assert all("HOMEBREW_ARTIFACT_DOMAIN" not in json.loads(c)["env"] for c in log.read_text().splitlines())
