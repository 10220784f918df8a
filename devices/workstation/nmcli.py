"""What a station really sees: a Linux workstation of the room lists the Wi-Fi networks it
hears (``nmcli -t -f SSID,SIGNAL device wifi list``) and we look for the room's SSID.

Run through Ansible's own connection (same hosts.yml, same credentials and vault, same
privilege settings) with ansible-runner, so there is no second way to log in to a PC.
Opt-in per host with ``wifi_station: true`` (only PCs with a Wi-Fi card can hear anything).
"""

from __future__ import annotations

import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from devices.errors import BadAnswer, Unreachable

NMCLI_ARGS = "-t -f SSID,SIGNAL device wifi list --rescan auto"


@dataclass(frozen=True, slots=True)
class HeardNetwork:
    ssid: str
    signal_pct: int | None


def parse_nmcli_wifi(text: str) -> list[HeardNetwork]:
    """``nmcli -t`` lines: fields separated by ':', a literal ':' in a field written '\\:'."""
    heard = []
    for line in text.splitlines():
        if not line.strip():
            continue
        fields, current, escaped = [], "", False
        for char in line:
            if escaped:
                current += char
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == ":":
                fields.append(current)
                current = ""
            else:
                current += char
        fields.append(current)
        if len(fields) != 2:
            raise BadAnswer("nmcli: unexpected line")
        ssid, signal = fields
        signal = signal.strip()
        if signal and not (signal.isascii() and signal.isdigit() and int(signal) <= 100):
            raise BadAnswer("nmcli: signal is not a percentage")  # SIGNAL is 0-100
        if not ssid:
            continue  # hidden network
        heard.append(HeardNetwork(ssid, int(signal) if signal else None))
    return heard


def list_networks(inventory_file: Path, host: str, *, vault_password_file: Path | None, timeout_s: float,
                  nmcli: str = "nmcli") -> list[HeardNetwork]:  # fmt: skip
    """Run nmcli on ``host`` with Ansible's ``raw`` module (no Python needed on the PC)."""
    import ansible_runner

    cmdline = f"--vault-password-file {vault_password_file}" if vault_password_file else None
    env = {"ANSIBLE_HOST_KEY_CHECKING": "False", "ANSIBLE_TIMEOUT": str(int(max(timeout_s, 1))),
           "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])}  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="plateau-station-") as private:
        result = ansible_runner.run(
            private_data_dir=private, inventory=str(inventory_file), host_pattern=host, module="ansible.builtin.raw",
            module_args=f"{nmcli} {NMCLI_ARGS}", cmdline=cmdline, envvars=env, quiet=True, timeout=int(timeout_s * 3) + 5,
        )  # fmt: skip
        for event in result.events:
            data = event.get("event_data", {})
            if event.get("event") == "runner_on_ok" and data.get("host") == host:
                return parse_nmcli_wifi(data.get("res", {}).get("stdout", "").replace("\r", ""))
            if event.get("event") == "runner_on_unreachable" and data.get("host") == host:
                raise Unreachable(f"{host}: ansible could not connect")
            if event.get("event") == "runner_on_failed" and data.get("host") == host:
                raise BadAnswer(f"{host}: nmcli failed (rc={data.get('res', {}).get('rc')})")
    raise Unreachable(f"{host}: no answer from ansible ({result.status})")
