"""``plateau provision``: plan -> extra vars -> ansible-runner (playbooks/site.yml) with a live
view, then the access points and tablets; every run and per-host result goes to the state store.

Exit codes: 0 every host ready; 1 some host failed or was unreachable; 2 wrong input
(PlateauError, raised to the CLI's main); 130 interrupted (Ctrl-C, run canceled).
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Annotated, Any

import typer
from rapidfuzz import process

from provision.cli.common import (
    EXIT_INTERRUPTED,
    EXIT_NOT_READY,
    EXIT_OK,
    InventoryOpt,
    VaultOpt,
    app,
    out,
    print_problems,
)
from provision.errors import PlateauError, Problem
from provision.messages import render
from provision.paths import shown, state_dir
from provision.state import open_store

PLAYBOOK = Path(__file__).resolve().parents[2] / "playbooks" / "site.yml"


# ---------------------------------------------------------------- limit
def resolve_limit(limit: str | None, rooms: dict[str, list[str]], hosts: list[str], all_hosts: list[str]) -> list[str]:
    """Workstations selected by ``--limit room|host[,..]``; unknown names raise PlateauError."""
    if not limit:
        return sorted(hosts)
    selected: set[str] = set()
    problems = []
    for value in (v.strip() for v in limit.split(",")):
        if not value:
            continue
        if value in rooms:
            selected |= {h for h in rooms[value] if h in hosts}
        elif value in all_hosts:
            selected |= {value} & set(hosts)
        else:
            suggestions = [m[0] for m in process.extract(value, [*rooms, *all_hosts], limit=3, score_cutoff=50)]
            problems.append(
                Problem(
                    key="provision.unknown_limit",
                    field="--limit",
                    params={"value": value, "rooms": sorted(rooms), "suggestions": suggestions},
                )
            )
    if problems:
        raise PlateauError(problems)
    return sorted(selected)


@app.command("provision", help="Installe les logiciels et crée les sessions administrateur (Ansible).")
def provision_command(
    inventory: InventoryOpt,
    check: Annotated[
        bool, typer.Option("--check", help="Simulation (mode check d'Ansible, avec --diff) : rien n'est modifié.")
    ] = False,
    limit: Annotated[
        str | None,
        typer.Option(
            "--limit", "-l", help="Limiter à des salles ou postes, séparés par des virgules.", show_default=False
        ),
    ] = None,
    forks: Annotated[
        int | None,
        typer.Option(
            "--forks",
            "-f",
            min=1,
            max=128,
            help="Postes préparés en parallèle (défaut d'Ansible : 5).",
            show_default=False,
        ),
    ] = None,
    vault_password_file: VaultOpt = None,
) -> None:
    """Installe les logiciels, crée les sessions administrateur et applique l'accessibilité sur les postes."""
    from provision.context import load_all
    from provision.inventory.loader import HOSTS_FILE, find_vault_password_file
    from provision.provisioning.runner import RunSpec, RunStatus, cached_count_tasks, run_playbook
    from provision.provisioning.vars import plateau_hosts
    from provision.provisioning.view import LiveView, print_summary

    root = Path(inventory)
    password_file, _how = find_vault_password_file(root, vault_password_file)
    if password_file is None:
        raise PlateauError(Problem(key="provision.no_vault_password", params={"inventory": shown(root)}))
    loaded = load_all(root, password_file)
    if loaded.warnings:
        print_problems(loaded.warnings)
    host_vars = plateau_hosts(loaded.plan.to_dict())
    rooms = {rid: room.hosts for rid, room in loaded.inventory.rooms.items()}
    selected = resolve_limit(limit, rooms, list(host_vars), list(loaded.inventory.hosts))
    if not selected:
        out.print(render("provision.no_hosts", {"scope": limit or shown(root)}))
        raise typer.Exit(_devices_phase(loaded, limit, check))
    if not PLAYBOOK.is_file():
        raise PlateauError(Problem(key="provision.no_playbook", params={"path": str(PLAYBOOK)}))

    private = state_dir(root) / "runner"
    private.mkdir(parents=True, exist_ok=True)
    extravars = private / "plan-vars.json"
    from provision.cli.cache import LanSession, lan_detail
    from provision.provisioning.cache import cache_vars

    # the LAN cache (apt-cacher-ng, the cache folder over HTTP) lives as long as the run
    lan = LanSession(root, loaded, selected, check=check)
    payload = {"plateau_hosts": host_vars, **cache_vars(root), **lan.extra_vars()}
    _write_private(extravars, json.dumps(payload, ensure_ascii=False, indent=1))
    spec = RunSpec(
        private_data_dir=private,
        playbook=PLAYBOOK,
        inventory=(root / HOSTS_FILE).resolve(),
        extravars_file=extravars.resolve(),
        vault_password_file=password_file.resolve(),
        limit=",".join(selected) if limit else None,
        forks=forks,
        check=check,
    )
    tasks = cached_count_tasks(spec)
    store = open_store(root)
    run_id = store.start_run(kind="provision", args={"check": check, "limit": limit, "forks": forks, "hosts": selected})
    out.print(
        render(
            "provision.starting",
            {"hosts": len(selected), "tasks": tasks, "mode": render("provision.mode_check") if check else ""},
        )
    )
    cancel = threading.Event()
    result = None
    # every secret value of the inventory: redacted from the run's events, messages and artifacts
    secrets = vault_values(root, password_file, loaded)
    try:
        with LiveView(out, selected, tasks) as view:
            result = run_playbook(spec, view, cancel, secrets=secrets)
    finally:
        lan_report = lan.stop()
        status = result.status.value if result is not None else RunStatus.CANCELED.value
        for host, host_result in (result.hosts if result is not None else {}).items():
            store.record_host_result(
                run_id,
                host,
                host_result.status.value,
                ok=host_result.ok,
                changed=host_result.changed,
                failed=host_result.failed,
                unreachable=host_result.unreachable,
                detail=lan_detail(host_result.as_detail(), lan_report, host),
            )
        store.finish_run(run_id, status)
    print_summary(out, result, root, selected, check=check, forks=forks)
    if result.status is RunStatus.CANCELED:
        raise typer.Exit(EXIT_INTERRUPTED)
    devices_code = _devices_phase(loaded, limit, check)
    if result.failed_hosts or result.status is not RunStatus.SUCCESSFUL:
        raise typer.Exit(EXIT_NOT_READY)
    raise typer.Exit(devices_code)


