"""One contract for every probe of the family registry: whatever the peer does (refuse, talk
garbage, stay silent), a probe raises only ``devices.errors`` exceptions, within its
timeout — it never crashes another way and never returns an OK verdict from junk."""

from __future__ import annotations

import os
import socket
import threading
import time
from pathlib import Path

import pytest

from checks.model import Status
from checks.probes.common import ProbeContext
from devices.errors import DeviceError
from provision.context import load_all
from provision.families import REGISTRY

ROOT = Path(__file__).resolve().parents[2]
#: the TCP port each family's probe talks to, from the registry
PORT_FIELD = {f.name: f.port_field for f in REGISTRY.values() if f.port_field}
JUNK = b"\x00\xffHELLO? \r\n\x13\x37junk\x00{]\n" * 8


class Peer:
    """A TCP peer on 127.0.0.1 that refuses, answers junk, or says nothing."""

    def __init__(self, behaviour: str) -> None:
        self.behaviour = behaviour
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.stop = threading.Event()
        if behaviour == "refuse":
            self.sock.close()
        else:
            self.sock.settimeout(0.1)
            threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            threading.Thread(target=self._talk, args=(conn,), daemon=True).start()

    def _talk(self, conn: socket.socket) -> None:
        with conn:
            try:
                if self.behaviour == "junk":
                    conn.sendall(JUNK)
                    conn.settimeout(0.5)
                    while conn.recv(4096):
                        conn.sendall(JUNK)
                else:  # silent: accept and wait
                    self.stop.wait(5)
            except OSError:
                pass

    def close(self) -> None:
        self.stop.set()
        self.sock.close()


def devices_by_family():
    loaded = load_all(ROOT / "inventories" / "example")
    chosen = {}
    for device in loaded.inventory.devices:
        if device.family in PORT_FIELD and device.family not in chosen and device.address:
            chosen[device.family] = device
    return chosen


DEVICES = devices_by_family()


@pytest.mark.parametrize("behaviour", ["refuse", "junk", "silent"])
@pytest.mark.parametrize("family", sorted(PORT_FIELD))
def test_probe_raises_only_device_errors(family: str, behaviour: str, tmp_path: Path) -> None:
    if family not in DEVICES:
        pytest.skip(f"no {family} with an address in the example")
    assert os.environ.get("PLATEAU_LOOPBACK_ONLY") == "1"
    peer = Peer(behaviour)
    try:
        update = {"address": "127.0.0.1", PORT_FIELD[family]: peer.port}
        if family == "printer":
            update["snmp_port"] = peer.port  # nothing answers SNMP there either
        device = DEVICES[family].model_copy(update=update)
        ctx = ProbeContext(timeout_s=1.0, key_dir=tmp_path)
        started = time.monotonic()
        try:
            decl = REGISTRY[family].probe_for(device)
            assert decl is not None
            verdicts = decl.spec().fn(device, ctx)
        except DeviceError:
            verdicts = []
        except Exception as exc:  # noqa: BLE001
            pytest.fail(f"{family} probe let {type(exc).__name__} escape: {exc}")
        assert time.monotonic() - started < 12, "the probe ignored its timeout"
        assert all(v.status is not Status.OK for v in verdicts), [v.key for v in verdicts]
    finally:
        peer.close()
