"""The files of a :class:`~devices.lab.workstation.WorkstationLab`: its stand-in commands and the
plain state files they ``cat`` (rendered from ``lab.state`` at each :meth:`set`); see
devices/lab/workstation.py for what each setting means."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from devices.lab.workstation import WorkstationLab

STANDINS = {
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
MAC_STANDINS = {
    "defaults": ('[ "$1" = read ] && [ $# -eq 3 ] || { echo "defaults: the lab only reads one key" >&2; exit 1; }\n'
                 'f="$2"; case "$f" in *.plist) ;; *) f="$f.plist";; esac\n'
                 'if [ ! -f "$f" ]; then printf \'\\nDomain %s does not exist\\n\' "$2" >&2; exit 1; fi\n'
                 'v=$(sed -n "/<key>$3<\\/key>/{n;s/.*<string>\\(.*\\)<\\/string>.*/\\1/p;}" "$f")\n'
                 'if [ -z "$v" ]; then\n'
                 '  printf \'\\nThe domain/default pair of (%s, %s) does not exist\\n\' "$2" "$3" >&2; exit 1\n'
                 'fi\n'
                 'printf \'%s\\n\' "$v"\n'),
    "df": 'cat "$S/df.out"\n',
    "curl": STANDINS["curl"],
}  # fmt: skip
BREW = ('[ "$(cat "$S/homebrew")" = broken ] && { echo "Error: No such file or directory @ dir_chdir0 - '
         '/opt/homebrew/Caskroom" >&2; exit 1; }\n'
         'case "$1 $2" in\n'
         '  "list --cask") cat "$S/casks";;\n'
         '  "list --formula") cat "$S/formulae";;\n'
         '  *) echo "Error: the lab\'s brew only lists" >&2; exit 1;;\n'
         'esac\n')  # fmt: skip
#: Info.plist of an app bundle, as Xcode writes it (XML property list)
INFO_PLIST = ('<?xml version="1.0" encoding="UTF-8"?>\n'
               '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">\n'
               '<plist version="1.0">\n<dict>\n\t<key>CFBundleExecutable</key>\n\t<string>{name}</string>\n'
               '{identifier}\t<key>CFBundlePackageType</key>\n\t<string>APPL</string>\n</dict>\n</plist>\n')  # fmt: skip


def render(lab: WorkstationLab) -> None:
    """state.json, and the plain files the stand-ins cat."""
    assert lab.dir is not None
    state, out = lab.state, lab.dir / "state"
    if lab.flavour == "windows":  # read by the cmd.exe stand-in (devices/lab/windows_cmd.py)
        from devices.workstation.script import WINDOWS_MARKER

        (out / "windows.json").write_text(json.dumps({"machine": state, "marker": WINDOWS_MARKER}))
        return
    (out / "state.json").write_text(json.dumps({**state, "mode": lab.mode, "slow_s": lab.slow_s}))
    # slow/dead: the stand-ins wait, but never outlive the lab (``alive`` goes away in stop())
    ticks = {"slow": int(lab.slow_s * 10), "dead": 36000}.get(lab.mode, 0)
    wait = f'n=0; while [ $n -lt {ticks} ] && [ -e "$S/alive" ]; do sleep 0.1; n=$((n+1)); done\n' if ticks else ""
    (out / "mode.sh").write_text(wait)
    (out / "alive").touch()
    if lab.mode == "garbage":
        (out / "dpkg.out").write_text("\x1b[31m#@!garbage%% ~~ not a listing ~~\n")
    else:
        (out / "dpkg.out").write_text("".join(f"{n}\t{s}\t{a}\n" for n, s, a in state["packages"]))
    if lab.flavour == "macos":
        _render_mac(lab)
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
    blacklist = lab.dir / "modprobe.d" / "plateau-lab-usb.conf"
    if state["usb_blocked"]:
        blacklist.write_text("# blocked by the centre's IT\nblacklist usb-storage\n")
    else:
        blacklist.unlink(missing_ok=True)
    rule = lab.dir / "polkit" / "50-plateau-lab-udisks.rules"
    if state["mount_denied"]:
        rule.write_text('polkit.addRule(function(action, subject) {\n'
                        '  if (action.id == "org.freedesktop.udisks2.filesystem-mount") return polkit.Result.NO;\n'
                        '});\n')  # fmt: skip
    else:
        rule.unlink(missing_ok=True)
    for path in out.iterdir():
        path.chmod(0o644)


def _render_mac(lab: WorkstationLab) -> None:
    """/Applications (one Info.plist per bundle), /opt/homebrew/bin/brew and what it lists, df."""
    assert lab.dir is not None
    state, out = lab.state, lab.dir / "state"
    if lab.flavour == "windows":  # read by the cmd.exe stand-in (devices/lab/windows_cmd.py)
        from devices.workstation.script import WINDOWS_MARKER

        (out / "windows.json").write_text(json.dumps({"machine": state, "marker": WINDOWS_MARKER}))
        return
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
    apps = lab.dir / "Applications"  # the folder is bind-mounted: empty it, never replace it
    for child in apps.iterdir():
        shutil.rmtree(child)
    for relative, bundle_id in state["apps"]:
        contents = apps / relative / "Contents"
        contents.mkdir(parents=True)
        name = Path(relative).stem
        identifier = f"\t<key>CFBundleIdentifier</key>\n\t<string>{bundle_id}</string>\n" if bundle_id else ""
        (contents / "Info.plist").write_text(INFO_PLIST.format(name=name, identifier=identifier))
    brew = lab.dir / "opt" / "homebrew"
    shutil.rmtree(brew, ignore_errors=True)
    if state["homebrew"] != "missing":
        (brew / "bin").mkdir(parents=True)
        (brew / "bin" / "brew").write_text(f'#!/bin/sh\nS={out}\n. "$S/mode.sh"\n{BREW}')
    for top in (lab.dir / "opt", apps):
        for folder, _, files in os.walk(top):
            Path(folder).chmod(0o755)
            for name in files:
                (Path(folder) / name).chmod(0o755 if top.name == "opt" else 0o644)
