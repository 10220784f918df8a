"""The sweep against the demo lab: real sockets, concurrent, bounded, never a false green."""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path
from xml.etree import ElementTree as ET

from checks.model import Status
from devices.lab.demo import DemoLab
from provision.context import load_all
from provision.state import open_store
from provision.sweep import run_sweep

ROOT = Path(__file__).resolve().parents[2]


def statuses(result) -> dict[tuple[str, str], Status]:
    return {(v.device, v.check): v.status for v in result.verdicts}


def test_demo_sweep_grades_every_device(demo: Path, lab: DemoLab) -> None:
    loaded = load_all(demo)
    before = statuses(run_sweep(loaded, timeout_s=3.0))
    assert before[("demo-ap", "wifi_config")] is Status.FAIL  # a new AP broadcasts "OpenWrt"
    from provision.devices_apply import apply_devices, select_devices

    apply_devices(loaded, select_devices(loaded, "demo-ap"), timeout_s=5)
    result = run_sweep(loaded, store=open_store(demo), timeout_s=3.0)
    got = statuses(result)
    assert got[("demo-tablette", "battery")] is Status.FAIL  # 34 %, not charging
    assert got[("demo-tablette", "account")] is Status.OK
    assert got[("demo-tablette", "software")] is Status.OK
    assert got[("demo-tablette", "wifi_joined")] is Status.OK
    assert got[("demo-mfp", "consumables")] is Status.WARN  # toner low
    assert got[("demo-mfp", "scanner_state")] is Status.OK
    assert got[("demo-imprimante-3d", "filament")] is Status.FAIL  # filament out
    assert got[("demo-ap", "wifi_config")] is Status.OK  # the vault key matches the AP's
    assert got[("demo-projecteur", "projector")] is Status.OK
    assert got[("demo-ipad", "battery")] is Status.OK
    assert got[("demo-pc-win", "reachable")] is Status.UNKNOWN  # nothing listens there
    assert got[("demo-beebot", "attestation:batteries")] is Status.FAIL  # nobody attested yet
    assert got[("centre:internet", "internet")] is Status.OK
    assert got[("demo-thymio", "battery")] is Status.WARN  # 3.86 V through the real TDM protocol
    assert not result.ready
    latest = open_store(demo).latest_sweep()
    assert latest is not None and len(latest.verdicts) == len(result.verdicts)


def test_a_dead_device_is_unknown_and_costs_one_timeout(demo: Path, lab: DemoLab) -> None:
    lab.running["tablet"].state.mode = "dead"
    lab.running["printer"].state = "slow"
    loaded = load_all(demo)
    started = time.monotonic()
    result = run_sweep(loaded, timeout_s=1.0)
    elapsed = time.monotonic() - started
    got = statuses(result)
    for check in ("battery", "account", "software", "wifi_joined"):
        assert got[("demo-tablette", check)] is Status.UNKNOWN
    assert got[("demo-mfp", "printer_state")] is Status.UNKNOWN
    assert got[("demo-mfp", "consumables")] is Status.UNKNOWN
    assert got[("demo-projecteur", "projector")] is Status.OK  # the others carry on
    lab.running["internet"].stop()
    assert elapsed < 6.0, elapsed  # concurrent: about one bounded timeout, not the sum


def test_a_device_that_died_since_the_last_sweep_loses_its_green(demo: Path, lab: DemoLab) -> None:
    store = open_store(demo)
    loaded = load_all(demo)
    run_sweep(loaded, store=store, timeout_s=2.0)
    assert {v.check: v.status for v in store.latest_verdicts() if v.device == "demo-tablette"}["account"] is Status.OK
    lab.running["tablet"].stop()
    run_sweep(loaded, store=store, devices=["demo-tablette"], timeout_s=1.0)
    after = {v.check: v.status for v in store.latest_verdicts() if v.device == "demo-tablette"}
    assert set(after.values()) == {Status.UNKNOWN}


def test_garbage_answers_are_unknown(demo: Path, lab: DemoLab) -> None:
    lab.running["projector"].state.mode = "garbage"
    lab.running["scanner"].state = "garbage"
    got = statuses(run_sweep(load_all(demo), timeout_s=2.0))
    assert got[("demo-projecteur", "projector")] is Status.UNKNOWN
    assert got[("demo-mfp", "scanner_state")] is Status.UNKNOWN


