"""playbooks/: syntax, ansible-lint (production profile), and which tasks each OS gets."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from provision.context import load_all
from provision.provisioning.runner import parse_task_count
from provision.provisioning.vars import extra_vars

ROOT = Path(__file__).resolve().parents[2]
PLAYBOOKS = ROOT / "playbooks"
EXAMPLE = ROOT / "inventories" / "example"
BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def example_vars(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("vars") / "plan-vars.json"
    path.write_text(json.dumps(extra_vars(load_all(EXAMPLE).plan.to_dict())))
    return path


def clean_env() -> dict[str, str]:
    """The environment without the ANSIBLE_* settings plateau's inventory loader sets in-process."""
    return {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}


def playbook(*args: str, vars_file: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            str(BIN / "ansible-playbook"),
            "-i",
            str(EXAMPLE / "hosts.yml"),
            str(PLAYBOOKS / "site.yml"),
            "--vault-password-file",
            str(EXAMPLE / ".vault_pass"),
            "-e",
            f"@{vars_file}",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=clean_env(),
    )


def test_site_syntax(example_vars):
    result = playbook("--syntax-check", vars_file=example_vars)
    assert result.returncode == 0, result.stderr


@pytest.mark.slow  # ~6 s: ansible-lint loads every role
def test_ansible_lint_production_profile():
    lint = BIN / "ansible-lint"
    if not lint.exists() and shutil.which("ansible-lint") is None:
        pytest.skip("ansible-lint not installed (pip install ansible-lint==26.10.1)")
    result = subprocess.run(
        [
            str(lint if lint.exists() else "ansible-lint"),
            "--offline",
            "--profile",
            "production",
            "--nocolor",
            "site.yml",
        ],
        cwd=PLAYBOOKS,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
        env=clean_env(),
    )
    assert result.returncode == 0, result.stdout + result.stderr


def listed(result: subprocess.CompletedProcess) -> list[str]:
    return [line.strip().split("\t")[0] for line in result.stdout.splitlines() if line.startswith("      ")]


def test_windows_tasks(example_vars):
    result = playbook("--list-tasks", "--tags", "windows", vars_file=example_vars)
    assert result.returncode == 0, result.stderr
    tasks = listed(result)
    assert tasks == [
        "Ignorer les postes absents du plan",
        "Joindre le poste (Windows)",
        "Joindre le poste (Linux, macOS)",
        "Vérifier l'élévation de privilèges",
        "admin_session : Compte administrateur local (Windows)",
        "admin_session : Trouver le nom local du groupe Administrateurs",
        "admin_session : Membre du groupe Administrateurs (Windows)",
        "admin_session : Signaler le compte administrateur à créer (simulation)",
        "accessibility : Réglages d'accessibilité du profil par défaut (Windows)",
        "baseline : Installer le module PowerShell Microsoft.WinGet.Client",
        "baseline : Signaler le module winget non installé",
        "windows : Choisir la source de chaque logiciel (cache du portable, winget, Chocolatey)",
        "windows : Repérer les logiciels du cache déjà installés",
        "windows : Retenir les logiciels du cache à installer",
        "windows : Créer le dossier des installateurs",
        "windows : Copier les installateurs depuis le portable",
        "windows : Installer les logiciels du cache",
        "windows : Retenir les logiciels que le cache n'a pas pu installer",
        "windows : Signaler les logiciels du cache à installer (simulation)",
        "windows : Installer les logiciels avec winget",
        "windows : Lire la réponse de winget pour chaque logiciel",
        "windows : Retenir les logiciels à installer avec Chocolatey",
        "windows : Installer Chocolatey",
        "windows : Installer les logiciels avec Chocolatey",
        "windows : Signaler les logiciels à installer que la simulation ne peut pas vérifier",
        "windows : Signaler les logiciels qui n'ont pas pu être installés",
        "Terminer la préparation du poste",
    ]
    assert parse_task_count(result.stdout) == len(tasks)


