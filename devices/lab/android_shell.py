"""What the simulated Android tablet prints: its state and its shell commands (device side).

Outputs are modelled on real captures (``tests/devices/android/captures``) and on AOSP dump
formats: ``dumpsys battery|account|wifi``, ``cmd wifi status`` (Android 11+, "Unknown command"
before), ``getprop``, ``settings get|put|delete``, ``pm list packages|install|uninstall``, ``rm``,
``echo``. Unknown tools answer like mksh (exit 127, "inaccessible or not found" on stderr).
The wire protocol is in :mod:`devices.lab.android`.
"""

from __future__ import annotations

import io
import re
import shlex
import zipfile
from dataclasses import dataclass, field

WRITABLE_DIRS = ("/data/local/tmp/", "/sdcard/")
KNOWN_DIRS = {"/", "/data", "/data/local", "/data/local/tmp", "/sdcard"}


@dataclass
class TabletState:
    """What the simulated tablet reports; tests mutate it while the server runs."""

    mode: str = "healthy"  # healthy (older name: normal) | dead | slow | garbage
    slow_s: float = 5.0
    auth_required: bool = False
    accept_new_keys: bool = True
    trusted_keys: set[str] = field(default_factory=set)  # base64 body of adbkey.pub
    level: int = 87
    scale: int = 100
    ac_powered: bool = False
    usb_powered: bool = True
    wireless_powered: bool = False
    status: int = 2  # BatteryManager: 2 charging, 3 discharging, 4 not charging, 5 full
    health: int = 2  # 2 good, 3 overheat, 4 dead, 7 cold
    temperature_tenths_c: int = 254
    voltage_mv: int = 4190
    packages: set[str] = field(
        default_factory=lambda: {
            "android",
            "com.android.settings",
            "com.android.chrome",
            "com.google.android.gms",
            "com.google.android.marvin.talkback",
        }
    )
    accounts: list[tuple[str, str]] = field(
        default_factory=lambda: [("jury.salle1@gmail.com", "com.google"), ("Tablette", "com.android.exchange")]
    )
    wifi_enabled: bool = True
    wifi_ssid: str | None = "plateau-examen"
    props: dict[str, str] = field(
        default_factory=lambda: {
            "ro.product.model": "Pixel Tablet",
            "ro.product.manufacturer": "Google",
            "ro.product.name": "tangorpro",
            "ro.product.device": "tangorpro",
            "ro.build.version.release": "14",
            "ro.build.version.sdk": "34",
            "ro.serialno": "LAB0ANDROID01",
        }
    )
    settings: dict[str, dict[str, str]] = field(
        default_factory=lambda: {
            "system": {"screen_off_timeout": "30000"},
            "secure": {"accessibility_display_magnification_enabled": "0"},
            "global": {},
        }
    )
    files: dict[str, bytes] = field(default_factory=dict)
    shell_overrides: dict[str, str] = field(default_factory=dict)
    junk_output: bool = False
    commands: list[str] = field(default_factory=list)  # log of shell commands run (for tests)
    services: list[str] = field(default_factory=list)  # log of OPENed services ("shell,v2,raw:...")


def run_shell(state: TabletState, command: str) -> tuple[bytes, bytes, int]:
    """(stdout, stderr, exit code) of ``command`` on the simulated tablet."""
    state.commands.append(command)
    if state.junk_output:
        return b"\x1b[0m?? segmentation fault \xff\xfe <html>garbage</html>\n", b"", 139
    if command in state.shell_overrides:
        return state.shell_overrides[command].encode(), b"", 0
    try:
        argv = shlex.split(command)
    except ValueError:
        return b"", b"/system/bin/sh: syntax error: unmatched quote\n", 2
    if not argv:
        return b"", b"", 0
    text = _dispatch(state, argv)
    if text is None:
        return b"", f"/system/bin/sh: {argv[0]}: inaccessible or not found\n".encode(), 127
    return text.encode(), b"", 0


def _dispatch(state: TabletState, argv: list[str]) -> str | None:
    name, args = argv[0], argv[1:]
    if name == "echo":
        return " ".join(args) + "\n"
    if name == "getprop":
        if not args:
            return "".join(f"[{k}]: [{v}]\n" for k, v in sorted(state.props.items()))
        return state.props.get(args[0], "") + "\n"
    if name == "settings":
        return _settings(state, args)
    if name == "dumpsys" and args:
        render = {"battery": _battery, "account": _accounts, "wifi": _dumpsys_wifi}.get(args[0])
        return render(state) if render else ""
    if name == "cmd" and args[:2] == ["wifi", "status"]:
        return _cmd_wifi_status(state)
    if name == "pm":
        return _pm(state, args)
    if name == "rm":
        for path in (a for a in args if not a.startswith("-")):
            state.files.pop(path, None)
        return ""
    return None


def _settings(state: TabletState, args: list[str]) -> str:
    if len(args) >= 3 and args[0] in ("get", "put", "delete") and args[1] in state.settings:
        table = state.settings[args[1]]
        if args[0] == "get":
            return table.get(args[2], "null") + "\n"
        if args[0] == "put" and len(args) >= 4:
            table[args[2]] = args[3]
            return ""
        if args[0] == "delete":
            return "Deleted 1 rows\n" if table.pop(args[2], None) is not None else "Deleted 0 rows\n"
    return "Invalid command: " + " ".join(args) + "\n"


