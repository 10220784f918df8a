"""Benchmark: load and validate a 500-device inventory (target: well under 2 s).

Run: .venv/bin/python benchmarks/inventory_load.py [--devices 500] [--repeat 5]
Prints figures and writes them to docs/benchmarks.md's table when --write is given.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def make_inventory(folder: Path, devices: int, vault: bool = True) -> None:
    """A synthetic centre: rooms of 25 devices mixing every family, one vault file per workstation."""
    families = ["windows", "linux", "android", "printer", "projector"]
    rooms: dict[str, dict] = {}
    groups: dict[str, dict] = {f: {"hosts": {}} for f in families}
    for i in range(devices):
        room = f"salle_{i // 25:02d}"
        rooms.setdefault(room, {"hosts": {}})["hosts"][f"h{i:04d}"] = None
        family = families[i % len(families)]
        host = f"h{i:04d}"
        ip = f"10.{i // 62500}.{(i // 250) % 250}.{i % 250 + 1}"
        fields: dict = {"ansible_host": ip}
        if family in ("windows", "linux"):
            fields["admin_user"] = "jury"
        elif family == "android":
            fields["google_account"] = f"tab{i}@gmail.com"
        groups[family]["hosts"][host] = fields
    data = {"all": {"children": {"rooms": {"children": rooms}, **groups}}}
    (folder / "hosts.yml").write_text(yaml.safe_dump(data), "utf-8")
    (folder / "group_vars").mkdir()
    (folder / "group_vars" / "all.yml").write_text("centre_name: Benchmark\n", "utf-8")
    if vault:
        password = folder / ".vault_pass"
        password.write_text("bench\n")
        plain = folder / "plain.yml"
        plain.write_text('admin_password: "Bench-Mark-42-Pass"\n')
        encrypted = folder / "encrypted.yml"
        subprocess.run(
            [sys.executable, "-m", "ansible.cli.vault", "encrypt", "--vault-password-file", str(password),
             "--output", str(encrypted), str(plain)],
            check=True, capture_output=True,
        )  # fmt: skip
        content = encrypted.read_bytes()
        for i in range(0, devices, len(families)):
            host_dir = folder / "host_vars" / f"h{i:04d}"
            host_dir.mkdir(parents=True)
            (host_dir / "vault.yml").write_bytes(content)
        plain.unlink()
        encrypted.unlink()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--devices", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    started = time.perf_counter()
    from provision.inventory import load_inventory  # import cost (Ansible) counted apart

    import_s = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        make_inventory(folder, args.devices)
        times = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            inventory = load_inventory(folder)
            times.append(time.perf_counter() - t0)
        assert len(inventory.devices) == args.devices, len(inventory.devices)
    print(f"devices: {args.devices} (vault files: {args.devices // 5})")
    print(f"import of plateau + Ansible: {import_s:.2f} s (once per process)")
    print(
        f"load_inventory: median {statistics.median(times):.3f} s, min {min(times):.3f} s, max {max(times):.3f} s"
        f" over {args.repeat} runs"
    )
    print(f"per device: {statistics.median(times) / args.devices * 1000:.2f} ms")


if __name__ == "__main__":
    main()
