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
        from provision.dashboard.server import server_class

        self.server = server_class()(config, app.state.dashboard.hub)  # ends live streams on stop
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


class DashboardProcess:
    """``plateau dashboard`` as a real process (the console script, a new interpreter): its output
    read line by line in a thread, ready once its port accepts connections."""

    def __init__(self, inventory: Path, state_home: Path, *args: str) -> None:
        import os
        import subprocess
        import sys

        with socket.socket() as probe:  # a free port, taken back by the server right after
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        env = {**os.environ, "PLATEAU_LOOPBACK_ONLY": "1", "PYTHONUNBUFFERED": "1", "COLUMNS": "100",
               "XDG_STATE_HOME": str(state_home), "LANG": "fr_FR.UTF-8"}  # fmt: skip
        env.pop("PLATEAU_DASHBOARD_TOKEN", None)
        exe = Path(sys.executable).parent / "plateau"
        command = [str(exe), "dashboard", "-i", str(inventory), "--port", str(self.port), *args]
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        self.lines: list[str] = []
        self.stderr = ""
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for raw in self.process.stdout:
            self.lines.append(raw.decode("utf-8"))

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def wait_ready(self) -> DashboardProcess:
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"plateau dashboard exited {self.process.returncode}: {self.finish()}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("plateau dashboard did not start listening")

    def interrupt(self) -> int:
        """Ctrl-C (SIGINT), as a terminal sends it; the exit code (generous ceiling, then killed)."""
        import signal
        import subprocess

        self.process.send_signal(signal.SIGINT)
        try:
            return self.process.wait(timeout=READY_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise
        finally:
            self.finish()

    def finish(self) -> str:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self._reader.join(timeout=10)
        if self.process.stderr is not None and not self.stderr:
            self.stderr = self.process.stderr.read().decode("utf-8", "replace")
        return self.stderr


@pytest.fixture
def dashboard_process(tmp_path: Path):
    """dashboard_process(inventory, *args) -> a started, listening ``plateau dashboard``."""
    started: list[DashboardProcess] = []

    def start(inventory: Path, *args: str) -> DashboardProcess:
        running = DashboardProcess(inventory, tmp_path / "state-home", *args)
        started.append(running)
        return running.wait_ready()

    yield start
    for running in started:
        running.finish()


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]  # fmt: skip


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium driven by Playwright (never a download); skipped when either is absent."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is absent: apt-get install chromium (browser tests skipped)")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
