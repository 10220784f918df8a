"""Benchmark: the cost of one SNMP printer read (Printer-MIB status and supplies).

A real agent, snmpsim, serves the lab's recorded Xerox AltaLink C8045 on 127.0.0.1 (as the
tests and the demo start it, ``devices.lab.snmp.SnmpSim``). One read is what a sweep does for
a printer: ``read_printer_snmp`` = GET of 3 scalars, GETBULK walks of 4 subtrees (6 exchanges).
Measured in this process, wall and CPU (the agent's CPU is its own process, not counted):

* ``now``     - ``read_printer_snmp`` as shipped (numeric OIDs, pooled engine, no MIB);
* ``before``  - the previous transport, reproduced: pysnmp's hlapi with ``lookupMib=False``
                and a new SnmpEngine per read, which still builds pysmi's MIB compiler in
                ``resolve_with_mib`` on every read;
* first read in a fresh interpreter (imports + first engine), for both.

The ``now`` reads run first, and the script checks that they loaded no pysmi.

Run: .venv/bin/python benchmarks/snmp_printer_read.py [--reads 50] [--old-reads 10]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

HOST = "127.0.0.1"
COMMUNITY = "librenms_xerox_altalink_c8045"


async def _old_collect_async(port: int) -> dict[str, Any]:
    """The previous snmp_collect_async, minus error mapping: hlapi, one engine per read."""
    from pysnmp.hlapi.v3arch import asyncio as hlapi

    from devices.printer.parse import SNMP_SCALARS, SNMP_SUBTREES
    from devices.printer.transport import _python_value

    engine = hlapi.SnmpEngine()
    results: dict[str, Any] = {}

    def keep(var_binds: Any) -> None:
        for oid, value in var_binds:
            if (converted := _python_value(value)) is not None:
                results[str(oid)] = converted

    try:
        target = await hlapi.UdpTransportTarget.create((HOST, port), timeout=5 / 3, retries=1)
        auth = hlapi.CommunityData(COMMUNITY, mpModel=1)
        context = hlapi.ContextData()
        error, status, _, var_binds = await hlapi.get_cmd(
            engine,
            auth,
            target,
            context,
            *(hlapi.ObjectType(hlapi.ObjectIdentity(oid)) for oid in SNMP_SCALARS),
            lookupMib=False,
        )
        assert not error and not status, (error, status)
        keep(var_binds)
        for subtree in SNMP_SUBTREES:
            start = hlapi.ObjectType(hlapi.ObjectIdentity(subtree))
            async for error, status, _, var_binds in hlapi.bulk_walk_cmd(
                engine, auth, target, context, 0, 25, start, lexicographicMode=False, lookupMib=False
            ):
                assert not error and not status, (error, status)
                if not all(str(oid).startswith(subtree + ".") for oid, _ in var_binds):
                    break
                keep(var_binds)
    finally:
        engine.close_dispatcher()
    return results


def _old_read(port: int) -> Any:
    from datetime import UTC, datetime

    from devices.printer.parse import parse_snmp_values

    values = asyncio.run(_old_collect_async(port))
    return parse_snmp_values(values, measured_at=datetime.now(UTC), host=HOST)


def _new_read(port: int) -> Any:
    from devices.printer import read_printer_snmp

    return read_printer_snmp(HOST, port=port, community=COMMUNITY, timeout_s=5)


def _time(read: Callable[[int], Any], port: int, n: int) -> tuple[list[float], list[float]]:
    walls, cpus = [], []
    for _ in range(n):
        w0, c0 = time.perf_counter(), time.process_time()
        status = read(port)
        walls.append(time.perf_counter() - w0)
        cpus.append(time.process_time() - c0)
        assert len(status.supplies) >= 4, status
    return walls, cpus


_FRESH = """
import sys, time
w0, c0 = time.perf_counter(), time.process_time()
sys.path.insert(0, {root!r})
sys.argv = ["x"]
import runpy
bench = runpy.run_path({script!r}, run_name="bench")
bench[{fn!r}]({port})
print(time.perf_counter() - w0, time.process_time() - c0, "pysmi" in sys.modules)
"""


def _fresh_process(fn: str, port: int) -> tuple[float, float, bool]:
    code = _FRESH.format(root=str(ROOT), script=__file__, fn=fn, port=port)
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    ).stdout.split()
    return float(out[0]), float(out[1]), out[2] == "True"


def _ms(values: list[float]) -> str:
    p95 = statistics.quantiles(values, n=20)[18] if len(values) >= 2 else values[0]
    return f"median {statistics.median(values) * 1000:7.1f} ms, p95 {p95 * 1000:7.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reads", type=int, default=50, help="timed reads, current transport")
    parser.add_argument("--old-reads", type=int, default=10, help="timed reads, previous transport (0 = skip it)")
    args = parser.parse_args()

    from devices.lab.snmp import SnmpSim

    started = time.perf_counter()
    with SnmpSim() as sim:
        print(f"snmpsim ready in {time.perf_counter() - started:.2f} s on udp://{HOST}:{sim.port}")
        first = _fresh_process("_new_read", sim.port)
        _new_read(sim.port)  # warm-up: imports and the pooled engine
        walls, cpus = _time(_new_read, sim.port, args.reads)
        assert "pysmi" not in sys.modules, "the current transport loaded pysmi"
        print(f"now    ({args.reads} reads): wall {_ms(walls)}; CPU {_ms(cpus)}")
        print(
            f"now    first read in a fresh process: wall {first[0]:.2f} s, CPU {first[1]:.2f} s"
            f" (imports included), pysmi loaded: {first[2]}"
        )
        if args.old_reads:
            old_first = _fresh_process("_old_read", sim.port)
            _old_read(sim.port)
            old_walls, old_cpus = _time(_old_read, sim.port, args.old_reads)
            print(f"before ({args.old_reads} reads): wall {_ms(old_walls)}; CPU {_ms(old_cpus)}")
            print(
                f"before first read in a fresh process: wall {old_first[0]:.2f} s, "
                f"CPU {old_first[1]:.2f} s, pysmi loaded: {old_first[2]}"
            )
            print(
                f"ratio of medians before/now: wall "
                f"{statistics.median(old_walls) / statistics.median(walls):.0f}x, CPU "
                f"{statistics.median(old_cpus) / statistics.median(cpus):.0f}x"
            )


if __name__ == "__main__":
    main()
