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
"""

from __future__ import annotations

import base64
import hmac
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar, Self

from devices.lab.base import FAULTS, HEALTHY, HOST, Simulator, free_port
from devices.lab.web import LabHttpServer, Reply, Request

SSHD = "/usr/sbin/sshd"
SSHD_MAX_PORTS = 16  # OpenSSH's MAX_LISTEN_SOCKS
LAB_UID = 4242
DEFAULT_PACKAGES: tuple[tuple[str, str, str], ...] = (
    ("base-files", "ii", "amd64"), ("bash", "ii", "amd64"), ("coreutils", "ii", "amd64"),
    ("libc6", "ii", "amd64"), ("tzdata", "ii", "all"),
)  # fmt: skip

_STANDINS = {
    "dpkg-query": 'cat "$S/dpkg.out"; exit "$(cat "$S/dpkg.rc")"\n',
    "dpkg": 'case "$1" in --print-architecture) cat "$S/arch";; *) exit 2;; esac\n',
    "flatpak": '[ "$(cat "$S/flatpak.rc")" = 0 ] || exit "$(cat "$S/flatpak.rc")"\ncat "$S/flatpak.out"\n',
    "df": 'cat "$S/df.out"\n',
    "curl": ('case "$(cat "$S/internet")" in\n'
             '  real) exec /usr/bin/curl "$@";;\n'
             '  up) printf 200; exit 0;;\n'
             '  *) printf 000; exit 7;;\n'
             'esac\n'),
}  # fmt: skip

#: macOS stand-ins (``brew`` is written to /opt/homebrew/bin, off PATH, as on a Mac)
_MAC_STANDINS = {
    "defaults": ('[ "$1" = read ] && [ $# -eq 3 ] || { echo "defaults: the lab only reads one key" >&2; exit 1; }\n'
                 'f="$2"; case "$f" in *.plist) ;; *) f="$f.plist";; esac\n'
                 'if [ ! -f "$f" ]; then printf \'\\nDomain %s does not exist\\n\' "$2" >&2; exit 1; fi\n'
                 'v=$(sed -n "/<key>$3<\\/key>/{n;s/.*<string>\\(.*\\)<\\/string>.*/\\1/p;}" "$f")\n'
                 'if [ -z "$v" ]; then\n'
                 '  printf \'\\nThe domain/default pair of (%s, %s) does not exist\\n\' "$2" "$3" >&2; exit 1\n'
                 'fi\n'
                 'printf \'%s\\n\' "$v"\n'),
    "df": 'cat "$S/df.out"\n',
    "curl": _STANDINS["curl"],
}  # fmt: skip
_BREW = ('[ "$(cat "$S/homebrew")" = broken ] && { echo "Error: No such file or directory @ dir_chdir0 - '
         '/opt/homebrew/Caskroom" >&2; exit 1; }\n'
         'case "$1 $2" in\n'
         '  "list --cask") cat "$S/casks";;\n'
         '  "list --formula") cat "$S/formulae";;\n'
         '  *) echo "Error: the lab\'s brew only lists" >&2; exit 1;;\n'
         'esac\n')  # fmt: skip
#: Info.plist of an app bundle, as Xcode writes it (XML property list)
_INFO_PLIST = ('<?xml version="1.0" encoding="UTF-8"?>\n'
               '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">\n'
               '<plist version="1.0">\n<dict>\n\t<key>CFBundleExecutable</key>\n\t<string>{name}</string>\n'
               '{identifier}\t<key>CFBundlePackageType</key>\n\t<string>APPL</string>\n</dict>\n</plist>\n')  # fmt: skip
FLAVOURS = ("linux", "macos")


class LabNeedsRoot(RuntimeError):
    """The lab starts a real sshd in a mount namespace: root (and unshare) are needed."""


class WorkstationLab(Simulator):
    """A Linux PC (or a Mac, ``flavour="macos"``) reached over real SSH; see the module docstring."""

    modes: ClassVar[tuple[str, ...]] = (HEALTHY, *FAULTS)

    def __init__(self, *, user: str = "jury", password: str = "Jury-Lab-2026", ports: int = 1, host: str = HOST,
                 addresses: Sequence[str] | None = None, root: Path | None = None, mode: str = HEALTHY,
                 slow_s: float = 30.0, flavour: str = "linux") -> None:  # fmt: skip
        """``addresses``: one workstation per loopback address (``ports`` is then ignored), as an
        inventory needs (one address per host); else ``ports`` ports of ``host``. ``flavour``:
        "linux" (Debian) or "macos" (see the module docstring)."""
        super().__init__(host=host, mode=mode, slow_s=slow_s)
        if flavour not in FLAVOURS:
            raise ValueError(f"WorkstationLab flavour must be one of {FLAVOURS}")
        self.flavour = flavour
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
            self._render()
        return self

    def set_mode(self, mode: str, *, slow_s: float | None = None) -> Self:
        super().set_mode(mode, slow_s=slow_s)
        if self.dir is not None:
            self._render()
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
        return {"ansible_host": address, "ansible_port": port, "admin_user": self.user}

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
        for sub in subs + (("Applications", "opt", "root") if self.flavour == "macos" else ()):
            (base / sub).mkdir(mode=0o755)
            (base / sub).chmod(0o755)
        os.chown(base / "home", LAB_UID, LAB_UID)  # the account's own home, writable (Ansible's tmp goes there)
        for name, body in (_MAC_STANDINS if self.flavour == "macos" else _STANDINS).items():
            path = base / "bin" / name
            path.write_text(f'#!/bin/sh\nS={base / "state"}\n. "$S/mode.sh"\n{body}')
            path.chmod(0o755)
        shell = base / "shell"
        # macOS's sshd gives /usr/bin:/bin:/usr/sbin:/sbin (no Homebrew); Debian's adds /usr/local/bin
        system_path = "/usr/bin:/bin:/usr/sbin:/sbin" if self.flavour == "macos" else "/usr/local/bin:/usr/bin:/bin"
        shell.write_text(f'#!/bin/sh\nPATH={base / "bin"}:{system_path}\nexport PATH\nexec /bin/sh "$@"\n')
        shell.chmod(0o755)
        self._render()
        self._write_accounts(shell)
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(base / "host_key")], check=True,
                       capture_output=True)  # fmt: skip
        self.endpoints = [(address, free_port(address)) for address in self.addresses]
        self.ports = [port for _, port in self.endpoints]
        # one sshd listens on at most 16 sockets (MAX_LISTEN_SOCKS): one sshd per 16 endpoints
        groups = [self.endpoints[i : i + SSHD_MAX_PORTS] for i in range(0, len(self.endpoints), SSHD_MAX_PORTS)]
        for index, group in enumerate(groups):
            listen = "".join(f"ListenAddress {address}:{port}\n" for address, port in group)
            (base / f"sshd_config.{index}").write_text(
                f"{listen}HostKey {base / 'host_key'}\nPidFile {base / f'sshd.{index}.pid'}\n"
                f"AllowUsers {self.user}\nPasswordAuthentication yes\nKbdInteractiveAuthentication no\n"
                "PubkeyAuthentication no\nPermitRootLogin no\nUsePAM no\nStrictModes no\nUseDNS no\nPrintMotd no\n"
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
            try:
                os.killpg(sshd.pid, signal.SIGTERM)  # sshd and the sessions it forked
            except ProcessLookupError:
                pass
            try:
                sshd.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(sshd.pid, signal.SIGKILL)
                sshd.wait(timeout=10)

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
        hashed = subprocess.run(
            ["openssl", "passwd", "-6", "-stdin"], input=self._password, capture_output=True, text=True, check=True
        ).stdout.strip()  # the password on stdin, never in argv
        try:
            shadow = Path("/etc/shadow").read_text().splitlines()
        except OSError:
            shadow = []
        lines = [line for line in shadow if not line.startswith(f"{self.user}:")]
        days = int(time.time() // 86400)
        lines.append(f"{self.user}:{hashed}:{days}:0:99999:7:::")
        target = self.dir / "etc" / "shadow"
        with open(target, "w") as handle:  # same inode: the bind mount in sshd's namespace sees it
            handle.write("\n".join(lines) + "\n")
        target.chmod(0o600)

    def _render(self) -> None:
        """state.json, and the plain files the stand-ins cat."""
        assert self.dir is not None
        state, out = self.state, self.dir / "state"
        (out / "state.json").write_text(json.dumps({**state, "mode": self.mode, "slow_s": self.slow_s}))
        # slow/dead: the stand-ins wait, but never outlive the lab (``alive`` goes away in stop())
        ticks = {"slow": int(self.slow_s * 10), "dead": 36000}.get(self.mode, 0)
        wait = f'n=0; while [ $n -lt {ticks} ] && [ -e "$S/alive" ]; do sleep 0.1; n=$((n+1)); done\n' if ticks else ""
        (out / "mode.sh").write_text(wait)
        (out / "alive").touch()
        if self.mode == "garbage":
            (out / "dpkg.out").write_text("\x1b[31m#@!garbage%% ~~ not a listing ~~\n")
        else:
            (out / "dpkg.out").write_text("".join(f"{n}\t{s}\t{a}\n" for n, s, a in state["packages"]))
        if self.flavour == "macos":
            self._render_mac()
            return
        (out / "dpkg.rc").write_text("0")
        (out / "arch").write_text(f"{state['native_arch']}\n")
        (out / "flatpak.out").write_text("".join(f"{a}\t{arch}\t{i}\n" for a, arch, i in state["flatpaks"]))
        (out / "flatpak.rc").write_text("0" if state["flatpak"] else "127")
        used = max(0, state["disk_total_kb"] - state["disk_free_kb"])
        pct = round(100 * used / max(state["disk_total_kb"], 1))
        (out / "df.out").write_text("Filesystem     1024-blocks      Used Available Capacity Mounted on\n"
                                    f"/dev/sda1      {state['disk_total_kb']} {used} {state['disk_free_kb']} "
                                    f"{pct}% /\n")  # fmt: skip
        (out / "internet").write_text(state["internet"])
        blacklist = self.dir / "modprobe.d" / "plateau-lab-usb.conf"
        if state["usb_blocked"]:
            blacklist.write_text("# blocked by the centre's IT\nblacklist usb-storage\n")
        else:
            blacklist.unlink(missing_ok=True)
        rule = self.dir / "polkit" / "50-plateau-lab-udisks.rules"
        if state["mount_denied"]:
            rule.write_text('polkit.addRule(function(action, subject) {\n'
                            '  if (action.id == "org.freedesktop.udisks2.filesystem-mount") return polkit.Result.NO;\n'
                            '});\n')  # fmt: skip
        else:
            rule.unlink(missing_ok=True)
        for path in out.iterdir():
            path.chmod(0o644)

    def _render_mac(self) -> None:
        """/Applications (one Info.plist per bundle), /opt/homebrew/bin/brew and what it lists, df."""
        assert self.dir is not None
        state, out = self.state, self.dir / "state"
        (out / "internet").write_text(state["internet"])
        (out / "homebrew").write_text(state["homebrew"])
        # brew list prints the names of the Caskroom's / Cellar's folders, sorted
        (out / "casks").write_text("".join(f"{c}\n" for c in sorted(state["casks"])))
        (out / "formulae").write_text("".join(f"{f}\n" for f in sorted(state["formulae"])))
        # APFS: / is the sealed system volume (about 10 GiB used); Available is the container's free space
        used, free = 10_385_012, state["disk_free_kb"]
        pct = -(-100 * used // max(used + free, 1))  # rounded up, as df does
        (out / "df.out").write_text("Filesystem     1024-blocks     Used Available Capacity  Mounted on\n"
                                    f"/dev/disk3s1s1   {state['disk_total_kb']} {used} {free}    {pct}%    /\n")  # fmt: skip
        for path in out.iterdir():
            path.chmod(0o644)
        apps = self.dir / "Applications"  # the folder is bind-mounted: empty it, never replace it
        for child in apps.iterdir():
            shutil.rmtree(child)
        for relative, bundle_id in state["apps"]:
            contents = apps / relative / "Contents"
            contents.mkdir(parents=True)
            name = Path(relative).stem
            identifier = f"\t<key>CFBundleIdentifier</key>\n\t<string>{bundle_id}</string>\n" if bundle_id else ""
            (contents / "Info.plist").write_text(_INFO_PLIST.format(name=name, identifier=identifier))
        brew = self.dir / "opt" / "homebrew"
        shutil.rmtree(brew, ignore_errors=True)
        if state["homebrew"] != "missing":
            (brew / "bin").mkdir(parents=True)
            (brew / "bin" / "brew").write_text(f'#!/bin/sh\nS={out}\n. "$S/mode.sh"\n{_BREW}')
        for top in (self.dir / "opt", apps):
            for folder, _, files in os.walk(top):
                Path(folder).chmod(0o755)
                for name in files:
                    (Path(folder) / name).chmod(0o755 if top.name == "opt" else 0o644)


def serve(ports: Sequence[int] | None = None) -> None:  # pragma: no cover - manual use
    """``python -m devices.lab.workstation``: a lab PC until Ctrl-C."""
    from devices.lab.base import wait_for_interrupt

    lab = WorkstationLab().start()
    print(f"ssh -p {lab.port} {lab.user}@{lab.host}   (password: see the WorkstationLab default)")
    wait_for_interrupt(lab)


if __name__ == "__main__":  # pragma: no cover
    serve()


# ================================================================================ WinRM (Windows)

_SOAP_NS = {"s": "http://www.w3.org/2003/05/soap-envelope", "a": "http://schemas.xmlsoap.org/ws/2004/08/addressing",
            "w": "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd",
            "rsp": "http://schemas.microsoft.com/wbem/wsman/1/windows/shell"}  # fmt: skip
_ACTIONS = {
    "http://schemas.xmlsoap.org/ws/2004/09/transfer/Create": "create",
    "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Command": "command",
    "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Receive": "receive",
    "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Signal": "signal",
    "http://schemas.xmlsoap.org/ws/2004/09/transfer/Delete": "delete",
}


def _self_signed(cert: Path, key: Path, host: str) -> None:
    """A throwaway self-signed certificate, as a WinRM HTTPS listener usually has."""
    import datetime as dt
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    private = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "WIN-PLATEAU-LAB")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(private.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(host))]), critical=False)
        .sign(private, hashes.SHA256())
    )  # fmt: skip
    cert.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key.write_bytes(private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))  # fmt: skip


def _envelope(action: str, relates_to: str, body: str, extra_header: str = "") -> bytes:
    return (
        '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" '
        'xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" '
        'xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd" '
        'xmlns:rsp="http://schemas.microsoft.com/wbem/wsman/1/windows/shell" '
        'xmlns:x="http://schemas.xmlsoap.org/ws/2004/09/transfer">'
        f"<s:Header><a:Action>{action}</a:Action><a:MessageID>uuid:{uuid.uuid4()}</a:MessageID>"
        f"<a:To>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:To>"
        f"<a:RelatesTo>{relates_to}</a:RelatesTo>{extra_header}</s:Header><s:Body>{body}</s:Body></s:Envelope>"
    ).encode()


class WinRMLab(LabHttpServer):
    """A Windows PC's WS-Management service on loopback, speaking the SOAP envelopes pywinrm sends:
    Create (a cmd shell), Command (``powershell.exe -EncodedCommand ...``), Receive (stdout and
    stderr as base64 streams, then CommandState Done with the exit code), Signal (terminate),
    Delete; HTTP Basic authentication of one local account (401 with ``WWW-Authenticate: Basic``
    otherwise), as a WinRM service with Basic enabled answers.

    The command is not run: the lab decodes the EncodedCommand (UTF-16LE), checks it is plateau's
    script (kept in ``scripts`` for tests) and answers its JSON from ``machine`` (:meth:`set`):

        uninstall   [(view "64" | "32" | "user", DisplayName, DisplayVersion)]
        appx        [(Name, Version, Architecture)]
        free_bytes / used_bytes   the system drive
        internet    "up" (200 for every target) | "down" (no answer)
    """

    api_name = "winrm"
    auth_status = 401
    modes: ClassVar[tuple[str, ...]] = (HEALTHY, *FAULTS)

    def __init__(self, *, user: str = "jury", password: str = "Jury-Lab-2026", host: str = HOST, port: int = 0,
                 tls: bool = True, mode: str = HEALTHY, slow_s: float = 30.0) -> None:  # fmt: skip
        """``tls``: HTTPS with a self-signed certificate, as WinRM listens on 5986 (False: plain HTTP,
        which plateau only speaks to loopback)."""
        super().__init__(port, mode=mode, slow_s=slow_s, host=host)
        self.tls = tls
        self.user = user
        self._password = password
        self.machine: dict[str, Any] = {
            "uninstall": [("64", "Mozilla Firefox (x64 fr)", "133.0"), ("32", "Google Chrome", "131.0.6778.86")],
            "appx": [("Microsoft.WindowsCalculator", "11.2410.0.0", "X64")],
            "free_bytes": 50 * 1024**3, "used_bytes": 70 * 1024**3, "internet": "up",
        }  # fmt: skip
        self.scripts: list[str] = []  # the PowerShell scripts received, decoded
        self._shells: dict[str, list[str]] = {}  # shell id -> command ids
        self._outputs: dict[str, tuple[bytes, bytes, int]] = {}

    def set(self, **changes: Any) -> WinRMLab:
        for key, value in changes.items():
            if key not in self.machine:
                raise AttributeError(f"WinRMLab has no setting {key!r}")
            self.machine[key] = value
        return self

    def set_password(self, password: str) -> None:
        self._password = password

    def host_vars(self) -> dict[str, Any]:
        return {"ansible_host": self.host, "ansible_port": self.port, "ansible_connection": "winrm",
                "admin_user": self.user}  # fmt: skip

    def _open(self) -> None:
        super()._open()
        if self.tls:
            import ssl

            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            with tempfile.TemporaryDirectory(prefix="plateau-winrm-") as folder:
                cert, key = Path(folder) / "cert.pem", Path(folder) / "key.pem"
                _self_signed(cert, key, self.host)
                context.load_cert_chain(cert, key)
            server = self._servers[-1][0]
            server.socket = context.wrap_socket(server.socket, server_side=True)

    # ------------------------------------------------------------------ HTTP
    def authorized(self, request: Request) -> bool:
        header = request.headers.get("Authorization") or ""
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            user, _, password = base64.b64decode(value).decode("utf-8").partition(":")
        except (ValueError, UnicodeDecodeError):
            return False
        return hmac.compare_digest(user.encode(), self.user.encode()) and hmac.compare_digest(
            password.encode(), self._password.encode()
        )

    def challenge(self) -> dict[str, str]:
        return {"WWW-Authenticate": 'Basic realm="WSMAN"'}

    def respond(self, request: Request) -> Reply:
        if request.path != "/wsman" or request.method != "POST":
            return Reply(404)
        import defusedxml.ElementTree as SafeET

        try:
            root = SafeET.fromstring(request.body)
        except Exception:  # a malformed envelope is the client's fault: a SOAP fault  # noqa: BLE001
            return self._fault("", "the envelope is not XML")
        action = (root.findtext("s:Header/a:Action", namespaces=_SOAP_NS) or "").strip()
        message_id = (root.findtext("s:Header/a:MessageID", namespaces=_SOAP_NS) or "").strip()
        shell_id = next((s.text or "" for s in root.iterfind("s:Header/w:SelectorSet/w:Selector", _SOAP_NS)
                         if s.get("Name") == "ShellId"), "")  # fmt: skip
        kind = _ACTIONS.get(action)
        if kind == "create":
            new = str(uuid.uuid4()).upper()
            self._shells[new] = []
            body = ('<x:ResourceCreated><a:Address>http://windows-host/wsman</a:Address><a:ReferenceParameters>'
                    '<w:ResourceURI>http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd</w:ResourceURI>'
                    f'<w:SelectorSet><w:Selector Name="ShellId">{new}</w:Selector></w:SelectorSet>'
                    f'</a:ReferenceParameters></x:ResourceCreated><rsp:Shell><rsp:ShellId>{new}</rsp:ShellId></rsp:Shell>')  # fmt: skip
            return self._ok(action + "Response", message_id, body)
        if shell_id not in self._shells:
            return self._fault(message_id, "unknown shell")
        if kind == "command":
            command = root.findtext("s:Body/rsp:CommandLine/rsp:Command", namespaces=_SOAP_NS) or ""
            arguments = (root.findtext("s:Body/rsp:CommandLine/rsp:Arguments", namespaces=_SOAP_NS) or "").split()
            command_id = str(uuid.uuid4()).upper()
            self._shells[shell_id].append(command_id)
            self._outputs[command_id] = self._run(command, arguments)
            return self._ok(
                action + "Response",
                message_id,
                f"<rsp:CommandResponse><rsp:CommandId>{command_id}</rsp:CommandId></rsp:CommandResponse>",
            )
        if kind == "receive":
            stream = root.find("s:Body/rsp:Receive/rsp:DesiredStream", _SOAP_NS)
            command_id = stream.get("CommandId", "") if stream is not None else ""
            if command_id not in self._outputs:
                return self._fault(message_id, "unknown command")
            out, err, code = self._outputs.pop(command_id)
            streams = "".join(f'<rsp:Stream Name="{name}" CommandId="{command_id}">{base64.b64encode(data).decode()}'
                              f"</rsp:Stream>" for name, data in (("stdout", out), ("stderr", err)) if data)  # fmt: skip
            streams += "".join(f'<rsp:Stream Name="{n}" CommandId="{command_id}" End="true"></rsp:Stream>'
                               for n in ("stdout", "stderr"))  # fmt: skip
            done = (f'<rsp:CommandState CommandId="{command_id}" State="http://schemas.microsoft.com/wbem/wsman/1/'
                    f'windows/shell/CommandState/Done"><rsp:ExitCode>{code}</rsp:ExitCode></rsp:CommandState>')  # fmt: skip
            return self._ok(
                action + "Response", message_id, f"<rsp:ReceiveResponse>{streams}{done}</rsp:ReceiveResponse>"
            )
        if kind == "signal":
            return self._ok(action + "Response", message_id, "<rsp:SignalResponse/>")
        if kind == "delete":
            for command_id in self._shells.pop(shell_id, []):
                self._outputs.pop(command_id, None)
            return self._ok(action + "Response", message_id, "")
        return self._fault(message_id, f"unsupported action {action}")

    def _ok(self, action: str, message_id: str, body: str) -> Reply:
        return Reply(200, _envelope(action, message_id, body), "application/soap+xml;charset=UTF-8")

    def _fault(self, message_id: str, reason: str) -> Reply:
        body = ('<s:Fault><s:Code><s:Value>s:Sender</s:Value></s:Code>'
                f'<s:Reason><s:Text xml:lang="en-US">{reason}</s:Text></s:Reason></s:Fault>')  # fmt: skip
        return Reply(
            500,
            _envelope("http://schemas.dmtf.org/wbem/wsman/1/wsman/fault", message_id, body),
            "application/soap+xml;charset=UTF-8",
        )

    # ------------------------------------------------------------------ the "command"
    def _run(self, command: str, arguments: Sequence[str]) -> tuple[bytes, bytes, int]:
        if command.lower() not in ("powershell.exe", "powershell") or "-EncodedCommand" not in arguments:
            return b"", f"'{command}' is not recognized as an internal or external command\r\n".encode(), 1
        try:
            script = base64.b64decode(arguments[arguments.index("-EncodedCommand") + 1]).decode("utf-16-le")
        except (IndexError, ValueError, UnicodeDecodeError):
            return b"", b"Cannot process the command because the value of -EncodedCommand is invalid.\r\n", 1
        self.scripts.append(script)
        from devices.workstation.script import WINDOWS_MARKER

        if WINDOWS_MARKER not in script or "WOW6432Node" not in script or "Get-AppxPackage -AllUsers" not in script:
            return b"", b"The lab only answers plateau's live check script.\r\n", 1
        targets = re.findall(r"'((?:[^']|'')*)'", script.split("\n", 2)[1])
        up = self.machine["internet"] == "up"
        document = {
            "uninstall": [{"View": v, "DisplayName": n, "DisplayVersion": ver} for v, n, ver in self.machine["uninstall"]],
            "appx": [{"Name": n, "Version": ver, "Architecture": a, "AllUsers": True} for n, ver, a in self.machine["appx"]],
            "free_bytes": self.machine["free_bytes"], "used_bytes": self.machine["used_bytes"],
            "internet": [{"url": t.replace("''", "'"), "code": 200 if up else None,
                          "error": None if up else "WebException"} for t in targets],
        }  # fmt: skip
        return json.dumps(document).encode("utf-8"), b"", 0