def test_macos_tasks(example_vars):
    result = playbook("--list-tasks", "--tags", "macos", vars_file=example_vars)
    assert result.returncode == 0, result.stderr
    assert listed(result) == [
        "Ignorer les postes absents du plan",
        "Joindre le poste (Windows)",
        "Joindre le poste (Linux, macOS)",
        "Vérifier l'élévation de privilèges",
        "admin_session : Compte administrateur local (macOS, groupe admin)",
        "admin_session : Mot de passe du compte administrateur (macOS)",
        "admin_session : Signaler un compte sans SecureToken (FileVault)",
        "admin_session : Signaler un mot de passe changé sans FileVault (SecureToken sans administrateur)",
        "accessibility : Réglages d'accessibilité (defaults com.apple.universalaccess)",
        "baseline : Vérifier la présence de Homebrew",
        "baseline : Exiger Homebrew",
        "macos : Chercher le cache Homebrew du portable",
        "macos : Choisir la source des téléchargements Homebrew",
        "macos : Signaler un cache du portable sans Homebrew",
        "macos : Demander à Homebrew où ranger le téléchargement de chaque application",
        "macos : Créer le dossier des téléchargements de Homebrew",
        "macos : Déposer les installateurs du portable dans le cache de Homebrew",
        "macos : Noter les applications venues du portable",
        "macos : Signaler les applications qui viennent d'internet (casks)",
        "macos : Choisir le mot de passe sudo des applications",
        "macos : Signaler un mot de passe sudo inutilisable par Homebrew",
        "macos : Installer les applications (casks Homebrew)",
        "macos : Échec d'installation d'une application (cask Homebrew)",
        "macos : Installer les formules Homebrew",
        "Terminer la préparation du poste",
    ]


def test_every_password_task_has_no_log():
    """Any task mentioning a secret variable or password_hash must carry no_log: true."""
    import yaml

    for path in sorted((PLAYBOOKS / "roles").glob("*/tasks/*.yml")):
        for task in yaml.safe_load(path.read_text()) or []:
            text = json.dumps(task)
            if "secret_var)" in text or "password_hash" in text:
                assert task.get("no_log") is True, f"{path.name}: {task.get('name')}"


def test_one_play_so_one_os_failing_never_stops_another():
    import yaml

    plays = yaml.safe_load((PLAYBOOKS / "site.yml").read_text())
    assert len(plays) == 1 and plays[0]["hosts"] == "windows:linux:macos"
    text = (PLAYBOOKS / "site.yml").read_text()
    assert "any_errors_fatal: true" not in text and "max_fail_percentage" not in text
    # each host at its own pace (the run for real: test_free_progress_real.py)
    assert plays[0]["strategy"] == "free"
    # its own end, which the live view waits for before « prêt »
    last = plays[0]["post_tasks"][-1]
    assert last["ansible.builtin.set_fact"] == {"plateau_host_done": True} and last["tags"] == ["always"]


TIMEOUT = "{{ plateau_install_timeout_s | int }}"


def tasks_of(node):
    """Every task of a tasks list, blocks opened (rescue and always too)."""
    for task in node or []:
        if "block" in task:
            yield from tasks_of(task["block"])
            yield from tasks_of(task.get("rescue"))
            yield from tasks_of(task.get("always"))
        else:
            yield task


def test_tasks_that_reach_the_host_are_bounded_by_the_install_timeout():
    """site.yml's own tasks that reach the host, and those of admin_session, accessibility and baseline
    that run a command or a package manager on Linux and macOS, carry the shared timeout."""
    import yaml

    play = yaml.safe_load((PLAYBOOKS / "site.yml").read_text())[0]
    reaching = [t for t in tasks_of(play["pre_tasks"]) if "ansible.builtin.meta" not in t]
    assert reaching and all(t.get("timeout") == TIMEOUT for t in reaching), [t["name"] for t in reaching]
    may_hang = (
        "ansible.builtin.command", "ansible.builtin.user", "ansible.builtin.apt", "plateau_macos_password",
        "community.general.flatpak_remote", "community.general.osx_defaults",
    )  # fmt: skip
    checked = 0
    for role in ("admin_session", "accessibility", "baseline"):
        for path in sorted((PLAYBOOKS / "roles" / role / "tasks").glob("*.yml")):
            if path.stem == "windows":
                continue  # the Windows tasks are the Windows role owners'
            for task in tasks_of(yaml.safe_load(path.read_text())):
                if any(module in task for module in may_hang):
                    checked += 1
                    assert task.get("timeout") == TIMEOUT, f"{role}/{path.name}: {task['name']}"
    assert checked >= 10


def test_the_install_timeout_has_a_default_under_the_inventory(tmp_path):
    """plateau_install_timeout_s is a role default (the only level below the inventory: a play var
    would win over a host's own value), so plateau's inventory rules accept it on a host."""
    import yaml

    from provision.inventory.rules import role_variables

    defaults = yaml.safe_load((PLAYBOOKS / "roles" / "plateau" / "defaults" / "main.yml").read_text())
    assert defaults["plateau_install_timeout_s"] == 1800
    assert "plateau_install_timeout_s" in role_variables()
    play = yaml.safe_load((PLAYBOOKS / "site.yml").read_text())[0]
    assert play["roles"][0] == {"role": "plateau"} and "plateau_install_timeout_s" not in play["vars"]
