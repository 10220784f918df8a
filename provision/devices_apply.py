"""Provisioning of devices that Ansible does not manage: Wi-Fi access points (SSID, security,
key from the vault, over SSH), Android tablets (screen timeout, accessibility, APKs from
the inventory's ``apk/`` cache folder, over ADB) and iPads (.ipa from the ``ipa/`` folder
through Apple Configurator's cfgutil on a Mac, or libimobiledevice). Each device is independent: one that
fails or does not answer never stops the others.
"""

from __future__ import annotations

import concurrent.futures
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.table import Table

from devices.access_point import driver as ap_driver
from devices.android.adb_cli import AdbCliSession
from devices.android.driver import apply_on, read_packages
from devices.android.transport import AdbSession
from devices.errors import AuthenticationFailed, BadAnswer, DeviceError, Unreachable
from devices.ipad.install import BadIpa, IpaFile, install_apps, ssh_uploader
from devices.ipad.runner import local_runner, ssh_runner
from devices.models import AccessPoint, AndroidTablet, Device, Ipad
from provision.context import Loaded
from provision.families import REGISTRY, resolve
from provision.messages import render
from provision.paths import adb_key_dir
from provision.plan import HostPlan

APK_CACHE = "apk"  # <inventory>/apk/<package name>.apk
IPA_CACHE = "ipa"  # <inventory>/ipa/<App Store id>.ipa


@dataclass
class DeviceOutcome:
    device: str
    family: str
    status: str  # "changed" | "ok" | "failed" | "unreachable"
    changes: list[str] = field(default_factory=list)
    key: str = ""
    params: dict[str, Any] = field(default_factory=dict)


def select_devices(loaded: Loaded, limit: str | None) -> list[Device]:
    names = {n.strip() for n in limit.split(",")} if limit else None
    chosen = []
    for device in loaded.inventory.devices:
        if REGISTRY[device.family].provisioning != "device":
            continue
        if names is None or device.name in names or (device.room in names):
            chosen.append(device)
    return chosen


def _secret(device: Device, name: str) -> str | None:
    value = getattr(device, name, None)
    return None if value is None else value.get_secret_value()


def apply_access_point(device: AccessPoint, loaded: Loaded, timeout_s: float) -> DeviceOutcome:
    result = ap_driver.apply_access_point(
        device.platform, device.address or "", password=_secret(device, "ssh_password") or "",
        ssid=device.wifi_ssid, key=_secret(device, "wifi_key"), security=device.wifi_security,
        port=device.ssh_port, username=device.ssh_user, timeout_s=timeout_s,
    )  # fmt: skip
    changed = list(result.changed)
    return DeviceOutcome(
        device.name,
        device.family,
        "changed" if changed else "ok",
        changed,
        "devices.ap_applied",
        {"ssid": device.wifi_ssid},
    )


def apply_android(device: AndroidTablet, loaded: Loaded, timeout_s: float) -> DeviceOutcome:
    plan = next(h for h in loaded.plan.hosts if h.device is device)
    settings = {s["id"] for s in plan.settings}
    key_dir = adb_key_dir(loaded.inventory.root)
    key_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    with _tablet_session(device, key_dir, timeout_s) as session:
        return _apply_android_on(session, device, loaded, plan, settings)


def _tablet_session(device: AndroidTablet, key_dir: Path, timeout_s: float) -> Any:
    """ADB over Wi-Fi with adb-shell, or on USB through this machine's adb server."""
    if device.address:
        return AdbSession(device.address, device.adb_port, key_dir=key_dir, timeout_s=timeout_s,
                          auth_timeout_s=timeout_s)  # fmt: skip
    return AdbCliSession(device.adb_serial or "", timeout_s=timeout_s)


def _apply_android_on(
    session: Any, device: AndroidTablet, loaded: Loaded, plan: HostPlan, settings: set[str]
) -> DeviceOutcome:
    """Missing APKs from the cache folder, then screen timeout and accessibility, on an open session."""
    installed = read_packages(session)
    cache = loaded.inventory.root / APK_CACHE
    apks: list[Path] = []
    from_store: list[str] = []
    for planned in plan.software.values():
        package = (planned.title.ids_for("android") or {}).get("package")
        if not package or package in installed:
            continue
        apk = cache / f"{package}.apk"
        if apk.is_file():
            apks.append(apk)
        else:
            from_store.append(planned.title.name)
    changes, installs = apply_on(
        session, screen_off_timeout_s=device.screen_timeout_s,
        magnification="accessibility.magnifier" in settings,
        high_contrast_text="accessibility.high_contrast" in settings,
        talkback="accessibility.screen_reader" in settings, apks=tuple(apks),
    )  # fmt: skip
    done = [f"{c.namespace}/{c.key}" for c in changes] + [f"apk {i.apk_name}" for i in installs if i.success]
    failed_installs = [i.apk_name for i in installs if not i.success]
    if failed_installs:
        return DeviceOutcome(
            device.name, device.family, "failed", done, "devices.apk_failed", {"apks": failed_installs}
        )
    if from_store:
        return DeviceOutcome(
            device.name,
            device.family,
            "changed" if done else "ok",
            done,
            "devices.install_from_store",
            {"titles": sorted(from_store)},
        )
    return DeviceOutcome(device.name, device.family, "changed" if done else "ok", done, "devices.tablet_applied", {})


