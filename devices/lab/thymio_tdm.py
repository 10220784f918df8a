"""A Thymio Device Manager (TDM) peer: tdmclient's own server with a simulated Thymio II.

    with TdmSimulator(vbat_raw=(800, 800)) as tdm:     # subprocess on 127.0.0.1:<free port>
        read_thymio_tdm("127.0.0.1", tdm.port, timeout_s=5)

The TDM protocol (4-byte little-endian length + FlatBuffers messages of Mobsya's
``thymio.fbs``: ConnectionHandshake, NodesChanged, RequestNodeAsebaVMDescription,
WatchNode, VariablesChanged, ...) is spoken by ``tdmclient.Server`` / ``ServerHandler``
from PyPI ``tdmclient`` unchanged; this module only gives its ``ServerNode`` the
variables of a real Thymio II (names and sizes from ``serial_board.THYMIO_VARIABLES``,
the firmware's order) and fixes two things of the dummy server's plumbing that would
hurt tests: it binds ``''`` on a fixed port (we bind 127.0.0.1 and a free port), and a
connection closed by the client makes its thread spin forever (``recv`` returning
``b""`` is treated as a timeout) -- we end that thread instead.

Run standalone: ``python -m devices.lab.thymio_tdm --vbat 800,800`` prints
``READY <port>`` once it listens.
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import selectors
import signal
import socket
import subprocess
import sys

from devices.lab.base import HEALTHY, HOST, Simulator
from devices.lab.serial_board import THYMIO_VARIABLES

READY_TIMEOUT_S = 60.0  # importing tdmclient on a loaded machine takes a while


def thymio_variables(
    vbat_raw: tuple[int, ...], fwversion: tuple[int, int] = (14, 0), node_id: int = 1
) -> dict[str, list[int]]:
    """Name -> values of every Thymio II variable, as the TDM lists them."""
    special = {
        "_id": [node_id],
        "_fwversion": list(fwversion),
        "_productId": [8],
        "_vbat": list(vbat_raw),
        "temperature": [231],
    }
    return {name: special.get(name, [0] * size) for name, size in THYMIO_VARIABLES}


def _serve(port: int, vbat_raw: tuple[int, ...], with_vbat: bool, name: str, host: str = "127.0.0.1") -> None:
    from tdmclient import Server, ServerNode, ThymioFB
    from tdmclient.server import ServerThread

    class _Thread(ServerThread):  # type: ignore[misc]  # tdmclient ships no types
        def read_uint32(self) -> int:
            data = self.socket.recv(4)
            if data == b"":
                raise ConnectionResetError("client closed the connection")
            if len(data) < 4:
                raise TimeoutError()
            return int.from_bytes(data, "little")

    class _Server(Server):  # type: ignore[misc]  # tdmclient ships no types
        port: int

        def start(self) -> None:
            self.socket_listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            self.socket_listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self.socket_listener.bind((host, self.port))
            self.socket_listener.listen(5)
            self.port = self.socket_listener.getsockname()[1]

        def accept(self) -> None:
            client, address = self.socket_listener.accept()
            thread = _Thread(self, client, address, debug=self.debug)
            thread.daemon = True
            thread.start()

    variables = thymio_variables(vbat_raw)
    if not with_vbat:
        del variables["_vbat"]
    server = _Server(port=port or 1)  # Server treats 0 as "default port 8596"
    if not port:
        server.port = 0
    server.nodes.add(ServerNode(type=ThymioFB.NODE_TYPE_THYMIO2, name=name, variables=variables))
    server.start()
    print(f"READY {server.port}", flush=True)
    server.loop_forever()


class TdmSimulator(Simulator):
    """tdmclient's TDM server in a subprocess (its threads block in accept/recv).

    ``start()`` returns once the subprocess has said it listens (``READY <port>``), or fails
    after ``READY_TIMEOUT_S``. Only the ``healthy`` mode: tdmclient's server has no faults.
    """

    modes = (HEALTHY,)

    def __init__(
        self,
        vbat_raw: tuple[int, ...] = (800, 800),
        with_vbat: bool = True,
        name: str = "thymio-II",
        port: int = 0,
        host: str = HOST,
    ) -> None:
        super().__init__(host=host)
        self.vbat_raw = vbat_raw
        self.with_vbat = with_vbat
        self.name = name
        self._port = port
        self._process: subprocess.Popen[str] | None = None

    @property
    def port(self) -> int:
        """The listening port once started (before: the one asked for, 0 = any)."""
        return self._port

    def _open(self) -> None:
        command = [
            sys.executable,
            "-m",
            "devices.lab.thymio_tdm",
            "--port",
            str(self._port),
            "--host",
            self.host,
            "--vbat",
            ",".join(map(str, self.vbat_raw)),
            "--name",
            self.name,
        ]
        if not self.with_vbat:
            command.append("--no-vbat")
        root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([root, *filter(None, [os.environ.get("PYTHONPATH")])])}
        self._process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env)
        line = _read_line(self._process, READY_TIMEOUT_S)
        if not line.startswith("READY "):
            raise RuntimeError(f"TDM simulator did not start: {line!r}")
        self._port = int(line.split()[1])

    def _close(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.send_signal(signal.SIGTERM)
            try:
                self._process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(timeout=5)
        if self._process is not None and self._process.stdout is not None:
            self._process.stdout.close()
        self._process = None


def _read_line(process: subprocess.Popen[str], timeout_s: float) -> str:
    """The first line ``process`` prints, or "" if it exits or stays silent ``timeout_s``."""
    assert process.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        if not selector.select(timeout_s):
            return ""
    return process.stdout.readline()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Simulated Thymio II behind tdmclient's TDM")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--host", default="127.0.0.1", help="a loopback address")
    parser.add_argument("--vbat", default="800,800", help="raw _vbat words, comma-separated")
    parser.add_argument("--no-vbat", action="store_true", help="firmware without _vbat")
    parser.add_argument("--name", default="thymio-II")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    if not ipaddress.ip_address(args.host).is_loopback:
        parser.error("the simulator only listens on loopback addresses")
    _serve(args.port, tuple(int(v) for v in args.vbat.split(",") if v), not args.no_vbat, args.name, args.host)
    return 0


if __name__ == "__main__":
    sys.exit(main())
