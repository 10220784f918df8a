"""Benchmark: a sweep of 1,000 simulated devices on this 2-core machine (target <= 30 s).

Every device has its own loopback address (127.3.x.y) and its family's fixed port, and
is a lab simulator speaking the real protocol: PJLink projectors, IPP printers, eSCL
scanners, Moonraker 3D printers, ADB tablets (the simulated adbd) and Linux workstations
(an sshd banner). The simulators are split over two child processes, so they do not
share the sweep's GIL (the devices of a centre are other machines); each still runs one
server thread per device (``devices/lab`` as is), with a slower shutdown poll.

Reported: wall time of ``sweep_async`` as ``plateau check`` runs it (default pool of 64
threads, and larger pools for comparison), how many answering devices still came out
UNKNOWN (probes that waited in the pool's queue past the sweep's bound), peak memory of
the sweep process (ru_maxrss; tracemalloc peak of one sweep with --tracemalloc), and the
file-descriptor limit.

Run: PLATEAU_LOOPBACK_ONLY=1 .venv/bin/python benchmarks/sweep_1000.py [--timeout 5] [--dead 0]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from sweep_dead_devices import LabProcesses, Sim, load, summarize, sweep_once, write_inventory

#: share of each family in the synthetic centre (sums to 1,000 per 1,000)
MIX = {"projector": 250, "printer": 200, "scanner": 150, "printer_3d": 100, "android": 150, "linux": 150}


def centre_sims(devices: int, dead: int) -> list[Sim]:
    """``devices`` devices mixing families in the MIX proportions; ``dead`` of them silent."""
    families = [f for f, n in MIX.items() for _ in range(n)]
    # interleave so that every room mixes families
    order = sorted(range(len(families)), key=lambda i: (i * 7919) % len(families))
    sims = []
    dead_every = devices // dead if dead else 0
    for k in range(devices):
        family = families[order[k % len(families)]]
        address = f"127.3.{k // 250}.{k % 250 + 1}"
        mode = "silent" if dead_every and k % dead_every == dead_every // 2 else "ok"
        sims.append(Sim(f"{family[:3]}{k:04d}", family, address, mode))
    return sims


def count_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--devices", type=int, default=1000)
    parser.add_argument("--dead", type=int, default=0, help="how many of them never answer (silent after accept)")
    parser.add_argument("--timeout", type=float, default=5.0, help="per-probe timeout, s")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--workers", type=int, nargs="+", default=[64], help="thread-pool sizes to compare (the sweep's default is 64)"
    )
    parser.add_argument("--lab-processes", type=int, default=2)
    parser.add_argument("--tracemalloc", action="store_true", help="also one traced sweep for the Python heap peak")
    args = parser.parse_args()

    sims = centre_sims(args.devices, args.dead)
    families = {f: sum(s.family == f for s in sims) for f in MIX}
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    print(
        f"devices: {len(sims)} {families}, dead (silent): {args.dead}; machine: {os.cpu_count()} cores;"
        f" RLIMIT_NOFILE {soft}/{hard}"
    )
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp, LabProcesses(sims, processes=args.lab_processes) as lab:
        print(f"simulators started in {time.perf_counter() - t0:.1f} s ({args.lab_processes} processes)")
        folder = Path(tmp)
        write_inventory(folder, sims)
        t0 = time.perf_counter()
        loaded = load(folder)
        print(f"inventory load: {time.perf_counter() - t0:.2f} s")
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        dead = {s.name for s in sims if s.mode != "ok"}

        peak_fds = [count_fds()]
        stop = threading.Event()

        def watch_fds() -> None:
            while not stop.wait(0.05):
                peak_fds.append(count_fds())

        watcher = threading.Thread(target=watch_fds, daemon=True)
        watcher.start()
        names = {s.name for s in sims}

        def answering_unknown(result) -> list[str]:
            return sorted(
                {
                    v.device
                    for v in result.verdicts
                    if v.status.value == "unknown" and v.device in names and v.device not in dead
                }
            )

        # A fresh inventory: the ADB key pair of the plateau does not exist yet and is created
        # by the first Android probes, all at once.
        seconds, result = sweep_once(loaded, args.timeout, max_workers=args.workers[0])
        cold = answering_unknown(result)
        print(
            f"\n-- first sweep of a fresh inventory (ADB key created during it): {seconds:.2f} s;"
            f" answering devices reported UNKNOWN: {len(cold)}"
        )
        errors = sorted(
            {str(v.facts.get("error", ""))[:90] for v in result.verdicts if v.device in cold and v.facts.get("error")}
        )
        for error in errors[:3]:
            print(f"   {error}")
        for workers in args.workers:
            times, cpu = [], []
            for _ in range(args.repeat):
                c0 = time.process_time()
                seconds, result = sweep_once(loaded, args.timeout, max_workers=workers)
                cpu.append(time.process_time() - c0)
                times.append(seconds)
            false_unknown = answering_unknown(result)
            print(f"\n-- pool of {workers} threads, per-probe timeout {args.timeout:g} s")
            print(
                f"sweep: median {statistics.median(times):.2f} s, min {min(times):.2f}, max {max(times):.2f}"
                f" over {args.repeat} (target <= 30 s); sweep-process CPU median {statistics.median(cpu):.1f} s"
            )
            print(f"verdicts of the last sweep: {summarize(result)}")
            print(
                f"answering devices reported UNKNOWN: {len(false_unknown)}"
                + (f" e.g. {false_unknown[:3]}" if false_unknown else "")
            )
        stop.set()
        watcher.join()
        usage = resource.getrusage(resource.RUSAGE_SELF)
        print(
            f"\nsweep process peak RSS: {usage.ru_maxrss / 1024:.0f} MiB (after inventory load, before sweeps:"
            f" {rss_before / 1024:.0f} MiB)"
        )
        print(f"sweep process open file descriptors: peak {max(peak_fds)} (limit {soft})")
        if args.tracemalloc:
            import tracemalloc

            tracemalloc.start()
            seconds, _ = sweep_once(loaded, args.timeout, max_workers=args.workers[0])
            current, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            print(
                f"tracemalloc: Python heap peak during one sweep {peak / 2**20:.1f} MiB (sweep took {seconds:.1f} s"
                " traced)"
            )
    for i, child in enumerate(lab.usage):
        print(f"lab process {i}: peak RSS {child['maxrss_kb'] / 1024:.0f} MiB, CPU {child['cpu_s']:.1f} s")


if __name__ == "__main__":
    main()
