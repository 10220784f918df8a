"""The demo's provisioning step: ``plateau provision --check`` for real, against simulated PCs.

Why check mode, and why it cannot change this machine
-----------------------------------------------------
The demo's Linux PC (``demo-pc-linux``) is a :class:`devices.lab.workstation.WorkstationLab`
started with ``sandbox=True``: Debian's real sshd, the jury's account with its vault password (the
live probes log in with it) and root (Ansible logs in as root with the same demo password, so
``become`` is a no-op and Ansible pipelines; ``su`` cannot pipeline, and costs more SSH round
trips per task), all inside
a private mount namespace whose root is a copy-on-write overlay of this machine (lower layer ``/``,
upper layer a tmpfs). The playbooks
(playbooks/site.yml) run through :func:`provision.cli.provision.provision_command` itself, so the
demo shows exactly what ``plateau provision --check`` shows: the same ansible-runner adapter
(``run_playbook``), the same live view, the same summary and retry command, the same run record
in the state store (kind ``provision``, ``check: true``), which the dashboard then lists.

A real (not ``--check``) run was rejected: installing the plan's software needs the Debian
mirrors, i.e. the internet, and the demo never sends a packet off loopback; a run that fails
at « Mettre à jour la liste des paquets apt » would teach a newcomer nothing. Check mode is also
what a technician runs first on a centre's fresh PCs: it reports « à créer » / « à installer »
and changes nothing. The sandbox's apt has no package index (a PC before its first ``apt update``),
so the check is the same on every machine and takes seconds (with this machine's index, simulating
LibreOffice's install alone took 19 s). Two independent guards keep this machine unchanged: Ansible's check mode
(modules only simulate), and the overlay (a task that ignores check mode, ``check_mode: false``,
still writes only into the lab's tmpfs, gone when the lab stops). tests/test_demo.py proves it:
no new account, /etc/passwd, /etc/group and dpkg's status file unchanged.

Bounds: every task carries ``plateau_install_timeout_s`` (60 s in inventories/demo), and the whole
step is cut after :data:`CEILING_S` (the run is then recorded « interrompu », like a Ctrl-C).
When the lab cannot start (not root, no sshd, no overlay support) or plateau provision refuses
(a user error in the demo's files), the step says why, in French, and the demo goes on.
"""

from __future__ import annotations

import _thread
import ipaddress
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import typer

from provision.cli.common import EXIT_INTERRUPTED, out
from provision.messages import render

#: the whole Ansible step of the demo, at most (seconds); each task is bounded by the inventory too
CEILING_S = 300.0


def lab_prefix(loaded: Any) -> str:
    """The loopback /24 the demo inventory points at (127.0.1. unless a copy was moved elsewhere with
    devices.lab.demo.move_inventory, as tests do so that concurrent runs never share an address)."""
    from devices.lab.demo import DEMO_PREFIX

    prefixes = set()
    for device in loaded.inventory.devices:
        try:
            address = ipaddress.ip_address(device.address or "")
        except ValueError:
            continue
        if address.version == 4 and address.is_loopback:
            prefixes.add(str(address).rsplit(".", 1)[0] + ".")
    return prefixes.pop() if len(prefixes) == 1 else DEMO_PREFIX


@contextmanager
def demo_workstations(loaded: Any) -> Iterator[tuple[list[Any], str | None]]:
    """Start one sandboxed lab PC per Linux workstation of the demo inventory (at its address and
    ``ansible_port``); yield (labs, reason they could not start or None)."""
    from devices.lab.workstation import LabNeedsRoot, WorkstationLab
    from devices.models import LinuxWorkstation

    pcs = [d for d in loaded.inventory.devices if isinstance(d, LinuxWorkstation)]
    labs: list[Any] = []
    reason: str | None = None
    try:
        for pc in pcs:
            if not pc.address or not ipaddress.ip_address(pc.address).is_loopback or pc.admin_password is None:
                reason = render("demo.pc_not_lab", {"host": pc.name})
                break
            password = pc.admin_password.get_secret_value()
            lab = WorkstationLab(
                user=pc.admin_user,
                password=password,
                root_password=password,
                sandbox=True,
                addresses=[pc.address],
                listen_port=pc.management_port(),
            )
            try:
                lab.start()
            except BaseException:
                lab.stop()
                lab.cleanup()
                raise
            labs.append(lab)
    except LabNeedsRoot:
        reason = render("demo.lab_needs_root")
    except (RuntimeError, OSError, ValueError) as exc:  # sshd or the overlay refused to start
        reason = render("demo.lab_failed", {"reason": str(exc).strip().splitlines()[-1][:300] if str(exc) else ""})
    try:
        yield labs, reason
    finally:
        for lab in labs:
            lab.stop()
            lab.cleanup()


def provision_check(loaded: Any) -> int | None:
    """Run ``plateau provision --check`` on the demo inventory, bounded by :data:`CEILING_S`;
    return its exit code (None when it was cut). A Ctrl-C of the user stops the demo (exit 130)."""
    from provision.cli.common import print_problems
    from provision.cli.provision import provision_command
    from provision.errors import PlateauError

    fired = threading.Event()
    lock, running = threading.Lock(), [True]

    def cut() -> None:
        with lock:  # never once the step is over: the interrupt would land in the rest of the demo
            if not running[0]:
                return
            fired.set()
            _thread.interrupt_main()  # what Ctrl-C does: the run is canceled and recorded « interrompu »

    # interrupt_main() runs whatever SIGINT handler the process has: make it Python's own
    # (KeyboardInterrupt) for the step, so the cut and a Ctrl-C always stop the run
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    timer = threading.Timer(CEILING_S, cut)
    timer.daemon = True
    timer.start()
    code: int | None = 0
    try:
        try:
            provision_command(inventory=loaded.inventory.root, check=True, limit=None, forks=None,
                              vault_password_file=None)  # fmt: skip
        finally:
            with lock:
                running[0] = False
    except typer.Exit as done:
        code = done.exit_code
    except PlateauError as refused:  # what plateau provision says of the demo's files; the demo goes on
        print_problems(refused.problems)
        code = None
    except KeyboardInterrupt:
        if not fired.is_set():
            raise
        code = None
    finally:
        timer.cancel()
        signal.signal(signal.SIGINT, previous)
    if fired.is_set():
        out.print(render("demo.provision_cut", {"seconds": int(CEILING_S)}), highlight=False)
        return None
    if code == EXIT_INTERRUPTED:
        raise typer.Exit(EXIT_INTERRUPTED)
    return code
