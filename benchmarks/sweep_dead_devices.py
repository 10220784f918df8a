"""Benchmark: a sweep of 60 simulated devices, 12 of them dead, vs the per-probe timeout.

Target (readiness issue): the concurrent sweep takes <= 1.5 x the per-probe timeout; the
ratio against running the very same probe functions one after another is reported too.

Every device is a lab simulator speaking its real protocol on its own loopback address
(127.0.3.x) and the family's fixed port (PJLink 4352, IPP 8631). The simulators run in a
separate process (the devices are other machines: they must not share the sweep's GIL).
Dead devices come in two kinds, half each:

* ``silent``    the simulator accepts the TCP connection and never says a word
                (projector ``mode="slow"``, printer ``state="slow"``, an hour long);
* ``blackhole`` a socket that listens but is never accepted: the kernel completes the
                handshake, then nothing ever comes back.

Run: PLATEAU_LOOPBACK_ONLY=1 .venv/bin/python benchmarks/sweep_dead_devices.py [--timeout 2]

``benchmarks/sweep_1000.py`` reuses the lab process and the inventory writer below.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import resource
import socket
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("PLATEAU_LOOPBACK_ONLY", "1")  # never a packet off this machine

#: the fixed port of each simulated family (every device has its own 127.x.y.z address)
PORTS = {
    "projector": 4352,
    "printer": 8631,
    "scanner": 8080,
    "printer_3d": 7125,
    "android": 15555,  # not 5555-5585: a real adb server scans those as emulators
    "linux": 2222,  # stands for sshd (ansible_port)
}
ROOM_SIZE = 25


@dataclass(frozen=True)
class Sim:
    """One simulated device: ``mode`` is ok | silent | blackhole."""

    name: str
    family: str
    host: str
    mode: str = "ok"

    @property
    def port(self) -> int:
        return PORTS[self.family]


def loopback(index: int, base: str = "127.0.3") -> str:
    """The index-th loopback address of a /24 (1..254), or spread over 127.3.x.y when large."""
    if index < 254 and base.count(".") == 2:
        return f"{base}.{index + 1}"
    return f"127.3.{index // 250}.{index % 250 + 1}"


# --------------------------------------------------------------------------- the lab process


class _BannerServer:
    """Stands for a Linux workstation's sshd: sends an SSH-2.0 banner, then waits."""

    def __init__(self, host: str, port: int) -> None:
        import socketserver

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                try:
                    self.request.sendall(b"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n")
                    self.request.settimeout(5)
                    self.request.recv(64)
                except OSError:
                    pass

        server = socketserver.ThreadingTCPServer((host, port), Handler, bind_and_activate=False)
        server.daemon_threads = True
        server.allow_reuse_address = True
        server.server_bind()
        server.server_activate()
        self._server = server

    def start(self) -> _BannerServer:
        import threading

        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self


def _start_sim(sim: Sim):
    """Start the lab simulator of ``sim`` (its public API), or a never-accepting socket."""
    if sim.mode == "blackhole":
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((sim.host, sim.port))
        sock.listen(512)  # the kernel accepts the handshake; no one ever reads or writes
        return sock
    silent = sim.mode == "silent"
    if sim.family == "projector":
        from devices.lab.projector import ProjectorSimulator, ProjectorState

        state = ProjectorState(power="on", mode="slow" if silent else "ok", slow_s=3600)
        return ProjectorSimulator(state, port=sim.port, host=sim.host).start()
    if sim.family == "printer":
        from devices.lab.printer import IppPrinterSim

        printer = IppPrinterSim(port=sim.port, state="slow" if silent else "ok", delay_s=3600)
        printer.host = sim.host
        return printer.start()
    if sim.family == "scanner":
        from devices.lab.scanner import EsclScannerSim

        scanner = EsclScannerSim(port=sim.port, state="slow" if silent else "idle", delay_s=3600)
        scanner.host = sim.host
        return scanner.start()
    if sim.family == "printer_3d":
        from devices.lab.printer_3d import MoonrakerSim

        moonraker = MoonrakerSim(mode="slow" if silent else "ok", slow_s=3600, port=sim.port)
        moonraker.host = sim.host
        return moonraker.start()
    if sim.family == "android":
        from devices.lab.android import SimulatedTablet
        from devices.lab.android_shell import TabletState

        tablet = SimulatedTablet(TabletState(mode="slow" if silent else "normal", slow_s=3600), port=sim.port)
        tablet.host = sim.host
        return tablet.start()
    if sim.family == "linux":
        return _BannerServer(sim.host, sim.port).start()
    raise ValueError(sim.family)


