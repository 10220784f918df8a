"""SNMP printers for the lab: real Printer-MIB recordings served by ``snmpsim``.

Each ``*.snmprec`` file here is one agent; its file name (without ``.snmprec``) is the SNMP
community that selects it (snmpsim's convention). See README.md for where each file comes
from. :class:`SnmpSim` starts ``snmpsim-command-responder`` on 127.0.0.1 in a subprocess:

    with SnmpSim() as sim:
        read_printer_snmp("127.0.0.1", port=sim.port, community=COMMUNITIES[0])

Standalone: ``python -m devices.lab.snmp --port 1161``.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).resolve().parent
COMMUNITIES = tuple(sorted(p.stem for p in DATA_DIR.glob("*.snmprec")))
RESPONDER = "snmpsim-command-responder"
HOST = "127.0.0.1"


def find_responder() -> str | None:
    """Path of snmpsim-command-responder: on PATH, or beside the running interpreter."""
    beside = Path(sys.executable).parent / RESPONDER
    return shutil.which(RESPONDER) or (str(beside) if beside.exists() else None)


def read_snmprec(path: str | os.PathLike[str]) -> dict[str, Any]:
    """A .snmprec file (``OID|TAG|VALUE``) as {oid: int | bytes | dotted str}, like the transport.

    Tags: 2 Integer, 4 OctetString (``4x`` = hex), 5 Null, 6 OID, 64 IpAddress,
    65 Counter32, 66 Gauge32, 67 TimeTicks, 70 Counter64.
    """
    values: dict[str, Any] = {}
    for line in Path(path).read_text(encoding="utf-8", errors="replace").splitlines():
        oid, sep, rest = line.strip().partition("|")
        tag, sep2, value = rest.partition("|")
        if not (sep and sep2):
            continue
        hexed = tag.endswith("x")
        tag = tag.rstrip("x").split(":")[0]
        if tag == "4":
            values[oid] = bytes.fromhex(value) if hexed else value.encode("utf-8")
        elif tag in ("2", "65", "66", "67", "70"):
            values[oid] = int(value)
        elif tag in ("6", "64"):
            values[oid] = value
    return values


def _free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


class SnmpSim:
    """snmpsim-command-responder on 127.0.0.1:``port`` (0 = pick a free one) in a subprocess."""

    def __init__(self, port: int = 0, data_dir: Path = DATA_DIR) -> None:
        self.port = port or _free_udp_port()
        self.data_dir = data_dir
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._proc: subprocess.Popen[bytes] | None = None

    def start(self, ready_timeout_s: float = 20.0) -> SnmpSim:
        responder = find_responder()
        if responder is None:
            raise FileNotFoundError(f"{RESPONDER} not found (pip install snmpsim)")
        self._tmp = tempfile.TemporaryDirectory(prefix="plateau-snmpsim-")
        work = Path(self._tmp.name)
        (work / "data").mkdir()
        (work / "cache").mkdir()
        for record in self.data_dir.glob("*.snmprec"):
            shutil.copy(record, work / "data" / record.name)
        env = dict(os.environ)
        # snmpsim refuses to run as root unless told; it only binds 127.0.0.1 here, and
        # dropping to "nobody" would lose read access to an interpreter under /root.
        env["SNMPSIM_ALLOW_ROOT"] = "true"
        self._log = open(work / "snmpsim.log", "wb")  # noqa: SIM115 - closed in stop()
        self._proc = subprocess.Popen(
            [responder, f"--data-dir={work / 'data'}", f"--cache-dir={work / 'cache'}",
             f"--agent-udpv4-endpoint={HOST}:{self.port}"],
            stdout=self._log, stderr=subprocess.STDOUT, env=env)
        self._wait_ready(ready_timeout_s)
        return self

    def _wait_ready(self, timeout_s: float) -> None:
        """Poll with a raw SNMPv1 GET of sysDescr until the agent answers."""
        from devices.errors import DeviceError
        from devices.printer.transport import snmp_collect

        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._proc is not None and self._proc.poll() is not None:
                raise RuntimeError(f"snmpsim exited early, see {self.log_text()[-800:]}")
            try:
                if snmp_collect(HOST, self.port, community=COMMUNITIES[0],
                                scalars=("1.3.6.1.2.1.1.1.0",), subtrees=(), timeout_s=0.5):
                    return
            except DeviceError:
                time.sleep(0.1)
        self.stop()
        raise TimeoutError(f"snmpsim not answering on {HOST}:{self.port} after {timeout_s} s")

    def log_text(self) -> str:
        if self._tmp is None:
            return ""
        log = Path(self._tmp.name) / "snmpsim.log"
        return log.read_text(errors="replace") if log.exists() else ""

    def stop(self) -> None:
        if self._proc is not None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
            self._proc = None
            self._log.close()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self) -> SnmpSim:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
