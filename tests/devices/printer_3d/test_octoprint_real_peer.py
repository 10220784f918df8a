"""The octoprint driver against a real OctoPrint (PyPI ``OctoPrint==1.11.8``) and its built-in
virtual printer on 127.0.0.1; also checks the lab simulator answers with the same shapes.

OctoPrint is not a project dependency (70 packages): install it in its own virtualenv and
point ``PLATEAU_OCTOPRINT_BIN`` at its ``octoprint`` script, e.g.::

    python3.11 -m venv /opt/octoprint-venv
    /opt/octoprint-venv/bin/pip install OctoPrint==1.11.8
    export PLATEAU_OCTOPRINT_BIN=/opt/octoprint-venv/bin/octoprint

Skipped when no OctoPrint is found.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from devices.errors import AuthenticationFailed
from devices.lab.base import free_port as _free_port
from devices.lab.printer_3d import OctoPrintSim
from devices.printer_3d import read_printer_3d
from devices.printer_3d.facts import PrinterState

pytestmark = pytest.mark.slow

API_KEY = "PLATEAULABKEY0123456789ABCDEF012"  # throwaway key of a throwaway instance
CONFIG = f"""\
api:
  key: {API_KEY}
server:
  firstRun: false
  onlineCheck:
    enabled: false
  pluginBlacklist:
    enabled: false
plugins:
  tracking:
    enabled: false
  virtual_printer:
    enabled: true
serial:
  port: VIRTUAL
  baudrate: 115200
  autoconnect: true
"""


def _octoprint_bin() -> str | None:
    candidate = os.environ.get("PLATEAU_OCTOPRINT_BIN") or shutil.which("octoprint")
    return candidate if candidate and Path(candidate).exists() else None


def _call(url: str, *, data: dict | None = None, key: str = API_KEY) -> tuple[int, object]:
    body = json.dumps(data).encode() if data is not None else None
    request = urllib.request.Request(url, data=body, headers={"X-Api-Key": key, "Content-Type": "application/json"})
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request, timeout=5) as resp:
            raw = resp.read()
            return resp.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as exc:
        raw = exc.read()
        return exc.code, json.loads(raw) if raw else None


def _wait(predicate, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if predicate():
                return
        except (OSError, http.client.HTTPException, ValueError, KeyError, TypeError):
            pass  # not up yet
        time.sleep(0.25)
    pytest.fail(f"real OctoPrint: {what} not reached within {timeout_s} s")


@pytest.fixture(scope="module")
def octoprint_server(tmp_path_factory):
    binary = _octoprint_bin()
    if binary is None:
        pytest.skip("OctoPrint not installed (set PLATEAU_OCTOPRINT_BIN)")
    basedir = tmp_path_factory.mktemp("octoprint")
    (basedir / "config.yaml").write_text(CONFIG)
    port = _free_port()
    log = open(basedir / "serve.log", "wb")  # noqa: SIM115
    proc = subprocess.Popen(
        [binary, "--basedir", str(basedir), "serve", "--iknowwhatimdoing", "--host", "127.0.0.1", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait(lambda: _call(url + "/api/version")[0] == 200, 60, "HTTP API up")
        _wait(
            lambda: _call(url + "/api/connection")[1]["current"]["state"] == "Operational",
            30,
            "virtual printer connected",
        )
        # Right after connecting "temperature" is {} (the driver then reports None, rightly).
        _wait(
            lambda: "actual" in _call(url + "/api/printer")[1]["temperature"]["tool0"], 30, "first temperature report"
        )
        yield url, port
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
        log.close()


def test_real_octoprint_idle_wrong_key_and_disconnected(octoprint_server):
    url, port = octoprint_server
    facts = read_printer_3d("octoprint", host="127.0.0.1", port=port, api_key=API_KEY, timeout_s=5.0)
    assert facts.state is PrinterState.IDLE and facts.connected is True
    assert facts.printing is False and facts.nozzle_c is not None and facts.bed_c is not None

    with pytest.raises(AuthenticationFailed):
        read_printer_3d("octoprint", host="127.0.0.1", port=port, api_key="wrong", timeout_s=5.0)

    # Shapes: the simulator's bodies carry the same keys as the real ones.
    with OctoPrintSim() as sim:
        for path in ("/api/printer", "/api/job", "/api/connection"):
            real = _call(url + path)[1]
            fake = _call(sim.url + path)[1]
            assert set(fake) == set(real), path
        real_flags = set(_call(url + "/api/printer")[1]["state"]["flags"])
        fake_flags = set(_call(sim.url + "/api/printer")[1]["state"]["flags"])
        assert fake_flags == real_flags

    assert _call(url + "/api/connection", data={"command": "disconnect"})[0] == 204
    try:
        _wait(lambda: _call(url + "/api/printer")[0] == 409, 10, "409 after disconnect")
        facts = read_printer_3d("octoprint", host="127.0.0.1", port=port, api_key=API_KEY, timeout_s=5.0)
        assert facts.state is PrinterState.OFFLINE and facts.connected is False
        assert facts.nozzle_c is None  # not measured, not 0
    finally:
        _call(url + "/api/connection", data={"command": "connect", "port": "VIRTUAL", "baudrate": 115200})
