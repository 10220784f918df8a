"""The technician's laptop as the centre's LAN cache, for the length of ``plateau provision``.

Two servers, both children of the run (started before the playbook, stopped after it):

    apt-cacher-ng -c <inventory>/.plateau/lan/acng ForeGround=1
        Debian's caching proxy, run in the foreground with plateau's own configuration (never
        the system service): cache in ``<inventory>/cache/apt-proxy/`` (kept between runs, so
        a package crosses the uplink once per centre, not once per evening), log in
        ``.plateau/lan/log/apt-cacher.log``. The hosts' apt uses it through
        ``Acquire::http::Proxy`` (``plateau_apt_proxy``). Extra settings (a local mirror to
        remap, ``Offlinemode: 1``...) go in ``<inventory>/cache/apt-cacher-ng.conf``.
    a plain HTTP server of ``<inventory>/cache/`` (``plateau_lan_url``)
        ``apt/`` (the flat repository ``plateau cache`` made), ``flatpak/`` (bundles),
        ``windows/``, ``homebrew/``; nothing else of the folder.

The address the hosts reach: ``lan_cache_address`` in ``group_vars/all`` when the centre sets
it, else this machine's source address on the route to the first host (a UDP ``connect``,
which sends nothing). The servers listen on that address only.

What came from where (:class:`LanReport`): apt-cacher-ng logs each transfer as
``<time>|I|<bytes>|<client>|<path>`` (fetched from upstream for that client) and
``<time>|O|<bytes>|<client>|<path>`` (delivered to it); a delivered file with no ``I`` for
that client came from the cache. The HTTP server counts what it served per client. Clients
are matched to hosts by address (``ansible_host``, resolved).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, BinaryIO

from provision.paths import state_dir
from provision.provisioning.lan_report import Flow, LanReport, build_report, parse_acng_log

__all__ = ["Flow", "LanCache", "LanCacheUnavailable", "LanReport", "build_report", "parse_acng_log",
           "start_lan_cache"]  # fmt: skip

ACNG = "apt-cacher-ng"
PROXY_CACHE = "apt-proxy"  # under <inventory>/cache/
EXTRA_CONF = "apt-cacher-ng.conf"  # <inventory>/cache/apt-cacher-ng.conf, optional
SERVED = ("apt", "flatpak", "windows", "homebrew")  # the folders plateau_lan_url serves
START_TIMEOUT_S = 60.0
#: apt-cacher-ng 3.7 formats its port as a signed 16-bit number: it cannot listen above 32767
PORTS = range(3142, 32768)
#: a provisioning run sees one snapshot of each index: hosts started minutes apart still share
#: one download (apt-cacher-ng re-checks an index with a 1-byte range request after this age)
FRESH_INDEX_S = 600


class LanCacheUnavailable(Exception):
    """No LAN cache for this run; ``key``/``params`` name why (message catalogue ``lan.``)."""

    def __init__(self, key: str, **params: Any) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


# ---------------------------------------------------------------- the address hosts reach
def route_source(address: str) -> str | None:
    """This machine's source address on the route to ``address`` (None when no route)."""
    try:
        infos = socket.getaddrinfo(address, 9, type=socket.SOCK_DGRAM)
    except OSError:
        return None
    for family, kind, proto, _name, sockaddr in infos:
        with socket.socket(family, kind, proto) as probe:
            try:
                probe.connect(sockaddr)  # UDP: picks the route, sends nothing
            except OSError:
                continue
            return str(probe.getsockname()[0])
    return None


def choose_address(host_addresses: Iterable[str], configured: str | None = None) -> str | None:
    if configured:
        return str(configured)
    for address in host_addresses:
        found = route_source(address)
        if found:
            return found
    return None


def resolve(address: str) -> set[str]:
    try:
        return {str(info[4][0]) for info in socket.getaddrinfo(address, None, type=socket.SOCK_STREAM)}
    except OSError:
        return set()


def _free_port(address: str, avoid: set[int]) -> int:
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    for port in PORTS:
        if port in avoid:
            continue
        with socket.socket(family, socket.SOCK_STREAM) as sock:
            try:
                sock.bind((address, port))
            except OSError:
                continue
            return port  # the lowest free one: the same port from run to run, so the hosts' settings stay
    raise LanCacheUnavailable("lan.no_port", address=address)


