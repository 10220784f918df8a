"""Benchmark: `plateau provision` on 4 Linux targets where one is 60 s slower.

Target (issue 15): the others finish without waiting for it (site.yml's strategy free).

What it starts (root only; everything is undone at the end, even on Ctrl-C), with
benchmarks/provision_rerun.py's machine: one Debian ``sshd`` per target on 127.0.2.<n>, a flat
apt repository behind a temporary ``/etc/apt/sources.list.d`` file, 4 hosts each with its own
admin account. The slow host is slow for a real reason: its plan (``extra_software`` on that host
only) installs ``plateau-bench-slow``, whose postinst sleeps 60 s, like an installer that takes a
minute; the 3 others have nothing left to install.

After an untimed first run (accounts, the slow package, then purged again), two measured runs,
each after purging the slow package:
- ``plateau provision --forks 4``, a whole process: wall time, and each host's finish time read
  from the run's own events (the ``created`` time of the host's last task, « Terminer la
  préparation du poste », from the playbook's start);
- for contrast, the same playbooks with ``strategy: free`` removed (Ansible's default, linear),
  through the same runner (:func:`provision.provisioning.runner.run_playbook`), same vars.

Run: .venv/bin/python benchmarks/provision_slow_host.py [--slow-s 60] [--write]
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

from doc_section import write_section

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from provision_rerun import BIN, DOC, Machine, clean_env, sh, write_inventory  # noqa: E402

SLOW_PACKAGE = "plateau-bench-slow"
TARGETS = 4
SLOW_HOST = f"bench-{TARGETS:02d}"
LAST_TASK = "Terminer la préparation du poste"
SECTION = "## Four targets, one 60 s slower (`benchmarks/provision_slow_host.py`)"


def slow_inventory(root: Path, machine: Machine) -> None:
    """provision_rerun's inventory, with nothing to install but on the slow host."""
    write_inventory(root, machine.ports, machine.work / "keys" / "client")
    group = root / "group_vars" / "linux.yml"
    group.write_text(group.read_text().replace("extra_software: [plateau-bench-app]", "extra_software: []"))
    catalog = root / "catalog.yml"
    catalog.write_text(
        catalog.read_text()
        + f"  - id: {SLOW_PACKAGE}\n    name: Plateau Bench Slow\n    category: utility\n"
        + f"    platforms:\n      linux: {{apt: {SLOW_PACKAGE}}}\n    lacks: {{windows: banc, macos: banc, android: banc, ios: banc}}\n"
    )
    hosts = root / "hosts.yml"
    marker = f"admin_user: plateau-bench-jury-{TARGETS}"
    hosts.write_text(hosts.read_text().replace(marker, f"{marker}\n          extra_software: [{SLOW_PACKAGE}]"))


def finish_times(artifact_dir: Path) -> dict[str, float]:
    """host -> seconds from the playbook's start to the host's last task (its own end)."""
    events = [json.loads(p.read_text("utf-8")) for p in (artifact_dir / "job_events").glob("*.json")]
    start = min(datetime.datetime.fromisoformat(e["created"]) for e in events if e["event"] == "playbook_on_start")
    ends = {}
    for event in events:
        data = event.get("event_data") or {}
        if event["event"] == "runner_on_ok" and data.get("task") == LAST_TASK:
            ends[data["host"]] = (datetime.datetime.fromisoformat(event["created"]) - start).total_seconds()
    return ends


def latest_artifacts(private: Path) -> Path:
    return max((d for d in (private / "artifacts").iterdir() if d.is_dir()), key=lambda d: d.stat().st_mtime)


def plateau_run(root: Path) -> tuple[float, dict[str, float]]:
    sh("dpkg", "--purge", SLOW_PACKAGE, check=False)
    started = time.perf_counter()
    done = subprocess.run(
        [str(BIN / "plateau"), "provision", "-i", str(root), "--forks", str(TARGETS)],
        capture_output=True, text=True, env=clean_env(), timeout=900, check=False,
    )  # fmt: skip
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"plateau provision exited {done.returncode}:\n{done.stdout[-3000:]}{done.stderr[-3000:]}")
    return wall, finish_times(latest_artifacts(root / ".plateau" / "runner"))


