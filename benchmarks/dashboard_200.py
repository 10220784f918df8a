"""Benchmark: the dashboard's main page for a 200-device centre (target: < 100 ms median).

Every device has verdicts in the state store (as after a full sweep), the page is rendered
through the real ASGI app and HTTP client, repeatedly; the median and the 95th percentile
are printed.

Run: PLATEAU_LOOPBACK_ONLY=1 .venv/bin/python benchmarks/dashboard_200.py [--devices 200] [--repeat 50]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
os.environ.setdefault("PLATEAU_LOOPBACK_ONLY", "1")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--devices", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=50)
    args = parser.parse_args()

    import warnings

    from inventory_load import make_inventory

    warnings.filterwarnings("ignore", message=".*httpx2.*")
    from starlette.testclient import TestClient

    from checks.model import Status, Verdict, utcnow
    from provision.context import load_all
    from provision.dashboard.app import create_app
    from provision.state import open_store

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        make_inventory(root, args.devices, vault=False)
        rooms = sorted({f"salle_{i // 25:02d}" for i in range(args.devices)})
        (root / "session.yml").write_text(
            "date: 2026-12-03\nreferentiel: mn-2025\njuries:\n"
            + "".join(f"  - {{id: jury-{r}, room: {r}}}\n" for r in rooms),
            "utf-8",
        )
        loaded = load_all(root)
        store = open_store(root)
        now = utcnow()
        statuses = [Status.OK, Status.OK, Status.WARN, Status.FAIL, Status.UNKNOWN]
        sweep = store.start_sweep()
        store.add_verdicts(sweep, [
            Verdict(device=d.name, room=d.room, check="reachable", status=statuses[i % 5], key="check.reachable.ok",
                    params={"port": 22}, measured_at=now, probe="tcp")
            for i, d in enumerate(loaded.inventory.devices)
        ])  # fmt: skip
        store.finish_sweep(sweep)
        client = TestClient(create_app(loaded, store), base_url="http://127.0.0.1")
        first = client.get("/")
        assert first.status_code == 200, first.status_code
        times = []
        for _ in range(args.repeat):
            started = time.perf_counter()
            response = client.get("/")
            times.append(time.perf_counter() - started)
            assert response.status_code == 200
        times.sort()
    print(f"devices: {args.devices}, page size: {len(first.content) // 1024} KiB, requests: {args.repeat}")
    print(
        f"GET / median {statistics.median(times) * 1000:.1f} ms, p95 {times[int(len(times) * 0.95) - 1] * 1000:.1f} ms,"
        f" min {times[0] * 1000:.1f} ms (target: median < 100 ms)"
    )


if __name__ == "__main__":
    main()
