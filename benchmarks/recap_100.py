"""Benchmark: the jury recap PDF of a 100-device centre (target: under 3 s).

The synthetic centre has 4 rooms of 25 devices (a Wi-Fi access point, a printer, a
scanner, a projector, a 3D printer, 7 Windows and 4 Linux workstations, 6 Android
tablets, 3 iPads), one jury per room with 6 candidates each, and one ansible-vault file
per device holding its secrets (admin passwords, Google and Apple passwords, unlock
codes, Wi-Fi keys, PJLink passwords, API keys): 100 encrypted files.

The readiness part is real: a sweep is run first and stored in the inventory's state
store, as ``plateau check`` does. Nothing listens at the devices' addresses (127.0.4.x),
so every probe is refused at once and every device is UNKNOWN: the recap is the forced
one ("NON PRÊT", some 450-680 blockers, listed grouped by room and action after the access
pages), the heaviest to typeset.

Measured, in one process: load_all (inventory + vault + session + plan), load_readiness
(state store), build_recap, recap_pdf (HTML -> WeasyPrint PDF), writing the 0600 file;
then ``plateau recap --force`` end to end in a fresh process (imports included).

Run: PLATEAU_LOOPBACK_ONLY=1 .venv/bin/python benchmarks/recap_100.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("PLATEAU_LOOPBACK_ONLY", "1")

ROOMS = 4
ROOM_LAYOUT = [
    ("access_point", 1),
    ("printer", 1),
    ("scanner", 1),
    ("projector", 1),
    ("printer_3d", 1),
    ("windows", 7),
    ("linux", 4),
    ("android", 6),
    ("ipad", 3),
]  # 25 per room
VAULT_PASSWORD = "bench-recap"


def _host(family: str, room: int, k: int, n: int) -> tuple[str, dict, dict]:
    """(host name, plain fields, secrets for the vault) of the k-th device of a family in a room."""
    name = f"s{room}-{family.replace('_', '')}-{k:02d}"
    address = f"127.0.4.{room * 25 + n + 1}"
    if family == "access_point":
        return (
            name,
            {"ansible_host": address, "platform": "openwrt", "wifi_ssid": f"EXAMEN-S{room};Salle,{room}"},
            {"ssh_password": f"Routeur-{room}-Ssh-Pass", "wifi_key": f"Cle:Wifi;Salle\\{room}-2026"},
        )
    if family == "printer":
        return name, {"ansible_host": address, "ipp_port": 631, "brand": "Kyocera", "model": "ECOSYS M2540dn"}, {}
    if family == "scanner":
        return name, {"ansible_host": address, "brand": "HP", "model": "Color LaserJet Pro MFP M283fdw"}, {}
    if family == "projector":
        return (
            name,
            {"ansible_host": address, "brand": "Epson", "model": "EB-W51"},
            {"pjlink_password": f"Pjlink{room}x"},
        )
    if family == "printer_3d":
        return (
            name,
            {
                "ansible_host": address,
                "driver": "octoprint",
                "api_port": 5000,
                "brand": "Creality",
                "model": "Ender 3 V2",
            },
            {"api_key": f"{room:02d}A1B2C3D4E5F60718293A4B5C6D7E8F9"},
        )
    if family in ("windows", "linux"):
        fields = {
            "ansible_host": address,
            "admin_user": "jury" if k == 0 else "examen",
            "role": "jury" if k == 0 and family == "linux" else "candidate",
        }
        return name, fields, {"admin_password": f"Adm1n-{room}{k:02d}-{family[:3]}-Q7wZ"}
    if family == "android":
        return (
            name,
            {"ansible_host": address, "google_account": f"tablette.s{room}.{k:02d}@gmail.com"},
            {"google_password": f"G00gle-{room}{k:02d}-Pw", "unlock_code": f"{room}{k:02d}{room}{k:02d}"},
        )
    if family == "ipad":
        return (
            name,
            {"udid": f"00008030-{room:04d}{k:04d}BENCH0001E", "apple_id": f"ipad.s{room}.{k:02d}@icloud.com"},
            {"apple_id_password": f"App1e-{room}{k:02d}-Id", "unlock_code": f"{k:02d}{room}{room}{k:02d}"},
        )
    raise ValueError(family)


def make_centre(folder: Path) -> int:
    """Write the inventory, its 100 vault files and session.yml; return the device count."""
    from ansible.parsing.vault import VaultLib, VaultSecret

    vault = VaultLib([("default", VaultSecret(VAULT_PASSWORD.encode()))])
    (folder / ".vault_pass").write_text(VAULT_PASSWORD + "\n")
    rooms: dict[str, dict] = {}
    groups: dict[str, dict] = {}
    count = 0
    for room in range(ROOMS):
        room_id = f"salle_{room + 1}"
        n = 0
        for family, how_many in ROOM_LAYOUT:
            for k in range(how_many):
                name, fields, secrets = _host(family, room, k, n)
                n += 1
                count += 1
                rooms.setdefault(room_id, {"hosts": {}})["hosts"][name] = None
                groups.setdefault(family, {"hosts": {}})["hosts"][name] = fields
                host_dir = folder / "host_vars" / name
                host_dir.mkdir(parents=True)
                plain = yaml.safe_dump(secrets or {"x_vault_note": "rien de secret"}, allow_unicode=True)
                (host_dir / "vault.yml").write_bytes(vault.encrypt(plain))
    data = {"all": {"children": {"rooms": {"children": rooms}, **groups}}}
    (folder / "hosts.yml").write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), "utf-8")
    (folder / "group_vars").mkdir()
    (folder / "group_vars" / "all.yml").write_text("centre_name: Centre de test (banc recap)\n", "utf-8")
    (folder / "group_vars" / "windows.yml").write_text("ansible_connection: winrm\n", "utf-8")
    candidates = []
    for room in range(ROOMS):
        for order in range(1, 7):
            candidates.append(
                {
                    "id": f"C{room + 1}{order:02d}",
                    "jury": f"jury-{room + 1}",
                    "order": order,
                    "time": f"{8 + order:02d}:00",
                    "software": {
                        "windows": ["LibreOffice", "Firefox", "GIMP"] if order % 2 else ["Thonny", "Audacity"],
                        "android": ["ScratchJr"],
                    },
                    **({"accessibility": ["loupe"]} if order == 3 else {}),
                }
            )
    session = {
        "date": "2026-12-03",
        "referentiel": "mn-2025",
        "juries": [{"id": f"jury-{r + 1}", "label": f"Jury {r + 1}", "room": f"salle_{r + 1}"} for r in range(ROOMS)],
        "candidates": candidates,
    }
    (folder / "session.yml").write_text(yaml.safe_dump(session, sort_keys=False, allow_unicode=True), "utf-8")
    return count


def store_a_sweep(folder: Path) -> tuple[float, dict]:
    """A real sweep of the centre into its state store (every device refused: UNKNOWN)."""
    from provision.context import load_all
    from provision.paths import state_dir
    from provision.state import open_store
    from provision.sweep import sweep_async

    loaded = load_all(folder)
    state_dir(folder)
    store = open_store(folder)
    try:
        t0 = time.perf_counter()
        result = asyncio.run(sweep_async(loaded, store=store, timeout_s=1.0))
        seconds = time.perf_counter() - t0
    finally:
        getattr(store, "close", lambda: None)()
    return seconds, {s.value: n for s, n in result.by_status().items() if n}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    t0 = time.perf_counter()
    import dataclasses

    from checks.model import Status, utcnow
    from provision.context import load_all
    from provision.recap import data as recap_data
    from provision.recap import render as recap_render
    from provision.recap.files import write_private
    from provision.recap.readiness import Readiness, load_readiness

    import_s = time.perf_counter() - t0
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "centre"
        folder.mkdir()
        t0 = time.perf_counter()
        devices = make_centre(folder)
        make_s = time.perf_counter() - t0
        sweep_s, counts = store_a_sweep(folder)
        print(
            f"centre: {devices} devices in {ROOMS} rooms, {devices} vault files, {ROOMS * 6} candidates"
            f" (written and encrypted in {make_s:.1f} s)"
        )
        print(f"stored sweep: {sweep_s:.2f} s, verdicts {counts}")
        print(f"imports (plateau, Ansible): {import_s:.2f} s, once per process")

        stored = load_readiness(folder)
        green = Readiness.of([dataclasses.replace(v, status=Status.OK) for v in stored.verdicts], stored.finished_at)
        scenarios = [
            ("centre, as stored (every device UNKNOWN, forced)", None, stored, True),
            ("centre, every verdict turned OK (synthetic)", None, green, False),
            ("one jury (--jury jury-1), every verdict OK", "jury-1", green, False),
        ]
        out = Path(tmp) / "recap.pdf"
        for label, jury, readiness_of, forced in scenarios:
            phases: dict[str, list[float]] = {
                k: [] for k in ("load_all", "load_readiness", "build_recap", "recap_pdf", "write 0600", "total")
            }
            pdf_cpu: list[float] = []  # CPU of recap_pdf alone: less at the mercy of a busy machine than wall
            for _ in range(args.repeat + 1):  # the first run warms fonts and caches; reported apart
                marks = [time.perf_counter()]
                loaded = load_all(folder)
                marks.append(time.perf_counter())
                readiness = load_readiness(folder)
                if readiness_of is not stored:
                    readiness = readiness_of  # same verdicts, statuses replaced (the store read is still timed)
                marks.append(time.perf_counter())
                recap = recap_data.build_recap(loaded, jury, readiness, now=utcnow(), forced=forced)
                marks.append(time.perf_counter())
                cpu0 = time.process_time()
                pdf = recap_render.recap_pdf(recap)
                pdf_cpu.append(time.process_time() - cpu0)
                marks.append(time.perf_counter())
                out.unlink(missing_ok=True)
                write_private(out, pdf.data)
                marks.append(time.perf_counter())
                for (_name, values), a, b in zip(phases.items(), marks, marks[1:], strict=False):
                    values.append(b - a)
                phases["total"].append(marks[-1] - marks[0])
            first = {name: values.pop(0) for name, values in phases.items()}
            pdf_cpu.pop(0)
            print(
                f"\n-- {label}: {pdf.pages} pages, {len(pdf.data) / 1024:.0f} KiB,"
                f" {len(recap.readiness.blockers)} blockers listed, mode {oct(out.stat().st_mode & 0o777)}"
            )
            print(
                f"first run in the process: {first['total']:.2f} s (recap_pdf {first['recap_pdf']:.2f} s);"
                f" then median of {args.repeat}:"
            )
            for name, values in phases.items():
                print(f"  {name:15} {statistics.median(values):.3f} s  (min {min(values):.3f}, max {max(values):.3f})")
            print(f"  recap_pdf CPU   {statistics.median(pdf_cpu):.3f} s  (load average {os.getloadavg()[0]:.1f})")

        cli, cli_cpu = [], []
        for _ in range(3):
            before = os.times()
            t0 = time.perf_counter()
            subprocess.run(
                [
                    str(Path(sys.executable).with_name("plateau")),
                    "recap",
                    "-i",
                    str(folder),
                    "--force",
                    "-o",
                    str(Path(tmp) / "cli.pdf"),
                ],
                check=True,
                capture_output=True,
                env={**os.environ, "PLATEAU_LOOPBACK_ONLY": "1"},
            )
            cli.append(time.perf_counter() - t0)
            after = os.times()
            cli_cpu.append(after.children_user - before.children_user + after.children_system - before.children_system)
        print(
            f"\n`plateau recap --force` (centre, as stored) end to end (new process, imports included): median {statistics.median(cli):.2f} s,"
            f" min {min(cli):.2f}, max {max(cli):.2f} over 3, CPU median {statistics.median(cli_cpu):.2f} s (target < 3 s)"
        )


if __name__ == "__main__":
    main()
