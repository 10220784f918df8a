"""The scripts a workstation runs for plateau's live check: one per platform, sent in one go.

Linux (POSIX ``sh``, sent on the standard input of ``/bin/sh -s``), one section each:

``dpkg``      ``dpkg-query -W -f '${Package}\\t${db:Status-Abbrev}\\t${Architecture}\\n'``
``dpkg_arch`` ``dpkg --print-architecture`` (the machine's native architecture)
``flatpak``   ``flatpak list --app --columns=application,arch,installation`` (system and user);
              exit status 127 when Flatpak is not installed
``df``        ``df -Pk /``
``usb_modprobe`` modprobe.d lines that blacklist usb-storage or replace its loading (``install
              usb-storage /bin/false``), in /etc, /run, /usr/lib and /lib (grep: 1 = none)
``usb_polkit`` polkit rules refusing udisks2's filesystem-mount actions (.rules returning
              ``polkit.Result.NO``, .pkla with ``ResultActive=no``)
``internet``  per target URL, in parallel: ``curl -sS -o /dev/null -w '%{http_code}' --max-time N``,
              else ``wget -q --spider -T N -t 1``; ``url<TAB>rc<TAB>code<TAB>tool``

macOS (same framing): ``mac_apps`` (``/Applications/*.app`` and one folder down: path TAB
``defaults read <app>/Contents/Info CFBundleIdentifier``), ``brew_cask`` / ``brew_formula``
(``brew list --cask -1`` / ``--formula -1``; Homebrew is looked for on PATH, then in
/opt/homebrew/bin and /usr/local/bin, as an SSH exec's PATH lacks it; 127 when absent), ``df``
and ``internet`` as above.

No secret is ever part of a script: the admin password only serves to open the session.
"""

from __future__ import annotations

import math
import shlex
from collections.abc import Sequence

LINUX_HEAD = r"""LC_ALL=C; export LC_ALL
s() { printf '\n### plateau-section %s\n' "$1"; }
e() { printf '\n### plateau-rc %s %s\n' "$1" "$2"; }
s dpkg_arch
if command -v dpkg >/dev/null 2>&1; then dpkg --print-architecture 2>&1; e dpkg_arch $?; else e dpkg_arch 127; fi
s dpkg
if command -v dpkg-query >/dev/null 2>&1; then
  dpkg-query -W -f '${Package}\t${db:Status-Abbrev}\t${Architecture}\n' 2>/dev/null; e dpkg $?
else e dpkg 127; fi
s flatpak
if command -v flatpak >/dev/null 2>&1; then
  flatpak list --app --columns=application,arch,installation 2>/dev/null; e flatpak $?
else e flatpak 127; fi
s df
df -Pk / 2>&1; e df $?
s usb_modprobe
grep -HsE '^[[:space:]]*(blacklist[[:space:]]+usb[-_]storage|install[[:space:]]+usb[-_]storage[[:space:]]+/(usr/)?bin/(false|true))' \
  /etc/modprobe.d/*.conf /run/modprobe.d/*.conf /usr/lib/modprobe.d/*.conf /lib/modprobe.d/*.conf 2>/dev/null
e usb_modprobe $?
s usb_polkit
for f in /etc/polkit-1/rules.d/*.rules /usr/share/polkit-1/rules.d/*.rules; do
  [ -r "$f" ] || continue
  grep -qs 'udisks2.filesystem-mount' "$f" && grep -qs 'polkit.Result.NO' "$f" && echo "$f"
done
for f in $(find /etc/polkit-1/localauthority /var/lib/polkit-1/localauthority -name '*.pkla' 2>/dev/null); do
  grep -qs 'udisks2.filesystem-mount' "$f" && grep -qsiE '^ResultActive=no' "$f" && echo "$f"
done
e usb_polkit 0
"""

LINUX_INTERNET = r"""s internet
net() {
  if command -v curl >/dev/null 2>&1; then
    code=$(curl -sS -o /dev/null -w '%{http_code}' --max-time "$2" "$1" 2>/dev/null); rc=$?
    printf '%s\t%s\t%s\tcurl\n' "$1" "$rc" "${code:-000}"
  elif command -v wget >/dev/null 2>&1; then
    wget -q --spider -T "$2" -t 1 "$1" >/dev/null 2>&1; rc=$?
    printf '%s\t%s\t-\twget\n' "$1" "$rc"
  else
    printf '%s\t127\t-\tnone\n' "$1"
  fi
}
"""


def linux_script(internet_targets: Sequence[str], *, per_target_s: float) -> str:
    """The whole Linux script; each internet target is reached in parallel within ``per_target_s``."""
    return LINUX_HEAD + _internet(internet_targets, per_target_s)


def mac_script(internet_targets: Sequence[str], *, per_target_s: float) -> str:
    """The macOS script (curl ships with macOS), with the same internet section."""
    return MAC_SCRIPT + _internet(internet_targets, per_target_s)


