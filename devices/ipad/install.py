"""Install apps on an iPad from .ipa files, then verify them by bundle id.

Two paths, as for reading (``via``):

``"cfgutil"`` (Apple Configurator's automation tool on a Mac, usually over SSH)::

    cfgutil --ecid ECID --format JSON get installedApps       before and after
    cfgutil --ecid ECID --format JSON install-app <file.ipa>   the .ipa copied to the Mac first (SFTP)

``"libimobiledevice"`` (USB on the machine running the runner)::

    ideviceinstaller -u UDID -l              before and after
    ideviceinstaller -u UDID -i <file.ipa>

App Store apps cannot be pushed without a file: a centre assigns them (Apps and Books
licences) to its iPads in Apple Business Manager / Apple School Manager, and the iPad, or an
MDM, installs them. :func:`install_apps` therefore only installs the .ipa it is given; the
caller reports the other titles as "to assign in the Business/School Manager".

An app counts as installed only when the iPad lists its bundle id afterwards (read from the
.ipa's ``Payload/<App>.app/Info.plist`` ``CFBundleIdentifier``): a tool that says "done" but
installed nothing is a failure, never a success.
"""

from __future__ import annotations

import json
import plistlib
import posixpath
import re
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from devices.errors import AuthenticationFailed, BadAnswer, Unreachable
from devices.ipad.driver import _checked
from devices.ipad.parse import bundle_ids_from_cfgutil, parse_cfgutil_json, parse_installer_list
from devices.ipad.runner import CommandResult, Runner

INSTALL_TIMEOUT_S = 600.0  # a large .ipa over USB 2 takes minutes
REMOTE_DIR = "/tmp/plateau-ipa"
_INFO_PLIST = re.compile(r"^Payload/[^/]+\.app/Info\.plist$")

#: copies a local .ipa to where the tool runs; returns the path the tool must be given
Uploader = Callable[[Path], str]


class BadIpa(ValueError):
    """The file is not an .ipa (a zip with ``Payload/<App>.app/Info.plist``)."""


@dataclass(frozen=True, slots=True)
class IpaFile:
    path: Path
    bundle_id: str
    title: str

    @classmethod
    def read(cls, path: Path, title: str | None = None) -> IpaFile:
        return cls(Path(path), ipa_bundle_id(path), title or Path(path).stem)


@dataclass(frozen=True, slots=True)
class AppFailure:
    bundle_id: str
    title: str
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class IpadInstallReport:
    installed: tuple[str, ...] = ()  # bundle ids installed by this call and seen afterwards
    already: tuple[str, ...] = ()  # present before: nothing done
    failed: tuple[AppFailure, ...] = ()
    apps_after: frozenset[str] = field(default_factory=frozenset)

    @property
    def changed(self) -> bool:
        return bool(self.installed)


