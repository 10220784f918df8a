"""Dashboard fixtures: a private copy of the demo centre, its simulated plateau, and a real server.

The lab runs on a loopback /24 of this test's own (``demo_prefix`` from tests/conftest.py), so
concurrent test runs never fight over addresses. Unlike the shared ``demo`` fixture, the copy
leaves out any local ``.plateau`` state folder: the dashboard tests start from an empty store.
"""

from __future__ import annotations

import shutil
import socket
import threading
import time
from pathlib import Path

import pytest

from devices.lab.demo import DemoLab, move_inventory
from provision.context import load_all
from provision.state import open_store

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def demo(tmp_path: Path, demo_prefix: str) -> Path:
    target = tmp_path / "demo"
    shutil.copytree(ROOT / "inventories" / "demo", target, ignore=shutil.ignore_patterns(".plateau"))
    move_inventory(target, demo_prefix)
    return target


@pytest.fixture
def lab(demo: Path, demo_prefix: str):
    with DemoLab(demo / ".plateau", prefix=demo_prefix) as running:
        yield running


@pytest.fixture
def loaded(demo: Path):
    return load_all(demo)


@pytest.fixture
def store(demo: Path):
    return open_store(demo)


READY_TIMEOUT_S = 60.0  # generous: the app's start-up (lifespan) on a loaded machine


class LiveServer:
    """uvicorn serving an app on 127.0.0.1 in a thread (the app's sweeps run in that loop).

    The listening socket is bound here and handed to uvicorn, so the port is ours from the
    start (no free-port race) and connections queue until uvicorn accepts them.
    """

    def __init__(self, app) -> None:
        import uvicorn

        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning", access_log=False,
                                timeout_graceful_shutdown=1, lifespan="on")  # fmt: skip
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.sock]}, name="dashboard", daemon=True
        )

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + READY_TIMEOUT_S
        while not self.server.started:  # set once the app's lifespan start-up is done
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the dashboard server did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.sock.close()


@pytest.fixture
def live_server():
    """live_server(app) -> a started LiveServer, stopped at teardown."""
    servers: list[LiveServer] = []

    def start(app) -> LiveServer:
        server = LiveServer(app).__enter__()
        servers.append(server)
        return server

    yield start
    for server in reversed(servers):
        server.__exit__(None, None, None)
