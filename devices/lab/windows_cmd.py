"""What a lab Windows PC answers to plateau's PowerShell check: shared by the WinRM lab and by
the OpenSSH one, and itself the OpenSSH lab account's login shell (a stand-in for ``cmd.exe``).

Standard library only, on purpose: the SSH lab runs this file with the system's ``python3`` as
the lab account, which cannot read the project's virtualenv.

    answer(machine, marker, "powershell.exe", ["-NoProfile", ..., "-EncodedCommand", b64])
        -> (stdout bytes, stderr bytes, exit status, the decoded script or None)

The command is not run: the script is decoded (base64 of UTF-16LE, as ``-EncodedCommand`` takes
it), checked to be plateau's (``marker`` and the registry and AppX reads it makes), and answered
with the JSON that script prints on a real PC, from ``machine``:

    uninstall   [(view "64" | "32" | "user", DisplayName, DisplayVersion)]
    appx        [(Name, Version, Architecture)]
    free_bytes / used_bytes   the system drive
    internet    "up" (200 for every target) | "down" (no answer)

As the login shell (``python3 windows_cmd.py <state.json> -c "<command line>"``), it reads
``{"machine": ..., "marker": ...}`` from ``state.json`` and answers the command line as
``cmd.exe /c`` would: plateau's PowerShell check, or « is not recognized » (exit 1), with CRLF
line ends as Windows prints them.
"""

from __future__ import annotations

import base64
import json
import re
import shlex
import sys
from collections.abc import Sequence
from typing import Any

DEFAULT_MACHINE: dict[str, Any] = {
    "uninstall": [("64", "Mozilla Firefox (x64 fr)", "133.0"), ("32", "Google Chrome", "131.0.6778.86")],
    "appx": [("Microsoft.WindowsCalculator", "11.2410.0.0", "X64")],
    "free_bytes": 50 * 1024**3,
    "used_bytes": 70 * 1024**3,
    "internet": "up",
}


def answer(machine: dict[str, Any], marker: str, command: str, arguments: Sequence[str]
           ) -> tuple[bytes, bytes, int, str | None]:  # fmt: skip
    if command.lower() not in ("powershell.exe", "powershell") or "-EncodedCommand" not in arguments:
        return b"", f"'{command}' is not recognized as an internal or external command\r\n".encode(), 1, None
    try:
        script = base64.b64decode(arguments[list(arguments).index("-EncodedCommand") + 1]).decode("utf-16-le")
    except (IndexError, ValueError, UnicodeDecodeError):
        return b"", b"Cannot process the command because the value of -EncodedCommand is invalid.\r\n", 1, None
    if marker not in script or "WOW6432Node" not in script or "Get-AppxPackage -AllUsers" not in script:
        return b"", b"The lab only answers plateau's live check script.\r\n", 1, script
    targets = re.findall(r"'((?:[^']|'')*)'", script.split("\n", 2)[1])
    up = machine["internet"] == "up"
    document = {
        "uninstall": [{"View": v, "DisplayName": n, "DisplayVersion": ver} for v, n, ver in machine["uninstall"]],
        "appx": [{"Name": n, "Version": ver, "Architecture": a, "AllUsers": True} for n, ver, a in machine["appx"]],
        "free_bytes": machine["free_bytes"], "used_bytes": machine["used_bytes"],
        "internet": [{"url": t.replace("''", "'"), "code": 200 if up else None,
                      "error": None if up else "WebException"} for t in targets],
    }  # fmt: skip
    return json.dumps(document).encode("utf-8") + b"\r\n", b"", 0, script


def main(argv: Sequence[str]) -> int:
    """The login shell: ``windows_cmd.py <state.json> -c "<command line>"`` (what sshd runs)."""
    if len(argv) < 3 or argv[1] != "-c":
        sys.stderr.write("Microsoft Windows [lab]: no interactive shell here\r\n")
        return 1
    with open(argv[0], encoding="utf-8") as state:
        loaded = json.load(state)
    words = shlex.split(argv[2], posix=False)  # cmd.exe splits on blanks, quotes kept
    out, err, status, _ = answer(loaded["machine"], loaded["marker"], words[0] if words else "", words[1:])
    sys.stdout.buffer.write(out)
    sys.stderr.buffer.write(err)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
