"""The one base of every lab simulator: lifecycle, address, fault modes, threads, free ports.

    with IppPrinterSim() as sim:             # listening before start() returns: nothing to wait for
        read_printer_ipp(sim.host, port=sim.port)
        sim.set_mode("slow", slow_s=2.0)     # or: sim.mode = "dead"

Lifecycle
    ``start()`` acquires what the simulator serves on (a listening socket, a pty, a
    subprocess that has said it listens) and serves it from daemon threads; when it returns a
    client can connect at once. ``stop()`` sets ``stopping`` (which wakes handlers waiting in
    the ``slow`` mode), shuts the servers down, hangs up on clients still connected, joins the
    threads and releases the rest; it may be called twice. Both also work as ``with sim:``.

Modes (``sim.mode``, ``sim.set_mode(mode, slow_s=...)``), one vocabulary for every family:

    healthy   the default everywhere: answers like a working device
    dead      the device does not answer (TCP: accepts and hangs up without a word;
              serial: reads and never answers)
    slow      answers only after ``slow_s`` seconds, beyond any sane client timeout
    garbage   answers bytes that are not the protocol

plus each family's own conditions (``toner_low``, ``jam``, ``filament_out``, ``untrusted``...)
listed in the class's ``modes``. The older names ``ok`` and ``normal`` (and the scanner's
``idle``) are still accepted and read back as ``healthy``.
"""

from __future__ import annotations

import socket
import socketserver
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, Protocol, Self, TypeVar

HOST = "127.0.0.1"
HEALTHY = "healthy"
FAULTS = ("dead", "slow", "garbage")
ALIASES: Mapping[str, str] = {"ok": HEALTHY, "normal": HEALTHY}
JOIN_TIMEOUT_S = 5.0