# ---------------------------------------------------------------- what was served
class _CacheFolderHandler(SimpleHTTPRequestHandler):
    server: _CacheFolderServer

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def send_head(self) -> Any:
        top = self.path.lstrip("/").split("/", 1)[0]
        if top not in SERVED:
            self.send_error(404)
            return None
        return super().send_head()

    def list_directory(self, path: Any) -> Any:  # no listing: the hosts ask for named files
        self.send_error(404)
        return None

    def copyfile(self, source: BinaryIO, outputfile: BinaryIO) -> None:  # type: ignore[override]
        sent = 0
        while chunk := source.read(256 * 1024):
            outputfile.write(chunk)
            sent += len(chunk)
        kind = self.path.lstrip("/").split("/", 1)[0]
        self.server.count(str(self.client_address[0]), kind, sent)


class _CacheFolderServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], folder: Path) -> None:
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        super().__init__(address, partial(_CacheFolderHandler, directory=str(folder)))
        self.lock = threading.Lock()
        self.served: dict[str, dict[str, Flow]] = {}

    def count(self, client: str, kind: str, sent: int) -> None:
        with self.lock:
            flow = self.served.setdefault(client, {}).setdefault(kind, Flow())
            flow.lan_files += 1
            flow.lan_bytes += sent


# ---------------------------------------------------------------- the servers
@dataclass
class LanCache:
    address: str
    proxy_port: int
    http_port: int
    log: Path
    process: subprocess.Popen[bytes]
    http: _CacheFolderServer
    thread: threading.Thread

    @property
    def apt_proxy(self) -> str:
        return f"http://{_url_host(self.address)}:{self.proxy_port}/"

    @property
    def lan_url(self) -> str:
        return f"http://{_url_host(self.address)}:{self.http_port}/"

    def extra_vars(self) -> dict[str, str]:
        return {"plateau_apt_proxy": self.apt_proxy, "plateau_lan_url": self.lan_url}

    def report(self, host_addresses: Mapping[str, Iterable[str]]) -> LanReport:
        try:
            lines = self.log.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            lines = []
        per_client = parse_acng_log(lines)
        with self.http.lock:
            for client, kinds in self.http.served.items():
                for kind, flow in kinds.items():
                    mine = per_client.setdefault(client, {}).setdefault(kind, Flow())
                    mine.lan_files += flow.lan_files
                    mine.lan_bytes += flow.lan_bytes
        return build_report(per_client, host_addresses)

    def stop(self) -> None:
        self.http.shutdown()
        self.http.server_close()
        self.thread.join(timeout=5)
        if self.process.poll() is None:
            self.process.terminate()  # SIGTERM: apt-cacher-ng closes its logs and stops
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=15)


def _url_host(address: str) -> str:
    return f"[{address}]" if ":" in address else address


def acng_config(root: Path, folder: Path, address: str, port: int) -> str:
    cache = root / "cache" / PROXY_CACHE
    return (
        f"CacheDir: {cache.resolve()}\nLogDir: {(folder / 'log').resolve()}\n"
        "SupportDir: /usr/lib/apt-cacher-ng\n"
        f"Port: {port}\nBindAddress: {address}\n"
        f"SocketPath: {(folder / 'acng.socket').resolve()}\nPidFile: {(folder / 'acng.pid').resolve()}\n"
        "ForeGround: 1\nVerboseLog: 1\nUnbufferLogs: 1\nReportPage: acng-report.html\n"
        f"FreshIndexMaxAge: {FRESH_INDEX_S}\nExThreshold: 4\n"
    )