def _devices_phase(loaded: Any, limit: str | None, check: bool) -> int:
    """Access points and Android tablets, after the workstations; exit code of this phase."""
    from provision.devices_apply import apply_devices, print_outcomes, select_devices

    devices = select_devices(loaded, limit)
    if not devices:
        return EXIT_OK
    if check:
        out.print(render("devices.skipped_check"), highlight=False)
        return EXIT_OK
    with out.status("Configuration des appareils (point d'accès, tablettes)…"):
        outcomes = apply_devices(loaded, devices)
    print_outcomes(out, outcomes)
    store = open_store(loaded.inventory.root)
    run_id = store.start_run(kind="devices", args={"limit": limit, "devices": [d.name for d in devices]})
    for outcome in outcomes:
        store.record_host_result(
            run_id,
            outcome.device,
            outcome.status,
            changed=len(outcome.changes),
            failed=int(outcome.status == "failed"),
            unreachable=int(outcome.status == "unreachable"),
            detail={"key": outcome.key, "changes": outcome.changes},
        )
    bad = [o for o in outcomes if o.status in ("failed", "unreachable")]
    store.finish_run(run_id, "failed" if bad else "successful")
    return EXIT_NOT_READY if bad else EXIT_OK


def vault_values(root: Path, password_file: Path, loaded: Any = None) -> list[str]:
    """Every secret value the run must never show: each string of the inventory's vault files
    (``host_vars/``, ``group_vars/``, whole-file encrypted or plain ``vault.yml``) and each
    secret field of the loaded devices (Wi-Fi keys, SSH passwords...)."""
    import yaml

    from provision.secrets import device_secrets, read_vault_file

    password = password_file.read_bytes().strip()
    values: set[str] = set()

    def collect(node: Any) -> None:
        if isinstance(node, str):
            values.add(node)
        elif isinstance(node, dict):
            for value in node.values():
                collect(value)
        elif isinstance(node, list):
            for value in node:
                collect(value)

    for folder in ("host_vars", "group_vars"):
        for path in sorted((root / folder).rglob("*")):
            if not path.is_file() or path.suffix not in (".yml", ".yaml", ""):
                continue
            try:
                head = path.read_bytes()[:14]
            except OSError:
                continue
            if head.startswith(b"$ANSIBLE_VAULT") or path.stem == "vault":
                try:
                    collect(read_vault_file(path, password))
                except (PlateauError, ValueError, OSError, yaml.YAMLError):
                    continue  # the loader already said what is wrong with it
    values.update(device_secrets(getattr(getattr(loaded, "inventory", None), "devices", ())))
    return sorted(v for v in values if len(v) >= 4)


def _write_private(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
