"""The real libimobiledevice tools against the simulated usbmuxd + lockdownd.

Debian's ``ideviceinfo`` / ``ideviceinstaller`` (libimobiledevice 1.3, libusbmuxd 2.0) reach
:mod:`devices.lab.usbmuxd` through ``USBMUXD_SOCKET_ADDRESS``: this proves the simulator
faithful (a real client accepts its answers), then runs plateau's own ``read_ipad`` through
the real binaries, so the driver's parsing and error mapping see what a technician's
machine would print.
"""

from __future__ import annotations

import plistlib
import shutil
import subprocess
import sys
import time

import pytest

from devices.errors import DeviceError, Unreachable
from devices.ipad import local_runner, read_ipad
from devices.lab.usbmuxd import SimulatedIpad, UsbmuxdSimulator

pytestmark = pytest.mark.skipif(
    shutil.which("ideviceinfo") is None, reason="ideviceinfo not installed (apt-get install libimobiledevice-utils)"
)
needs_installer = pytest.mark.skipif(
    shutil.which("ideviceinstaller") is None,
    reason="ideviceinstaller not installed (apt-get install ideviceinstaller); read_ipad runs it after ideviceinfo",
)

# ideviceinfo prints arrays as "Key[N]:"; devices/ipad/parse.py does not read that line yet
# (see test_array_lines_of_a_real_ideviceinfo_are_read), so the driver tests use an iPad
# whose answer has no array.
NO_ARRAYS: dict = {}


