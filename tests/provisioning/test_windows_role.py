"""The windows role's decisions, rendered by real Ansible for a given plan (no Windows PC needed).

The role's pure-templating steps (tasks/plan.yml, tasks/winget_outcome.yml, and the set_fact /
fail tasks that read registered results) run as they are, on the controller, in one
``ansible-playbook`` run: the plan comes from vars.py for the example centre, the index from the
recorded real winget manifests (provision/provisioning/winget.py on data/winget/), the registered
results in the shapes win_powershell / win_get_url / win_package / win_chocolatey loops produce.
The whole playbook is also syntax-checked with the cache variables set, and ansible-lint is run on
the role and baseline (test_playbooks.py lints site.yml).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from provision.context import load_all
from provision.provisioning import winget
from provision.provisioning.vars import extra_vars

ROOT = Path(__file__).resolve().parents[2]
ROLE = ROOT / "playbooks" / "roles" / "windows"
DATA = Path(__file__).parent / "data" / "winget" / "manifests"
EXAMPLE = ROOT / "inventories" / "example"
BIN = Path(sys.executable).parent
LAN = "http://192.0.2.10:8765/"  # only templated into strings, never contacted


def clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    env.update(ANSIBLE_STDOUT_CALLBACK="ansible.posix.json", ANSIBLE_LOCALHOST_WARNING="false")
    return env


def recorded_index() -> dict[str, dict[str, Any]]:
    index = {}
    for path in sorted(DATA.rglob("*.installer.yaml")):
        manifest = yaml.safe_load(path.read_text("utf-8"))
        ident, version = manifest["PackageIdentifier"], manifest["PackageVersion"]
        try:
            chosen = winget.choose_installer(manifest)
        except winget.Unsupported:  # Canva, Discord: per-user installers only, never cached
            continue
        index[ident] = winget.installer_entry(ident, ident, version, str(path), chosen)
    return index


def task(file: str, name: str) -> dict[str, Any]:
    found = [t for t in yaml.safe_load((ROLE / "tasks" / file).read_text("utf-8")) if t.get("name") == name]
    assert len(found) == 1, name
    return found[0]


def play(name: str, variables: dict[str, Any], tasks: list[dict[str, Any]]) -> dict[str, Any]:
    return {"name": name, "hosts": "localhost", "connection": "local", "gather_facts": False, "vars": variables,
            "tasks": tasks}  # fmt: skip


def facts(report: dict[str, Any], play_name: str) -> dict[str, Any]:
    """Every fact set in that play (later tasks win), and the debug messages, from the json callback."""
    found: dict[str, Any] = {"_msgs": []}
    for p in report["plays"]:
        if p["play"]["name"] != play_name:
            continue
        for t in p["tasks"]:
            result = t["hosts"]["localhost"]
            found.update(result.get("ansible_facts") or {})
            for item in result.get("results") or []:
                if "msg" in item:
                    found["_msgs"].append(item["msg"])
    return found


@pytest.fixture(scope="module")
def win01() -> dict[str, Any]:
    return extra_vars(load_all(EXAMPLE).plan.to_dict())["plateau_hosts"]["a-pc-win-01"]


@pytest.fixture(scope="module")
def rendered(win01, tmp_path_factory) -> dict[str, Any]:
    index = recorded_index()
    fail = dict(task("internet.yml", "Signaler les logiciels qui n'ont pas pu être installés"))
    fail["ansible.builtin.debug"] = {"msg": fail.pop("ansible.builtin.fail")["msg"]}
    fail.pop("when")
    outcome = yaml.safe_load((ROLE / "tasks" / "winget_outcome.yml").read_text("utf-8"))
    install = dict(task("cached.yml", "Installer les logiciels du cache"))  # its loop, as a debug
    install.pop("ansible.windows.win_package")
    install.pop("timeout")
    install.pop("register")  # keep the play's windows_installed (a failed install) for the next task
    install["ansible.builtin.debug"] = {"msg": "{{ item.id }} {{ item.installer.arguments }}"}
    install["ignore_errors"] = False
    firefox = next(i for i in win01["winget"] if i["id"] == "Mozilla.Firefox")
    edge = next(i for i in win01["winget"] if i["id"] == "Microsoft.Edge")
    chrome = next(i for i in win01["winget"] if i["id"] == "Google.Chrome")
    arduino = next(i for i in win01["winget"] if i["id"] == "ArduinoSA.IDE.stable")
    adobe = next(i for i in win01["winget"] if i["id"] == "Adobe.Acrobat.Reader.64-bit")
    vlc = next(i for i in win01["winget"] if i["id"] == "VideoLAN.VLC")
    nvda = next(i for i in win01["winget"] if i["id"] == "NVAccess.NVDA")
    cached_vlc = {**vlc, "installer": index["VideoLAN.VLC"]}
    cached_nvda = {**nvda, "installer": index["NVAccess.NVDA"]}
    winget_results = [  # win_powershell loop results, failed_when: false
        {"item": firefox, "output": [], "changed": False, "failed": False},  # the script printed nothing
        {"item": edge, "msg": "winrm: connection reset", "failed": False, "failed_when_result": False},  # no output
        {"item": chrome, "output": [{"id": "Google.Chrome", "status": "Ok", "installed": True}], "failed": False},
        {"item": arduino, "output": ["a bare string"], "failed": False},
        {
            "item": adobe,
            "output": [
                {"id": adobe["id"], "status": "NoApplicableInstallers", "installed": False, "message": "0x8a150010"}
            ],
            "failed": False,
        },  # fmt: skip
    ]
    plays = [
        play("with the laptop's cache", {"plateau": win01, "plateau_windows_installers": index, "plateau_lan_url": LAN},
             [{"ansible.builtin.import_tasks": str(ROLE / "tasks" / "plan.yml")}]),
        play("without a LAN server", {"plateau": win01, "plateau_windows_installers": index},
             [{"ansible.builtin.import_tasks": str(ROLE / "tasks" / "plan.yml")}]),
        play("cache failures", {
            "windows_fetched": {"results": [
                {"item": cached_vlc, "failed": True, "msg": "The checksum for ... did not match"},
                {"item": cached_nvda, "failed": False, "changed": True}]},
            "windows_installed": {"results": [
                {"item": cached_nvda, "failed": True, "msg": "unexpected rc from install: 1603", "rc": 1603}]},
            "windows_cached_todo": [cached_vlc, cached_nvda],
        }, [install, task("cached.yml", "Retenir les logiciels que le cache n'a pas pu installer")]),
        play("winget said", {"plateau": {"choco": [{"id": "balabolka", "title": "Balabolka"}]},
                             "windows_winget": {"results": winget_results}},
             outcome),
        play("failure messages", {}, [{"ansible.builtin.set_fact": {  # facts: they outrank the plays before
            "windows_winget_failed": [{**edge, "winget_status": "sans réponse", "winget_message": "",
                                       "cache_error": "copie impossible"},
                                      {"id": "Canva.Canva", "title": "Canva", "requested_by": ["candidat:C3"],
                                       "winget_status": "InstallError", "limits": "Installateur par utilisateur seulement."}],
            "windows_choco": {"results": [
                {"item": {**firefox, "winget_status": "sans réponse", "via_fallback": True}, "failed": True,
                 "msg": "Error installing package 'firefox'"},
                {"item": {"id": "balabolka", "title": "Balabolka", "requested_by": ["candidat:C9"]}, "failed": False}]},
        }}, fail]),
    ]  # fmt: skip
    work = tmp_path_factory.mktemp("role")
    (work / "render.yml").write_text(yaml.safe_dump(plays, allow_unicode=True, sort_keys=False))
    done = subprocess.run(
        [str(BIN / "ansible-playbook"), "-i", "localhost,", str(work / "render.yml")],
        capture_output=True, text=True, timeout=120, check=False, env=clean_env(), cwd=work,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    report = json.loads(done.stdout)
    return {p: facts(report, p) for p in [pl["name"] for pl in plays]}


def test_cached_titles_go_to_the_cache_the_others_to_winget(rendered, win01):
    got = rendered["with the laptop's cache"]
    cached = {i["id"]: i["installer"] for i in got["windows_cached"]}
    assert sorted(cached) == sorted(recorded_index())
    assert cached["VideoLAN.VLC"]["arguments"] == "/S" and cached["VideoLAN.VLC"]["product_id"] is None
    assert cached["TheDocumentFoundation.LibreOffice"]["product_id"] == "{5370F9CB-D8E4-452D-A5DD-90EB7A6E5E1F}"
    # LibreOffice's declared dependency (its Visual C++ runtime) is installed just before it, once
    ids = [i["id"] for i in got["windows_cached"]]
    assert ids.index("Microsoft.VCRedist.2015+.x64") == ids.index("TheDocumentFoundation.LibreOffice") - 1
    assert ids.count("Microsoft.VCRedist.2015+.x64") == 1
    runtime = got["windows_cached"][ids.index("Microsoft.VCRedist.2015+.x64")]
    office = got["windows_cached"][ids.index("TheDocumentFoundation.LibreOffice")]
    assert runtime["title"].endswith(f"(pour {office['title']})") and runtime["requested_by"] == office["requested_by"]
    nvda = next(i for i in got["windows_cached"] if i["id"] == "NVAccess.NVDA")
    assert nvda["title"] == "NVDA" and nvda["requested_by"] == ["accessibilité:C02"] and nvda["display_name"] == "NVDA"
    assert [i["id"] for i in got["windows_winget_todo"]] == [i["id"] for i in win01["winget"] if i["id"] not in cached]
    # no LAN server: nothing from the cache, every winget title from the internet
    alone = rendered["without a LAN server"]
    assert alone["windows_cached"] == [] and alone["windows_winget_todo"] == win01["winget"]


def test_cache_failures_go_on_to_the_fallback_with_their_reason(rendered):
    # a title whose copy failed is not run; the others are, with the manifest's switches
    assert rendered["cache failures"]["_msgs"] == ["NVAccess.NVDA --install-silent"]
    failed = rendered["cache failures"]["windows_cache_failed"]
    assert [(i["id"], i["cache_error"]) for i in failed] == [
        ("VideoLAN.VLC", "The checksum for ... did not match"),
        ("NVAccess.NVDA", "unexpected rc from install: 1603"),
    ]


def test_winget_returning_nothing_neither_crashes_nor_drops_a_title(rendered):
    said = rendered["winget said"]
    outcome = {i["id"]: (i["winget_installed"], i["winget_status"]) for i in said["windows_winget_outcome"]}
    assert outcome == {
        "Mozilla.Firefox": (False, "sans réponse"),
        "Microsoft.Edge": (False, "sans réponse"),
        "Google.Chrome": (True, "Ok"),
        "ArduinoSA.IDE.stable": (False, "sans réponse"),
        "Adobe.Acrobat.Reader.64-bit": (False, "NoApplicableInstallers"),
    }
    # Firefox has a Chocolatey id: it goes there; Chrome was installed; the rest is reported
    assert [(i["id"], i.get("via_fallback")) for i in said["windows_choco_todo"]] == [
        ("balabolka", None),
        ("Mozilla.Firefox", True),
    ]
    assert [i["id"] for i in said["windows_winget_failed"]] == [
        "Microsoft.Edge",
        "ArduinoSA.IDE.stable",
        "Adobe.Acrobat.Reader.64-bit",
    ]
    edge = next(i for i in said["windows_winget_failed"] if i["id"] == "Microsoft.Edge")
    assert edge["winget_message"] == "winrm: connection reset"


def test_failure_messages_name_title_candidate_and_every_cause(rendered):
    msgs = rendered["failure messages"]["_msgs"]
    assert len(msgs) == 3  # Balabolka was installed by Chocolatey: not reported
    edge, canva, firefox = msgs
    assert canva.endswith("pas d'identifiant Chocolatey de repli. Installateur par utilisateur seulement."), canva
    assert edge.startswith("Microsoft Edge (Microsoft.Edge) n'a pas pu être installé (demandé par ")
    assert "installateur du cache : copie impossible" in edge and "pas d'identifiant Chocolatey de repli" in edge
    assert firefox.startswith("Mozilla Firefox (Mozilla.Firefox)") and "référentiel" in firefox
    assert "Chocolatey : Error installing package 'firefox'" in firefox
    assert "{{" not in edge + firefox and "  " not in edge


@pytest.mark.slow  # ~5 s: ansible-playbook loads the inventory and the collections
def test_site_syntax_with_cache_vars(win01, tmp_path):
    payload = {"plateau_hosts": {"a-pc-win-01": win01}, "plateau_windows_installers": recorded_index(),
               "plateau_lan_url": LAN}  # fmt: skip
    (tmp_path / "vars.json").write_text(json.dumps(payload))
    done = subprocess.run(
        [str(BIN / "ansible-playbook"), "-i", str(EXAMPLE / "hosts.yml"), str(ROOT / "playbooks" / "site.yml"),
         "--vault-password-file", str(EXAMPLE / ".vault_pass"), "-e", f"@{tmp_path / 'vars.json'}",
         "--syntax-check"],
        capture_output=True, text=True, timeout=120, check=False,
        env={k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr


@pytest.mark.slow  # ansible-lint loads the collections (~10 s)
def test_ansible_lint_windows_and_baseline():
    lint = BIN / "ansible-lint"
    if not lint.exists() and shutil.which("ansible-lint") is None:
        pytest.skip("ansible-lint not installed")
    done = subprocess.run(
        [str(lint if lint.exists() else "ansible-lint"), "--offline", "--profile", "production", "--nocolor",
         "roles/windows", "roles/baseline"],
        cwd=ROOT / "playbooks", capture_output=True, text=True, timeout=300, check=False,
        env={k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")},
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
