"""Benchmark: the live check of 20 Linux workstations over real sshd on loopback (target: ≤ 3 s, and
at least 4× faster than ``ansible all -m ping`` on the same 20 targets, measured in the same run).

One lab sshd (devices/lab/workstation.py: Debian's OpenSSH, real password authentication) listens
on 20 ports of 127.0.0.1, each a workstation of the inventory. What is timed is ``run_sweep`` on
those 20 hosts, as ``plateau check`` runs it: the probe context from the current plan, then per
host one SSH session opened *as the jury's admin account with the vault password*, one script
(dpkg-query, flatpak, df, USB policy, and the real ``curl`` to a local web server standing for the
exam's site), the verdicts. Then, on the same inventory (same account, same password through
sshpass, same sshd), ``ansible all -m ping -f 20``, cold (a fresh ControlPath directory each run,
as plateau's own sessions are cold). The cost per extra workstation is the slope of the sweep's
time over 1, 5, 10 and 20 hosts.

Run (as root: the lab's sshd needs it):
    PLATEAU_LOOPBACK_ONLY=1 .venv/bin/python benchmarks/workstations_20.py [--hosts 20] [--repeat 5]
"""

from __future__ import annotations

import argparse
import http.server
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("PLATEAU_LOOPBACK_ONLY", "1")

PASSWORD = "Bench-Jury-2026!"
VAULT_PASSWORD = "bench-vault"


class _Quiet(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: object) -> None:
        pass


def write_centre(root: Path, endpoints: list[tuple[str, int]], site: str) -> list[str]:
    import yaml
    from ansible.parsing.vault import VaultLib, VaultSecret

    hosts = {
        f"pc-{i:02d}": {"ansible_host": address, "ansible_port": port} for i, (address, port) in enumerate(endpoints)
    }
    (root / "hosts.yml").write_text(yaml.safe_dump({"all": {"children": {
        "rooms": {"children": {"salle_a": {"hosts": dict.fromkeys(hosts)}}},
        "linux": {"hosts": hosts}}}}))  # fmt: skip
    (root / "group_vars" / "linux").mkdir(parents=True)
    (root / "group_vars" / "all.yml").write_text(yaml.safe_dump({"internet_targets": [site]}))
    (root / "group_vars" / "linux" / "vars.yml").write_text(yaml.safe_dump({
        "admin_user": "jury", "baseline_software": ["firefox", "vlc", "libreoffice"],
        # what Ansible needs to log in the same way (used by the ansible ping only)
        "ansible_user": "{{ admin_user }}", "ansible_password": "{{ admin_password }}",
        "ansible_ssh_common_args": "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null",
        "ansible_python_interpreter": "/usr/bin/python3"}))  # fmt: skip
    vault = VaultLib([("default", VaultSecret(VAULT_PASSWORD.encode()))])
    (root / "group_vars" / "linux" / "vault.yml").write_bytes(
        vault.encrypt(yaml.safe_dump({"admin_password": PASSWORD}))
    )
    (root / ".vault_pass").write_text(VAULT_PASSWORD + "\n")
    (root / ".vault_pass").chmod(0o600)
    (root / "session.yml").write_text(
        yaml.safe_dump(
            {
                "date": "2026-12-03",
                "referentiel": "mn-2025",
                "juries": [{"id": "jury-a", "room": "salle_a"}],
                "candidates": [{"id": "C01", "jury": "jury-a", "order": 1, "software": {"linux": ["GIMP"]}}],
            }
        )
    )
    return list(hosts)


def sweep_once(root: Path, hosts: list[str]) -> tuple[float, dict[str, int]]:
    from provision.context import load_all
    from provision.sweep import run_sweep

    loaded = load_all(root)
    started = time.perf_counter()
    result = run_sweep(loaded, devices=hosts, timeout_s=10.0)
    elapsed = time.perf_counter() - started
    counts: dict[str, int] = {}
    for verdict in result.verdicts:
        counts[f"{verdict.check}:{verdict.status}"] = counts.get(f"{verdict.check}:{verdict.status}", 0) + 1
    return elapsed, counts