def _lab_main(sims: list[Sim], conn, poll_s: float) -> None:  # runs in the child process
    import socketserver

    # Each lab simulator serves in its own thread with serve_forever(0.05): harmless for a
    # demo of 8 devices, 10,000 wake-ups a second for 500. Same servers, slower shutdown poll.
    serve_forever = socketserver.BaseServer.serve_forever
    socketserver.BaseServer.serve_forever = lambda self, poll_interval=0.5: serve_forever(self, poll_s)
    # http.server's server_bind() resolves each address with socket.getfqdn(): 40 ms per
    # 127.x address here, 40 s for 1,000 simulators. The lab has no name to find.
    socket.getfqdn = lambda name="": name or "localhost"
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    keep = []
    try:
        for sim in sims:
            keep.append(_start_sim(sim))
    except Exception as exc:  # reported to the parent  # noqa: BLE001
        conn.send(f"error: {sim.name} {sim.host}:{sim.port}: {type(exc).__name__}: {exc}")
        return
    conn.send("ready")
    conn.recv()  # wait until the parent says stop; then the process exits (daemon threads die)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    conn.send({"maxrss_kb": usage.ru_maxrss, "cpu_s": usage.ru_utime + usage.ru_stime})


class LabProcesses:
    """The simulators of ``sims``, split over ``processes`` child processes."""

    def __init__(self, sims: list[Sim], processes: int = 1, poll_s: float = 1.0) -> None:
        self.sims, self.processes, self.poll_s = sims, processes, poll_s
        self.children: list[tuple[multiprocessing.Process, object]] = []
        self.usage: list[dict] = []

    def __enter__(self) -> LabProcesses:
        ctx = multiprocessing.get_context("fork")  # before the sweep starts any thread
        chunks = [self.sims[i :: self.processes] for i in range(self.processes)]
        for chunk in chunks:
            parent, child = ctx.Pipe()
            proc = ctx.Process(target=_lab_main, args=(chunk, child, self.poll_s), daemon=True)
            proc.start()
            self.children.append((proc, parent))
        for _proc, parent in self.children:
            if not parent.poll(120):
                raise RuntimeError("lab process did not start in 120 s")
            message = parent.recv()
            if message != "ready":
                self.__exit__()
                raise RuntimeError(message)
        return self

    def __exit__(self, *exc: object) -> None:
        for proc, parent in self.children:
            try:
                parent.send("stop")
                if parent.poll(10):
                    self.usage.append(parent.recv())
            except (OSError, EOFError):
                pass
            proc.join(timeout=10)
            if proc.is_alive():
                proc.terminate()  # our own child, by its handle
                proc.join(timeout=5)
        self.children.clear()


# --------------------------------------------------------------------------- the inventory


def _fields(sim: Sim, index: int) -> dict:
    fields: dict = {"ansible_host": sim.host}
    if sim.family == "projector":
        fields["pjlink_port"] = sim.port
    elif sim.family == "printer":
        fields.update(ipp_port=sim.port, brand="Kyocera", model="ECOSYS M2540dn")
    elif sim.family == "scanner":
        fields["escl_port"] = sim.port
    elif sim.family == "printer_3d":
        fields.update(driver="moonraker", api_port=sim.port)
    elif sim.family == "android":
        fields.update(adb_port=sim.port, google_account=f"tablette{index:04d}@gmail.com")
    elif sim.family == "linux":
        fields.update(admin_user="jury", ansible_port=sim.port)
    return fields


def write_inventory(folder: Path, sims: list[Sim]) -> None:
    """A centre whose devices are ``sims`` (rooms of 25), one jury per room, no candidate."""
    rooms: dict[str, dict] = {}
    groups: dict[str, dict] = {}
    for i, sim in enumerate(sims):
        room = f"salle_{i // ROOM_SIZE:02d}"
        rooms.setdefault(room, {"hosts": {}})["hosts"][sim.name] = None
        groups.setdefault(sim.family, {"hosts": {}})["hosts"][sim.name] = _fields(sim, i)
    data = {"all": {"children": {"rooms": {"children": rooms}, **groups}}}
    (folder / "hosts.yml").write_text(yaml.safe_dump(data, sort_keys=False), "utf-8")
    (folder / "group_vars").mkdir(exist_ok=True)
    (folder / "group_vars" / "all.yml").write_text("centre_name: Benchmark sweep\ninternet_targets: []\n", "utf-8")
    session = {
        "date": "2026-12-03",
        "referentiel": "mn-2025",
        "juries": [{"id": f"jury-{r}", "room": r} for r in rooms],
    }
    (folder / "session.yml").write_text(yaml.safe_dump(session, sort_keys=False), "utf-8")


def load(folder: Path):
    from provision.context import load_all

    return load_all(folder)


# --------------------------------------------------------------------------- measuring


