"""Android tablet driver: reads facts and applies provisioning actions over ADB (TCP).

Reads (one ``shell:`` stream each, on one ADB connection):
    getprop ro.product.model | ro.product.manufacturer | ro.serialno | ro.build.version.release
    dumpsys battery · pm list packages · dumpsys account
    cmd wifi status (Android 11+), falling back to dumpsys wifi
    settings get system screen_off_timeout
    settings get secure accessibility_display_magnification_enabled | high_text_contrast_enabled |
                        enabled_accessibility_services
Actions: push an APK with ``sync:`` then ``pm install -r``; ``settings put`` for the screen timeout and
accessibility (magnification, high-contrast text, TalkBack). Actions return what they changed.

Connection failures raise :mod:`devices.errors`; in :func:`collect_facts` a single command that
answers garbage leaves its fact ``None`` with the reason in ``AndroidFacts.errors``.
"""

from __future__ import annotations

import posixpath
import shlex
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

from devices.android import parse
from devices.android.facts import (
    TALKBACK_SERVICE,
    AccessibilityFacts,
    AndroidFacts,
    BatteryFacts,
    InstallResult,
    SettingChange,
    WifiFacts,
)
from devices.android.transport import AdbSession, ShellSession
from devices.errors import BadAnswer, DeviceError

T = TypeVar("T")
REMOTE_TMP = "/data/local/tmp"
_TALKBACK_PACKAGE = TALKBACK_SERVICE.split("/")[0]


def _now() -> datetime:
    return datetime.now(UTC)


def get_prop(session: ShellSession, name: str) -> str | None:
    """``getprop <name>``."""
    return parse.parse_getprop(session.shell(f"getprop {shlex.quote(name)}"))


def get_setting(session: ShellSession, namespace: str, key: str) -> str | None:
    """``settings get <namespace> <key>`` (``None`` = unset)."""
    return parse.parse_setting(session.shell(f"settings get {namespace} {shlex.quote(key)}"))


def read_battery(session: ShellSession) -> BatteryFacts:
    """``dumpsys battery``."""
    return parse.parse_battery(session.shell("dumpsys battery"), measured_at=_now())


def read_packages(session: ShellSession) -> frozenset[str]:
    """``pm list packages``."""
    return parse.parse_packages(session.shell("pm list packages"))


def read_google_accounts(session: ShellSession) -> tuple[str, ...]:
    """``dumpsys account`` -> names of the com.google accounts."""
    return parse.google_accounts(parse.parse_accounts(session.shell("dumpsys account")))


def read_wifi(session: ShellSession) -> WifiFacts:
    """``cmd wifi status`` (small, Android 11+); ``dumpsys wifi`` when that command is unknown."""
    try:
        return parse.parse_wifi(session.shell("cmd wifi status"), measured_at=_now())
    except BadAnswer:
        return parse.parse_wifi(session.shell("dumpsys wifi"), measured_at=_now())


def read_screen_off_timeout_s(session: ShellSession) -> float | None:
    """``settings get system screen_off_timeout`` (ms) -> seconds."""
    return parse.parse_screen_off_timeout_s(get_setting(session, "system", "screen_off_timeout"))


def read_accessibility(session: ShellSession) -> AccessibilityFacts:
    """``settings get secure`` magnification, high-contrast text and enabled services."""
    return parse.accessibility_facts(
        get_setting(session, "secure", "accessibility_display_magnification_enabled"),
        get_setting(session, "secure", "high_text_contrast_enabled"),
        get_setting(session, "secure", "enabled_accessibility_services"),
        measured_at=_now(),
    )


def collect_facts(session: ShellSession) -> AndroidFacts:
    """Every fact; a command answering garbage gives ``None`` for its fact and an entry in ``errors``.

    Transport failures (Unreachable, AuthenticationFailed) propagate: the tablet as a whole is unknown.
    """
    errors: list[str] = []

    def attempt(what: str, read: Callable[[ShellSession], T]) -> T | None:
        try:
            return read(session)
        except BadAnswer as exc:
            errors.append(f"{what}: {exc}")
            return None

    return AndroidFacts(
        model=attempt("model", lambda s: get_prop(s, "ro.product.model")),
        manufacturer=attempt("manufacturer", lambda s: get_prop(s, "ro.product.manufacturer")),
        serial=attempt("serial", lambda s: get_prop(s, "ro.serialno")),
        android_version=attempt("android_version", lambda s: get_prop(s, "ro.build.version.release")),
        battery=attempt("battery", read_battery),
        packages=attempt("packages", read_packages),
        google_accounts=attempt("google_accounts", read_google_accounts),
        wifi=attempt("wifi", read_wifi),
        screen_off_timeout_s=attempt("screen_off_timeout", read_screen_off_timeout_s),
        accessibility=attempt("accessibility", read_accessibility),
        measured_at=_now(),
        errors=tuple(errors),
    )


# ---------------------------------------------------------------- actions


def put_setting(session: ShellSession, namespace: str, key: str, value: str) -> SettingChange | None:
    """``settings put <namespace> <key> <value>`` if different; read back to prove it took effect."""
    before = get_setting(session, namespace, key)
    if before == value:
        return None
    output = session.shell(f"settings put {namespace} {shlex.quote(key)} {shlex.quote(value)}").strip()
    after = get_setting(session, namespace, key)
    if after != value:
        raise BadAnswer(f"settings put {namespace} {key} did not take effect ({output[:80]!r})")
    return SettingChange(namespace=namespace, key=key, before=before, after=value)


