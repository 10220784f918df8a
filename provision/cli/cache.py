"""``plateau cache -i DIR [--only apt,flatpak,...]``: pre-download into <inventory>/cache/
(provision/provisioning/cache.py). Exit codes: 0 done (titles to fetch by hand are listed, not
failures); 1 some title could not be cached (unknown package, download failed); 2 wrong input.
"""

from __future__ import annotations

import atexit
from pathlib import Path
from typing import Annotated, Any

import typer

from provision.cli.common import EXIT_NOT_READY, EXIT_OK, InventoryOpt, VaultOpt, app, out, print_problems
from provision.errors import PlateauError, Problem
from provision.messages import render
from provision.paths import shown


@app.command("cache", help="Télécharge à l'avance ce qui peut l'être (paquets Debian, Flatpak, installeurs, APK).")
def cache_command(
    inventory: InventoryOpt,
    only: Annotated[
        str | None,
        typer.Option(
            "--only",
            help="Seulement ces sources, séparées par des virgules : apt, flatpak, winget, choco, apk, ipa.",
            show_default=False,
        ),
    ] = None,
    vault_password_file: VaultOpt = None,
) -> None:
    """Télécharge à l'avance dans <inventaire>/cache/ ce qui peut l'être (paquets Debian, Flatpak), et liste le reste."""
    from provision.context import load_all
    from provision.inventory.loader import find_vault_password_file
    from provision.provisioning.cache import CACHE_DIR, KINDS, build_cache, parse_only

    root = Path(inventory)
    try:
        kinds = parse_only(only)
    except ValueError as exc:
        raise PlateauError(
            Problem(
                key="cache.unknown_kind",
                field="--only",
                params={"kinds": exc.args[0], "known": ", ".join(KINDS)},
            )
        ) from None
    password_file, _how = find_vault_password_file(root, vault_password_file)
    loaded = load_all(root, password_file)  # no secret is needed, but vault files are read when present
    if loaded.warnings:
        print_problems(loaded.warnings)
    with out.status(render("cache.working", {"path": shown(root / CACHE_DIR)})):
        report = build_cache(root, loaded.plan.to_dict(), kinds)
    print_cache_report(out, report)
    raise typer.Exit(EXIT_NOT_READY if report.failed else EXIT_OK)


def print_cache_report(console: Any, report: Any) -> None:
    from rich.table import Table

    from provision.provisioning.cache import CACHE_DIR, Status

    if not report.entries:
        console.print(render("cache.nothing"), highlight=False)
        return
    labels = {Status.CACHED: "[green]" + render("cache.status_cached") + "[/]",
              Status.PRESENT: "[green]" + render("cache.status_present") + "[/]",
              Status.MANUAL: "[yellow]" + render("cache.status_manual") + "[/]",
              Status.UNAVAILABLE: "[yellow]" + render("cache.status_unavailable") + "[/]",
              Status.FAILED: "[bold red]" + render("cache.status_failed") + "[/]"}  # fmt: skip
    table = Table(title=render("cache.title"), title_justify="left", expand=True)
    table.add_column(render("cache.col_kind"), no_wrap=True)
    table.add_column(render("cache.col_title"))
    table.add_column(render("cache.col_status"), no_wrap=True)
    table.add_column(render("cache.col_detail"), ratio=1)
    for entry in report.entries:
        table.add_row(entry.kind, entry.title, labels.get(entry.status, entry.status), render(entry.key, entry.params))
    console.print(table)
    counts = {s: sum(1 for e in report.entries if e.status == s) for s in labels}
    console.print(
        render(
            "cache.summary",
            {
                "cached": counts[Status.CACHED] + counts[Status.PRESENT],
                "manual": counts[Status.MANUAL] + counts[Status.UNAVAILABLE],
                "failed": counts[Status.FAILED],
                "debs": report.apt_debs,
                "mb": round(report.apt_bytes / 1e6, 1),
                "path": shown(report.root / CACHE_DIR),
            },
        ),
        highlight=False,
    )


# ---------------------------------------------------------------- the LAN cache of plateau provision
class LanSession:
    """The LAN cache around one ``plateau provision`` run (provision/provisioning/lan.py).

    ``extra_vars()`` is empty when there is none (``--check``, ``PLATEAU_LAN_CACHE=0``,
    apt-cacher-ng missing, no address): the hosts then use their own sources, and the run says why.
    """

    def __init__(self, root: Path, loaded: Any, hosts: list[str], *, check: bool) -> None:
        from provision.provisioning import lan

        self.hosts = hosts
        self.addresses = lan.host_addresses(loaded, hosts)
        self.cache: Any = None
        if check or lan.env_disabled():
            return
        configured = loaded.inventory.centre_vars.get("lan_cache_address")
        address = lan.choose_address(sorted(a for found in self.addresses.values() for a in found), configured)
        try:
            if address is None:
                raise lan.LanCacheUnavailable("lan.no_address")
            self.cache = lan.start_lan_cache(root, address)
        except lan.LanCacheUnavailable as exc:
            out.print(render(exc.key, exc.params), highlight=False)
            return
        self.root = root
        atexit.register(self.stop_quietly)  # a run that ends by an exception leaves no server behind
        out.print(render("lan.started", {"proxy": self.cache.apt_proxy, "url": self.cache.lan_url}), highlight=False)

    def extra_vars(self) -> dict[str, Any]:
        from provision.provisioning.cache import lan_vars

        return {**self.cache.extra_vars(), **lan_vars(self.root)} if self.cache is not None else {}

    def stop_quietly(self) -> None:
        if self.cache is not None:
            cache, self.cache = self.cache, None
            cache.stop()

    def stop(self) -> dict[str, Any] | None:
        """Stop the servers; the per-host report (``LanReport.as_dict()``), printed, or None."""
        if self.cache is None:
            return None
        cache, self.cache = self.cache, None
        atexit.unregister(self.stop_quietly)
        try:
            report = cache.report(self.addresses)
        finally:
            cache.stop()
        print_lan_report(out, report)
        return report.as_dict()


def print_lan_report(console: Any, report: Any) -> None:
    from rich.table import Table

    rows = [(host, kinds) for host, kinds in sorted(report.hosts.items())]
    rows += [(render("lan.shared", {"address": a, "hosts": ", ".join(s["hosts"])}), s["kinds"])
             for a, s in sorted(report.shared.items())]  # fmt: skip
    rows += [(render("lan.unknown_client", {"address": a}), kinds) for a, kinds in sorted(report.unknown.items())]
    if not rows:
        console.print(render("lan.nothing_served"), highlight=False)
        return
    table = Table(title=render("lan.title"), title_justify="left")
    for column in ("col_host", "col_kind", "col_lan", "col_internet"):
        table.add_column(render(f"lan.{column}"))
    for name, kinds in rows:
        for kind, flow in sorted(kinds.items()):
            table.add_row(
                name,
                kind,
                render("lan.flow", {"files": flow.lan_files, "mb": round(flow.lan_bytes / 1e6, 2)}),
                render("lan.flow", {"files": flow.internet_files, "mb": round(flow.internet_bytes / 1e6, 2)}),
            )
    console.print(table)


def lan_detail(detail: dict[str, Any], report: dict[str, Any] | None, host: str) -> dict[str, Any]:
    """A host's run record with what it got from the LAN cache and from the internet, per kind."""
    if not report:
        return detail
    shared = next((s for s in report["shared"].values() if host in s["hosts"]), None)
    if host in report["hosts"]:
        return {**detail, "lan": report["hosts"][host]}
    if shared is not None:
        return {**detail, "lan_shared": shared}
    return detail