def test_attested_items_turn_ok(demo: Path, lab: DemoLab) -> None:
    import datetime as dt

    store = open_store(demo)
    store.add_attestation("salle_demo", "batteries", "Léa T.", validity=dt.timedelta(hours=12), device="demo-beebot")
    store.add_attestation("salle_demo", "markers", "Léa T.", validity=dt.timedelta(hours=12))
    got = statuses(run_sweep(load_all(demo), store=store, timeout_s=2.0))
    assert got[("demo-beebot", "attestation:batteries")] is Status.OK
    assert got[("salle:salle_demo", "attestation:markers")] is Status.OK
    assert got[("salle:salle_demo", "attestation:board")] is Status.FAIL


def test_non_loopback_addresses_are_never_probed(example) -> None:
    # the example centre uses 192.168.x.x: under PLATEAU_LOOPBACK_ONLY=1 (set for all tests)
    # nothing is sent, every networked device is UNKNOWN, and it does not take long
    started = time.monotonic()
    result = run_sweep(load_all(example), timeout_s=1.0)
    assert time.monotonic() - started < 5
    networked = [v for v in result.verdicts if v.probe in ("tcp", "adb", "ipp", "escl", "ssh", "pjlink")]
    assert networked and all(v.status is Status.UNKNOWN for v in networked)
    addressed = [v for v in networked if v.device != "b-tab-android-01"]  # USB-only tablet: no address
    assert all("loopback" in v.facts.get("error", "") for v in addressed)


def test_plateau_check_cli_on_the_demo(demo: Path, lab: DemoLab, plateau, tmp_path: Path) -> None:
    junit = tmp_path / "check.xml"
    result = plateau("check", "-i", demo, "--junit", junit, "--timeout", "2")
    assert result.code == 1  # deliberately not ready
    assert "NON PRÊT" in result.out and "brancher l'appareil" in result.out
    tree = ET.parse(junit)
    failures = {
        c.get("classname") + ":" + c.get("name") for c in tree.iter("testcase") if c.find("failure") is not None
    }
    assert "salle_demo.demo-tablette:battery" in failures
    as_json = plateau("check", "-i", demo, "--format", "json", "--timeout", "2")
    data = json.loads(as_json.out)
    assert data["schema"] == "plateau.check/1" and data["ready"] is False
    assert {v["status"] for v in data["verdicts"]} >= {"ok", "warn", "fail", "unknown"}
    wrong_room = plateau("check", "-i", demo, "--room", "salle_z")
    assert wrong_room.code == 2 and "salle_z" in wrong_room.err


def test_no_secret_in_check_output_or_store(demo: Path, lab: DemoLab, plateau, vault_secrets) -> None:
    result = plateau("check", "-i", demo, "--format", "json", "--timeout", "2")
    db = (demo / ".plateau" / "state.db").read_bytes()
    for secret in vault_secrets(demo):
        assert secret not in result.out + result.err
        assert secret.encode() not in db


def test_internet_down_and_partial(demo: Path, lab: DemoLab) -> None:
    from checks.internet import probe_internet

    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        dead_url = f"http://127.0.0.1:{closed.getsockname()[1]}/"
    ok_url = "http://" + lab.addresses()["site web de l'épreuve (« internet »)"].split("//")[1]
    assert probe_internet([ok_url], 2.0).status is Status.OK
    partial = probe_internet([ok_url, dead_url], 2.0)
    assert partial.status is Status.WARN and partial.params["failed"] == [dead_url]
    down = probe_internet([dead_url], 2.0)
    assert down.status is Status.FAIL and down.key == "check.internet.down"
    assert probe_internet([], 2.0).status is Status.UNKNOWN


def test_workstation_software_is_never_derived_from_a_provisioning_run(demo: Path, lab: DemoLab) -> None:
    """A run is a record of what was applied, not a measurement: a successful run recorded for a
    PC that does not answer never makes its software green."""
    store = open_store(demo)
    loaded = load_all(demo)
    run = store.start_run("provision", {"check": False})
    store.record_host_result(run, "demo-pc-win", "changed", ok=20, changed=5)
    store.finish_run(run, "successful")
    found = [
        v
        for v in run_sweep(loaded, store=store, devices=["demo-pc-win"], timeout_s=1.0).verdicts
        if v.device == "demo-pc-win"
    ]
    assert found and all(v.status is not Status.OK for v in found)


