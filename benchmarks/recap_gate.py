"""Benchmark: what a refused ``plateau recap`` costs, whole process, beside ``plateau validate``.

Targets (issue 14): the refusal of an unswept centre costs at most 1.2 × ``plateau validate`` of
the same centre, the per-jury recap (the PDF made) at most 2 ×: the gate (inventory, session,
plan, readiness) runs before the PDF compiler (Typst) is imported, so a refusal never pays for it.

Every run is a new interpreter (imports included), on a private copy of inventories/example
(no sweep stored: the gate refuses, exit 1). Measured, medians of --repeat runs:

* ``plateau validate -i COPY``
* ``plateau recap -i COPY --jury jury-a`` (refused by the gate)
* the same refusal with Typst imported first (``import typst`` then the same CLI entry point):
  what the gate's order saves now (with WeasyPrint, before issue 14, it was 1.98 s of CPU)
* ``plateau recap -i COPY --jury jury-a --force`` (the PDF really made), for scale

Run: .venv/bin/python benchmarks/recap_gate.py [--repeat 7]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "inventories" / "example"
ENTRY = "import sys; from provision.cli import main; sys.argv[0] = 'plateau'; sys.exit(main())"
BEFORE = "import typst; " + ENTRY  # the PDF compiler loaded before the gate


def _run(code: str, args: list[str], expect: int) -> tuple[float, float]:
    """(wall s, CPU s of the child) of one new interpreter running the CLI with ``args``."""
    env = dict(os.environ, COLUMNS="100", PLATEAU_LOOPBACK_ONLY="1")
    env.pop("PLATEAU_INVENTORY", None)
    env.pop("PLATEAU_VAULT_PASSWORD_FILE", None)
    before = os.times()
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code, *args], cwd=ROOT, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = os.times()
    if done.returncode != expect:
        raise SystemExit(f"{args}: exit {done.returncode}, expected {expect}\n{done.stderr[-2000:]}")
    return wall, (after.children_user - before.children_user) + (after.children_system - before.children_system)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=7)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-gate-") as tmp:
        centre = Path(tmp) / "example"
        shutil.copytree(EXAMPLE, centre, ignore=shutil.ignore_patterns(".plateau"))
        out = Path(tmp) / "recap.pdf"
        cases = [
            ("plateau validate", ENTRY, ["validate", "-i", str(centre)], 0),
            ("plateau recap --jury jury-a, refused (now)", ENTRY, ["recap", "-i", str(centre), "--jury", "jury-a"], 1),
            (
                "same refusal, Typst imported first",
                BEFORE,
                ["recap", "-i", str(centre), "--jury", "jury-a"],
                1,
            ),
            (
                "plateau recap --jury jury-a --force (PDF made)",
                ENTRY,
                ["recap", "-i", str(centre), "--jury", "jury-a", "--force", "-o", str(out)],
                0,
            ),
        ]
        _run(ENTRY, ["validate", "-i", str(centre)], 0)  # warm the OS file cache once
        results: dict[str, list[tuple[float, float]]] = {name: [] for name, *_ in cases}
        for _ in range(options.repeat):  # interleaved: a busy moment of the machine hits every case
            for name, code, args, expect in cases:
                results[name].append(_run(code, args, expect))
    base = statistics.median(w for w, _ in results["plateau validate"])
    base_cpu = statistics.median(c for _, c in results["plateau validate"])
    print(f"{'case':52} {'wall median':>11} {'min':>6} {'max':>6} {'CPU median':>10} {'× validate':>10} {'(CPU)':>6}")
    for name, runs in results.items():
        walls = [w for w, _ in runs]
        wall = statistics.median(walls)
        cpu = statistics.median(c for _, c in runs)
        print(f"{name:52} {wall:10.2f}s {min(walls):5.2f}s {max(walls):5.2f}s {cpu:9.2f}s {wall / base:10.2f}"
              f" {cpu / base_cpu:6.2f}")  # fmt: skip
    print(f"load average after the runs: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    for label, case, limit in (("refusal", "plateau recap --jury jury-a, refused (now)", 1.2),
                               ("per-jury recap", "plateau recap --jury jury-a --force (PDF made)", 2.0)):  # fmt: skip
        wall = statistics.median(w for w, _ in results[case]) / base
        cpu = statistics.median(c for _, c in results[case]) / base_cpu
        verdict = "met" if wall <= limit else "NOT met"
        print(f"target: {label} ≤ {limit} × validate → {wall:.2f} × wall, {cpu:.2f} × CPU ({verdict})")


if __name__ == "__main__":
    main()
