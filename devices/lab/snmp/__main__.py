"""``python -m devices.lab.snmp --port N``: serve the lab's .snmprec printers until Ctrl-C."""

from __future__ import annotations

import argparse
import signal
import threading

from devices.lab.base import HOST
from devices.lab.snmp import COMMUNITIES, SnmpSim


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Printer-MIB agents (snmpsim) on 127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="UDP port (0 = any free one)")
    args = parser.parse_args(argv)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with SnmpSim(port=args.port) as sim:
        print(f"snmpsim listening on udp://{HOST}:{sim.port}; communities:", flush=True)
        for community in COMMUNITIES:
            print(f"  {community}", flush=True)
        try:
            stop.wait()
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
