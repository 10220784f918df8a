"""Benchmark: bytes fetched from the "internet" to provision 1 vs 8 Linux PCs.

Target (issue 15): with the laptop's LAN cache, 8 PCs cost the uplink at most 1.1 times what
1 PC costs (without it, about 8 times).

What it starts (root only; everything lives in temporary folders and mount namespaces):
- a loopback Debian mirror counting every byte it sends (devices/lab/apt_mirror.py): two
  packages built with dpkg-deb (``plateau-lanbench-app`` 2 MiB, depending on ``plateau-lanbench-lib``
  1 MiB) and an index padded to a real mirror's size, on 127.0.0.2 (the laptop is 127.0.0.1);
- N Debian PCs (devices/lab/apt_target.py): real sshd on 127.0.0.<20+n>, each with its own apt
  and dpkg state (overlays of /etc, /var, /usr in a mount namespace), apt's sources naming the
  mirror directly;
- a fresh centre inventory, and the real ``plateau provision --forks N`` (playbooks/site.yml,
  linux role): with the LAN cache (apt-cacher-ng started by plateau), then without it
  (``PLATEAU_LAN_CACHE=0``, each PC fetching from the mirror itself, as before).

Run: .venv/bin/python benchmarks/lan_cache_bytes.py [--sizes 1,8] [--padding 5000] [--direct] [--write]
(``--direct``: also measure without the LAN cache)
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from doc_section import write_section

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SECTION = "## Bytes from the internet for 1 vs 8 Linux PCs (`benchmarks/lan_cache_bytes.py`)"
APP, LIB = "plateau-lanbench-app", "plateau-lanbench-lib"  # not plateau-bench-app: provision_rerun.py installs that one


def write_inventory(root: Path, pcs: dict[str, dict[str, Any]], mirror_port: int) -> None:
    import yaml

    root.mkdir()
    hosts = {"all": {"children": {"rooms": {"children": {"salle": {"hosts": dict.fromkeys(pcs)}}},
                                  "linux": {"hosts": pcs}}}}  # fmt: skip
    (root / "hosts.yml").write_text(yaml.safe_dump(hosts))
    (root / "group_vars").mkdir()
    (root / "group_vars" / "linux.yml").write_text(
        f"admin_user: plateau-bench-jury\nbaseline_software: []\nextra_software: [{APP}]\n"
        'ansible_ssh_args: "-o ControlMaster=auto -o ControlPersist=30s"\n'
    )
    (root / "catalog.yml").write_text(
        f"version: 1\ntitles:\n  - id: {APP}\n    name: Bench App\n    category: utility\n"
        f"    platforms:\n      linux: {{apt: {APP}}}\n    lacks: {{windows: t, macos: t, android: t, ios: t}}\n"
    )
    (root / "session.yml").write_text(
        'date: 2026-12-03\nreferentiel: mn-2025\njuries:\n  - id: j\n    label: "Jury"\n    room: salle\ncandidates: []\n'
    )
    (root / "cache").mkdir()
    # the PCs name the mirror itself (127.0.0.2:<port>): apt-cacher-ng may fetch from that port
    (root / "cache" / "apt-cacher-ng.conf").write_text(f"AllowUserPorts: 80 {mirror_port}\n")


def plateau(*args: str, env: dict[str, str]) -> tuple[int, str]:
    import subprocess

    done = subprocess.run([str(Path(sys.executable).parent / "plateau"), *args], capture_output=True, text=True,
                          env={**os.environ, "COLUMNS": "200", **env}, timeout=3600, check=False)  # fmt: skip
    return done.returncode, done.stdout + done.stderr


def measure(size: int, lan: bool, padding: int, work: Path) -> dict[str, Any]:
    from devices.lab.apt_mirror import AptMirror
    from devices.lab.apt_target import AptTarget

    with ExitStack() as stack:
        # not on the laptop's own address: apt reaches the laptop itself directly, never through the proxy
        mirror = stack.enter_context(AptMirror(host="127.0.0.2"))
        mirror.add_package(LIB, "1.0", size_kb=1024)
        mirror.add_package(APP, "1.0", depends=LIB, size_kb=2048)
        mirror.publish(index_padding=padding)
        index_bytes = (mirror.repo / "Packages.gz").stat().st_size
        sources = f"deb [trusted=yes] {mirror.url} ./\n"
        pcs = [stack.enter_context(AptTarget(sources=sources, address=f"127.0.0.{20 + n}")) for n in range(size)]
        inventory = work / f"centre-{size}-{'lan' if lan else 'direct'}"
        write_inventory(inventory, {f"pc-{n:02d}": pc.host_vars() for n, pc in enumerate(pcs)}, mirror.port)
        env = {"PLATEAU_LAN_CACHE": "1" if lan else "0"}
        code, output = plateau("secrets", "init", "-i", str(inventory), env=env)
        if code != 0:
            raise SystemExit(f"secrets init failed:\n{output}")
        mirror.reset_counts()
        started = time.monotonic()
        code, output = plateau("provision", "-i", str(inventory), "--forks", str(size), env=env)
        elapsed = time.monotonic() - started
        installed = sum(1 for pc in pcs if pc.installed(APP) == "1.0")
        if code != 0 or installed != size:
            raise SystemExit(f"provision failed ({installed}/{size} installed):\n{output[-4000:]}")
        debs = sum(v for k, v in mirror.sent_by_path.items() if k.endswith(".deb"))
        if debs < 3 * 1024 * 1024:  # both packages must have crossed the "uplink" at least once
            raise SystemExit(f"the packages did not come from the mirror ({debs} bytes): already installed?")
        return {"size": size, "lan": lan, "bytes": mirror.bytes_sent, "debs": debs,
                "index": mirror.bytes_sent - debs, "index_file": index_bytes, "seconds": elapsed}  # fmt: skip


def write_doc(rows: list[dict[str, Any]], ratios: dict[bool, float], padding: int) -> None:
    def mb(value: int) -> str:
        return f"{value / 1e6:.2f} MB"

    lines = [
        SECTION,
        "",
        "Target (issue 15): with the laptop's LAN cache, 8 PCs cost the uplink at most 1.1 times what",
        "1 PC costs. Loopback mirror counting the bytes it sends (devices/lab/apt_mirror.py): a 2 MiB",
        f"package and its 1 MiB dependency, an index padded with {padding} paragraphs; N Debian PCs with",
        "their own apt and dpkg state (devices/lab/apt_target.py); the real `plateau provision --forks N`.",
        "",
        "| PCs | LAN cache | from the mirror | packages | indexes | run |",
        "|---|---|---|---|---|---|",
    ]
    for row in rows:
        lines.append(
            f"| {row['size']} | {'yes' if row['lan'] else 'no'} | {mb(row['bytes'])} | {mb(row['debs'])} | "
            f"{mb(row['index'])} | {row['seconds']:.0f} s |"
        )
    lines += [
        "",
        f"Ratio 8 PCs / 1 PC: **{ratios[True]:.3f}** with the LAN cache"
        + (f", {ratios[False]:.2f} without." if False in ratios else " (without it: not measured in this run)."),
        "",
        "With the cache, the second to eighth PCs get the index and both packages from apt-cacher-ng;",
        "what still crosses the uplink per PC is apt-cacher-ng's re-check of each index file (a",
        "1-byte range request with If-Range, answered 206 by the mirror when unchanged). Without it,",
        "every PC downloads the index and the packages itself.",
        "",
    ]
    write_section(SECTION, lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1,8")
    parser.add_argument("--padding", type=int, default=5000, help="index paragraphs of packages nobody installs")
    parser.add_argument("--direct", action="store_true", help="also measure without the LAN cache (as before)")
    parser.add_argument("--direct-only", action="store_true", help="only without the LAN cache")
    parser.add_argument("--write", action="store_true", help="write the figures into docs/benchmarks.md")
    options = parser.parse_args()
    if os.geteuid() != 0 or shutil.which("apt-cacher-ng") is None:
        print("needs root and apt-cacher-ng", file=sys.stderr)
        return 2
    sizes = [int(s) for s in options.sizes.split(",")]
    work = Path(tempfile.mkdtemp(prefix="plateau-bench-lan-"))
    rows = []
    try:
        modes = (False,) if options.direct_only else (True, False) if options.direct else (True,)
        for lan in modes:
            for size in sizes:
                row = measure(size, lan, options.padding, work)
                rows.append(row)
                print(f"{size} PC(s), LAN cache {'on ' if lan else 'off'}: {row['bytes']:>12,} bytes from the mirror "
                      f"(packages {row['debs']:,}, indexes {row['index']:,}; index file {row['index_file']:,}) "
                      f"in {row['seconds']:.0f} s", flush=True)  # fmt: skip
    finally:
        shutil.rmtree(work, ignore_errors=True)
    by = {(r["size"], r["lan"]): r["bytes"] for r in rows}
    ratios = {lan: by[(max(sizes), lan)] / by[(min(sizes), lan)] for lan in {r["lan"] for r in rows}}
    print(f"ratio {max(sizes)} / {min(sizes)} PCs: " + ", ".join(
        f"{ratio:.3f} {'with' if lan else 'without'} the LAN cache" for lan, ratio in sorted(ratios.items())))  # fmt: skip
    if options.write and True in ratios:
        write_doc(rows, ratios, options.padding)
    return 0 if ratios.get(True, 0.0) <= 1.1 else 1


if __name__ == "__main__":
    raise SystemExit(main())
