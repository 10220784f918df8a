"""cfgutil over SSH with paramiko, against a real OpenSSH server on loopback.

The sshd (Debian openssh-server) runs as this user on a free port with a throw-away host
key; ``cfgutil`` on the "Mac" is the fake executable, called by absolute path.
"""

from __future__ import annotations

import getpass
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from devices.errors import AuthenticationFailed, Unreachable
from devices.ipad import read_ipad, ssh_runner
from devices.lab.base import free_port as _free_port

SSHD = shutil.which("sshd") or "/usr/sbin/sshd"
pytestmark = pytest.mark.skipif(
    not os.path.exists(SSHD) or os.geteuid() != 0, reason="needs openssh-server and root (sshd privilege separation)"
)


@pytest.fixture
def mac(tmp_path) -> Iterator[dict]:
    keys = tmp_path / "keys"
    keys.mkdir(mode=0o700)
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(keys / "host")], check=True)
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(keys / "client")], check=True)
    (keys / "authorized_keys").write_text((keys / "client.pub").read_text())
    port = _free_port()
    Path("/run/sshd").mkdir(exist_ok=True)
    config = tmp_path / "sshd_config"
    config.write_text(f"""Port {port}
ListenAddress 127.0.0.1
HostKey {keys / "host"}
AuthorizedKeysFile {keys / "authorized_keys"}
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
StrictModes no
UsePAM no
PidFile {tmp_path / "sshd.pid"}
""")
    daemon = subprocess.Popen([SSHD, "-D", "-e", "-f", str(config)], stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60  # generous: sshd starts slowly on a loaded machine
    while True:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                break
        if time.monotonic() > deadline or daemon.poll() is not None:
            pytest.fail(f"sshd not listening on 127.0.0.1:{port}")
        time.sleep(0.05)
    known_hosts = tmp_path / "known_hosts"
    host_pub = (keys / "host.pub").read_text().split()
    known_hosts.write_text(f"[127.0.0.1]:{port} {host_pub[0]} {host_pub[1]}\n")
    try:
        yield {"port": port, "key": str(keys / "client"), "known_hosts": str(known_hosts), "user": getpass.getuser()}
    finally:
        daemon.terminate()
        daemon.wait(timeout=5)


def test_cfgutil_over_ssh(mac, fake_tools) -> None:
    runner = ssh_runner(
        "127.0.0.1", port=mac["port"], username=mac["user"], key_filename=mac["key"], known_hosts=mac["known_hosts"]
    )
    facts = read_ipad(
        via="cfgutil", ecid=fake_tools.ecid, runner=runner, timeout_s=15, executable=str(fake_tools.bin_dir / "cfgutil")
    )
    assert (facts.model, facts.ios_version, facts.battery_level_pct) == ("iPad7,5", "17.1.2", 70)
    assert "uk.co.bbc.iplayer" in facts.installed_apps
    fake_tools.set(state="no_device")
    with pytest.raises(Unreachable, match="No devices attached"):
        read_ipad(
            via="cfgutil",
            ecid=fake_tools.ecid,
            runner=runner,
            timeout_s=15,
            executable=str(fake_tools.bin_dir / "cfgutil"),
        )


def test_cfgutil_missing_on_mac(mac) -> None:
    runner = ssh_runner(
        "127.0.0.1", port=mac["port"], username=mac["user"], key_filename=mac["key"], known_hosts=mac["known_hosts"]
    )
    with pytest.raises(Unreachable, match="Install Automation Tools"):
        read_ipad(via="cfgutil", ecid="0x1", runner=runner, timeout_s=15, executable="/nonexistent/cfgutil")


def test_wrong_key_is_authentication_failed(mac, tmp_path) -> None:
    other = tmp_path / "other"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(other)], check=True)
    runner = ssh_runner(
        "127.0.0.1", port=mac["port"], username=mac["user"], key_filename=str(other), known_hosts=mac["known_hosts"]
    )
    with pytest.raises(AuthenticationFailed) as info:
        read_ipad(via="cfgutil", ecid="0x1", runner=runner, timeout_s=15)
    assert str(other) not in str(info.value)


def test_unknown_host_key_is_refused(mac, tmp_path) -> None:
    empty = tmp_path / "empty_known_hosts"
    empty.write_text("")
    runner = ssh_runner(
        "127.0.0.1", port=mac["port"], username=mac["user"], key_filename=mac["key"], known_hosts=str(empty)
    )
    with pytest.raises(Unreachable, match="SSH"):
        read_ipad(via="cfgutil", ecid="0x1", runner=runner, timeout_s=15)


def test_closed_port_is_unreachable() -> None:
    runner = ssh_runner("127.0.0.1", port=_free_port(), username="nobody", password="x", connect_timeout_s=2)
    with pytest.raises(Unreachable):
        read_ipad(via="cfgutil", ecid="0x1", runner=runner, timeout_s=5)