def start_lan_cache(root: Path, address: str, *, which: Any = shutil.which) -> LanCache:
    """Start both servers on ``address``; LanCacheUnavailable when it cannot be done."""
    binary = which(ACNG)
    if binary is None:
        raise LanCacheUnavailable("lan.no_acng")
    cache = root / "cache"
    folder = state_dir(root) / "lan"
    confdir = folder / "acng"
    for path in (confdir, folder / "log", cache / PROXY_CACHE):
        path.mkdir(parents=True, exist_ok=True)
    log = folder / "log" / "apt-cacher.log"
    log.unlink(missing_ok=True)  # the report covers this run only
    port = _free_port(address, set())  # apt-cacher-ng's own 3142 when free
    try:
        http = _CacheFolderServer((address, _free_port(address, {port})), cache)
    except OSError as exc:
        raise LanCacheUnavailable("lan.cannot_listen", address=address, reason=exc.strerror or str(exc)) from None
    thread = threading.Thread(target=http.serve_forever, name="plateau-lan-http", daemon=True)
    thread.start()
    http_port = int(http.server_address[1])
    tried: set[int] = set()
    try:
        for stale in confdir.glob("*.conf"):
            stale.unlink()
        extra = cache / EXTRA_CONF
        if extra.is_file():  # read after acng.conf (apt-cacher-ng reads *.conf in name order)
            shutil.copyfile(extra, confdir / "zz-inventory.conf")
        while True:  # another program may take the port before apt-cacher-ng binds it: try the next one
            (confdir / "acng.conf").write_text(acng_config(root, folder, address, port), encoding="utf-8")
            process = _spawn(binary, confdir, folder / "log" / "acng.out")
            try:
                _wait_listening(process, address, port, folder / "log" / "acng.out")
                break
            except LanCacheUnavailable:
                if process.poll() is None:
                    process.kill()
                    process.wait(timeout=15)
                tried.add(port)
                if len(tried) >= 3:
                    raise
                port = _free_port(address, {http_port, *tried})
    except BaseException:
        http.shutdown()
        http.server_close()
        raise
    return LanCache(address, port, http_port, log, process, http, thread)


def _spawn(binary: str, confdir: Path, output: Path) -> subprocess.Popen[bytes]:
    with open(output, "wb") as out:
        # its own session: Ctrl-C in the terminal is plateau's to handle; it dies with plateau
        return subprocess.Popen([binary, "-c", str(confdir)], stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True,
                                preexec_fn=_die_with_parent)  # fmt: skip


def _die_with_parent() -> None:
    """In the child, before exec: SIGTERM when plateau itself dies, however it dies (Linux prctl)."""
    import ctypes
    import signal

    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _wait_listening(process: subprocess.Popen[bytes], address: str, port: int, out: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S  # a loaded machine starts it slowly
    while True:
        if process.poll() is not None:
            said = out.read_text(errors="replace").strip().splitlines()[-1:] if out.is_file() else []
            raise LanCacheUnavailable("lan.acng_failed", reason=" ".join(said) or f"exit {process.returncode}")
        try:
            socket.create_connection((address, port), timeout=1).close()
        except OSError:
            if time.monotonic() > deadline:
                process.kill()
                process.wait(timeout=15)
                raise LanCacheUnavailable(
                    "lan.acng_failed", reason=f"not listening after {START_TIMEOUT_S:.0f} s"
                ) from None
            time.sleep(0.05)
            continue
        # something listens there: apt-cacher-ng, or a program that took the port first
        # (apt-cacher-ng then goes on without TCP): its report page tells
        if _is_acng(address, port):
            return
        raise LanCacheUnavailable("lan.acng_failed", reason=f"port {port} is taken by another program")


def _is_acng(address: str, port: int) -> bool:
    import urllib.request

    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never through a proxy
    try:
        with opener.open(f"http://{_url_host(address)}:{port}/acng-report.html", timeout=10) as page:
            return b"Apt-Cacher" in page.read(65536)
    except OSError:
        return False


def host_addresses(loaded: Any, hosts: Iterable[str]) -> dict[str, set[str]]:
    """host -> the addresses its traffic comes from (its ``ansible_host``, resolved)."""
    found: dict[str, set[str]] = {}
    for host in hosts:
        devices = loaded.inventory.hosts.get(host) or []
        address = next((str(d.address) for d in devices if getattr(d, "address", None)), host)
        found[host] = resolve(address) or {address}
    return found


def env_disabled() -> bool:
    """``PLATEAU_LAN_CACHE=0``: no LAN cache (the hosts use their own sources directly)."""
    return os.environ.get("PLATEAU_LAN_CACHE", "1").strip().lower() in ("0", "no", "false", "off")