def test_plateau_attest_records_who_and_turns_the_item_ok(demo: Path, plateau) -> None:
    listing = plateau("attest", "-i", demo, "--liste")
    assert (
        listing.code == 0
        and "feutres" in listing.out
        and " markers " not in listing.out
        and "demo-beebot" in listing.out
    )
    nameless = plateau("attest", "-i", demo, "markers")
    assert nameless.code == 2 and "--par" in nameless.err
    unknown = plateau("attest", "-i", demo, "tableau-interactif", "--par", "Léa T.")
    assert unknown.code == 2 and "feutres" in unknown.err  # the error lists what can be attested
    wrong_device = plateau("attest", "-i", demo, "batteries", "--equipement", "demo-thymio", "--par", "Léa T.")
    assert wrong_device.code == 2  # the Thymio is measured, not attested
    done = plateau("attest", "-i", demo, "batteries", "--equipement", "demo-beebot", "--par", "Léa T.")
    assert done.code == 0 and "Léa T." in done.out and "12 h" in done.out
    (record,) = [a for a in open_store(demo).attestations("salle_demo") if a.device == "demo-beebot"]
    assert record.by_name == "Léa T." and record.valid_at()


# --- timeouts that mean what they say (issue 12, B) ---------------------------------------------


def _run_one(device, fn, timeout_s: float):
    import asyncio

    from checks.probes.common import ProbeContext, ProbeSpec
    from checks.sweep import Job, run_probes

    got: list = []
    ctx = ProbeContext(timeout_s=timeout_s, key_dir=Path("/nonexistent"))
    started = time.monotonic()
    asyncio.run(run_probes([Job(device, ProbeSpec("fake", ("state",), fn))], ctx, emit=got.extend))
    return got, time.monotonic() - started


def test_a_trickling_probe_is_cut_at_its_timeout_plus_a_margin_and_says_so() -> None:
    from checks.sweep import probe_bound_s
    from devices.models import Projector
    from provision.messages import render

    def trickle(device, ctx):  # a device that answers one byte a second, forever
        time.sleep(60)

    verdicts, elapsed = _run_one(Projector(name="p", ansible_host="127.0.0.1"), trickle, 1.0)
    assert probe_bound_s(10.0) <= 11.0 and probe_bound_s(1.0) <= 1.2  # never 2.5 x the timeout
    assert elapsed < 1.2 + 0.8, elapsed
    assert [v.status for v in verdicts] == [Status.UNKNOWN]
    message = render(verdicts[0].key, verdicts[0].params, "fr")
    assert "Pas de réponse en 1 s" in message, message  # the timeout asked for, not 2.5 s


def test_probe_timeout_s_of_a_family_is_the_probes_budget() -> None:
    from devices.models import Printer3D

    seen: list[float] = []

    def probe(device, ctx):
        seen.append(ctx.timeout_s)
        time.sleep(5)

    slow = Printer3D(name="i3d", ansible_host="127.0.0.1", driver="moonraker", probe_timeout_s=0.5)
    verdicts, elapsed = _run_one(slow, probe, 10.0)
    assert seen == [0.5] and elapsed < 1.5, elapsed
    assert verdicts[0].params["timeout_s"] == 0.5


def test_probe_timeout_s_is_validated() -> None:
    import pydantic
    import pytest

    from devices.models import Printer3D

    for bad in (0, -1, 1000):
        with pytest.raises(pydantic.ValidationError):
            Printer3D(name="x", ansible_host="127.0.0.1", driver="moonraker", probe_timeout_s=bad)


def test_a_usb_device_is_never_told_to_check_the_network() -> None:
    from devices.errors import Unreachable
    from devices.models import Microcontroller, Printer, Robot
    from provision.messages import render

    def gone(device, ctx):
        raise Unreachable("no such tty")

    def hang(device, ctx):
        time.sleep(5)

    usb = [
        Microcontroller(name="mb", board="microbit", usb_serial="9900ABC"),
        Robot(name="th", kind="thymio", probe="serial", usb_serial="TH1"),
        Printer(name="pr", connection="usb"),
    ]
    for device in usb:
        for fn in (gone, hang):
            verdicts, _ = _run_one(device, fn, 0.3)
            for lang in ("fr", "en"):
                message = render(verdicts[0].key, verdicts[0].params, lang)
                assert "réseau" not in message and "network" not in message, message
                assert "USB" in message and "{" not in message, message
    verdicts, _ = _run_one(Printer(name="net", ansible_host="127.0.0.1"), gone, 0.3)
    assert "réseau" in render(verdicts[0].key, verdicts[0].params, "fr")  # a network printer still is


def test_one_default_timeout_for_check_and_dashboard() -> None:
    import inspect

    from checks.model import DEFAULT_TIMEOUT_S
    from provision.cli import check as check_cli
    from provision.cli import dashboard as dashboard_cli

    for module in (check_cli, dashboard_cli):
        source = inspect.getsource(module)
        assert "DEFAULT_TIMEOUT_S" in source and "= 10.0" not in source, module.__name__
    assert DEFAULT_TIMEOUT_S == 10.0