def apply_ipad(device: Ipad, loaded: Loaded, timeout_s: float) -> DeviceOutcome:
    """Install the planned apps that have an .ipa in ``<inventory>/ipa/``; the others (App Store
    apps) are reported as to assign in the centre's Apple Business/School Manager."""
    plan = next(h for h in loaded.plan.hosts if h.device is device)
    cache = loaded.inventory.root / IPA_CACHE
    ipas, from_store = [], []
    for planned in plan.software.values():
        app_id = (planned.title.ids_for("ios") or {}).get("app_store_id")
        if not app_id:
            continue
        path = cache / f"{app_id}.ipa"
        if path.is_file():
            try:
                ipas.append(IpaFile.read(path, planned.title.name))
            except BadIpa:  # a truncated download, or another file under that name: say which
                shown = f"{IPA_CACHE}/{path.name}"
                return DeviceOutcome(device.name, device.family, "failed", [], "ipad.bad_ipa", {"file": shown})
        else:
            from_store.append(planned.title.name)
    store_note = ("ipad.assign_via_manager", {"titles": sorted(from_store)}) if from_store else None
    if not ipas:
        key, params = store_note or ("ipad.apps_ok", {})
        return DeviceOutcome(device.name, device.family, "ok", [], key, params)
    access = device.access
    if access == "cfgutil":
        # same account as the readiness probe (checks/probes.py); keys from ~/.ssh, host key must be known
        user = getattr(device, "cfgutil_user", None) or "admin"
        runner = ssh_runner(device.cfgutil_host or "", username=user)
        upload = ssh_uploader(device.cfgutil_host or "", username=user)
    else:
        runner, upload = local_runner(), None
    report = install_apps(ipas, via=access, ecid=device.ecid, udid=device.udid, runner=runner,
                          upload=upload, timeout_s=timeout_s)  # fmt: skip
    done = [f"app {b}" for b in report.installed]
    if report.failed:
        return DeviceOutcome(
            device.name,
            device.family,
            "failed",
            done,
            "ipad.install_failed",
            {"apps": [f"{f.title} ({f.reason})" for f in report.failed]},
        )
    if store_note:
        return DeviceOutcome(device.name, device.family, "changed" if done else "ok", done, *store_note)
    if done:
        return DeviceOutcome(
            device.name, device.family, "changed", done, "ipad.apps_installed", {"apps": list(report.installed)}
        )
    return DeviceOutcome(device.name, device.family, "ok", [], "ipad.apps_ok", {})


def apply_devices(loaded: Loaded, devices: list[Device], *, timeout_s: float = 15.0) -> list[DeviceOutcome]:
    def one(device: Device) -> DeviceOutcome:
        try:
            ref = REGISTRY[device.family].apply
            if ref is None:
                raise ValueError(f"{device.family} has no provisioning step")
            outcome: DeviceOutcome = resolve(ref)(device, loaded, timeout_s)
            return outcome
        except Unreachable as exc:
            return DeviceOutcome(
                device.name, device.family, "unreachable", key="devices.unreachable", params={"reason": str(exc)[:200]}
            )
        except (DeviceError, ValueError) as exc:  # ValueError: the AP refuses an SSID/key before connecting
            return DeviceOutcome(
                device.name, device.family, "failed", key="devices.failed", params={"reason": _reason(exc)}
            )

    if not devices:
        return []
    with concurrent.futures.ThreadPoolExecutor(max_workers=min(16, len(devices))) as pool:
        return list(pool.map(one, devices))


def _reason(exc: Exception) -> str:
    """What went wrong, in the technician's words (never an exception's class name)."""
    kind = ("authentication_failed" if isinstance(exc, AuthenticationFailed) else "bad_answer"
            if isinstance(exc, BadAnswer) else "refused_setting" if isinstance(exc, ValueError) else "other")  # fmt: skip
    return render(f"devices.reason.{kind}")


def print_outcomes(console: Any, outcomes: list[DeviceOutcome]) -> None:
    if not outcomes:
        return
    labels = {"changed": "[green]modifié[/]", "ok": "[green]déjà à jour[/]", "failed": "[bold red]échec[/]",
              "unreachable": "[magenta]injoignable[/]"}  # fmt: skip
    table = Table(title="Appareils (point d'accès, tablettes)", title_justify="left", expand=True)
    table.add_column("Appareil", no_wrap=True)
    table.add_column("Résultat", no_wrap=True)
    table.add_column("Détail", ratio=1)
    for outcome in outcomes:
        detail = render(outcome.key, outcome.params) if outcome.key else ""
        if outcome.changes:
            detail = f"{detail} ({', '.join(outcome.changes)})"
        table.add_row(outcome.device, labels[outcome.status], detail)
    console.print(table)