def ipa_bundle_id(path: Path) -> str:
    """``CFBundleIdentifier`` of an .ipa (XML or binary Info.plist); BadIpa otherwise."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = [n for n in archive.namelist() if _INFO_PLIST.match(n)]
            if len(names) != 1:
                raise BadIpa(f"{Path(path).name}: {len(names)} Payload/*.app/Info.plist")
            info = plistlib.loads(archive.read(names[0]))
    except (OSError, zipfile.BadZipFile, plistlib.InvalidFileException, ValueError) as exc:
        if isinstance(exc, BadIpa):
            raise
        raise BadIpa(f"{Path(path).name}: {type(exc).__name__}") from exc
    bundle = info.get("CFBundleIdentifier") if isinstance(info, dict) else None
    if not isinstance(bundle, str) or not bundle.strip():
        raise BadIpa(f"{Path(path).name}: no CFBundleIdentifier")
    return bundle.strip()


# ---------------------------------------------------------------- the two tools
def _cfgutil_apps(ecid: str, runner: Runner, timeout_s: float, cfgutil: str) -> frozenset[str]:
    argv = [cfgutil, "--ecid", ecid, "--format", "JSON", "get", "installedApps"]
    result = runner(argv, timeout_s)
    text = result.stdout if result.stdout.lstrip().startswith("{") else _checked(result, argv)
    try:
        props = parse_cfgutil_json(text, ecid)
    except LookupError as exc:
        raise Unreachable(f"cfgutil: {exc}") from exc
    return bundle_ids_from_cfgutil(props.get("installedApps"))


def _cfgutil_install(ecid: str, target: str, runner: Runner, timeout_s: float, cfgutil: str) -> str | None:
    """None when cfgutil accepted the install, else its reason."""
    result = runner([cfgutil, "--ecid", ecid, "--format", "JSON", "install-app", target], timeout_s)
    text = result.stdout.strip()
    if text.startswith("{"):
        try:
            data = json.loads(text)
        except ValueError:
            data = {}
        if isinstance(data, dict) and data.get("Type") == "Error":
            return str(data.get("Message") or "cfgutil error")[:200]
    if result.returncode != 0:
        lines = (result.stderr.strip() or result.stdout.strip()).splitlines()
        return (lines[0] if lines else f"exit status {result.returncode}")[:200]
    return None


def _idevice_apps(udid: str, runner: Runner, timeout_s: float, tool: str) -> frozenset[str]:
    argv = [tool, "-u", udid, "-l"]
    return parse_installer_list(_checked(runner(argv, timeout_s), argv))


def _idevice_install(udid: str, target: str, runner: Runner, timeout_s: float, tool: str) -> str | None:
    result = runner([tool, "-u", udid, "-i", target], timeout_s)
    # ideviceinstaller prints "ERROR: ..." and, in old versions, still exits 0
    error = next(
        (
            line
            for line in (result.stdout + "\n" + result.stderr).splitlines()
            if line.strip().upper().startswith("ERROR")
        ),
        None,
    )
    if result.returncode != 0 or error:
        lines = (result.stderr.strip() or result.stdout.strip()).splitlines()
        return (error or (lines[0] if lines else f"exit status {result.returncode}")).strip()[:200]
    return None


def install_apps(
    ipas: Sequence[IpaFile],
    *,
    via: Literal["cfgutil", "libimobiledevice"] = "cfgutil",
    ecid: str | None = None,
    udid: str | None = None,
    runner: Runner,
    upload: Uploader | None = None,
    timeout_s: float = 15.0,
    install_timeout_s: float = INSTALL_TIMEOUT_S,
    executable: str | None = None,
) -> IpadInstallReport:
    """Install the ``ipas`` the iPad lacks; verify each by bundle id.

    Raises Unreachable / AuthenticationFailed / BadAnswer only when the iPad's app list
    cannot be read (before: nothing was done); one app refused is an :class:`AppFailure`.
    """
    if via == "cfgutil":
        if not ecid:
            raise ValueError("via='cfgutil' needs ecid=")
        tool = executable or "cfgutil"
        ident = ecid

        def apps() -> frozenset[str]:
            return _cfgutil_apps(ident, runner, timeout_s, tool)

        def install(target: str) -> str | None:
            return _cfgutil_install(ident, target, runner, install_timeout_s, tool)
    elif via == "libimobiledevice":
        if not udid:
            raise ValueError("via='libimobiledevice' needs udid=")
        tool = executable or "ideviceinstaller"
        ident = udid

        def apps() -> frozenset[str]:
            return _idevice_apps(ident, runner, timeout_s, tool)

        def install(target: str) -> str | None:
            return _idevice_install(ident, target, runner, install_timeout_s, tool)
    else:
        raise ValueError(f"unknown via {via!r}; supported: cfgutil, libimobiledevice")

    before = apps()
    already = tuple(sorted({i.bundle_id for i in ipas if i.bundle_id in before}))
    todo = [i for i in ipas if i.bundle_id not in before]
    if not todo:
        return IpadInstallReport(already=already, apps_after=before)
    failures: list[AppFailure] = []
    tried: list[IpaFile] = []
    for ipa in todo:
        try:
            target = upload(ipa.path) if upload is not None else str(ipa.path)
        except (Unreachable, AuthenticationFailed) as exc:
            failures.append(AppFailure(ipa.bundle_id, ipa.title, f"upload: {exc}"[:200]))
            continue
        try:
            reason = install(target)
        except Unreachable as exc:  # timeout of one install: the next may still work
            reason = str(exc)[:200]
        if reason:
            failures.append(AppFailure(ipa.bundle_id, ipa.title, reason))
        else:
            tried.append(ipa)
    try:
        after = apps()
    except BadAnswer:
        after = frozenset()
    installed = []
    for ipa in tried:
        if ipa.bundle_id in after:
            installed.append(ipa.bundle_id)
        else:
            failures.append(AppFailure(ipa.bundle_id, ipa.title, "not listed by the iPad after install"))
    return IpadInstallReport(
        installed=tuple(sorted(installed)), already=already, failed=tuple(failures), apps_after=after
    )


# ---------------------------------------------------------------- copying the .ipa to the Mac
def ssh_uploader(
    host: str,
    *,
    username: str,
    port: int = 22,
    password: str | None = None,
    key_filename: str | None = None,
    known_hosts: str | None = None,
    connect_timeout_s: float = 10.0,
    remote_dir: str = REMOTE_DIR,
) -> Uploader:
    """SFTP a local .ipa to ``remote_dir`` on the Mac (same host-key rules as ``ssh_runner``).

    A file already there with the same size is not sent again (re-runs cost nothing).
    """
    import paramiko

    def upload(path: Path) -> str:
        remote = posixpath.join(remote_dir, Path(path).name)
        client = paramiko.SSHClient()
        try:
            if known_hosts:
                client.load_host_keys(known_hosts)
            else:
                client.load_system_host_keys()
            client.set_missing_host_key_policy(paramiko.RejectPolicy())
            client.connect(
                host,
                port=port,
                username=username,
                password=password,
                key_filename=key_filename,
                timeout=connect_timeout_s,
                banner_timeout=connect_timeout_s,
                auth_timeout=connect_timeout_s,
                allow_agent=False,
                look_for_keys=key_filename is None and password is None,
            )
            with client.open_sftp() as sftp:
                try:
                    sftp.stat(remote_dir)
                except FileNotFoundError:
                    sftp.mkdir(remote_dir, mode=0o700)
                try:
                    same = sftp.stat(remote).st_size == Path(path).stat().st_size
                except FileNotFoundError:
                    same = False
                if not same:
                    sftp.put(str(path), remote + ".part")
                    sftp.posix_rename(remote + ".part", remote)
        except paramiko.AuthenticationException as exc:
            raise AuthenticationFailed(f"SSH {username}@{host}:{port} refused the credentials") from exc
        except paramiko.SSHException as exc:
            raise Unreachable(f"SSH {host}:{port}: {type(exc).__name__}: {exc}") from exc
        except TimeoutError as exc:
            raise Unreachable(f"SSH {host}:{port}: no answer within the timeout") from exc
        except OSError as exc:
            raise Unreachable(f"SSH {host}:{port}: {exc.strerror or exc}") from exc
        finally:
            client.close()
        return remote

    return upload


__all__ = [
    "AppFailure",
    "BadIpa",
    "CommandResult",
    "IpaFile",
    "IpadInstallReport",
    "Uploader",
    "install_apps",
    "ipa_bundle_id",
    "ssh_uploader",
]