def free_port(host: str = HOST, kind: socket.SocketKind = socket.SOCK_STREAM) -> int:
    """A port that is free on ``host`` right now (TCP, or UDP with ``socket.SOCK_DGRAM``).

    Only for peers we cannot hand a bound socket (sshd, uvicorn, adb, a subprocess): another
    process may take the port before the peer binds it. Our own simulators bind port 0.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, kind) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


class Faults(Protocol):
    """Where a simulator keeps its mode: itself, or the state dataclass tests change."""

    mode: str
    slow_s: float


@dataclass
class FaultState:
    mode: str = HEALTHY
    slow_s: float = 30.0


S = TypeVar("S", bound="Simulator")


class LabServer(socketserver.ThreadingTCPServer, Generic[S]):
    """A threading TCP server, bound and listening once constructed; handlers use ``server.sim``.

    ``sock``: serve an already bound and listening socket instead (e.g. a UNIX socket). Each
    connected client is recorded on the simulator so that ``stop()`` can hang up on it.
    """

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def __init__(
        self,
        sim: S,
        handler: type[socketserver.BaseRequestHandler],
        address: tuple[str, int] | None = None,
        *,
        sock: socket.socket | None = None,
    ) -> None:
        if sock is None:
            if address is None:
                raise ValueError("LabServer needs an address or a bound socket")
            super().__init__(address, handler)
        else:
            socketserver.BaseServer.__init__(self, sock.getsockname(), handler)
            self.socket = sock
        self.sim = sim

    def process_request(self, request: socket.socket | tuple[bytes, socket.socket], client_address: Any) -> None:
        if isinstance(request, socket.socket):
            self.sim.track_client(request, alive=True)
        super().process_request(request, client_address)

    def shutdown_request(self, request: socket.socket | tuple[bytes, socket.socket]) -> None:
        if isinstance(request, socket.socket):
            self.sim.track_client(request, alive=False)
        super().shutdown_request(request)


class Simulator:
    """Base of every lab simulator. Subclasses override :meth:`_open` and :meth:`_close`.

    ``_open()`` (called by ``start()``) binds servers with :meth:`bind` (or binds them in the
    constructor already), opens ptys, starts helper threads with :meth:`run_in_thread`;
    every server bound is served from its own daemon thread before ``start()`` returns.
    ``_close()`` (called by ``stop()``, after the servers and threads are stopped) releases
    what is left (file descriptors, subprocesses) and must tolerate being called twice.
    A simulator that binds in ``_open`` can be started again after ``stop()``; one bound in
    its constructor (projector, access point, usbmuxd: ``port`` known before ``start()``)
    cannot.
    """

    #: every mode this simulator knows (``healthy`` first); subclasses add their own
    modes: ClassVar[tuple[str, ...]] = (HEALTHY, *FAULTS)
    #: older mode names still accepted, mapped to the current ones
    aliases: ClassVar[Mapping[str, str]] = ALIASES

    def __init__(self, *, host: str = HOST, mode: str = HEALTHY, slow_s: float = 30.0) -> None:
        self.host = host  # any loopback address; the demo gives each device its own 127.0.1.x
        self.stopping = threading.Event()
        self._fault_state = FaultState(HEALTHY, slow_s)
        self._servers: list[tuple[LabServer[Self], threading.Thread | None]] = []
        self._threads: list[threading.Thread] = []
        self._clients: set[socket.socket] = set()
        self._clients_lock = threading.Lock()
        self._running = False
        self.mode = mode

    # ------------------------------------------------------------------ modes
    def faults(self) -> Faults:
        """The object holding ``mode`` and ``slow_s`` (override to keep them in a state)."""
        return self._fault_state

    def check_mode(self, value: str) -> str:
        """``value`` as a current mode name; ValueError if this simulator does not know it."""
        mode = self.aliases.get(value, value)
        if mode not in self.modes:
            raise ValueError(f"unknown state {value!r}: {type(self).__name__} modes are {', '.join(self.modes)}")
        return mode

    @property
    def mode(self) -> str:
        mode = self.faults().mode
        return self.aliases.get(mode, mode)

    @mode.setter
    def mode(self, value: str) -> None:
        self.faults().mode = self.check_mode(value)

    @property
    def slow_s(self) -> float:
        return self.faults().slow_s

    @slow_s.setter
    def slow_s(self, value: float) -> None:
        self.faults().slow_s = value

    def set_mode(self, mode: str, *, slow_s: float | None = None) -> Self:
        """Change the mode while running (and the ``slow`` delay, if given)."""
        self.mode = mode
        if slow_s is not None:
            self.slow_s = slow_s
        return self

    def wait_slow(self) -> bool:
        """Sleep ``slow_s`` (cut short by ``stop()``); True if the simulator is stopping."""
        return self.stopping.wait(self.slow_s)

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> Self:
        """Bind and serve (idempotent while running); ready for clients when it returns."""
        if self._running:
            return self
        self.stopping.clear()
        try:
            self._open()
            for index, (server, thread) in enumerate(self._servers):
                if thread is None:
                    thread = threading.Thread(
                        target=server.serve_forever,
                        kwargs={"poll_interval": 0.05},
                        name=f"{type(self).__name__}:{server.server_address!r}",
                        daemon=True,
                    )
                    thread.start()
                    self._servers[index] = (server, thread)
        except BaseException:
            self.stop()
            raise
        self._running = True
        return self

    def stop(self) -> None:
        self._running = False
        self.stopping.set()
        servers, self._servers = self._servers, []
        for server, thread in servers:
            if thread is not None:  # shutdown() waits forever on a server that never served
                server.shutdown()
            server.server_close()
        self.hang_up()
        threads, self._threads = [t for _, t in servers if t is not None] + self._threads, []
        for thread in threads:
            if thread is not threading.current_thread():
                thread.join(timeout=JOIN_TIMEOUT_S)
        self._close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _open(self) -> None:
        """Acquire and start serving (see the class docstring)."""

    def _close(self) -> None:
        """Release what ``_open`` acquired besides servers and threads."""

    # ------------------------------------------------------------------ helpers
    def bind(
        self, handler: type[socketserver.BaseRequestHandler], port: int = 0, *, sock: socket.socket | None = None
    ) -> LabServer[Self]:
        """Bind ``handler`` on ``(host, port)`` (or serve ``sock``); served by ``start()``."""
        server: LabServer[Self] = LabServer(self, handler, (self.host, port), sock=sock)
        self._servers.append((server, None))
        return server

    def run_in_thread(self, target: Callable[[], object], name: str) -> threading.Thread:
        """Run ``target`` in a daemon thread that ``stop()`` joins (it should watch ``stopping``)."""
        thread = threading.Thread(target=target, name=name, daemon=True)
        self._threads.append(thread)
        thread.start()
        return thread

    def track_client(self, client: socket.socket, *, alive: bool) -> None:
        with self._clients_lock:
            (self._clients.add if alive else self._clients.discard)(client)

    def hang_up(self) -> None:
        """Shut down every client connection still open (unblocks their handler threads)."""
        with self._clients_lock:
            clients = list(self._clients)
        for client in clients:
            try:
                client.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    # ------------------------------------------------------------------ where it listens
    @property
    def port(self) -> int:
        """The bound TCP port (``RuntimeError`` before ``start()`` if binding happens there)."""
        for server, _ in self._servers:
            address = server.server_address
            if isinstance(address, tuple):
                return int(address[1])
        raise RuntimeError(f"{type(self).__name__} not started")

    @property
    def address(self) -> str:
        """Where a client connects: ``host:port`` here; a device path for pty simulators."""
        return f"{self.host}:{self.port}"


def wait_for_interrupt(sim: Simulator) -> None:
    """Standalone simulators: serve until Ctrl-C (or SIGTERM), then stop cleanly."""
    import signal

    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    try:
        done.wait()
    except KeyboardInterrupt:
        pass
    finally:
        sim.stop()


def stop_process_group(process: Any, timeout_s: float = 10) -> None:
    """End a lab server started in its own process group (sshd and the sessions it forked):
    SIGTERM to the group, SIGKILL if it is still there after ``timeout_s``."""
    import os
    import signal
    import subprocess

    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    try:
        process.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=timeout_s)