def _internet(internet_targets: Sequence[str], per_target_s: float) -> str:
    seconds = max(1, math.ceil(per_target_s))
    lines = [LINUX_INTERNET]
    for url in internet_targets:
        lines.append(f"net {shlex.quote(url)} {seconds} &\n")
    lines.append("wait\ne internet 0\n")
    return "".join(lines)


#: Windows: uninstall keys of both registry views (and the admin's own), per-machine AppX, free space
#: of the system drive, the exam's sites (Invoke-WebRequest), as one JSON document
WINDOWS_SCRIPT = r"""$ErrorActionPreference = 'SilentlyContinue'
$keys = @(
  @{View='64'; Path='HKLM:\Software\Microsoft\Windows\CurrentVersion\Uninstall\*'},
  @{View='32'; Path='HKLM:\Software\WOW6432Node\Microsoft\Windows\CurrentVersion\Uninstall\*'},
  @{View='user'; Path='HKCU:\Software\Microsoft\Windows\CurrentVersion\Uninstall\*'}
)
$uninstall = foreach ($k in $keys) {
  Get-ItemProperty -Path $k.Path | Where-Object { $_.DisplayName } |
    ForEach-Object { [pscustomobject]@{View=$k.View; DisplayName=$_.DisplayName; DisplayVersion=$_.DisplayVersion} }
}
$appx = Get-AppxPackage -AllUsers | ForEach-Object {
  [pscustomobject]@{Name=$_.Name; Version="$($_.Version)"; Architecture="$($_.Architecture)"; AllUsers=$true}
}
$drive = Get-PSDrive -Name ($env:SystemDrive.TrimEnd(':'))
$internet = foreach ($u in $targets) {
  try {
    $r = Invoke-WebRequest -Uri $u -UseBasicParsing -Method Head -TimeoutSec $seconds
    [pscustomobject]@{url=$u; code=[int]$r.StatusCode; error=$null}
  } catch {
    $code = $null; if ($_.Exception.Response) { $code = [int]$_.Exception.Response.StatusCode }
    [pscustomobject]@{url=$u; code=$code; error=$_.Exception.GetType().Name}
  }
}
$json = [pscustomobject]@{uninstall=@($uninstall); appx=@($appx); free_bytes=$drive.Free; used_bytes=$drive.Used;
  internet=@($internet)} | ConvertTo-Json -Depth 3 -Compress
# ASCII only (\uXXXX for the rest): the console's code page (CP850 on a French Windows, over SSH
# or WinRM) can then never garble an accented program name
[regex]::Replace($json, '[^\x00-\x7F]', { param($m) '\u{0:x4}' -f [int][char]$m.Value })
"""
#: the marker a WS-Management peer (and a reader of a capture) recognises the script by
WINDOWS_MARKER = "# plateau live check (windows)"


def windows_script(internet_targets: Sequence[str], *, per_target_s: float) -> str:
    """The PowerShell script, with the exam's sites quoted as PowerShell literals; they are reached one
    after the other, so ``per_target_s`` is shared between them."""
    quoted = ", ".join("'" + url.replace("'", "''") + "'" for url in internet_targets)
    seconds = max(1, math.floor(per_target_s / max(1, len(internet_targets))))
    head = f"{WINDOWS_MARKER}\n$targets = @({quoted})\n$seconds = {seconds}\n"
    return head + WINDOWS_SCRIPT


def powershell_encoded(script: str) -> str:
    """``powershell -EncodedCommand`` takes the script as base64 of UTF-16LE (no quoting at all)."""
    import base64

    return base64.b64encode(script.encode("utf-16-le")).decode("ascii")


#: macOS: bundle ids of /Applications apps, Homebrew casks and formulae
MAC_SCRIPT = r"""LC_ALL=C; export LC_ALL
s() { printf '\n### plateau-section %s\n' "$1"; }
e() { printf '\n### plateau-rc %s %s\n' "$1" "$2"; }
s mac_apps
for app in /Applications/*.app /Applications/*/*.app; do
  [ -d "$app" ] || continue
  printf '%s\t%s\n' "$app" "$(defaults read "$app/Contents/Info" CFBundleIdentifier 2>/dev/null)"
done
e mac_apps 0
BREW=$(command -v brew || ls /opt/homebrew/bin/brew /usr/local/bin/brew 2>/dev/null | head -n 1)
s brew_cask
if [ -n "$BREW" ]; then "$BREW" list --cask -1 2>/dev/null; e brew_cask $?; else e brew_cask 127; fi
s brew_formula
if [ -n "$BREW" ]; then "$BREW" list --formula -1 2>/dev/null; e brew_formula $?; else e brew_formula 127; fi
s df
df -Pk / 2>&1; e df $?
"""
