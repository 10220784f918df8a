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
        "windows : Installer les logiciels avec winget",
        "windows : Retenir les logiciels à installer avec Chocolatey",
        "windows : Installer Chocolatey",
        "windows : Installer les logiciels avec Chocolatey",
        "windows : Signaler les logiciels à installer que la simulation ne peut pas vérifier",
        "windows : Signaler les logiciels que winget n'a pas pu installer",
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
        "accessibility : Réglages d'accessibilité (defaults com.apple.universalaccess)",
        "baseline : Vérifier la présence de Homebrew",
        "baseline : Exiger Homebrew",
        "macos : Installer les applications (casks Homebrew)",
        "macos : Installer les formules Homebrew",
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
