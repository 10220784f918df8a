"""Workstations on loopback: a Linux PC or a Mac (Debian's real sshd, a real password login,
controllable software) and a Windows PC's WS-Management service (:class:`WinRMLab`, the SOAP pywinrm speaks).

    with WorkstationLab(password="Jury-2026!") as pc:          # needs root (sshd, mount namespace)
        read_linux(pc.host, pc.port, username=pc.user, password="Jury-2026!", ...)
        pc.set(packages=[("vlc", "ii", "amd64")], internet="down", disk_free_kb=200_000)
        pc.set_password("changed-by-hand")                        # the machine's password changes

What is real: OpenSSH's ``sshd`` (``/usr/sbin/sshd``) listening on ``127.0.0.1`` (one or several
ports: ``ports=20`` for the benchmark, one sshd per 16 ports, its limit), password authentication checked by sshd against a shadow
file (SHA-512 crypt), the account's login shell, the session and the exec channel. It runs in a
private mount namespace (``unshare --mount``) where the lab's own ``/etc/passwd`` and
``/etc/shadow`` (this machine's, plus the lab account) and empty ``/etc/modprobe.d`` and polkit
rule folders are bind-mounted, so the machine itself is never changed.

What is a stand-in: the account's login shell puts ``<lab>/bin`` first on PATH, where small
``sh`` scripts named ``dpkg-query``, ``dpkg``, ``flatpak``, ``df`` and ``curl`` print the state of
``<lab>/state.json`` (rendered to plain files by :meth:`set`, so each call costs a ``cat``):

    packages        [(name, dpkg status abbrev, arch)]  e.g. ("vlc", "ii", "amd64"), ("gimp", "rc", "amd64")
    native_arch     "amd64"
    flatpaks        [(app id, arch, "system" | "user")]
    flatpak         True: Flatpak installed (False: the stand-in answers 127, "not installed")
    disk_free_kb    available KiB on / (disk_total_kb: its size)
    internet        "up" (HTTP 200), "down" (curl exit 7, no answer), "real" (the real curl)
    usb_blocked     True: a modprobe.d file blacklists usb-storage (every modprobe.d folder of this machine is
                    the lab's own in the namespace)
    mount_denied    True: a polkit rule answers NO to udisks2's filesystem-mount
    mode            "healthy", "slow" (every stand-in sleeps ``slow_s``), "garbage" (dpkg-query prints noise)

``WorkstationLab(flavour="windows")``: a Windows PC bootstrapped with OpenSSH Server. The account's
login shell stands for ``cmd.exe``: devices/lab/windows_cmd.py answers plateau's PowerShell check
(``powershell.exe ... -EncodedCommand``) from ``state`` (uninstall, appx, free_bytes, used_bytes, internet).

``WorkstationLab(flavour="macos")``: a Mac as plateau's macOS script meets it. sshd runs chrooted in
a root of its own (a tmpfs in the namespace where every top-level folder of this machine is
bind-mounted, plus ``/Applications`` and ``/opt`` of the lab's), so the script's absolute paths
are real paths: ``/Applications/<App>.app/Contents/Info.plist`` (an XML property list with its
``CFBundleIdentifier``), ``/opt/homebrew/bin/brew`` (Apple-silicon Homebrew, *not* on PATH: macOS's
sshd gives ``/usr/bin:/bin:/usr/sbin:/sbin``, Homebrew's shellenv is only read by interactive
shells). Stand-ins print what macOS prints (formats cited in
tests/devices/workstation/captures/mac_script_lab/README):

    ``defaults read <bundle>/Contents/Info CFBundleIdentifier``   the value and a newline; a missing key:
                    "The domain/default pair of (…, CFBundleIdentifier) does not exist" on stderr, exit 1
    ``brew list --cask -1`` / ``--formula -1``   one token per line (nothing, exit 0, when none)
    ``df -Pk /``    POSIX output of the APFS system volume (``/dev/disk3s1s1``), whose Used is the
                    sealed system alone and Available the container's free space
    ``curl``        as for Linux

State (``set``), besides ``disk_free_kb``/``disk_total_kb``/``internet``/``mode``:

    apps            [(path under /Applications, bundle id or None)]  e.g. ("VLC.app", "org.videolan.vlc")
    casks, formulae [token]   what ``brew list`` prints (see :meth:`install_cask`)
    homebrew        "ok" | "missing" (no /opt/homebrew at all) | "broken" (``brew list`` exits 1)

``WorkstationLab(sandbox=True, root_password=...)`` (Linux): a PC that Ansible may really work on as
root (``plateau demo`` runs the playbooks against it). sshd runs chrooted in a copy-on-write view of
this machine: an overlay whose lower layer is ``/`` and whose upper layer is a tmpfs of the mount
namespace, with /dev, /proc, /sys bound and an empty /run. A root session (SSH login or ``su``
with ``root_password``, checked against the lab's shadow) reads this machine's real programs and
dpkg database, and whatever it writes (an account, a dconf file) lands in the tmpfs and is gone
when the lab stops: the machine itself is never changed. Its apt has no package index
(``/var/lib/apt/lists`` and ``/var/cache/apt`` are empty tmpfs): a PC before its first ``apt
update``, the same on every machine, since the lab never reaches a mirror. The stand-ins above
stay first on the account's PATH for the live probes; programs called by absolute path (Ansible's
``/usr/bin/python3``, apt through python-apt) are the real ones.

Files: devices/lab/workstation_files.py (stand-ins and state rendering), devices/lab/winrm.py
(:class:`WinRMLab`, re-exported here).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar, Self

from devices.lab.base import FAULTS, HEALTHY, HOST, Simulator, free_port, stop_process_group
from devices.lab.winrm import WinRMLab
from devices.lab.workstation_files import MAC_STANDINS, STANDINS, render

__all__ = ["DEFAULT_PACKAGES", "FLAVOURS", "LAB_UID", "LabNeedsRoot", "WinRMLab", "WorkstationLab"]

SSHD = "/usr/sbin/sshd"
SSHD_MAX_PORTS = 16  # OpenSSH's MAX_LISTEN_SOCKS
LAB_UID = 4242
DEFAULT_PACKAGES: tuple[tuple[str, str, str], ...] = (
    ("base-files", "ii", "amd64"), ("bash", "ii", "amd64"), ("coreutils", "ii", "amd64"),
    ("libc6", "ii", "amd64"), ("tzdata", "ii", "all"),
)  # fmt: skip

FLAVOURS = ("linux", "macos", "windows")


class LabNeedsRoot(RuntimeError):
    """The lab starts a real sshd in a mount namespace: root (and unshare) are needed."""


class WorkstationLab(Simulator):
    """A Linux PC (or a Mac, ``flavour="macos"``) reached over real SSH; see the module docstring."""

    modes: ClassVar[tuple[str, ...]] = (HEALTHY, *FAULTS)

    def __init__(self, *, user: str = "jury", password: str = "Jury-Lab-2026", ports: int = 1, host: str = HOST,
                 addresses: Sequence[str] | None = None, root: Path | None = None, mode: str = HEALTHY,
                 slow_s: float = 30.0, flavour: str = "linux", listen_port: int | None = None,
                 root_password: str | None = None, sandbox: bool = False) -> None:  # fmt: skip
        """``addresses``: one workstation per loopback address (``ports`` is then ignored), as an
        inventory needs (one address per host); else ``ports`` ports of ``host``. ``flavour``:
        "linux" (Debian) or "macos" (see the module docstring). ``listen_port``: that port on
        every address (an inventory with a fixed ``ansible_port``) instead of free ones.
        ``root_password``: root's password in the lab's shadow, so a session can ``su``, and (with
        ``sandbox``) root may log in with it over SSH. ``sandbox`` (Linux): the copy-on-write root of
        the module docstring."""
        super().__init__(host=host, mode=mode, slow_s=slow_s)
        if flavour not in FLAVOURS:
            raise ValueError(f"WorkstationLab flavour must be one of {FLAVOURS}")
        if sandbox and flavour != "linux":
            raise ValueError("only a Linux WorkstationLab has a sandbox root")
        self.flavour = flavour
        self.listen_port = listen_port
        self.sandbox = sandbox
        self._root_password = root_password
        self.user = user
        self._password = password
        self.addresses = list(addresses) if addresses else [host] * ports
        self.endpoints: list[tuple[str, int]] = []
        self._root = root
        self.dir: Path | None = None
        self.ports: list[int] = []
        self.state: dict[str, Any] = {
            "packages": [list(p) for p in DEFAULT_PACKAGES], "native_arch": "amd64", "flatpaks": [],
            "flatpak": True, "disk_free_kb": 40 * 1024 * 1024, "disk_total_kb": 120 * 1024 * 1024,
            "internet": "up", "usb_blocked": False, "mount_denied": False,
            "apps": [["Safari.app", "com.apple.Safari"]], "casks": [], "formulae": [], "homebrew": "ok",
        }  # fmt: skip
        if flavour == "windows":  # Windows' OpenSSH server: the state is what the PowerShell check reads
            from devices.lab.windows_cmd import DEFAULT_MACHINE

            self.state = dict(DEFAULT_MACHINE)
        self._sshds: list[subprocess.Popen[bytes]] = []

    # ------------------------------------------------------------------ state
    @property
    def port(self) -> int:
        if not self.ports:
            raise RuntimeError("WorkstationLab not started")
        return self.ports[0]

    @property
    def log_file(self) -> Path:
        assert self.dir is not None
        return self.dir / "sshd.log"

    def set(self, **changes: Any) -> Self:
        """Change the machine's state (see the module docstring); takes effect at the next session."""
        for key, value in changes.items():
            if key not in self.state:
                raise AttributeError(f"WorkstationLab has no setting {key!r}")
            self.state[key] = [list(v) for v in value] if key in ("packages", "flatpaks", "apps") else value
        if self.dir is not None:
            render(self)
        return self

    def set_mode(self, mode: str, *, slow_s: float | None = None) -> Self:
        super().set_mode(mode, slow_s=slow_s)
        if self.dir is not None:
            render(self)
        return self

    def remove_package(self, name: str) -> Self:
        """``apt purge`` by hand: the package disappears from dpkg's database."""
        return self.set(packages=[p for p in self.state["packages"] if p[0] != name])

    def install_package(self, name: str, *, status: str = "ii", arch: str | None = None) -> Self:
        packages = [p for p in self.state["packages"] if p[0] != name]
        packages.append([name, status, arch or self.state["native_arch"]])
        return self.set(packages=packages)

    def install_cask(self, token: str, *, app: str | None = None, bundle_id: str | None = None) -> Self:
        """``brew install --cask <token>`` (macOS): the token in ``brew list --cask`` and, when ``app``
        is given, the bundle it moves into /Applications."""
        casks = [c for c in self.state["casks"] if c != token] + [token]
        apps = [a for a in self.state["apps"] if a[0] != app] + ([[app, bundle_id]] if app else [])
        return self.set(casks=casks, apps=apps)

    def remove_app(self, app: str) -> Self:
        """The app dragged to the Trash by hand (its cask, if any, is still listed by Homebrew)."""
        return self.set(apps=[a for a in self.state["apps"] if a[0] != app])

    def set_password(self, password: str) -> None:
        """The machine's password changes (by hand, or a rotation the vault did not follow)."""
        self._password = password
        if self.dir is not None:
            self._write_shadow()

    def host_vars(self, index: int = 0) -> dict[str, Any]:
        """Inventory variables of a Linux or macOS host reaching this lab (its ``index``-th port)."""
        address, port = self.endpoints[index]
        ssh = {"ansible_connection": "ssh", "ansible_shell_type": "powershell"} if self.flavour == "windows" else {}
        return {"ansible_host": address, "ansible_port": port, "admin_user": self.user, **ssh}

    # ------------------------------------------------------------------ lifecycle
    def _open(self) -> None:
        if os.geteuid() != 0 or not Path(SSHD).exists() or shutil.which("unshare") is None:
            raise LabNeedsRoot("WorkstationLab needs root, openssh-server and unshare (util-linux)")
        base = Path(tempfile.mkdtemp(prefix="plateau-wslab-", dir=self._root))
        if self.flavour == "macos" and base.resolve().parts[1:2] in (("opt",), ("Applications",)):
            base.rmdir()  # the Mac's root replaces /opt and /Applications: the lab would not see itself
            raise ValueError("a macOS WorkstationLab cannot live under /opt or /Applications")
        base.chmod(0o755)  # the lab account (uid 4242) reads its stand-ins and state
        self.dir = base
        subs = ("bin", "state", "home", "etc", "modprobe.d", "polkit")
        extra = ("Applications", "opt", "root") if self.flavour == "macos" else ("root", "cow") if self.sandbox else ()
        for sub in subs + extra:
            (base / sub).mkdir(mode=0o755)
            (base / sub).chmod(0o755)
        os.chown(base / "home", LAB_UID, LAB_UID)  # the account's own home, writable (Ansible's tmp goes there)
        for name, body in (MAC_STANDINS if self.flavour == "macos" else STANDINS).items():
            path = base / "bin" / name
            path.write_text(f'#!/bin/sh\nS={base / "state"}\n. "$S/mode.sh"\n{body}')
            path.chmod(0o755)
        shell = base / "shell"
        # macOS's sshd gives /usr/bin:/bin:/usr/sbin:/sbin (no Homebrew); Debian's adds /usr/local/bin
        system_path = "/usr/bin:/bin:/usr/sbin:/sbin" if self.flavour == "macos" else "/usr/local/bin:/usr/bin:/bin"
        shell.write_text(f'#!/bin/sh\nPATH={base / "bin"}:{system_path}\nexport PATH\nexec /bin/sh "$@"\n')
        if self.flavour == "windows":  # the login shell stands for cmd.exe (devices/lab/windows_cmd.py)
            shutil.copyfile(Path(__file__).with_name("windows_cmd.py"), base / "bin" / "windows_cmd.py")
            python = "/usr/bin/python3" if Path("/usr/bin/python3").exists() else sys.executable
            shell.write_text(
                f'#!/bin/sh\nexec {python} {base / "bin" / "windows_cmd.py"} {base / "state" / "windows.json"} "$@"\n'
            )
        shell.chmod(0o755)
        render(self)
        self._write_accounts(shell)
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(base / "host_key")], check=True,
                       capture_output=True)  # fmt: skip
        self.endpoints = [(address, self.listen_port or free_port(address)) for address in self.addresses]
        self.ports = [port for _, port in self.endpoints]
        # one sshd listens on at most 16 sockets (MAX_LISTEN_SOCKS): one sshd per 16 endpoints
        root_login = "yes" if self._root_password is not None and self.sandbox else "no"
        groups = [self.endpoints[i : i + SSHD_MAX_PORTS] for i in range(0, len(self.endpoints), SSHD_MAX_PORTS)]
        for index, group in enumerate(groups):
            listen = "".join(f"ListenAddress {address}:{port}\n" for address, port in group)
            (base / f"sshd_config.{index}").write_text(
                f"{listen}HostKey {base / 'host_key'}\nPidFile {base / f'sshd.{index}.pid'}\n"
                f"AllowUsers {self.user}{' root' if root_login == 'yes' else ''}\nPasswordAuthentication yes\n"
                f"KbdInteractiveAuthentication no\nPubkeyAuthentication no\nPermitRootLogin {root_login}\nUsePAM no\nStrictModes no\nUseDNS no\nPrintMotd no\n"
                "PrintLastLog no\nMaxStartups 200\nMaxSessions 50\nLoginGraceTime 30\nLogLevel INFO\n"
            )
        binds = [(base / "etc" / "passwd", "/etc/passwd"), (base / "etc" / "shadow", "/etc/shadow")]
        binds += [(base / "modprobe.d", d) for d in ("/etc/modprobe.d", "/usr/lib/modprobe.d", "/lib/modprobe.d",
                                                      "/run/modprobe.d")
                  if Path(d).is_dir() and not Path(d).is_symlink()]  # fmt: skip
        if not any(dst != "/etc/passwd" and dst != "/etc/shadow" and "modprobe" in dst for _, dst in binds):
            raise LabNeedsRoot("no modprobe.d folder on this machine to stand the lab's USB policy in")
        binds += [(base / "polkit", d) for d in ("/etc/polkit-1/rules.d", "/usr/share/polkit-1/rules.d")
                  if Path(d).is_dir()]  # fmt: skip
        if self.flavour == "macos":
            mounts, chroot = self._mac_root(base), f"chroot {base / 'root'} "
        elif self.sandbox:
            mounts, chroot = _sandbox_root(base, binds), f"chroot {base / 'root'} "
        else:
            mounts, chroot = " && ".join(f"mount --bind {src} {dst}" for src, dst in binds), ""
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # sshd's privilege separation directory
        with open(self.log_file, "ab") as log:
            for index in range(len(groups)):
                self._sshds.append(subprocess.Popen(
                    ["unshare", "--mount", "--propagation", "private", "/bin/sh", "-c",
                     f"{mounts} && exec {chroot}{SSHD} -D -e -f {base / f'sshd_config.{index}'}"],
                    stdout=subprocess.DEVNULL, stderr=log, start_new_session=True))  # fmt: skip
        deadline = time.monotonic() + 60  # sshd starts slowly on a loaded machine
        for address, port in self.endpoints:
            while True:
                try:
                    socket.create_connection((address, port), timeout=1).close()
                    break
                except OSError:
                    if time.monotonic() > deadline or any(p.poll() is not None for p in self._sshds):
                        raise RuntimeError(f"sshd did not start: {self.log_file.read_text()[-2000:]}") from None
                    time.sleep(0.05)

    @staticmethod
    def _mac_root(base: Path) -> str:
        """The shell commands (run in sshd's private mount namespace) building a root where
        /Applications and /opt are the lab's and every other top-level folder is this machine's
        (bind-mounted: nothing is created outside the lab's folder)."""
        root = base / "root"
        return (
            f"set -e; mount -t tmpfs -o mode=755 plateau-mac {root}; "
            'for e in /*; do n="${e#/}"; case "$n" in Applications|opt) continue;; esac; '
            f'if [ -L "$e" ]; then ln -s "$(readlink "$e")" "{root}/$n"; '
            f'elif [ -d "$e" ]; then mkdir "{root}/$n"; mount --rbind "$e" "{root}/$n"; fi; done; '
            f"mkdir {root}/Applications {root}/opt; mount --bind {base / 'Applications'} {root}/Applications; "
            f"mount --bind {base / 'opt'} {root}/opt; mount --bind {base / 'etc' / 'passwd'} {root}/etc/passwd; "
            f"mount --bind {base / 'etc' / 'shadow'} {root}/etc/shadow"
        )

    def _close(self) -> None:
        if self.dir is not None:
            (self.dir / "state" / "alive").unlink(missing_ok=True)  # waiting stand-ins give up
        sshds, self._sshds = self._sshds, []
        for sshd in sshds:
            stop_process_group(sshd)  # sshd and the sessions it forked

    def cleanup(self) -> None:
        """Remove the lab's folder (after ``stop()``; tests keep it to grep the logs)."""
        if self.dir is not None:
            shutil.rmtree(self.dir, ignore_errors=True)

    # ------------------------------------------------------------------ files
    def _write_accounts(self, shell: Path) -> None:
        assert self.dir is not None
        home = self.dir / "home"
        passwd = [line for line in Path("/etc/passwd").read_text().splitlines() if not line.startswith(f"{self.user}:")]
        passwd.append(f"{self.user}:x:{LAB_UID}:{LAB_UID}:plateau lab:{home}:{shell}")
        (self.dir / "etc" / "passwd").write_text("\n".join(passwd) + "\n")
        (self.dir / "etc" / "passwd").chmod(0o644)
        self._write_shadow()

    def _write_shadow(self) -> None:
        """sshd (UsePAM no) checks the password against this file's SHA-512 crypt hash."""
        assert self.dir is not None
        hashed = _crypt(self._password)
        try:
            shadow = Path("/etc/shadow").read_text().splitlines()
        except OSError:
            shadow = []
        days = int(time.time() // 86400)
        accounts = {self.user: hashed}
        if self._root_password is not None:  # root's line of the lab's shadow only: `su` inside the lab
            accounts["root"] = _crypt(self._root_password)
        lines = [line for line in shadow if line.split(":", 1)[0] not in accounts]
        lines += [f"{name}:{value}:{days}:0:99999:7:::" for name, value in accounts.items()]
        target = self.dir / "etc" / "shadow"
        with open(target, "w") as handle:  # same inode: the bind mount in sshd's namespace sees it
            handle.write("\n".join(lines) + "\n")
        target.chmod(0o600)


def _crypt(password: str) -> str:
    """SHA-512 crypt, as /etc/shadow holds it (the password on openssl's stdin, never in argv)."""
    return subprocess.run(
        ["openssl", "passwd", "-6", "-stdin"], input=password, capture_output=True, text=True, check=True
    ).stdout.strip()


def _sandbox_root(base: Path, binds: Sequence[tuple[Path, str]]) -> str:
    """The shell commands (run in sshd's private mount namespace) building the sandbox root: an
    overlay whose lower layer is this machine's ``/`` (read-only through it) and whose upper layer
    is a tmpfs of the namespace, so every write of a session, root's included, lands in memory
    and vanishes with the lab. /dev, /proc and /sys are this machine's (recursive binds: devices
    and kernel views, not state); /run is an empty tmpfs (no host daemon's socket is reachable:
    no D-Bus, no journal); so is /root (a root login runs none of this machine's root dotfiles: a
    ``.bashrc`` that sets up pyenv hung Ansible's sessions); the lab's folder and its private
    files are bound over their places."""
    root, cow = base / "root", base / "cow"
    commands = [
        "set -e",
        f"mount -t tmpfs -o mode=755 plateau-cow {cow}",
        f"mkdir {cow}/upper {cow}/work",
        f"mount -t overlay plateau-pc -o lowerdir=/,upperdir={cow}/upper,workdir={cow}/work {root}",
        *(f"mount --rbind /{d} {root}/{d}" for d in ("dev", "proc", "sys")),
        f"mount -t tmpfs -o mode=755 plateau-run {root}/run",
        # a PC that never fetched a package index (the lab never reaches a mirror): empty, writable
        *(f"mount -t tmpfs -o mode=755 plateau-apt {root}{d}" for d in ("/var/lib/apt/lists", "/var/cache/apt")),
        # root's own home, empty: this machine's /root (its dotfiles, keys) is neither run nor seen
        f"mount -t tmpfs -o mode=700 plateau-home {root}/root",
        f"mkdir -p {root}/var/lib/apt/lists/partial {root}/run/sshd {root}{base}",
        f"mount --bind {base} {root}{base}",
    ]
    for src, dst in binds:
        if src.is_dir():
            commands.append(f"mkdir -p {root}{dst}")
        commands.append(f"mount --bind {src} {root}{dst}")
    return "; ".join(commands)


def serve(ports: Sequence[int] | None = None) -> None:  # pragma: no cover - manual use
    """``python -m devices.lab.workstation``: a lab PC until Ctrl-C."""
    from devices.lab.base import wait_for_interrupt

    lab = WorkstationLab().start()
    print(f"ssh -p {lab.port} {lab.user}@{lab.host}   (password: see the WorkstationLab default)")
    wait_for_interrupt(lab)


if __name__ == "__main__":  # pragma: no cover
    serve()
