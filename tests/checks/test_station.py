"""The station probe: nmcli's answer parsed, and the real path through Ansible over SSH
to a Linux PC (Debian's sshd on loopback, a stand-in nmcli on the PC's PATH)."""

from __future__ import annotations

import socket
import subprocess
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from checks.model import Status
from devices.errors import BadAnswer
from devices.workstation.nmcli import HeardNetwork, parse_nmcli_wifi


def test_parse_escaped_colons_hidden_networks_and_signal() -> None:
    text = "Examen-Salle-A:78\n:40\nCafé\\:Wifi:12\nfreebox_ABC:\n"
    assert parse_nmcli_wifi(text) == [
        HeardNetwork("Examen-Salle-A", 78),
        HeardNetwork("Café:Wifi", 12),
        HeardNetwork("freebox_ABC", None),
    ]


def test_parse_rejects_a_line_that_is_not_nmcli() -> None:
    with pytest.raises(BadAnswer):
        parse_nmcli_wifi("Error: Wi-Fi radio is disabled")


@given(st.text(max_size=300))
def test_garbage_never_crashes_the_parser(text: str) -> None:
    try:
        parse_nmcli_wifi(text)
    except BadAnswer:
        pass


@pytest.fixture
def linux_pc(tmp_path: Path, local_sshd):
    """A Linux PC reached over real SSH whose nmcli hears the given networks."""
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    heard = tmp_path / "heard.txt"
    (fake_bin / "nmcli").write_text(f"#!/bin/sh\ncat {heard}\n")
    (fake_bin / "nmcli").chmod(0o755)
    with local_sshd(tmp_path / "sshd") as (port, key):
        yield port, key, heard, fake_bin / "nmcli"


def write_centre(root: Path, port: int, key: Path, nmcli: Path) -> None:
    root.mkdir()
    (root / "hosts.yml").write_text(
        f"""all:
  children:
    rooms:
      children:
        salle_t:
          hosts: {{pc-wifi: , ap-t: }}
    linux:
      hosts:
        pc-wifi:
          ansible_host: 127.0.0.1
          ansible_port: {port}
          ansible_user: root
          ansible_ssh_private_key_file: {key}
          ansible_ssh_common_args: "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null"
          admin_user: jury
          wifi_station: true
          nmcli_path: {nmcli}
    access_point:
      hosts:
        ap-t:
          ansible_host: 127.0.0.9
          platform: openwrt
          wifi_ssid: "Salle;T:2026"
          wifi_security: open
""",
        "utf-8",
    )
    (root / "session.yml").write_text(
        "date: 2026-12-03\nreferentiel: mn-2025\njuries:\n  - {id: jury-t, room: salle_t}\n", "utf-8"
    )


def test_station_hears_the_room_network_through_ansible_over_ssh(linux_pc, tmp_path: Path) -> None:
    from provision.context import load_all
    from provision.sweep import run_sweep

    port, key, heard, nmcli = linux_pc
    root = tmp_path / "centre"
    write_centre(root, port, key, nmcli)
    loaded = load_all(root)

    def seen() -> tuple[Status, dict]:
        result = run_sweep(loaded, devices=["pc-wifi"], timeout_s=10.0)
        verdict = next(v for v in result.verdicts if v.check == "wifi_seen")
        return verdict.status, dict(verdict.params)

    heard.write_text("Voisin:90\nSalle\\;T\\:2026:74\n")  # nmcli escapes ':' (and we accept '\;')
    assert seen() == (Status.OK, {"ssid": "Salle;T:2026", "signal_pct": 74})
    heard.write_text("Salle\\;T\\:2026:18\n")
    assert seen()[0] is Status.WARN
    heard.write_text("Voisin:90\n")
    status, params = seen()
    assert status is Status.FAIL and params["count"] == 1


def test_workstation_probe_wants_the_real_service(linux_pc, tmp_path: Path) -> None:
    """SSH: a real sshd's banner is OK; WinRM over HTTPS: a real TLS handshake is OK; an open
    port that speaks neither (proxy, firewall, wrong service) is not."""
    import ssl
    import threading

    from checks.probes.common import ProbeContext
    from checks.probes.workstation import probe_workstation
    from devices.errors import BadAnswer
    from devices.models import LinuxWorkstation, WindowsWorkstation

    port, *_ = linux_pc
    ctx = ProbeContext(timeout_s=3.0, key_dir=tmp_path)
    linux = LinuxWorkstation(name="pc", admin_user="jury", ansible_host="127.0.0.1", ansible_port=port)
    (verdict,) = probe_workstation(linux, ctx)
    assert verdict.status is Status.OK and verdict.probe == "ssh"

    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=pc-win",
                    "-keyout", str(tmp_path / "k.pem"), "-out", str(tmp_path / "c.pem"), "-days", "1"],
                   check=True, capture_output=True)  # fmt: skip
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(tmp_path / "c.pem", tmp_path / "k.pem")
    listener = socket.create_server(("127.0.0.1", 0))
    winrm_port = listener.getsockname()[1]

    def serve() -> None:
        conn, _ = listener.accept()
        with conn:
            try:
                with tls.wrap_socket(conn, server_side=True) as wrapped:
                    wrapped.recv(1)
            except (OSError, ssl.SSLError):
                pass

    threading.Thread(target=serve, daemon=True).start()
    windows = WindowsWorkstation(
        name="pc-win", admin_user="jury", ansible_host="127.0.0.1", ansible_connection="winrm", ansible_port=winrm_port
    )
    (verdict,) = probe_workstation(windows, ctx)
    assert verdict.status is Status.OK and verdict.probe == "winrm-tls"
    listener.close()

    plain = socket.create_server(("127.0.0.1", 0))  # accepts and says nothing useful
    threading.Thread(target=lambda: plain.accept()[0].sendall(b"220 hello\r\n"), daemon=True).start()
    not_ssh = linux.model_copy(update={"ansible_port": plain.getsockname()[1]})
    with pytest.raises(BadAnswer):
        probe_workstation(not_ssh, ctx)
    plain.close()
    # nothing listens any more: a Windows PC whose port refuses is not bootstrapped yet, never ready
    closed = {v.check: v for v in probe_workstation(windows, ctx)}["reachable"]
    assert closed.status is Status.UNKNOWN and closed.key == "bootstrap.not_prepared_refused"
