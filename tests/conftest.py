"""Shared fixtures: copies of the example inventory to break on purpose, and a CLI runner."""

from __future__ import annotations

import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "inventories" / "example"
DEMO = ROOT / "inventories" / "demo"
EXAMPLE_VAULT_PASSWORD = (EXAMPLE / ".vault_pass").read_text().strip()


# Tests never send a packet off this machine: the sweep refuses any non-loopback address.
import os as _os  # noqa: E402

_os.environ["PLATEAU_LOOPBACK_ONLY"] = "1"


def pytest_collection_modifyitems(config, items):
    import os

    if os.environ.get("PLATEAU_LIVE") == "1":
        return
    skip = pytest.mark.skip(reason="needs real hardware: set PLATEAU_LIVE=1")
    for item in items:
        if "live" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def workstation_lab():
    """``workstation_lab(**kwargs)``: a started devices.lab WorkstationLab (the test is skipped
    without root, sshd or unshare), stopped and its folder removed after the test."""
    from devices.lab.workstation import LabNeedsRoot, WorkstationLab

    started = []

    def start(**kwargs):
        lab = WorkstationLab(**kwargs)
        try:
            lab.start()
        except LabNeedsRoot as exc:
            pytest.skip(str(exc))
        started.append(lab)
        return lab

    yield start
    for lab in reversed(started):
        lab.stop()
        lab.cleanup()


@pytest.fixture
def example(tmp_path: Path) -> Path:
    """A private copy of inventories/example (with its documented fake vault password)."""
    target = tmp_path / "centre"
    shutil.copytree(EXAMPLE, target)
    return target


@dataclass
class Result:
    code: int
    out: str
    err: str

    @property
    def text(self) -> str:
        return self.out + self.err


@pytest.fixture
def plateau(monkeypatch, capsys):
    """Run the CLI in-process: plateau("validate", "-i", path) -> Result."""
    from provision.cli import main

    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.delenv("PLATEAU_VAULT_PASSWORD_FILE", raising=False)

    def run(*args: str) -> Result:
        capsys.readouterr()
        with pytest.raises(SystemExit) as exit_info:
            main([str(a) for a in args])
        captured = capsys.readouterr()
        return Result(int(exit_info.value.code), captured.out, captured.err)

    return run


def _run_cli(*args: str, cwd: Path | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    exe = Path(sys.executable).parent / "plateau"
    return subprocess.run([str(exe), *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=120)


@pytest.fixture
def run_cli():
    """Run the installed console script in a real subprocess: run_cli("plan", "-i", path)."""
    return _run_cli


@pytest.fixture
def vault_secrets():
    """vault_secrets(inventory) -> every secret value of its vault files, to assert they never leak."""
    return _vault_secrets


def _vault_secrets(inventory: Path) -> list[str]:
    """Every secret value stored in the inventory's vault files (to assert they never leak)."""
    import yaml
    from ansible.parsing.vault import VaultLib, VaultSecret

    password = (inventory / ".vault_pass").read_bytes().strip()
    vault = VaultLib([("default", VaultSecret(password))])
    secrets = []
    for path in sorted(inventory.glob("host_vars/*/vault.yml")):
        data = yaml.safe_load(vault.decrypt(path.read_bytes()))
        secrets.extend(str(v) for v in data.values())
    return secrets


@pytest.fixture
def demo_prefix() -> str:
    """A loopback /24 of this test's own for the demo lab (concurrent runs never collide)."""
    from devices.lab.demo import random_prefix

    return random_prefix()


@pytest.fixture
def demo(tmp_path: Path, demo_prefix: str) -> Path:
    """A private copy of inventories/demo, pointing at a lab started with ``demo_prefix``."""
    from devices.lab.demo import move_inventory

    target = tmp_path / "demo"
    shutil.copytree(DEMO, target)
    move_inventory(target, demo_prefix)
    return target


@pytest.fixture
def lab(demo: Path, demo_prefix: str):
    """The simulated plateau of the demo centre, running for this test."""
    from devices.lab.demo import DemoLab

    with DemoLab(demo / ".plateau", prefix=demo_prefix) as running:
        yield running


@pytest.fixture
def capture(request):
    """capture("case") -> the one recorded file in <test folder>/captures/case/ (README aside)."""
    folder = Path(request.path).parent / "captures"

    def read(case: str) -> str:
        files = [p for p in (folder / case).iterdir() if p.name != "README"]
        assert len(files) == 1, case
        return files[0].read_text(encoding="utf-8")

    return read


@pytest.fixture
def variants():
    """variants(text) -> the same answer as other firmware or tool versions might print it."""

    def make(text: str) -> dict[str, str]:
        return {
            "as_captured": text,
            "crlf": text.replace("\n", "\r\n"),
            "trailing_spaces": "\n".join(line + "  " for line in text.split("\n")),
            "lowercase": text.lower(),
            "no_final_newline": text.rstrip("\n"),
        }

    return make


@pytest.fixture(scope="session")
def local_sshd():
    """local_sshd(folder) -> context manager yielding (port, client_key): Debian's real sshd on
    127.0.0.1 with throwaway host and client keys (root logs in by key only), stopped on exit.
    Skips the test when not root or openssh-server is absent."""
    import contextlib
    import os
    import socket
    import time

    @contextlib.contextmanager
    def start(folder: Path):
        if os.geteuid() != 0 or not Path("/usr/sbin/sshd").exists():
            pytest.skip("needs root and openssh-server (sshd privilege separation)")
        folder.mkdir(parents=True, exist_ok=True)
        for name in ("host_key", "client_key"):
            subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(folder / name)], check=True)
        shutil.copy(folder / "client_key.pub", folder / "authorized_keys")
        from devices.lab.base import free_port

        port = free_port()  # sshd binds it itself
        (folder / "sshd_config").write_text(
            f"Port {port}\nListenAddress 127.0.0.1\nHostKey {folder / 'host_key'}\nPidFile {folder / 'sshd.pid'}\n"
            f"AuthorizedKeysFile {folder / 'authorized_keys'}\nPermitRootLogin prohibit-password\n"
            "PasswordAuthentication no\nKbdInteractiveAuthentication no\nUsePAM no\nStrictModes no\n"
            "Subsystem sftp internal-sftp\n"
        )
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # sshd's privilege separation directory
        with open(folder / "sshd.log", "wb") as log:  # a file, not a pipe: sshd -e logs every connection
            sshd = subprocess.Popen(
                ["/usr/sbin/sshd", "-D", "-e", "-f", str(folder / "sshd_config")], stdout=subprocess.DEVNULL, stderr=log
            )
        try:
            deadline = time.monotonic() + 60  # generous: sshd starts slowly on a loaded machine
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    if time.monotonic() > deadline or sshd.poll() is not None:
                        pytest.fail(f"sshd did not start: {(folder / 'sshd.log').read_text()}")
                    time.sleep(0.1)
            yield port, folder / "client_key"
        finally:
            sshd.terminate()
            sshd.wait(timeout=10)

    return start