def sweep_once(loaded, timeout_s: float, max_workers: int = 64):
    """One concurrent sweep as ``plateau check`` runs it; (seconds, result)."""
    import asyncio

    from provision.sweep import sweep_async

    t0 = time.perf_counter()
    result = asyncio.run(sweep_async(loaded, timeout_s=timeout_s, max_workers=max_workers))
    return time.perf_counter() - t0, result


def sequential_once(loaded, timeout_s: float) -> tuple[float, list[float], int]:
    """The same probe functions, one after another, with the same context."""
    from provision.families import probe_for
    from provision.sweep import build_context

    ctx = build_context(loaded, timeout_s)
    durations, failures = [], 0
    t0 = time.perf_counter()
    for device in loaded.inventory.devices:
        spec = probe_for(device)
        if spec is None:
            continue
        start = time.perf_counter()
        try:
            spec.fn(device, ctx)
        except Exception:  # a dead device raises; that is what we time  # noqa: BLE001
            failures += 1
        durations.append(time.perf_counter() - start)
    return time.perf_counter() - t0, durations, failures


def dead_sims(devices: int, dead: int) -> list[Sim]:
    """Half projectors, half printers; the dead ones spread evenly, half silent, half black holes."""
    sims = []
    step = devices / dead if dead else devices + 1
    dead_at = {int(k * step) for k in range(dead)}
    kinds = iter(["silent", "blackhole"] * dead)
    for i in range(devices):
        family = "projector" if i % 2 == 0 else "printer"
        mode = next(kinds) if i in dead_at else "ok"
        sims.append(Sim(f"{'vp' if family == 'projector' else 'imp'}{i:03d}", family, loopback(i), mode))
    return sims


def summarize(result) -> dict[str, int]:
    return {status.value: count for status, count in result.by_status().items() if count}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--devices", type=int, default=60)
    parser.add_argument("--dead", type=int, default=12)
    parser.add_argument(
        "--timeout",
        type=float,
        nargs="+",
        default=[2.0],
        help="per-probe timeout(s) in seconds; several values give several runs",
    )
    parser.add_argument("--repeat", type=int, default=3, help="concurrent sweeps per timeout")
    parser.add_argument("--no-sequential", action="store_true")
    args = parser.parse_args()

    sims = dead_sims(args.devices, args.dead)
    modes = {m: sum(s.mode == m for s in sims) for m in ("ok", "silent", "blackhole")}
    with tempfile.TemporaryDirectory() as tmp, LabProcesses(sims, processes=1):
        folder = Path(tmp)
        write_inventory(folder, sims)
        t0 = time.perf_counter()
        loaded = load(folder)
        load_s = time.perf_counter() - t0
        print(
            f"devices: {len(sims)} ({modes['ok']} answering, {modes['silent']} silent after accept,"
            f" {modes['blackhole']} never accepted) on 127.0.3.1-{len(sims)}, ports PJLink {PORTS['projector']},"
            f" IPP {PORTS['printer']}"
        )
        print(f"inventory load: {load_s:.2f} s; machine: {os.cpu_count()} cores")
        sweep_once(loaded, 1.0)  # warm-up: imports of every driver, ADB key, thread start-up
        for timeout_s in args.timeout:
            times = []
            for _ in range(args.repeat):
                seconds, result = sweep_once(loaded, timeout_s)
                times.append(seconds)
            names = {s.name for s in sims}
            unknown = {v.device for v in result.verdicts if v.status.value == "unknown" and v.device in names}
            print(f"\n-- per-probe timeout {timeout_s:g} s (the sweep's own bound is 2.5 x = {2.5 * timeout_s:g} s)")
            print(
                f"concurrent sweep: median {statistics.median(times):.2f} s, min {min(times):.2f},"
                f" max {max(times):.2f} over {args.repeat} -> {statistics.median(times) / timeout_s:.2f} x timeout"
                f" (target <= 1.5 x)"
            )
            print(
                f"verdicts of the last sweep: {summarize(result)}; devices unknown: {len(unknown)}"
                f" (dead: {args.dead}; room attestations and the centre's internet check not measured here)"
            )
            if not args.no_sequential:
                seq_s, durations, failures = sequential_once(loaded, timeout_s)
                answering = sorted(d for d in durations if d < timeout_s * 0.5)
                dead_d = sorted(d for d in durations if d >= timeout_s * 0.5)
                print(f"sequential (same probe functions, one after another): {seq_s:.2f} s, {failures} probes failed")
                if answering:
                    print(
                        f"  answering probe: median {statistics.median(answering) * 1000:.1f} ms,"
                        f" max {max(answering) * 1000:.1f} ms"
                    )
                if dead_d:
                    print(f"  dead probe: median {statistics.median(dead_d):.2f} s, max {max(dead_d):.2f} s")
                print(f"ratio sequential / concurrent: {seq_s / statistics.median(times):.1f}")
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(f"\nsweep process: peak RSS {usage.ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
