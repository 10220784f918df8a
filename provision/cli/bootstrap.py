"""``plateau bootstrap windows -i DIR [--transport ssh|winrm] [--user NAME] [-o FILE]``: writes the
PowerShell script the technician runs once per fresh Windows PC (playbooks/files/bootstrap-windows.ps1,
with the inventory's transport and account as defaults) and prints the steps in French.

The script never contains a password: it asks for it on the PC (Read-Host -AsSecureString) or keeps
the account that runs it. Exit codes: 0 written; 2 wrong input.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer

from provision.cli.common import InventoryOpt, VaultOpt, app, out
from provision.errors import PlateauError, Problem
from provision.messages import render
from provision.paths import shown

if TYPE_CHECKING:
    from provision.context import Loaded

SCRIPT = Path(__file__).resolve().parents[2] / "playbooks" / "files" / "bootstrap-windows.ps1"
#: a Windows local account name the script accepts (its own ValidatePattern)
USER_RE = re.compile(r"^[A-Za-z0-9._-]{1,20}$")
DEFAULT_USER = "plateau"

bootstrap_app = typer.Typer(
    name="bootstrap",
    help="Prépare un poste neuf pour que plateau puisse le joindre.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def transport_of(connection: str | None) -> Literal["ssh", "winrm"]:
    """The bootstrap transport for an ``ansible_connection`` value (WinRM when unset, as the example)."""
    return "ssh" if connection == "ssh" else "winrm"


def render_script(transport: str, user: str, template: str | None = None) -> str:
    """The shipped script with *transport* and *user* as its parameter defaults, CRLF line endings."""
    if transport not in ("ssh", "winrm"):
        raise ValueError(transport)
    if not USER_RE.match(user):
        raise ValueError(user)
    text = SCRIPT.read_text("utf-8") if template is None else template
    text, n1 = re.subn(r"\[string\]\$Transport = '[a-z]+'", f"[string]$Transport = '{transport}'", text, count=1)
    text, n2 = re.subn(r"\[string\]\$User = '[^']*'", f"[string]$User = '{user}'", text, count=1)
    if n1 != 1 or n2 != 1:  # the shipped file changed shape: a packaging bug, not a user error
        raise RuntimeError(f"bootstrap script parameters not found in {SCRIPT}")
    return text.replace("\r\n", "\n").replace("\n", "\r\n")


def write_script(path: Path, text: str) -> None:
    """UTF-8 *with* BOM: Windows PowerShell 5.1 reads a BOM-less file as ANSI and garbles the French."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode("utf-8-sig"))


def windows_hosts(root: Path, vault_password_file: Path | None) -> list[tuple[str, str | None, str | None]]:
    """(name, ansible_connection, ansible_user) of every host of the ``windows`` family, read by Ansible."""
    from provision.inventory import ansible_source
    from provision.inventory.loader import find_vault_password_file

    hosts_file = root / "hosts.yml"
    if not hosts_file.is_file():
        raise PlateauError(Problem(key="bootstrap.no_inventory", field="-i", params={"path": shown(root)}))
    password_file, _how = find_vault_password_file(root, vault_password_file)
    password = password_file.read_bytes().strip() if password_file else None
    try:
        raw = ansible_source.load(hosts_file, password)
    except ansible_source.AnsibleLoadError as exc:  # « plateau validate » names every file and line
        raise PlateauError(
            Problem(
                key="bootstrap.unreadable",
                file=str(hosts_file),
                params={"path": shown(root), "reason": str(exc).splitlines()[0] if str(exc) else ""},
            )
        ) from None
    found = []
    for host in raw.hosts:
        if "windows" in host.groups:
            user = host.vars.get("ansible_user")
            found.append((host.name, host.vars.get("ansible_connection"), str(user) if user else None))
    return sorted(found)