def ansible_ping(root: Path) -> tuple[float, int]:
    ansible = Path(sys.executable).parent / "ansible"
    with tempfile.TemporaryDirectory(prefix="bench-cp-") as control:
        env = {**os.environ, "ANSIBLE_HOST_KEY_CHECKING": "False", "ANSIBLE_SSH_CONTROL_PATH_DIR": control,
               "ANSIBLE_NOCOLOR": "1", "PATH": f"{ansible.parent}:{os.environ['PATH']}"}  # fmt: skip
        started = time.perf_counter()
        done = subprocess.run([str(ansible), "all", "-i", str(root / "hosts.yml"), "-m", "ping", "-f", "20",
                               "--vault-password-file", str(root / ".vault_pass")],
                              capture_output=True, text=True, env=env, timeout=300, check=False)  # fmt: skip
        elapsed = time.perf_counter() - started
    ok = done.stdout.count("| SUCCESS")
    if done.returncode != 0:
        print(done.stdout[-2000:], done.stderr[-2000:], file=sys.stderr)
    return elapsed, ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--hosts", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    from devices.lab.workstation import WorkstationLab

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Quiet)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    site = f"http://127.0.0.1:{server.server_address[1]}/"
    tmp = Path(tempfile.mkdtemp(prefix="bench-ws-"))
    from devices.lab.demo import random_prefix

    prefix = random_prefix()  # a loopback /24 of this run's own: one address per workstation
    lab = WorkstationLab(password=PASSWORD, addresses=[f"{prefix}{i + 10}" for i in range(args.hosts)]).start()
    try:
        lab.set(internet="real", packages=[("firefox-esr", "ii", "amd64"), ("vlc", "ii", "amd64"),
                                           ("libreoffice", "ii", "amd64"), ("bash", "ii", "amd64")])  # fmt: skip
        root = tmp / "centre"
        root.mkdir()
        hosts = write_centre(root, lab.endpoints, site)
        sweep_once(root, hosts[:1])  # warm-up: imports, catalog, first host key
        _, counts = sweep_once(root, hosts)
        print(f"verdicts of one run: {dict(sorted(counts.items()))}")
        assert counts.get("admin_login:ok") == args.hosts, counts
        assert counts.get("internet:ok") == args.hosts, counts

        sizes = sorted({n for n in (1, 5, 10, args.hosts) if n <= args.hosts})
        medians = {}
        for n in sizes:
            times = [sweep_once(root, hosts[:n])[0] for _ in range(args.repeat)]
            medians[n] = statistics.median(times)
            print(
                f"plateau live check, {n:2d} workstation(s): median {medians[n]:.2f} s "
                f"(min {min(times):.2f}, max {max(times):.2f}, {args.repeat} runs)"
            )
        pings = [ansible_ping(root) for _ in range(max(3, args.repeat // 2))]
        ping_median = statistics.median(t for t, _ in pings)
        print(
            f"ansible all -m ping -f 20, {args.hosts} targets: median {ping_median:.2f} s "
            f"({[ok for _, ok in pings]} SUCCESS per run)"
        )
        xs, ys = list(medians), list(medians.values())
        mean_x, mean_y = statistics.mean(xs), statistics.mean(ys)
        slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / sum(
            (x - mean_x) ** 2 for x in xs
        )
        full = medians[args.hosts]
        print(f"cost per extra workstation: {slope * 1000:.0f} ms (least squares over {sizes})")
        print(
            f"speed-up over ansible ping: {ping_median / full:.1f}x; target <= 3 s: {'met' if full <= 3 else 'MISSED'},"
            f" >= 4x: {'met' if ping_median / full >= 4 else 'MISSED'}"
        )
    finally:
        lab.stop()
        lab.cleanup()
        server.shutdown()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
