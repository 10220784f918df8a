"""Fake ``ideviceinfo`` / ``ideviceinstaller`` / ``cfgutil`` executables replaying real outputs.

    fake = FakeIpadTools(tmp_path / "bin").install()
    read_ipad(udid=fake.udid, runner=local_runner({"PATH": str(fake.bin_dir)}))
    fake.set(state="not_paired")     # "healthy" | "not_paired" | "no_device" | "garbage" | "slow"
    fake.set(battery_pct=12, charging=False, apps_format="csv")
    fake.set_mode("not_paired")      # the lab's set_mode() vocabulary (STATES)
    fake.add_device("00008020-0000000000000002", battery_pct=15, apps=[...])  # several iPads, one toolset

Each executable is a small Python script that reads ``state.json`` next to it, so a test
changes the device's state between calls without reinstalling. Default outputs are the
real captures (shared/captures/ios): an iPad 2 on iOS 9.3.5 (``ideviceinfo``), a charging
device at 70 % (``-q com.apple.mobile.battery``), and the legacy two-app listing of
``ideviceinstaller -l``. ``not_paired`` answers like libimobiledevice does for an iPad that
never trusted this computer: ``ERROR: Could not connect to lockdownd: Invalid HostID
(-21)`` on stderr, exit status 255.

Several iPads behind one toolset: ``add_device(udid, **settings)`` attaches another device;
``ideviceinfo -u UDID`` / ``ideviceinstaller -u UDID`` answer with that device's own settings
(``battery_pct``, ``charging``, ``external``, ``apps``, ``state``...), falling back to the
toolset's for what it does not set. ``udids`` lists every attached device.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

# shared/captures/ios/ideviceinfo_ipad2_1_ios9.3.5_unactivated_partial.txt (byte-exact)
IDEVICEINFO_IPAD2 = """ActivationState: Unactivated
BasebandStatus: NoTelephonyCapabilty
BluetoothAddress: 28:6a:ba:28:c5:4f
BoardId: 4
BrickState: true
BuildVersion: 13G36
CPUArchitecture: armv7f
ChipID: 35136
DeviceClass: iPad
DeviceColor: black
DeviceName: iPad
DieID: 2603159164487478216
EthernetAddress: 28:6a:ba:28:c5:50
FirmwareVersion: iBoot-2817.60.2
HardwareModel: K93AP
HardwarePlatform: s5l8940x
HostAttached: true
MLBSerialNumber: DLX12776FD5DH36DG
ModelNumber: MC769
NonVolatileRAM:
 auto-boot: dHJ1ZQ==
 backlight-level: MTU5Mw==
 boot-args:
 enable-rolld-dev1: L2Rldi9kaXNrMHMxczI=
 platform-uuid: AAAAAAAAEACAAChquijFTg==
PartitionType:
PasswordProtected: false
ProductName: iPhone OS
ProductType: iPad2,1
ProductVersion: 9.3.5
ProductionSOC: true
ProtocolVersion: 2
ProximitySensorCalibration: AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
RegionInfo: NF/A
"""

# shared/captures/ios/ideviceinfo_q_com.apple.mobile.battery_iphone_charging_70pct.txt
BATTERY_TEMPLATE = """BatteryCurrentCapacity: {battery_pct}
BatteryIsCharging: {charging}
ExternalChargeCapable: true
ExternalConnected: {external}
FullyCharged: {full}
GasGaugeCapability: true
HasBattery: true
"""

# shared/captures/ios/ideviceinstaller_l_legacy_format_2_apps.txt
LEGACY_APPS = (("uk.co.bbc.titan.IPAddress", "IPAddress", "1"), ("uk.co.bbc.iplayer", "BBC iPlayer", "4.10.0.196"))

# the lab's mode names (devices.lab.base); "ok" is still accepted for "healthy"
STATES = ("healthy", "not_paired", "no_device", "garbage", "slow")

_SCRIPT = r"""#!{python}
import json, os, sys, time
sys.path.insert(0, {lab_dir!r})
from ipad import _fake_main
sys.exit(_fake_main({tool!r}, os.path.dirname(os.path.abspath(__file__)), sys.argv[1:]))
"""


@dataclass
class FakeIpadTools:
    bin_dir: Path
    udid: str = "00008020-000A1B2C3D4E5F60"
    ecid: str = "0x1A2B3C4D5E6F"
    state: str = "healthy"
    slow_s: float = 5.0
    battery_pct: int = 70
    charging: bool = True
    external: bool = True
    apps_format: str = "legacy"  # "legacy" | "csv"
    apps: list[tuple[str, str, str]] = field(default_factory=lambda: list(LEGACY_APPS))
    info_text: str = IDEVICEINFO_IPAD2
    extra_info: dict[str, str] = field(default_factory=dict)  # appended "Key: value" lines
    cfgutil_name: str = "iPad salle 1"
    cfgutil_model: str = "iPad7,5"
    cfgutil_firmware: str = "17.1.2"
    cfgutil_serial: str = "DMPXK0AAJF8J"
    others: dict[str, dict[str, Any]] = field(default_factory=dict)  # udid -> its own settings

    modes = STATES

    @property
    def mode(self) -> str:
        return self.state

    def set_mode(self, mode: str, *, slow_s: float | None = None) -> FakeIpadTools:
        """The lab's vocabulary (devices.lab.base): ``ok`` is still read as ``healthy``."""
        mode = {"ok": "healthy", "normal": "healthy"}.get(mode, mode)
        if mode not in self.modes:
            raise ValueError(f"unknown state {mode!r}: FakeIpadTools modes are {', '.join(self.modes)}")
        self.set(state=mode, **({} if slow_s is None else {"slow_s": slow_s}))
        return self

    @property
    def udids(self) -> list[str]:
        return [self.udid, *self.others]

    def add_device(self, udid: str, **settings: Any) -> FakeIpadTools:
        """Attach another iPad (its own battery, apps, state...) to the same fake tools."""
        for key in settings:
            if key in ("bin_dir", "udid", "others") or not hasattr(self, key):
                raise AttributeError(f"FakeIpadTools has no per-device setting {key!r}")
        if "state" in settings and settings["state"] not in self.modes:
            raise ValueError(f"unknown state {settings['state']!r}")
        if "apps" in settings:
            settings["apps"] = [list(app) for app in settings["apps"]]
        self.others[udid] = {**self.others.get(udid, {}), **settings}
        self._save()
        return self

    def install(self) -> FakeIpadTools:
        self.bin_dir = Path(self.bin_dir)
        self.bin_dir.mkdir(parents=True, exist_ok=True)
        lab_dir = str(Path(__file__).resolve().parent)
        for tool in ("ideviceinfo", "ideviceinstaller", "cfgutil"):
            path = self.bin_dir / tool
            path.write_text(_SCRIPT.format(python=sys.executable, lab_dir=lab_dir, tool=tool))
            path.chmod(0o755)
        self._save()
        return self

    def set(self, **changes: object) -> None:
        for key, value in changes.items():
            if not hasattr(self, key):
                raise AttributeError(f"FakeIpadTools has no setting {key!r}")
            setattr(self, key, value)
        self._save()

    def _save(self) -> None:
        data = asdict(self)
        data["bin_dir"] = str(self.bin_dir)
        (Path(self.bin_dir) / "state.json").write_text(json.dumps(data))