@bootstrap_app.command("windows")
def bootstrap_windows(
    inventory: InventoryOpt,
    transport: Annotated[
        str | None,
        typer.Option(
            "--transport",
            help="ssh (OpenSSH Server) ou winrm (WinRM HTTPS 5986) ; par défaut celui de l'inventaire.",
            show_default=False,
        ),
    ] = None,
    user: Annotated[
        str | None,
        typer.Option(
            "--user",
            help="Compte que plateau utilise sur le poste ; par défaut ansible_user de l'inventaire, sinon « plateau ».",
            show_default=False,
        ),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "-o",
            "--output",
            help="Fichier à écrire (par défaut <inventaire>/bootstrap/bootstrap-windows.ps1).",
            show_default=False,
        ),
    ] = None,
    vault_password_file: VaultOpt = None,
) -> None:
    """Écrit le script PowerShell à lancer une fois sur chaque poste Windows neuf, et affiche les étapes."""
    root = Path(inventory)
    hosts = windows_hosts(root, vault_password_file)
    if transport is not None and transport not in ("ssh", "winrm"):
        raise PlateauError(Problem(key="bootstrap.bad_transport", field="--transport", params={"value": transport}))
    if transport is None:
        counts = Counter(transport_of(c) for _n, c, _u in hosts)
        transport = counts.most_common(1)[0][0] if counts else "winrm"
    if user is None:
        users = Counter(u for _n, _c, u in hosts if u)
        user = users.most_common(1)[0][0] if users else DEFAULT_USER
    if not USER_RE.match(user):
        raise PlateauError(Problem(key="bootstrap.bad_user", field="--user", params={"value": user}))
    path = output if output is not None else root / "bootstrap" / "bootstrap-windows.ps1"
    write_script(path, render_script(transport, user))

    mismatched = [n for n, c, _u in hosts if transport_of(c) != transport]
    no_user = [n for n, _c, u in hosts if not u]
    params = {
        "path": shown(path),
        "file": path.name,
        "transport": transport,
        "user": user,
        "hosts": len(hosts),
        "port": 22 if transport == "ssh" else 5986,
    }
    out.print("[bold green]✓[/] " + render("bootstrap.written", params), highlight=False)
    out.print(render("bootstrap.steps_title"), highlight=False)
    for n in range(1, 7):
        out.print(f"  {n}. " + render(f"bootstrap.step{n}_{transport if n == 4 else 'all'}", params), highlight=False)
    if mismatched:
        out.print(
            "[yellow]![/] " + render("bootstrap.mismatched", {**params, "names": ", ".join(mismatched)}),
            highlight=False,
        )
    if no_user:
        out.print(
            "[yellow]![/] " + render("bootstrap.no_user", {**params, "names": ", ".join(no_user)}), highlight=False
        )
    out.print(render("bootstrap.doc"), highlight=False)


app.add_typer(
    bootstrap_app, name="bootstrap", help="Prépare un poste Windows neuf (OpenSSH ou WinRM HTTPS) pour plateau."
)


def never_reached(loaded: Loaded) -> list[str]:
    """The Windows PCs of the inventory plateau has never reached: no WinRM certificate and no SSH
    host key pinned for their address and port under the inventory's .plateau/ (first contact pins them)."""
    from checks.probes.workstation import pinned
    from devices.models import WindowsWorkstation
    from provision.paths import STATE_DIR
    from provision.sweep import KNOWN_HOSTS

    known_hosts = loaded.inventory.root / STATE_DIR / KNOWN_HOSTS
    return sorted(
        d.name
        for d in loaded.inventory.devices
        if isinstance(d, WindowsWorkstation)
        and d.ansible_connection != "local"
        and d.address
        and not pinned(d.address, d.management_port(), known_hosts)
    )


def print_never_reached(loaded: Loaded) -> None:
    """``plateau validate``'s hint (not an error): the Windows PCs that may still need the bootstrap script."""
    names = never_reached(loaded)
    if names:
        out.print("[yellow]ℹ[/] " + render("bootstrap.never_reached", {"count": len(names), "names": ", ".join(names)}),
                  highlight=False)  # fmt: skip