def linear_run(root: Path, work: Path) -> tuple[float, dict[str, float]]:
    """The same run through plateau's runner, on a copy of the playbooks in lockstep (linear)."""
    from provision.provisioning.runner import RunSpec, RunStatus, run_playbook

    copy = work / "playbooks-linear"
    shutil.copytree(ROOT / "playbooks", copy)
    site = copy / "site.yml"
    site.write_text(site.read_text().replace("  strategy: free\n", ""))
    sh("dpkg", "--purge", SLOW_PACKAGE, check=False)
    private = work / "runner-linear"
    spec = RunSpec(
        private_data_dir=private,
        playbook=site,
        inventory=root / "hosts.yml",
        extravars_file=root / ".plateau" / "runner" / "plan-vars.json",
        vault_password_file=root / ".vault_pass",
        forks=TARGETS,
    )
    saved = {k: os.environ.pop(k) for k in list(os.environ) if k.startswith("ANSIBLE_")}
    started = time.perf_counter()
    try:
        result = run_playbook(spec)
    finally:
        os.environ.update(saved)
    wall = time.perf_counter() - started
    if result.status is not RunStatus.SUCCESSFUL:
        raise RuntimeError(f"linear run: {result.status} {result.failed_hosts}")
    return wall, finish_times(latest_artifacts(private))


def show(label: str, wall: float, ends: dict[str, float]) -> None:
    times = ", ".join(f"{h} {ends[h]:.1f} s" for h in sorted(ends))
    print(f"{label}: wall {wall:.1f} s; each host's end: {times}", flush=True)


def write_doc(slow_s: float, rows: list[tuple[str, float, dict[str, float]]]) -> None:
    lines = [
        SECTION,
        "",
        f"Target (issue 15): with one of {TARGETS} targets {slow_s:.0f} s slower, the others finish without",
        f"waiting for it. The slow host installs a package whose postinst sleeps {slow_s:.0f} s (its plan only); the",
        "others have nothing left to install. Each target is its own `sshd` on 127.0.2.N (all this machine).",
        "Finish time = the `created` time of the host's last task (« Terminer la préparation du poste »)",
        "in the run's own events, from the playbook's start; `plateau provision` is a whole process.",
        f"Load average when written: {os.getloadavg()[0]:.1f} on this 2-core machine (shared with other runs).",
        "",
        "| run | wall time | " + " | ".join(f"bench-{n:02d}" for n in range(1, TARGETS + 1)) + " |",
        "|---|---|" + "---|" * TARGETS,
    ]
    for label, wall, ends in rows:
        cells = " | ".join(f"{ends.get(f'bench-{n:02d}', float('nan')):.1f} s" for n in range(1, TARGETS + 1))
        lines.append(f"| {label} | {wall:.1f} s | {cells} |")
    free = rows[0][2]
    fast = [v for h, v in free.items() if h != SLOW_HOST]
    lines += [
        "",
        f"With strategy free the fast hosts end by {max(fast):.1f} s, the slow one at {free[SLOW_HOST]:.1f} s; in",
        "lockstep (Ansible's default) every host waits at the slow host's install task and ends with it.",
        "",
    ]
    write_section(SECTION, lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--slow-s", type=float, default=60.0)
    parser.add_argument("--no-linear", action="store_true", help="skip the lockstep contrast run")
    parser.add_argument("--write", action="store_true", help="write the figures into docs/benchmarks.md")
    options = parser.parse_args()
    if os.geteuid() != 0 or not Path("/usr/sbin/sshd").exists():
        print("needs root and openssh-server (sshd, apt, useradd)", file=sys.stderr)
        return 2
    from provision.secrets import init_secrets

    postinst = f"#!/bin/sh\nsleep {options.slow_s:g}\nexit 0\n"
    with tempfile.TemporaryDirectory(prefix="plateau-bench-") as tmp, ExitStack() as stack:
        work = Path(tmp)
        machine = Machine(work, TARGETS, {SLOW_PACKAGE: postinst})
        stack.callback(machine.clean)
        machine.start()
        root = work / "centre"
        slow_inventory(root, machine)
        init_secrets(root)
        wall, ends = plateau_run(root)  # untimed: accounts created, slow package installed
        print(f"first run: {wall:.1f} s", flush=True)
        rows = [("`plateau provision` (strategy free)", *plateau_run(root))]
        show(rows[0][0], rows[0][1], rows[0][2])
        if not options.no_linear:
            rows.append(("same playbooks, linear (contrast)", *linear_run(root, work)))
            show(rows[1][0], rows[1][1], rows[1][2])
    if options.write:
        write_doc(options.slow_s, rows)
        print(f"written to {DOC.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
