"""`plateau check` exits as soon as it has printed its report, whatever the devices do.

The real console script in a subprocess, against peers on loopback that misbehave the way
that used to keep the process alive for minutes after the verdict: an HTTP answer trickled
one byte every 0.2 s (a printer's IPP, an eSCL scanner, an OctoPrint and a Spoolman), and a
"Thymio Device Manager" that speaks first with junk and then keeps the connection open.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

DEMO = Path(__file__).resolve().parent.parent / "inventories" / "demo"
TIMEOUT_S = 1.0
ANSWER = (
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 40\r\n\r\n"
    b'{"current": {"state": "Operational"}}  '
)


class Peer:
    """A TCP server on ``host``: ``behaviour(conn)`` in a thread per connection."""

    def __init__(self, host: str, behaviour: str) -> None:
        self.behaviour = behaviour
        self.stop = threading.Event()
        self.listener = socket.create_server((host, 0))
        self.host, self.port = host, self.listener.getsockname()[1]
        self.connections: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            self.connections.append(conn)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        try:
            if self.behaviour == "junk_first":
                conn.sendall(b"SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n")
                self.stop.wait(120)
                return
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                data += chunk
            for byte in ANSWER:  # ~25 s for the whole answer
                if self.stop.wait(0.2):
                    return
                conn.sendall(bytes([byte]))
            self.stop.wait(120)
        except OSError:
            pass

    def close(self) -> None:
        self.stop.set()
        self.listener.close()
        for conn in self.connections:
            try:
                conn.close()
            except OSError:
                pass


@pytest.fixture
def peers() -> Iterator[dict[str, Peer]]:
    from devices.lab.demo import random_prefix

    prefix = random_prefix()  # "127.x.y." of this test's own
    started = {
        "printer": Peer(prefix + "30", "trickle"),
        "scanner": Peer(prefix + "31", "trickle"),
        "octoprint": Peer(prefix + "40", "trickle"),
        "spoolman": Peer(prefix + "41", "trickle"),
        "tdm": Peer(prefix + "70", "junk_first"),
    }
    yield started
    for peer in started.values():
        peer.close()


def build_inventory(tmp_path: Path, peers: dict[str, Peer]) -> Path:
    root = tmp_path / "centre"
    shutil.copytree(DEMO, root)
    for folder in (root / "host_vars").iterdir():
        shutil.rmtree(folder)
    for name in ("linux.yml", "windows.yml"):
        (root / "group_vars" / name).unlink(missing_ok=True)
    all_vars = yaml.safe_load((root / "group_vars" / "all.yml").read_text())
    all_vars["internet_targets"] = []
    (root / "group_vars" / "all.yml").write_text(yaml.safe_dump(all_vars, allow_unicode=True))
    p = peers
    hosts = {
        "all": {
            "children": {
                "rooms": {"children": {"salle_demo": {"hosts": {"mfp": None, "imprimante-3d": None, "thymio": None}}}},
                "printer": {
                    "hosts": {
                        "mfp": {
                            "ansible_host": p["printer"].host,
                            "ipp_port": p["printer"].port,
                            "snmp_port": p["printer"].port,
                        }
                    }
                },
                "scanner": {"hosts": {"mfp": {"escl_port": p["scanner"].port}}},
                "printer_3d": {
                    "hosts": {
                        "imprimante-3d": {
                            "driver": "octoprint",
                            "ansible_host": p["octoprint"].host,
                            "api_port": p["octoprint"].port,
                            "spoolman_url": f"http://{p['spoolman'].host}:{p['spoolman'].port}",
                        }
                    }
                },
                "robot": {
                    "hosts": {
                        "thymio": {
                            "kind": "thymio",
                            "probe": "tdm",
                            "ansible_host": p["tdm"].host,
                            "tdm_port": p["tdm"].port,
                        }
                    }
                },
            }
        }
    }
    (root / "hosts.yml").write_text(yaml.safe_dump(hosts, sort_keys=False))
    (root / "session.yml").write_text(
        yaml.safe_dump(
            {
                "date": "2026-12-03",
                "referentiel": "mn-2025",
                "juries": [{"id": "jury-demo", "label": "Jury", "room": "salle_demo"}],
                "candidates": [],
            }
        )
    )
    return root


def test_check_exits_within_1_s_of_its_report(tmp_path: Path, peers: dict[str, Peer]) -> None:
    root = build_inventory(tmp_path, peers)
    exe = Path(sys.executable).parent / "plateau"
    env = {**os.environ, "PLATEAU_LOOPBACK_ONLY": "1", "PYTHONUNBUFFERED": "1", "COLUMNS": "200"}
    env.pop("PLATEAU_VAULT_PASSWORD_FILE", None)
    started = time.monotonic()
    process = subprocess.Popen(
        [str(exe), "check", "-i", str(root), "--timeout", str(TIMEOUT_S), "--format", "json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    assert process.stdout is not None
    out, last_output = b"", None
    give_up = started + 90
    while time.monotonic() < give_up:  # stdout reaches EOF when the process is gone
        readable, _, _ = select.select([process.stdout], [], [], give_up - time.monotonic())
        if not readable:
            break
        chunk = os.read(process.stdout.fileno(), 65536)
        if not chunk:
            break
        out += chunk
        last_output = time.monotonic()
    try:
        process.wait(timeout=max(give_up - time.monotonic(), 0.1))
    finally:
        process.kill()
    exited = time.monotonic()
    err = process.stderr.read().decode() if process.stderr else ""
    assert out, f"no report printed; exit {process.returncode}; stderr:\n{err}"
    assert last_output is not None
    report = json.loads(out)
    verdicts = {(v["device"], v["check"]): v for v in report["verdicts"]}
    for probed in [
        ("mfp", "printer_state"),
        ("mfp", "scanner_state"),
        ("thymio", "battery"),
        ("imprimante-3d", "printer_3d_state"),
    ]:
        assert verdicts[probed]["status"] == "unknown"
        # the driver gave up by itself (its own deadline), not abandoned by the sweep's bound
        assert verdicts[probed]["key"] != "check.probe.timeout", verdicts[probed]
    assert exited - last_output < 1.0, f"{exited - last_output:.2f} s from report to exit"
    assert exited - started < TIMEOUT_S * 2.5 + 3, f"{exited - started:.2f} s in all"