def _sim(tmp_path, **device) -> UsbmuxdSimulator:
    device.setdefault("extra_values", NO_ARRAYS)
    sim = UsbmuxdSimulator(SimulatedIpad(**device))
    sim.tool_env = sim.env({"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(tmp_path)})
    return sim.start()


@pytest.fixture
def muxd(tmp_path):
    sim = _sim(tmp_path)
    yield sim
    sim.stop()


@pytest.fixture
def make_muxd(tmp_path):
    sims: list[UsbmuxdSimulator] = []

    def make(**device) -> UsbmuxdSimulator:
        sims.append(_sim(tmp_path, **device))
        return sims[-1]

    yield make
    for sim in sims:
        sim.stop()


def _run(sim: UsbmuxdSimulator, *argv: str, timeout_s: float = 10) -> subprocess.CompletedProcess:
    return subprocess.run(list(argv), env=sim.tool_env, capture_output=True, text=True, timeout=timeout_s, check=False)


def _read(sim: UsbmuxdSimulator, timeout_s: float = 10):
    return read_ipad(
        via="libimobiledevice", udid=sim.device.udid, runner=local_runner(sim.tool_env), timeout_s=timeout_s
    )


# ------------------------------------------------------------------ the real client alone


def test_battery_domain_as_the_real_ideviceinfo_prints_it(muxd):
    muxd.device.battery_pct, muxd.device.charging, muxd.device.external_power = 37, True, True
    done = _run(muxd, "ideviceinfo", "-u", muxd.device.udid, "-q", "com.apple.mobile.battery")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "BatteryCurrentCapacity: 37",
        "BatteryIsCharging: true",
        "ExternalChargeCapable: true",
        "ExternalConnected: true",
        "FullyCharged: false",
        "GasGaugeCapability: true",
        "HasBattery: true",
    ]


def test_handshake_uses_the_pair_record_and_closes_the_session(muxd):
    done = _run(muxd, "ideviceinfo", "-u", muxd.device.udid, "-k", "ProductVersion")
    assert (done.returncode, done.stdout) == (0, "17.1.2\n"), done.stderr
    mux_kinds = [r["MessageType"] for r in muxd.requests("usbmuxd")]
    assert mux_kinds[:2] == ["ListDevices", "Connect"]
    assert {"ReadPairRecord", "ReadBUID"} <= set(mux_kinds)
    lockdown = muxd.requests("lockdownd")
    assert [r["Request"] for r in lockdown] == ["QueryType", "GetValue", "StartSession", "GetValue", "StopSession"]
    record = muxd.pair_records[muxd.device.udid]
    assert lockdown[2]["HostID"] == record["HostID"]
    assert lockdown[2]["SystemBUID"] == muxd.system_buid
    connect = muxd.requests("usbmuxd")[1]
    assert connect["PortNumber"] == 0x7EF2  # 62078 in network byte order, read little-endian


def test_all_values_with_nested_dictionary_and_array(make_muxd):
    sim = make_muxd(
        extra_values={"SupportedDeviceFamilies": [1, 2]},
        name="iPad jury 2",
        model="iPad13,18",
        ios_version="17.4",
        serial="F9FXK1ZZQ1GC",
    )
    done = _run(sim, "ideviceinfo", "-u", sim.device.udid)
    assert done.returncode == 0, done.stderr
    lines = [line.rstrip() for line in done.stdout.splitlines()]  # "Key: " for containers
    for line in (
        "DeviceName: iPad jury 2",
        "ProductType: iPad13,18",
        "ProductVersion: 17.4",
        "SerialNumber: F9FXK1ZZQ1GC",
        f"UniqueDeviceID: {sim.device.udid}",
        "DeviceClass: iPad",
        "SupportedDeviceFamilies[2]:",
        " 0: 1",
    ):
        assert line in lines
    nvram = lines.index(next(x for x in lines if x.startswith("NonVolatileRAM:")))
    assert lines[nvram + 1] == " auto-boot: dHJ1ZQ=="  # data is printed base64


def test_xml_output_and_unix_socket_address(tmp_path):
    with UsbmuxdSimulator(SimulatedIpad(), unix=True) as sim:
        assert sim.address.startswith("UNIX:/")
        sim.tool_env = sim.env({"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
        done = _run(sim, "ideviceinfo", "-u", sim.device.udid, "-x", "-q", "com.apple.mobile.battery")
    assert done.returncode == 0, done.stderr
    assert plistlib.loads(done.stdout.encode())["BatteryCurrentCapacity"] == 64


def test_idevice_id_lists_the_simulated_ipad(muxd):
    if shutil.which("idevice_id") is None:
        pytest.skip("idevice_id not installed (libimobiledevice-utils)")
    done = _run(muxd, "idevice_id", "-l")
    assert done.stdout.split() == [muxd.device.udid]


@needs_installer
def test_real_ideviceinstaller_browses_installation_proxy(muxd):
    done = _run(muxd, "ideviceinstaller", "-u", muxd.device.udid, "-l")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "CFBundleIdentifier, CFBundleVersion, CFBundleDisplayName",
        'fr.laposte.idn, "5.2.0", "L\'Identité Numérique"',
        'com.google.chrome.ios, "119.0.6045.169", "Chrome"',
        'org.videolan.vlc-ios, "3.5.1", "VLC"',
    ]
    start = [r for r in muxd.requests("lockdownd") if r["Request"] == "StartService"]
    assert start[0]["Service"] == "com.apple.mobile.installation_proxy"
    browse = muxd.requests("com.apple.mobile.installation_proxy")
    assert browse[0]["Command"] == "Browse"
    assert browse[0]["ClientOptions"]["ApplicationType"] == "User"


def test_untrusted_host_gets_the_real_lockdownd_error(make_muxd):
    sim = make_muxd(state="untrusted")
    done = _run(sim, "ideviceinfo", "-u", sim.device.udid, "-q", "com.apple.mobile.battery")
    assert done.returncode != 0 and done.stdout == ""
    assert "Could not connect to lockdownd: Invalid HostID (-21)" in done.stderr


def test_never_paired_host_asks_the_ipad_and_waits_for_trust(make_muxd):
    sim = make_muxd(state="not_paired")
    done = _run(sim, "ideviceinfo", "-u", sim.device.udid)
    assert "Could not connect to lockdownd: Pairing dialog response pending (-19)" in done.stderr
    pair = [r for r in sim.requests("lockdownd") if r["Request"] == "Pair"]
    # the client built a pair record from the device's public key: our PEM was valid for it
    assert pair and {"HostID", "HostCertificate", "DeviceCertificate"} <= set(pair[0]["PairRecord"])


# ------------------------------------------------------------------ plateau's driver, end to end


@needs_installer
def test_read_ipad_through_the_real_tools(make_muxd):
    sim = make_muxd(
        battery_pct=23,
        charging=True,
        external_power=True,
        model="iPad12,1",
        ios_version="16.7.2",
        name="iPad salle 3",
        serial="GG7ZK2ABMF3M",
    )
    facts = _read(sim)
    assert (facts.battery_level_pct, facts.charging, facts.external_power) == (23, True, True)
    assert (facts.model, facts.ios_version) == ("iPad12,1", "16.7.2")
    assert (facts.name, facts.serial) == ("iPad salle 3", "GG7ZK2ABMF3M")
    assert facts.installed_apps == {"fr.laposte.idn", "com.google.chrome.ios", "org.videolan.vlc-ios"}
    assert facts.source == "libimobiledevice"


@needs_installer
def test_read_ipad_sees_state_changes_between_sweeps(muxd):
    assert _read(muxd).battery_level_pct == 64
    muxd.device.battery_pct, muxd.device.charging = 100, False
    muxd.device.apps = [("org.scratch.ScratchJr", "ScratchJr", "1.3.3")]
    facts = _read(muxd)
    assert (facts.battery_level_pct, facts.charging) == (100, False)
    assert facts.installed_apps == {"org.scratch.ScratchJr"}


@pytest.mark.parametrize(
    ("state", "said"),
    [
        ("untrusted", "Invalid HostID"),
        ("not_paired", "Pairing dialog response pending"),
    ],
)
def test_untrusted_ipad_is_unreachable_with_the_pairing_hint(make_muxd, state, said):
    sim = make_muxd(state=state)
    with pytest.raises(Unreachable) as caught:
        _read(sim)
    assert said in str(caught.value)
    assert "Trust this computer" in str(caught.value)


def test_unplugged_ipad_is_unreachable(make_muxd):
    sim = make_muxd(state="no_device")
    with pytest.raises(Unreachable, match="not found"):
        _read(sim)


def test_dead_ipad_is_unreachable_within_the_timeout(make_muxd):
    sim = make_muxd(state="dead")
    started = time.monotonic()
    with pytest.raises(Unreachable, match="did not finish within 1.5 s"):
        _read(sim, timeout_s=1.5)
    assert time.monotonic() - started < 4


def test_slow_ipad_past_the_timeout_is_unreachable(make_muxd):
    sim = make_muxd(state="slow", slow_s=2.0)
    started = time.monotonic()
    with pytest.raises(Unreachable):
        _read(sim, timeout_s=1.0)
    assert time.monotonic() - started < 3.5


@needs_installer
def test_slow_ipad_within_the_timeout_is_read(make_muxd):
    sim = make_muxd(state="slow", slow_s=0.05)
    assert _read(sim, timeout_s=10).battery_level_pct == 64


def test_garbage_from_lockdownd_never_gives_facts(make_muxd):
    sim = make_muxd(state="garbage")
    with pytest.raises(DeviceError, match="PropertyList error"):
        _read(sim)


@needs_installer
def test_array_lines_of_a_real_ideviceinfo_are_read(make_muxd):
    sim = make_muxd(extra_values={"SupportedDeviceFamilies": [1, 2]})
    assert _read(sim).model == "iPad7,5"


def test_standalone_simulator_serves_the_real_client(tmp_path):
    proc = subprocess.Popen(
        [sys.executable, "-m", "devices.lab.usbmuxd", "--port", "0", "--battery", "81", "--charging"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        line = proc.stdout.readline()
        address = line.split("=", 1)[1].split()[0]
        udid = line.rsplit(" ", 1)[1].strip()
        done = subprocess.run(
            ["ideviceinfo", "-u", udid, "-k", "BatteryCurrentCapacity", "-q", "com.apple.mobile.battery"],
            capture_output=True,
            text=True,
            timeout=10,
            env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "USBMUXD_SOCKET_ADDRESS": address},
        )
        assert (done.returncode, done.stdout) == (0, "81\n"), done.stderr
    finally:
        proc.terminate()
        proc.wait(timeout=5)