def _installer_output(state: dict[str, Any]) -> str:
    apps = state["apps"]
    if state["apps_format"] == "csv":
        lines = ["CFBundleIdentifier, CFBundleShortVersionString, CFBundleDisplayName"]
        lines += [f'{bundle}, "{version}", "{name}"' for bundle, name, version in apps]
    else:
        lines = [f"Total: {len(apps)} apps"] + [f"{b} - {n} {v}" for b, n, v in apps]
    return "\n".join(lines) + "\n"


def _cfgutil_output(state: dict[str, Any], argv: list[str]) -> tuple[int, str]:
    ecid = argv[argv.index("--ecid") + 1] if "--ecid" in argv else state["ecid"]
    if ecid.lower() != state["ecid"].lower():
        return 1, json.dumps({"Type": "Error", "Message": f"No device with ECID {ecid}", "Code": 1})
    props = {
        "batteryCurrentCapacity": state["battery_pct"],
        "batteryIsCharging": state["charging"],
        "deviceType": state["cfgutil_model"],
        "firmwareVersion": state["cfgutil_firmware"],
        "name": state["cfgutil_name"],
        "serialNumber": state["cfgutil_serial"],
        "installedApps": [{"bundleIdentifier": b, "displayName": n, "bundleVersion": v} for b, n, v in state["apps"]],
    }
    wanted = argv[argv.index("get") + 1 :] if "get" in argv else list(props)
    output = {state["ecid"]: {k: props[k] for k in wanted if k in props}}
    return 0, json.dumps({"Command": "get", "Output": output, "Type": "CommandOutput", "Devices": [state["ecid"]]})


def _fake_main(tool: str, here: str, argv: list[str]) -> int:
    """Entry point of the fake executables (runs in their own process)."""
    import time

    with open(os.path.join(here, "state.json")) as handle:
        state = json.load(handle)
    udid = argv[argv.index("-u") + 1] if "-u" in argv else state["udid"]
    if tool != "cfgutil" and udid in state.get("others", {}):
        state = {**state, **state["others"][udid], "udid": udid}  # another iPad behind the same tools
    if state["state"] == "slow":
        time.sleep(state["slow_s"])
    if state["state"] == "garbage":
        sys.stdout.write("\x00\x1b[31m#@!garbage%%\n~~ not a listing ~~\n")
        return 0
    if tool == "cfgutil":
        if state["state"] in ("not_paired", "no_device"):
            sys.stdout.write(json.dumps({"Type": "Error", "Message": "No devices attached", "Code": -1}))
            return 1
        code, text = _cfgutil_output(state, argv)
        sys.stdout.write(text)
        return code
    if state["state"] == "no_device" or udid != state["udid"]:
        sys.stderr.write(f"No device found with udid {udid}.\n")
        return 255
    if state["state"] == "not_paired":
        sys.stderr.write("ERROR: Could not connect to lockdownd: Invalid HostID (-21)\n")
        return 255
    if tool == "ideviceinstaller":
        sys.stdout.write(_installer_output(state))
        return 0
    if "-q" in argv and argv[argv.index("-q") + 1] == "com.apple.mobile.battery":
        sys.stdout.write(
            BATTERY_TEMPLATE.format(
                battery_pct=state["battery_pct"],
                charging=str(state["charging"]).lower(),
                external=str(state["external"]).lower(),
                full=str(state["battery_pct"] >= 100).lower(),
            )
        )
        return 0
    text = state["info_text"] + "".join(f"{k}: {v}\n" for k, v in state["extra_info"].items())
    sys.stdout.write(text)
    return 0
