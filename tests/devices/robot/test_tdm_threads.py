"""read_thymio_tdm leaves no thread behind: whatever the peer does (speaks first with junk,
announces a huge packet, closes at once, stalls mid-packet, is a real TDM), within 1 s of
the call's end no reader thread is alive and the process burns no CPU."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from devices.errors import DeviceError

pytest.importorskip("tdmclient", reason="tdmclient not installed (robots extra)")

from devices.lab.thymio_tdm import TdmSimulator
from devices.robot.tdm import read_thymio_tdm

HOST = "127.0.0.1"
TIMEOUT = 1.0


def tdm_threads() -> list[threading.Thread]:
    return [
        t
        for t in threading.enumerate()
        if t.is_alive() and (type(t).__module__.startswith("tdmclient") or t.name.startswith("plateau-tdm"))
    ]


def assert_quiet_within_1_s() -> None:
    """No TDM thread after at most 1 s, and then under 0.1 s of CPU in 0.5 s."""
    end = time.monotonic() + 1.0
    while tdm_threads() and time.monotonic() < end:
        time.sleep(0.02)
    assert tdm_threads() == []
    cpu, wall = time.process_time(), time.monotonic()
    time.sleep(0.5)
    assert time.process_time() - cpu < 0.1, "something still spins"
    assert time.monotonic() - wall < 1.0


class Peer:
    """Accepts connections on 127.0.0.1 and runs ``behaviour(conn)`` for each."""

    def __init__(self, behaviour: Callable[[socket.socket], None]) -> None:
        self.listener = socket.create_server((HOST, 0))
        self.port: int = self.listener.getsockname()[1]
        self.behaviour = behaviour
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
            self.behaviour(conn)
        except OSError:
            pass

    def close(self) -> None:
        self.listener.close()
        for conn in self.connections:
            conn.close()


@pytest.fixture
def peer() -> Iterator[Callable[[Callable[[socket.socket], None]], Peer]]:
    started: list[Peer] = []

    def start(behaviour: Callable[[socket.socket], None]) -> Peer:
        started.append(Peer(behaviour))
        return started[-1]

    yield start
    for item in started:
        item.close()


def speaks_first_and_stays(conn: socket.socket) -> None:
    conn.sendall(b"SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n")  # 4-byte "length" of 0x2d485353
    time.sleep(30)


def speaks_first_and_closes(conn: socket.socket) -> None:
    conn.sendall(b"\x0a\x00\x00\x00not-a-flatbuf")  # a small packet tdmclient cannot decode
    conn.close()


def closes_at_once(conn: socket.socket) -> None:
    conn.close()


def stalls_mid_packet(conn: socket.socket) -> None:
    conn.sendall(b"\x00\x01\x00\x00partial")  # announces 64 KiB, sends 7 bytes
    time.sleep(30)


def junk_flood(conn: socket.socket) -> None:
    while True:
        conn.sendall(b"\xff" * 65536)


def empty_packet_flood(conn: socket.socket) -> None:
    while True:
        conn.sendall(b"\x00" * 65536)  # length 0, again and again


@pytest.mark.parametrize(
    "behaviour",
    [
        speaks_first_and_stays,
        speaks_first_and_closes,
        closes_at_once,
        stalls_mid_packet,
        junk_flood,
        empty_packet_flood,
    ],
)
def test_no_thread_left_after_a_misbehaving_peer(peer, behaviour, monkeypatch) -> None:
    died: list[object] = []
    monkeypatch.setattr(threading, "excepthook", died.append)  # a reader dying would land here
    server = peer(behaviour)
    started = time.monotonic()
    with pytest.raises(DeviceError):
        read_thymio_tdm(HOST, server.port, timeout_s=TIMEOUT)
    assert time.monotonic() - started < TIMEOUT + 0.5
    assert_quiet_within_1_s()
    assert died == []


def test_junk_first_is_a_bad_answer_at_once(peer) -> None:
    from devices.errors import BadAnswer

    server = peer(speaks_first_and_stays)
    started = time.monotonic()
    with pytest.raises(BadAnswer, match="not a Thymio Device Manager"):
        read_thymio_tdm(HOST, server.port, timeout_s=5.0)
    assert time.monotonic() - started < 1.0


def test_no_thread_left_after_a_real_tdm_success_or_timeout() -> None:
    sim = TdmSimulator(vbat_raw=(776, 776)).start()
    try:
        assert read_thymio_tdm(HOST, sim.port, timeout_s=5.0).voltage_v == 3.9
        assert_quiet_within_1_s()
        with pytest.raises(DeviceError):
            read_thymio_tdm(HOST, sim.port, TIMEOUT, node_name="absent")
        assert_quiet_within_1_s()
    finally:
        sim.stop()


def test_importing_the_driver_leaves_threading_excepthook_alone() -> None:
    import subprocess
    import sys

    code = (
        "import threading; hook = threading.excepthook; import devices.robot.tdm; assert threading.excepthook is hook"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
