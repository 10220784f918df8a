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
from typing import Any, Self

from devices.lab.base import HEALTHY, HOST, Simulator, free_port

DATA_DIR = Path(__file__).resolve().parent
COMMUNITIES = tuple(sorted(p.stem for p in DATA_DIR.glob("*.snmprec")))
RESPONDER = "snmpsim-command-responder"


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


class SnmpSim(Simulator):
    """snmpsim-command-responder on 127.0.0.1:``port`` (0 = pick a free one) in a subprocess.

    ``start()`` returns once the agent answers a GET. Only the ``healthy`` mode.
    """

    modes = (HEALTHY,)

    def __init__(self, port: int = 0, data_dir: Path = DATA_DIR) -> None:
        super().__init__(host=HOST)
        self._port = port or free_port(HOST, socket.SOCK_DGRAM)  # the responder binds it
        self.data_dir = data_dir
        self.ready_timeout_s = 60.0
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def port(self) -> int:
        return self._port

    def start(self, ready_timeout_s: float | None = None) -> Self:
        if ready_timeout_s is not None:
            self.ready_timeout_s = ready_timeout_s
        return super().start()

    def _open(self) -> None:
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
        self._log = open(work / "snmpsim.log", "wb")  # closed in stop()  # noqa: SIM115
        self._proc = subprocess.Popen(
            [
                responder,
                f"--data-dir={work / 'data'}",
                f"--cache-dir={work / 'cache'}",
                f"--agent-udpv4-endpoint={HOST}:{self.port}",
            ],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env=env,
        )
        self._wait_ready(self.ready_timeout_s)

    def _wait_ready(self, timeout_s: float) -> None:
        """Poll with a real SNMP GET of sysDescr until the agent answers it.

        Each attempt is short (1 s) and costs the client a few milliseconds, so a responder
        that is slow to start on a loaded machine is caught by a later attempt; only the
        overall ``timeout_s`` (generous) or the responder exiting ends the wait.
        """
        from devices.errors import DeviceError
        from devices.printer.transport import snmp_collect

        deadline = time.monotonic() + timeout_s
        last_error = "no answer yet"
        while time.monotonic() < deadline:
            if self._proc is not None and self._proc.poll() is not None:
                log = self.log_text()[-800:]
                self.stop()
                raise RuntimeError(f"snmpsim exited early, see {log}")
            try:
                if snmp_collect(
                    HOST,
                    self.port,
                    community=COMMUNITIES[0],
                    scalars=("1.3.6.1.2.1.1.1.0",),
                    subtrees=(),
                    timeout_s=1.0,
                ):
                    return
                last_error = "answered without sysDescr"
            except DeviceError as exc:
                last_error = str(exc)
            time.sleep(0.05)
        log = self.log_text()[-800:]
        self.stop()
        raise TimeoutError(
            f"snmpsim not answering on {HOST}:{self.port} after {timeout_s} s ({last_error}); log: {log}"
        )

    def log_text(self) -> str:
        if self._tmp is None:
            return ""
        log = Path(self._tmp.name) / "snmpsim.log"
        return log.read_text(errors="replace") if log.exists() else ""

    def _close(self) -> None:
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