def _pm(state: TabletState, args: list[str]) -> str:
    if args[:2] == ["list", "packages"]:
        return "".join(f"package:{p}\n" for p in sorted(state.packages))
    if args[:1] == ["install"] and args[1:]:
        content = state.files.get(args[-1])
        if content is None:
            return f"Failure [INSTALL_FAILED_INVALID_URI: Invalid URI: {args[-1]}]\n"
        package = _lab_apk_package(content)
        if package is None:
            return "Failure [INSTALL_PARSE_FAILED_NOT_APK: Failed parse during installPackageLI]\n"
        state.packages.add(package)
        return "Success\n"
    if args[:1] == ["uninstall"] and args[1:]:
        if args[-1] in state.packages:
            state.packages.discard(args[-1])
            return "Success\n"
        return "Failure [DELETE_FAILED_INTERNAL_ERROR]\n"
    return "Error: unknown command\n"


def _lab_apk_package(content: bytes) -> str | None:
    """Package of a lab APK: a zip whose AndroidManifest.xml names ``package="..."`` in clear text.

    Real manifests are binary AXML; the lab convention keeps the simulator free of an APK parser.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as apk:
            manifest = apk.read("AndroidManifest.xml").decode("utf-8", "replace")
    except (zipfile.BadZipFile, KeyError):
        return None
    match = re.search(r'package="([\w.]+)"', manifest)
    return match.group(1) if match else None


def _sdk(s: TabletState) -> int:
    sdk = s.props.get("ro.build.version.sdk", "34")
    return int(sdk) if sdk.isdigit() else 34


def _battery(s: TabletState) -> str:
    modern = _sdk(s) >= 34  # Android 14 added the Dock / Charging state / Capacity level lines
    lines = [
        "Current Battery Service state:",
        f"  AC powered: {str(s.ac_powered).lower()}",
        f"  USB powered: {str(s.usb_powered).lower()}",
        f"  Wireless powered: {str(s.wireless_powered).lower()}",
    ]
    lines += ["  Dock powered: false"] if modern else []
    lines += [
        "  Max charging current: 1500000",
        "  Max charging voltage: 5000000",
        f"  Charge counter: {s.level * 42000}",
        f"  status: {s.status}",
        f"  health: {s.health}",
        "  present: true",
        f"  level: {s.level}",
        f"  scale: {s.scale}",
        f"  voltage: {s.voltage_mv}",
        f"  temperature: {s.temperature_tenths_c}",
        "  technology: Li-ion",
    ]
    lines += [f"  Charging state: {s.status}", "  Charging policy: 1", "  Capacity level: 3"] if modern else []
    return "\n".join(lines) + "\n"


def _accounts(s: TabletState) -> str:
    lines = ["User UserInfo{0:Propriétaire:c13}:", f"  Accounts: {len(s.accounts)}"]
    lines += [f"    Account {{name={name}, type={kind}}}" for name, kind in s.accounts]
    lines += [
        "",
        "  Active Sessions: 0",
        "",
        "  RegisteredServicesCache: 1 services",
        "    ServiceInfo: AuthenticatorDescription {type=com.google}, ComponentInfo{com.google.android.gms/"
        "com.google.android.gms.auth.authenticator.AuthenticatorService}, uid 10146",
        "",
    ]
    return "\n".join(lines) + "\n"


def _cmd_wifi_status(s: TabletState) -> str:
    if _sdk(s) < 30:  # WifiShellCommand "status" arrived with Android 11
        return "Unknown command: status\n"
    if not s.wifi_enabled:
        return "Wifi is disabled\nWifi scanning is always available\n"
    head = "Wifi is enabled\nWifi scanning is always available\n==== Primary ClientModeManager instance ====\n"
    if s.wifi_ssid is None:
        return head + "Wifi is not connected\n"
    return head + (
        f'Wifi is connected to "{s.wifi_ssid}"\nWifiInfo: SSID: "{s.wifi_ssid}", BSSID: 16:d8:64:f4:d5:19, '
        "MAC: 9a:01:93:78:be:46, IP: /192.168.1.106, Security type: 2, Supplicant state: COMPLETED, "
        "Wi-Fi standard: 11ax, RSSI: -48, Link speed: 516Mbps, Frequency: 2437MHz, Net ID: 0\n"
    )


def _dumpsys_wifi(s: TabletState) -> str:
    if s.wifi_ssid is not None and s.wifi_enabled:
        info = (
            f'mWifiInfo SSID: "{s.wifi_ssid}", BSSID: 16:d8:64:f4:d5:19, MAC: 9a:01:93:78:be:46, '
            "Supplicant state: COMPLETED, RSSI: -48, Link speed: 72Mbps, Frequency: 2437MHz, Net ID: 0"
        )
    else:
        info = (
            "mWifiInfo SSID: <unknown ssid>, BSSID: <none>, MAC: 02:00:00:00:00:00, "
            "Supplicant state: DISCONNECTED, RSSI: -127, Link speed: -1Mbps, Frequency: -1MHz, Net ID: -1"
        )
    return (
        f"Wi-Fi is {'enabled' if s.wifi_enabled else 'disabled'}\nStay-awake conditions: 0\n"
        f"mInIdleMode false\nmScanPending false\n{info}\n"
        'WifiConfigManager - Configured networks Begin ----\n  ID: 1 SSID: "maison-voisin" PROVIDER-NAME: null\n'
        "WifiConfigManager - Configured networks End ----\n"
    )
