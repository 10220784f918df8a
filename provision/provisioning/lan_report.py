"""What the LAN cache served, per host and kind: from the laptop's cache or from the internet.

apt-cacher-ng logs each transfer (``.plateau/lan/log/apt-cacher.log``) as
``<time>|I|<bytes>|<client>|<path>`` (fetched from upstream for that client) and
``<time>|O|<bytes>|<client>|<path>`` (delivered to it): a delivered file with no ``I`` for that
client came from the cache. Clients are matched to hosts by address.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(slots=True)
class Flow:
    lan_files: int = 0
    lan_bytes: int = 0
    internet_files: int = 0
    internet_bytes: int = 0


@dataclass(slots=True)
class LanReport:
    """Per host and kind (``apt``, ``flatpak``...): files and bytes from the LAN cache or the
    internet. ``shared``: an address several hosts of the run share (their flows cannot be told
    apart); ``unknown``: clients that are no host of the run."""

    hosts: dict[str, dict[str, Flow]] = field(default_factory=dict)
    shared: dict[str, dict[str, Any]] = field(default_factory=dict)
    unknown: dict[str, dict[str, Flow]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        def kinds(flows: Mapping[str, Flow]) -> dict[str, Any]:
            return {kind: asdict(flow) for kind, flow in flows.items()}

        return {
            "hosts": {h: kinds(f) for h, f in self.hosts.items()},
            "shared": {a: {"hosts": s["hosts"], "kinds": kinds(s["kinds"])} for a, s in self.shared.items()},
            "unknown": {a: kinds(f) for a, f in self.unknown.items()},
        }


def parse_acng_log(lines: Iterable[str]) -> dict[str, dict[str, Flow]]:
    """Client address -> kind -> flow, from apt-cacher-ng's transfer log (module docstring):
    ``apt`` the packages (``.deb``), ``apt-index`` the rest (Release, Packages...), whose
    re-check by apt-cacher-ng is a small ``I`` line even when nothing changed."""
    flows: dict[str, dict[str, Flow]] = {}
    fetched: set[tuple[str, str]] = set()
    for line in lines:
        parts = line.rstrip("\n").split("|", 4)
        if len(parts) != 5 or parts[1] not in ("I", "O"):
            continue
        _when, direction, size, client, path = parts
        if "[HTTP error" in path:
            continue
        try:
            count = int(size)
        except ValueError:
            continue
        kind = "apt" if path.endswith((".deb", ".udeb")) else "apt-index"
        flow = flows.setdefault(client, {}).setdefault(kind, Flow())
        if direction == "I":
            fetched.add((client, path))
            flow.internet_bytes += count
        elif (client, path) in fetched:
            flow.internet_files += 1
        else:
            flow.lan_files += 1
            flow.lan_bytes += count
    return flows


def build_report(
    per_client: Mapping[str, Mapping[str, Flow]], host_addresses: Mapping[str, Iterable[str]]
) -> LanReport:
    """Match client addresses to hosts (``host_addresses``: host -> its addresses)."""
    owners: dict[str, list[str]] = {}
    for host, addresses in host_addresses.items():
        for address in addresses:
            owners.setdefault(address, []).append(host)
    report = LanReport()
    for client, kinds in sorted(per_client.items()):
        hosts = sorted(owners.get(client, []))
        if len(hosts) == 1:
            report.hosts.setdefault(hosts[0], {}).update(kinds)
        elif hosts:
            report.shared[client] = {"hosts": hosts, "kinds": dict(kinds)}
        else:
            report.unknown[client] = dict(kinds)
    return report