def set_screen_off_timeout(session: ShellSession, timeout_s: float) -> tuple[SettingChange, ...]:
    """``settings put system screen_off_timeout <ms>``."""
    if timeout_s <= 0:
        raise ValueError("timeout_s must be positive")
    change = put_setting(session, "system", "screen_off_timeout", str(int(round(timeout_s * 1000))))
    return (change,) if change else ()


def enable_accessibility(
    session: ShellSession, *, magnification: bool = True, high_contrast_text: bool = True, talkback: bool = False
) -> tuple[SettingChange, ...]:
    """Turn on the requested features (never turns one off); returns the settings changed.

    TalkBack: ``enabled_accessibility_services`` gains ``TALKBACK_SERVICE`` (other services are
    kept) and ``accessibility_enabled`` becomes 1. It needs the TalkBack package to be installed.
    """
    wanted: list[tuple[str, str]] = []
    if magnification:
        wanted.append(("accessibility_display_magnification_enabled", "1"))
    if high_contrast_text:
        wanted.append(("high_text_contrast_enabled", "1"))
    if talkback:
        if _TALKBACK_PACKAGE not in read_packages(session):
            raise BadAnswer(f"TalkBack ({_TALKBACK_PACKAGE}) is not installed on this tablet")
        raw = get_setting(session, "secure", "enabled_accessibility_services")
        if TALKBACK_SERVICE not in parse.parse_services(raw):
            kept = [part.strip() for part in (raw or "").split(":") if part.strip()]
            wanted.append(("enabled_accessibility_services", ":".join([*kept, TALKBACK_SERVICE])))
        wanted.append(("accessibility_enabled", "1"))
    changes = (put_setting(session, "secure", key, value) for key, value in wanted)
    return tuple(change for change in changes if change is not None)


def install_apk(session: ShellSession, apk_path: Path, *, package: str | None = None) -> InstallResult:
    """Push ``apk_path`` to /data/local/tmp (``sync:`` SEND), ``pm install -r`` it, then remove it.

    With ``package`` named, ``pm list packages`` before and after tells a new install from an update
    and proves the package is there.
    """
    apk_path = Path(apk_path)
    if not apk_path.is_file():
        raise DeviceError(f"APK not found: {apk_path}")
    before = read_packages(session) if package else None
    remote = posixpath.join(
        REMOTE_TMP, "plateau-" + "".join(c if c.isalnum() or c in "._-" else "_" for c in apk_path.name)
    )
    session.push(apk_path, remote)
    try:
        success, reason = parse.parse_pm_install(session.shell(f"pm install -r {shlex.quote(remote)}"))
    finally:
        session.shell(f"rm -f {shlex.quote(remote)}")
    newly: bool | None = None
    if package and before is not None:
        after = read_packages(session)
        if success and package not in after:
            raise BadAnswer(f"pm install said Success but {package} is not listed")
        newly = package in after and package not in before
    return InstallResult(
        apk_name=apk_path.name,
        success=success,
        failure_reason=reason,
        package=package,
        newly_installed=newly,
        measured_at=_now(),
    )


# ---------------------------------------------------------------- one-call helpers (host, port)


def read_android(
    host: str, port: int = 5555, *, key_dir: Path, timeout_s: float = 10.0, auth_timeout_s: float = 10.0
) -> AndroidFacts:
    """Connect to ``host:port`` (``adb tcpip`` / wireless debugging) and collect every fact."""
    with AdbSession(host, port, key_dir=key_dir, timeout_s=timeout_s, auth_timeout_s=auth_timeout_s) as session:
        return collect_facts(session)


def apply_android(
    host: str,
    port: int = 5555,
    *,
    key_dir: Path,
    timeout_s: float = 30.0,
    auth_timeout_s: float = 30.0,
    screen_off_timeout_s: float | None = None,
    magnification: bool = False,
    high_contrast_text: bool = False,
    talkback: bool = False,
    apks: tuple[Path, ...] = (),
) -> tuple[tuple[SettingChange, ...], tuple[InstallResult, ...]]:
    """Provision one tablet over TCP: install ``apks``, then settings. Returns (settings changed, installs)."""
    with AdbSession(host, port, key_dir=key_dir, timeout_s=timeout_s, auth_timeout_s=auth_timeout_s) as session:
        return apply_on(
            session,
            screen_off_timeout_s=screen_off_timeout_s,
            magnification=magnification,
            high_contrast_text=high_contrast_text,
            talkback=talkback,
            apks=apks,
        )


def apply_on(
    session: ShellSession,
    *,
    screen_off_timeout_s: float | None = None,
    magnification: bool = False,
    high_contrast_text: bool = False,
    talkback: bool = False,
    apks: tuple[Path, ...] = (),
) -> tuple[tuple[SettingChange, ...], tuple[InstallResult, ...]]:
    """The same on any open session (TCP with adb-shell, or USB through the adb client)."""
    installs = tuple(install_apk(session, apk) for apk in apks)
    changes: tuple[SettingChange, ...] = ()
    if screen_off_timeout_s is not None:
        changes += set_screen_off_timeout(session, screen_off_timeout_s)
    if magnification or high_contrast_text or talkback:
        changes += enable_accessibility(
            session, magnification=magnification, high_contrast_text=high_contrast_text, talkback=talkback
        )
    return changes, installs
