"""One exam centre, one run, every view: the same status and fix for every device, 0 false green.

52 devices over 3 rooms and 3 juries, served by the lab simulators over real sockets (the Linux
PCs and the Macs by Debian's real sshd, the Macs' in a root of their own with /Applications and
Homebrew, the USB boards through a umockdev testbed whose ttys are the board
simulators' ptys), with at least one injected fault in every family of the registry beside
healthy devices (``CENTRE`` below; ``NO_LAB_FAULT`` names the families that cannot have one yet).
One ``plateau check --format json`` sweeps it; then the dashboard's /api/etat, its frozen view
(/gel, after « Figer ») and the jury's recap PDF (``plateau recap --force``, through pdftotext)
must each say, device by device, the status the check said, and never « prêt » for a device
with a fault.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import html
import json
import os
import re
import shutil
import subprocess
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

# about 13 s on two cores (52 devices, one sweep, a dashboard, a PDF): not marked slow
STATUS_WORDS = {"ok": "prêt", "warn": "à surveiller", "fail": "à corriger", "unknown": "inconnu"}
# per-probe timeout of the sweep: generous, so a busy machine never turns an answering device (or
# the centre's internet check) red; the dead devices of the scenario cost it once, concurrently
TIMEOUT_S = 6.0

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "inventories" / "demo"
ROOMS = ("a", "b", "c")
TABLETS_PER_ROOM = 7
AP_PASSWORD = "Demo-Routeur-29-Ssh"  # the demo vault's (devices/lab/demo.py)
WIFI_KEY = "Demo;Wifi:2026"
IPAD_UDID = "00008030-0000DEMO0000001E"
LINUX_PASSWORD = "Jury-Linux-2026!"  # the lab PCs' admin password, the vault's for the healthy ones
MAC_PASSWORD = "Jury-Mac-2026!"  # the lab Macs' (devices.lab.workstation, flavour="macos")
BOARD_SERIAL = "e6600000000000{room}1"  # USB iSerial of a room's Pico (hex, like the real ones)


#: families of provision.families.REGISTRY the centre cannot fault yet, and why (a family with
#: no lab simulator); every other family must have a faulty device in CENTRE
NO_LAB_FAULT: dict[str, str] = {}


@dataclass(frozen=True)
class Spec:
    name: str
    family: str
    room: str
    label: str
    fault: str | None = None  # None: healthy


def _centre() -> list[Spec]:
    faults = {
        # family -> {room: fault}; every family has at least one fault, most rooms healthy ones
        "tablet": {
            ("a", 1): "battery_low",
            ("a", 2): "dead",
            ("b", 1): "wrong_wifi",
            ("b", 2): "app_missing",
            ("c", 1): "garbage",
            ("c", 2): "no_account",
        },
        "printer": {"a": "paper_empty"},
        "scanner": {"b": "jam"},
        "printer_3d": {"a": "filament_out", "c": "error"},
        "access_point": {"b": "radio_off"},
        "projector": {"c": "dead"},
        "robot": {"a": "dead"},
        "beebot": {"a": "unattested", "b": "unattested"},
        "windows": {"a": "absent", "b": "absent", "c": "absent"},
        "linux": {"b": "wrong_password", "c": "title_missing"},  # vault ≠ PC; Thonny planned, not installed
        "macos": {"b": "wrong_password", "c": "title_missing"},  # the same, Thonny's cask not installed
        "microcontroller": {"b": "unplugged"},  # not on USB: the probe cannot find its serial
    }
    out: list[Spec] = []
    for room in ROOMS:
        up = room.upper()
        for i in range(1, TABLETS_PER_ROOM + 1):
            out.append(Spec(f"tab-{room}-{i}", "android", room, f"Tablette {up}{i}", faults["tablet"].get((room, i))))
        out += [
            Spec(
                f"mfp-{room}",
                "printer",
                room,
                f"Imprimante {up}",
                faults["printer"].get(room) or faults["scanner"].get(room),
            ),
            Spec(f"i3d-{room}", "printer_3d", room, f"Imprimante 3D {up}", faults["printer_3d"].get(room)),
            Spec(f"ap-{room}", "access_point", room, f"Borne Wi-Fi {up}", faults["access_point"].get(room)),
            Spec(f"proj-{room}", "projector", room, f"Projecteur {up}", faults["projector"].get(room)),
            Spec(f"thy-{room}", "robot", room, f"Thymio {up}", faults["robot"].get(room)),
            Spec(f"bee-{room}", "robot", room, f"Bee-Bot {up}", faults["beebot"].get(room)),
            Spec(f"pc-{room}", "windows", room, f"PC Windows {up}", faults["windows"].get(room)),
        ]
        out += [
            Spec(f"lin-{room}", "linux", room, f"PC Linux {up}", faults["linux"].get(room)),
            Spec(f"mac-{room}", "macos", room, f"Mac {up}", faults["macos"].get(room)),
            Spec(f"mcu-{room}", "microcontroller", room, f"Carte Pico {up}", faults["microcontroller"].get(room)),
        ]
    out.append(Spec("ipad-a", "ipad", "a", "iPad A", "battery_low"))
    return out


CENTRE = _centre()


def _address(prefix: str, spec: Spec) -> str:
    base = ROOMS.index(spec.room) * 50
    kind = spec.name.split("-")[0]
    offsets = {
        "mfp": 30,
        "i3d": 31,
        "ap": 2,
        "proj": 32,
        "thy": 33,
        "pc": 34,
        "bee": 35,
        "ipad": 36,
        "lin": 37,
        "mac": 38,
    }
    if kind == "tab":
        return f"{prefix}{base + 10 + int(spec.name.rsplit('-', 1)[1])}"
    return f"{prefix}{base + offsets[kind]}"


def write_inventory(root: Path, prefix: str) -> None:
    """hosts.yml, group_vars, host_vars (the demo's vault files), session.yml of the centre."""
    root.mkdir(parents=True)
    shutil.copy(DEMO / ".vault_pass", root / ".vault_pass")
    shutil.copytree(DEMO / "group_vars", root / "group_vars")
    (root / "group_vars" / "salle_demo.yml").unlink()
    internet = f"{prefix}240"
    (root / "group_vars" / "all.yml").write_text(
        yaml.safe_dump(
            {
                "centre_name": "Centre de scénario (52 équipements simulés)",
                "internet_targets": [f"http://{internet}:8088/"],
            },
            allow_unicode=True,
        ),
        "utf-8",
    )
    groups: dict[str, dict] = {}
    rooms: dict[str, dict] = {}
    for spec in CENTRE:
        rooms.setdefault(f"salle_{spec.room}", {"hosts": {}})["hosts"][spec.name] = None
        host: dict = {"label": spec.label}
        vault = None
        if spec.family == "android":
            host.update(
                ansible_host=_address(prefix, spec),
                adb_port=5555,
                min_battery_pct=50,
                google_account=f"plateau.{spec.name}@gmail.com",
            )
            vault = "demo-tablette"
        elif spec.family == "printer":
            host.update(
                ansible_host=_address(prefix, spec),
                ipp_port=8631,
                snmp_port=8161,
                brand="HP",
                model="Color LaserJet Pro MFP M283fdw",
            )
            groups.setdefault("scanner", {})[spec.name] = {"escl_port": 8080}
        elif spec.family == "printer_3d":
            host.update(driver="moonraker", ansible_host=_address(prefix, spec), api_port=7125, min_filament_g=100)
        elif spec.family == "access_point":
            host.update(
                platform="openwrt",
                ansible_host=_address(prefix, spec),
                ssh_port=2222,
                wifi_ssid=f"Examen-Salle-{spec.room.upper()}",
            )
            vault = "demo-ap"
        elif spec.family == "projector":
            host.update(ansible_host=_address(prefix, spec), pjlink_port=4352, speakers=True)
        elif spec.family == "robot" and spec.name.startswith("thy"):
            host.update(kind="thymio", probe="tdm", ansible_host=_address(prefix, spec), tdm_port=8596)
        elif spec.family == "robot":
            host.update(kind="beebot", probe="manual")
        elif spec.family == "windows":
            host.update(ansible_host=_address(prefix, spec), projection=False)
            vault = "demo-pc-win"
        elif spec.family == "ipad":
            host.update(udid=IPAD_UDID, apple_id="plateau.ipad-a@icloud.com")
            vault = "demo-ipad"
        elif spec.family in ("linux", "macos"):  # the labs' sshd (port known once started: see start_lab)
            host.update(ansible_host=_address(prefix, spec), admin_user="jury", baseline_software=[])
            password = {"linux": LINUX_PASSWORD, "macos": MAC_PASSWORD}[spec.family]
            password = "Ancien-Mot-De-Passe" if spec.fault == "wrong_password" else password
            (root / "host_vars" / spec.name).mkdir(parents=True)
            (root / "host_vars" / spec.name / "vault.yml").write_bytes(_encrypt({"admin_password": password}))
        elif spec.family == "microcontroller":
            host.update(board="pico", handshake="none", usb_serial=BOARD_SERIAL.format(room=spec.room))
        groups.setdefault(spec.family, {})[spec.name] = host
        if vault:
            (root / "host_vars" / spec.name).mkdir(parents=True)
            shutil.copy(DEMO / "host_vars" / vault / "vault.yml", root / "host_vars" / spec.name / "vault.yml")
    for room in ROOMS:
        (root / "group_vars" / f"salle_{room}.yml").write_text(
            yaml.safe_dump({"room_label": f"Salle {room.upper()}"}, allow_unicode=True), "utf-8"
        )
    hosts = {"all": {"children": {"rooms": {"children": rooms}, **{f: {"hosts": h} for f, h in groups.items()}}}}
    (root / "hosts.yml").write_text(yaml.safe_dump(hosts, allow_unicode=True, sort_keys=False), "utf-8")
    session = {
        "date": "2026-12-03",
        "referentiel": "mn-2025",
        "juries": [{"id": f"jury-{r}", "label": f"Jury {r.upper()}", "room": f"salle_{r}"} for r in ROOMS],
        "candidates": [
            {
                "id": f"{r.upper()}01",
                "jury": f"jury-{r}",
                "order": 1,
                "time": "09:00",
                "software": {
                    "android": ["ScratchJr"],
                    "linux": ["VLC", *(["Thonny"] if r == "c" else [])],
                    "macos": ["VLC", *(["Thonny"] if r == "c" else [])],
                },
            }
            for r in ROOMS
        ],
    }
    (root / "session.yml").write_text(yaml.safe_dump(session, allow_unicode=True, sort_keys=False), "utf-8")


def _encrypt(values: dict[str, str]) -> bytes:
    from ansible.parsing.vault import VaultLib, VaultSecret

    secret = (DEMO / ".vault_pass").read_text().strip().encode()
    return VaultLib([("default", VaultSecret(secret))]).encrypt(yaml.safe_dump(values))


def start_lab(centre_root: Path, prefix: str, stack) -> tuple[dict[str, str], list[str]]:
    """Every simulator, in the state CENTRE asks; returns extra environment for the CLI (PATH) and
    the command prefix the sweep runs under (umockdev-run with the plugged boards' USB records).

    Boards: pyudev finds them by USB serial in a umockdev testbed whose tty nodes are the
    BoardSimulator ptys (``BoardSimulator.umockdev_record``). They use ``handshake: none``: under
    umockdev-run the FIONREAD ioctl on a pty fails, so no handshake can run in the sweep's process
    (the handshakes against the simulator are tests/devices/microcontroller's).
    """
    from devices.lab.access_point import AccessPointSimulator, ApState
    from devices.lab.android import SimulatedTablet
    from devices.lab.android_shell import TabletState
    from devices.lab.demo import WebSite
    from devices.lab.ipad import FakeIpadTools
    from devices.lab.printer import IppPrinterSim
    from devices.lab.printer_3d import MoonrakerSim
    from devices.lab.projector import ProjectorSimulator, ProjectorState
    from devices.lab.scanner import EsclScannerSim
    from devices.lab.serial_board import BoardSimulator
    from devices.lab.thymio_tdm import TdmSimulator
    from devices.lab.workstation import LabNeedsRoot, WorkstationLab

    def run(sim):
        stack.callback(sim.stop)
        return sim.start()

    if shutil.which("umockdev-run") is None:
        pytest.skip("umockdev-run not installed (apt-get install umockdev)")
    run(WebSite(f"{prefix}240", 8088))
    # one lab per flavour, one loopback address per PC; its folder in /tmp, not under pytest's
    # tmp_path (0700): the lab account must read its stand-ins
    ports: dict[str, dict[str, int]] = {}
    for flavour, password in (("linux", LINUX_PASSWORD), ("macos", MAC_PASSWORD)):
        specs = [s for s in CENTRE if s.family == flavour]
        lab = WorkstationLab(password=password, addresses=[_address(prefix, s) for s in specs], flavour=flavour)
        stack.callback(lab.cleanup)  # after stop() (the stack unwinds in reverse)
        try:
            run(lab)
        except LabNeedsRoot as exc:
            pytest.skip(str(exc))
        if flavour == "linux":
            lab.install_package("vlc")
        else:  # `brew install --cask vlc`: listed by Homebrew, VLC.app in /Applications
            lab.install_cask("vlc", app="VLC.app", bundle_id="org.videolan.vlc")
        ports[flavour] = {s.name: lab.host_vars(i)["ansible_port"] for i, s in enumerate(specs)}
    _set_ssh_ports(centre_root, ports)
    testbed = centre_root / ".plateau" / "usb"
    testbed.mkdir(parents=True)
    sweep_prefix = ["umockdev-run"]
    for spec in CENTRE:
        if spec.family == "microcontroller" and spec.fault != "unplugged":
            board = run(BoardSimulator("micropython"))
            record = testbed / f"{spec.name}.umockdev"
            port = f"1-{len(sweep_prefix) // 2 + 1}"  # one USB port per board
            record.write_text(board.umockdev_record(BOARD_SERIAL.format(room=spec.room), usb_port=port), "utf-8")
            sweep_prefix += ["-d", str(record)]
    for spec in CENTRE:
        if spec.family in ("ipad", "linux", "macos", "microcontroller"):
            continue
        host = _address(prefix, spec) if spec.fault != "absent" else None
        fault, ssid = spec.fault, f"Examen-Salle-{spec.room.upper()}"
        if spec.family == "android":
            state = TabletState(level=20 if fault == "battery_low" else 90, status=3 if fault == "battery_low" else 2,
                                usb_powered=fault != "battery_low", ac_powered=False,
                                wifi_ssid="Livebox-1234" if fault == "wrong_wifi" else ssid)  # fmt: skip
            state.accounts = [] if fault == "no_account" else [(f"plateau.{spec.name}@gmail.com", "com.google")]
            if fault != "app_missing":
                state.packages |= {"org.scratchjr.android"}
            if fault in ("dead", "garbage"):
                state.mode = fault
            tablet = SimulatedTablet(state, port=5555)
            tablet.host = host
            run(tablet)
        elif spec.family == "printer":
            printer = IppPrinterSim(port=8631, mode=fault if fault in ("paper_empty", "dead") else "healthy")
            printer.host = host
            run(printer)
            scanner = EsclScannerSim(port=8080, mode="jam" if fault == "jam" else "healthy")
            scanner.host = host
            run(scanner)
        elif spec.family == "printer_3d":
            run(MoonrakerSim(mode=fault or "healthy", port=7125, host=host))
        elif spec.family == "access_point":
            run(AccessPointSimulator(ApState(platform="openwrt", username="root", password=AP_PASSWORD, ssid=ssid,
                                             encryption="psk2", key=WIFI_KEY, radio_disabled=fault == "radio_off"),
                                     port=2222, host=host))  # fmt: skip
        elif spec.family == "projector":
            sim = ProjectorSimulator(ProjectorState(power="on"), port=4352, host=host)
            run(sim)
            if fault:
                sim.set_mode(fault)
        elif spec.family == "robot" and spec.name.startswith("thy") and fault != "dead":
            run(TdmSimulator(vbat_raw=(820, 820), port=8596, host=host))
        # Bee-Bots are attested by a person; Windows PCs are absent (nothing listens there)
    ipad = FakeIpadTools(centre_root / ".plateau" / "lab-bin", udid=IPAD_UDID, battery_pct=15, charging=False)
    ipad.install()
    return {"PATH": f"{ipad.bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}, [*sweep_prefix, "--"]


def _set_ssh_ports(root: Path, ports: dict[str, dict[str, int]]) -> None:
    """The labs' sshd ports (family -> host -> port), known once they listen, into hosts.yml."""
    hosts_file = root / "hosts.yml"
    hosts = yaml.safe_load(hosts_file.read_text("utf-8"))
    for family, by_host in ports.items():
        for name, port in by_host.items():
            hosts["all"]["children"][family]["hosts"][name]["ansible_port"] = port
    hosts_file.write_text(yaml.safe_dump(hosts, allow_unicode=True, sort_keys=False), "utf-8")


def plateau_cli(
    *args: str, env: dict[str, str], timeout: float = 120, prefix: list[str] = ()
) -> subprocess.CompletedProcess:
    exe = Path(sys.executable).parent / "plateau"
    argv = [*prefix, str(exe), *map(str, args)]
    return subprocess.run(argv, capture_output=True, text=True, env=env, timeout=timeout)


# --------------------------------------------------------------------------- one run, every view


@dataclass
class Views:
    root: Path
    check: dict  # plateau check --format json
    api: dict  # /api/etat
    frozen_snapshot: dict  # the freeze as stored
    frozen_html: str  # /gel
    recap_text: str  # pdftotext -layout of plateau recap --force
    elapsed_s: float


@pytest.fixture(scope="module")
def views(tmp_path_factory) -> Views:
    import time

    from devices.lab.demo import random_prefix
    from provision.context import load_all
    from provision.dashboard import create_app
    from provision.families import manual_check
    from provision.state import open_store

    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext not installed (apt-get install poppler-utils)")
    started = time.monotonic()
    root = tmp_path_factory.mktemp("centre") / "centre"
    prefix = random_prefix()
    write_inventory(root, prefix)
    with contextlib.ExitStack() as stack:
        extra, sweep_prefix = start_lab(root, prefix, stack)
        env = {**os.environ, **extra, "PLATEAU_LOOPBACK_ONLY": "1", "COLUMNS": "200"}
        env.pop("PLATEAU_VAULT_PASSWORD_FILE", None)
        loaded = load_all(root)
        store = open_store(root)
        for spec in CENTRE:  # a person attested the healthy Bee-Bots
            device = next(d for d in loaded.inventory.devices if d.name == spec.name)
            if spec.name.startswith("bee-") and spec.fault is None:
                store.add_attestation(
                    device.room,
                    manual_check(device).item,
                    "Mme Martin",
                    validity=dt.timedelta(hours=6),
                    device=device.name,
                    note="",
                )
        store.close()
        done = plateau_cli(
            "check", "-i", root, "--format", "json", "--timeout", TIMEOUT_S, env=env, prefix=sweep_prefix
        )
        assert done.returncode == 1, done.stderr  # not ready: faults were injected
        check = json.loads(done.stdout)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from starlette.testclient import TestClient
        store = open_store(root)
        with TestClient(create_app(loaded, store, recheck_s=0), base_url="http://127.0.0.1") as http:
            api = http.get("/api/etat").json()
            assert http.post("/figer", data={"nom": "Mme Martin"}, follow_redirects=False).status_code == 303
            frozen_html = html.unescape(http.get("/gel").text)
        snapshot = store.latest_freeze()["snapshot"]
    recap = plateau_cli("recap", "-i", root, "--force", env=env)
    assert recap.returncode == 0, recap.stderr
    pdf = root / ".plateau" / "recap-centre-2026-12-03.pdf"
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    return Views(root, check, api, snapshot, frozen_html, text, time.monotonic() - started)


#: faults of a multifunction host that belong to one of its two families
PART_FAULTS = {"jam": "scanner", "paper_empty": "printer"}


def _fault_of(name: str, family: str) -> str | None:
    fault = next(s for s in CENTRE if s.name == name).fault
    return fault if fault is None or PART_FAULTS.get(fault, family) == family else None


def _check_status(views: Views) -> dict[str, dict]:
    return {d["name"]: d for d in views.check["readiness"]["devices"]}


def _api_status(views: Views) -> dict[str, dict]:
    return {d["name"]: d for d in views.api["devices"]}


def _frozen_status(views: Views) -> dict[str, str]:
    out = {}
    for room in views.frozen_snapshot["rooms"]:
        for device in room["devices"]:
            out[device["name"]] = "unknown" if device["status"] == "unchecked" else device["status"]
    return out


def _recap_status(views: Views, name: str) -> str | None:
    """The status word on the recap's readiness-table line of this device (its host name is there)."""
    section = views.recap_text[views.recap_text.index("État du plateau au dernier contrôle") :]
    for line in section.splitlines():
        if re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", line):
            rest = line.split(name, 1)[1]
            found = [(rest.find(word), status) for status, word in STATUS_WORDS.items() if word in rest]
            return min(found)[1] if found else None
    return None


def test_the_centre_is_big_and_every_family_has_a_fault(views: Views) -> None:
    from provision.context import load_all

    loaded = load_all(views.root)
    assert len(loaded.inventory.hosts) >= 40 and len(loaded.inventory.rooms) == 3
    assert len(loaded.session.juries) == 3
    families = {d.family for d in loaded.inventory.devices}
    faulty = {d.family for d in loaded.inventory.devices if _fault_of(d.name, d.family)}
    assert families == faulty, families - faulty  # at least one fault per family...
    healthy = {d.family for d in loaded.inventory.devices if not _fault_of(d.name, d.family)}
    assert families - {"windows", "ipad"} <= healthy  # ...beside healthy ones
    assert views.elapsed_s < 60, views.elapsed_s


def test_every_registered_family_has_a_fault_in_the_centre_or_a_named_reason() -> None:
    """A family added to the registry later fails here until the centre faults it (or says why not)."""
    from provision.families import REGISTRY

    faulted = {PART_FAULTS.get(s.fault, s.family) for s in CENTRE if s.fault}  # a jam faults the scanner
    missing = set(REGISTRY) - faulted - set(NO_LAB_FAULT)
    assert not missing, f"families with no injected fault in the scenario centre: {sorted(missing)}"
    for name, reason in NO_LAB_FAULT.items():
        assert name in REGISTRY and reason.strip(), name
        assert name not in faulted, f"{name} is faulted in the centre: drop it from NO_LAB_FAULT"
        simulator = REGISTRY[name].simulator
        assert simulator is None, f"{name} now has a lab ({simulator}): fault it in the centre"


@pytest.mark.parametrize("name", [s.name for s in CENTRE])
def test_every_view_tells_the_same_status(views: Views, name: str) -> None:
    spec = next(s for s in CENTRE if s.name == name)
    check = _check_status(views)[name]
    api = _api_status(views)[name]
    assert api["status"] == check["status"], (api, check)
    assert _frozen_status(views)[name] == check["status"]
    assert _recap_status(views, name) == check["status"], name
    if spec.fault is None:
        assert check["status"] in ("ok", "warn"), check  # no wrong red on a healthy device
        assert not check["blockers"], check
    elif check["status"] == "warn":  # a fault the grading only warns about: never « prêt », the fix shown
        warned = [v for v in views.check["verdicts"] if v["device"] == name and v["status"] == "warn"]
        assert warned and all(":" in v["message"] for v in warned), warned
        api_messages = {v["message"] for v in views.api["verdicts"] if v["device"] == name}
        assert {v["message"] for v in warned} <= api_messages
    else:
        assert check["status"] != "ok", check  # no false green, in any view
        assert check["blockers"], check
        # the fix: the same message in the check, the dashboard, the frozen view (each naming the device)
        api_lines = {b["line"] for b in api["blockers"]}
        for blocker in check["blockers"]:
            assert ":" in blocker["message"] and "{" not in blocker["message"], blocker
            assert blocker["line"] in api_lines
            assert blocker["line"].startswith(spec.label + " — ")
            assert blocker["line"] in views.frozen_html, blocker["line"]


def test_no_false_green_anywhere(views: Views) -> None:
    faulty = {s.name for s in CENTRE if s.fault}
    greens = {
        "check": {n for n, d in _check_status(views).items() if d["status"] == "ok"},
        "api": {n for n, d in _api_status(views).items() if d["status"] == "ok"},
        "frozen": {n for n, s in _frozen_status(views).items() if s == "ok"},
        "recap": {n for n in faulty if _recap_status(views, n) == "ok"},
    }
    assert {view: sorted(names & faulty) for view, names in greens.items()} == {v: [] for v in greens}
    assert not views.check["ready"] and not views.api["ready"] and not views.frozen_snapshot["ready"]
    assert "NON PRÊT" in views.recap_text and "Aucun point bloquant" not in views.recap_text


#: the blocker each Linux PC / Mac / board fault must cause (the right check, for the right reason)
FAULT_BLOCKERS = {
    "wrong_password": ("admin_login", "check.admin_login.refused"),
    "title_missing": ("software", "check.software.title_missing"),
    "unplugged": ("board", "usb_probe.unreachable"),
}


@pytest.mark.parametrize("name", [s.name for s in CENTRE if s.family in ("linux", "macos", "microcontroller")])
def test_linux_pcs_macs_and_boards_are_measured_for_the_right_reason(views: Views, name: str) -> None:
    spec = next(s for s in CENTRE if s.name == name)
    verdicts = [v for v in views.check["verdicts"] if v["device"] == name]
    if spec.fault is None:  # measured over the wire, not merely "not red"
        assert _check_status(views)[name]["status"] == "ok", verdicts
        main = "board" if spec.family == "microcontroller" else "admin_login"
        assert [v["status"] for v in verdicts if v["check"] == main] == ["ok"], verdicts
        if spec.family == "microcontroller":  # found by its USB serial, at the simulator's pty
            board = next(v for v in verdicts if v["check"] == "board")
            assert board["value"].startswith("/dev/pts/") and board["facts"]["serial"] == BOARD_SERIAL.format(
                room=spec.room
            )
        if spec.family == "macos":  # the macOS script's answer (Homebrew, not dpkg): the Mac lab's sshd
            vlc = [v for v in verdicts if v["check"] == "software" and v["params"].get("title_id") == "vlc"]
            assert [(v["status"], v["params"]["via"]) for v in vlc] == [("ok", "brew cask vlc")], vlc
        return
    check, key = FAULT_BLOCKERS[spec.fault]
    blockers = _check_status(views)[name]["blockers"]
    assert any(b["check"] == check and b["key"] == key for b in blockers), blockers
    assert {(b["check"], b["key"]) for b in _api_status(views)[name]["blockers"]} >= {(check, key)}
    if spec.fault == "title_missing":
        assert any(b["check"] == "software" and "Thonny" in b["line"] for b in blockers), blockers


def test_usb_free_network_devices_are_told_about_the_network_and_centre_checks_everywhere(views: Views) -> None:
    internet = [v for v in views.check["readiness"]["centre_checks"] if v["check"] == "internet"]
    assert internet and internet[0]["status"] == "ok"
    assert any(v["check"] == "internet" for v in views.frozen_snapshot["centre_verdicts"])
    assert 'id="gel-centre"' in views.frozen_html
