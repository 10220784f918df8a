"""``plateau provision --check`` on a fresh Linux PC (this machine, connection local, check mode:
nothing is changed): a package its stale index does not know, Flatpak not installed yet and an
admin account that does not exist are « à installer » / « à créer », not red failures.
Runs the real playbooks/site.yml through the real runner (run_playbook, ansible-runner).
"""

from __future__ import annotations

import json
import os
import pwd
import shutil
from pathlib import Path

import pytest

from provision.provisioning.runner import HostStatus, RunSpec, RunStatus, run_playbook

PLAYBOOK = Path(__file__).resolve().parents[2] / "playbooks" / "site.yml"
LOGIN = "plateau-check-nouveau"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path("/usr/bin/python3").exists(), reason="needs /usr/bin/python3 for the local connection"),
    pytest.mark.skipif(shutil.which("apt-get") is None, reason="needs a Debian machine"),
]
pytest.importorskip("passlib", reason="password_hash needs passlib on the controller")


def test_check_mode_on_a_fresh_pc_reports_to_install_and_to_create(tmp_path):
    with pytest.raises(KeyError):
        pwd.getpwnam(LOGIN)  # the account really does not exist
    inventory = tmp_path / "hosts.yml"
    inventory.write_text(
        "all:\n  children:\n    linux:\n      hosts:\n        pc-neuf:\n"
        "          ansible_connection: local\n          ansible_python_interpreter: /usr/bin/python3\n"
    )
    extravars = tmp_path / "vars.json"
    extravars.write_text(
        json.dumps(
            {
                "admin_password": "Mot-De-Passe-De-Test-9",
                "baseline_apt_update_cache": False,  # check mode would not refresh it anyway
                "plateau_hosts": {
                    "pc-neuf": {
                        "platform": "linux",
                        "apt": [
                            {"id": "bash", "title": "Bash", "requested_by": ["référentiel:mn-2025"]},
                            {
                                "id": "plateau-pas-encore-dans-l-index",
                                "title": "Logiciel du centre",
                                "requested_by": ["candidat:C02"],
                            },
                        ],
                        "flatpak": [
                            {"id": "org.example.Inconnu", "title": "Appli Flatpak", "requested_by": ["candidat:C02"]}
                        ],
                        "winget": [],
                        "choco": [],
                        "brew_cask": [],
                        "brew": [],
                        "admin": {"login": LOGIN, "secret_var": "admin_password"},
                        "accessibility": {},
                    }
                },
            }
        )
    )
    spec = RunSpec(
        private_data_dir=tmp_path / "runner",
        playbook=PLAYBOOK,
        inventory=inventory,
        extravars_file=extravars,
        vault_password_file=None,
        check=True,
        envvars={"HOME": os.environ.get("HOME", "/root")},
    )
    result = run_playbook(spec, secrets=["Mot-De-Passe-De-Test-9"])

    host = result.hosts["pc-neuf"]
    assert result.status is RunStatus.SUCCESSFUL, [f.message for f in host.failures]
    assert host.failures == [] and host.status is HostStatus.CHANGED
    keys = [w.reason for w in host.warnings]
    assert "provision.warning_check_unknown_packages" in keys
    [unknown] = [w for w in host.warnings if w.reason == "provision.warning_check_unknown_packages"]
    assert "Logiciel du centre" in unknown.message and "Bash" not in unknown.message
    if shutil.which("flatpak") is None:
        assert "provision.warning_check_flatpak_missing" in keys
    with pytest.raises(KeyError):
        pwd.getpwnam(LOGIN)  # check mode created nothing
    everything = "".join(p.read_text(errors="replace") for p in (tmp_path / "runner").rglob("*") if p.is_file())
    assert "Mot-De-Passe-De-Test-9" not in everything.replace(str(extravars), "")
