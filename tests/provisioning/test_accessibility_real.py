"""Accessibility on the real Linux target (test_linux_real's sshd on loopback, su, local apt repo).

A candidate of the room needs high contrast. This machine is the PC, in one of three states:
- without dconf (no GNOME, no dconf-cli): a warning, no « modifié » for accessibility, the
  software is installed;
- with a /usr/bin/dconf that fails (the test puts one there when there is none, and removes
  it): rescued, a warning, the software is installed all the same;
- with dconf-cli: the real settings, on a machine without /etc/dconf/profile, read back by
  ``dconf read`` (verified), and a re-run changes nothing.
The inventory cannot point the role elsewhere (plateau refuses unknown variables), so each test
runs only in the state it needs.
"""

from __future__ import annotations

import contextlib
import importlib.util
import shutil
import subprocess
from pathlib import Path

import pytest

_spec = importlib.util.spec_from_file_location(
    "plateau_test_linux_real", Path(__file__).with_name("test_linux_real.py")
)
linux_real = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(linux_real)

pytestmark = linux_real.pytestmark
target = linux_real.target  # the same module-scoped fixture: sshd, apt source, cleanup
PACKAGE, ADMIN, run = linux_real.PACKAGE, linux_real.ADMIN, linux_real.run

PROFILE = Path("/etc/dconf/profile/user")
KEYFILE = Path("/etc/dconf/db/local.d/50-plateau-accessibilite")


DCONF = Path("/usr/bin/dconf")
needs_no_dconf = pytest.mark.skipif(DCONF.exists(), reason="this machine has dconf (dconf-cli)")


def write_inventory(root: Path, port: int, key: Path) -> None:
    linux_real.write_inventory(root, port, key, closed_port=1)
    hosts = (root / "hosts.yml").read_text().replace("            poste-injoignable:\n", "")
    hosts = hosts[: hosts.index("        poste-injoignable:")]
    (root / "hosts.yml").write_text(hosts)
    # plateau's inventory check now refuses role variables: keep the baseline's own apt refresh
    group = root / "group_vars" / "linux.yml"
    group.write_text(
        "".join(
            line
            for line in group.read_text().splitlines(keepends=True)
            if not line.startswith("baseline_apt_update_cache")
        )
    )
    (root / "session.yml").write_text("""
date: 2026-12-03
referentiel: mn-2025
juries:
  - id: jury-test
    label: "Jury de test"
    room: salle_test
candidates:
  - id: C01
    name: "Candidat A."
    jury: jury-test
    order: 1
    time: "09:00"
    accessibility: [contraste_eleve]
""")


def warnings_of(store) -> list[str]:
    return [w["message"] for w in store.hosts["poste-ok"]["detail"]["warnings"]]


@pytest.fixture
def clean_dconf():
    """Leave /etc/dconf as found: the role creates the profile, its folders, plateau's defaults
    file, and dconf update the compiled database."""
    made = [PROFILE, PROFILE.parent, KEYFILE, KEYFILE.parent, Path("/etc/dconf/db/local")]
    existed = {path: path.exists() for path in made}
    yield
    KEYFILE.unlink(missing_ok=True)
    if existed[KEYFILE.parent] and shutil.which("dconf"):
        subprocess.run(["dconf", "update"], check=False)
    for path in made:
        if existed[path] or not path.exists():
            continue
        if path.is_dir():
            with contextlib.suppress(OSError):  # not empty: something else put files there
                path.rmdir()
        else:
            path.unlink()


@needs_no_dconf
def test_no_dconf_warns_changes_nothing_and_installs(target, tmp_path, invoke, store, clean_dconf):
    port, key = target
    run("dpkg", "--purge", PACKAGE, check=False)
    inventory = tmp_path / "centre"
    write_inventory(inventory, port, key)
    assert invoke("secrets", "init", "-i", inventory).code == 0

    first = invoke("provision", "-i", inventory)
    assert first.code == 0, first.output
    assert "install ok installed" in run("dpkg-query", "-W", "-f=${Status}", PACKAGE).stdout
    [warning] = warnings_of(store)
    assert "dconf" in warning and "high-contrast" in warning
    assert "dconf" in first.output  # the summary says it, on a host that is otherwise ready
    assert not KEYFILE.exists()

    second = invoke("provision", "-i", inventory)
    assert second.code == 0, second.output
    assert store.hosts["poste-ok"]["changed"] == 0, store.hosts  # no « modifié » when nothing happened
    assert len(warnings_of(store)) == 1  # said again on every run, until dconf is there


@pytest.fixture
def failing_dconf():
    DCONF.write_text("#!/bin/sh\necho 'dconf: error: simulated by plateau tests' >&2\nexit 1\n")
    DCONF.chmod(0o755)
    try:
        yield DCONF
    finally:
        DCONF.unlink(missing_ok=True)


@needs_no_dconf
def test_failing_accessibility_is_rescued_and_software_still_installs(
    target, tmp_path, invoke, store, clean_dconf, failing_dconf
):
    port, key = target
    run("dpkg", "--purge", PACKAGE, check=False)
    inventory = tmp_path / "centre"
    write_inventory(inventory, port, key)
    assert invoke("secrets", "init", "-i", inventory).code == 0

    result = invoke("provision", "-i", inventory)
    assert result.code == 0, result.output  # not a failed host: a warning
    host = store.hosts["poste-ok"]
    assert host["failed"] == 0 and host["status"] == "changed", host
    assert "install ok installed" in run("dpkg-query", "-W", "-f=${Status}", PACKAGE).stdout
    [warning] = warnings_of(store)
    assert "Lire les réglages en vigueur" in warning and "simulated by plateau tests" in warning
    assert host["detail"]["rescued"] == 1


@pytest.mark.skipif(not DCONF.exists(), reason="needs dconf (apt-get install dconf-cli)")
def test_real_dconf_settings_are_applied_verified_and_idempotent(target, tmp_path, invoke, store, clean_dconf):
    port, key = target
    inventory = tmp_path / "centre"
    write_inventory(inventory, port, key)
    assert invoke("secrets", "init", "-i", inventory).code == 0

    first = invoke("provision", "-i", inventory)
    assert first.code == 0, first.output
    assert warnings_of(store) == [], first.output
    assert "system-db:local" in PROFILE.read_text() and PROFILE.read_text().startswith("user-db:user")
    assert "high-contrast=true" in KEYFILE.read_text()
    read = subprocess.run(
        ["dconf", "read", "/org/gnome/desktop/a11y/interface/high-contrast"],
        capture_output=True,
        text=True,
        env={"DCONF_PROFILE": "user", "PATH": "/usr/bin:/bin"},
    )
    assert read.stdout.strip() == "true"

    second = invoke("provision", "-i", inventory)
    assert second.code == 0, second.output
    assert store.hosts["poste-ok"]["changed"] == 0, store.hosts
