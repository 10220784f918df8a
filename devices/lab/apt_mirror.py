"""A Debian mirror on loopback standing for "the internet", counting every byte it sends.

    with AptMirror() as mirror:                      # http://127.0.0.1:<port>/debian/
        mirror.add_package("plateau-lan-app", "1.0", depends="plateau-lan-lib", size_kb=64)
        mirror.add_package("plateau-lan-lib", "1.0")
        mirror.publish()                             # Packages, Packages.gz, Release
        ... apt-get update / install through the LAN cache ...
        mirror.bytes_sent, mirror.sent_by_path       # body bytes, per request path
        mirror.add_package("plateau-lan-app", "1.1"); mirror.publish()   # a version bump

What is real: the ``.deb`` files are built by ``dpkg-deb --build`` (installable by dpkg), the
repository is a *flat* one (``deb [trusted=yes] http://.../debian ./``: apt asks
``./InRelease``, ``./Release``, ``./Release.gpg``, then ``./Packages.gz``...), the indexes carry
the Size/MD5sum/SHA256 apt checks, and the server is Python's ``http.server`` (GET, HEAD,
If-Modified-Since, Last-Modified), plus the single byte ranges with ``If-Range`` that real
mirrors answer. A package's payload is ``size_kb`` of random bytes, so the
.deb does not compress away and a byte count means something.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import shutil
import subprocess
import tempfile
import threading
import time
from collections import Counter
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, BinaryIO, Self

from devices.lab.base import HOST

DIST = "debian"  # the URL path of the repository: http://host:port/debian/
#: apt-cacher-ng 3.7 formats ports as a signed 16-bit number: a port above 32767 (every
#: ephemeral port) becomes negative in its requests and its listener; lab peers use ports below
LOW_PORTS = range(20000, 32768)


def low_port(host: str = HOST) -> int:
    """A port below 32768 that is free on ``host`` right now (see :data:`LOW_PORTS`)."""
    import random
    import socket

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    for port in random.sample(LOW_PORTS, 200):
        with socket.socket(family, socket.SOCK_STREAM) as sock:
            try:
                sock.bind((host, port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port below 32768 on {host}")


class _CountingHandler(SimpleHTTPRequestHandler):
    server: _MirrorServer

    def log_message(self, format: str, *args: Any) -> None:  # quiet: the counts are the log
        pass

    def send_head(self) -> Any:
        """Python's answer, plus single byte ranges (``Range: bytes=N-``) honoured when
        ``If-Range`` is the file's Last-Modified, as Apache and nginx mirrors do: apt-cacher-ng
        revalidates a cached index by asking its last byte this way."""
        wanted, since = self.headers.get("Range", ""), self.headers.get("If-Range")
        path = Path(self.translate_path(self.path))
        if not wanted.startswith("bytes=") or not wanted.endswith("-") or not path.is_file():
            return super().send_head()
        try:
            start = int(wanted[len("bytes=") : -1])
        except ValueError:
            return super().send_head()
        stat = path.stat()
        modified = self.date_time_string(int(stat.st_mtime))
        if (since is not None and since != modified) or not 0 <= start < stat.st_size:
            return super().send_head()  # changed (or a range it cannot serve): the whole file
        handle = open(path, "rb")  # noqa: SIM115 - closed by the caller, as http.server does
        handle.seek(start)
        self.send_response(206)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Content-Range", f"bytes {start}-{stat.st_size - 1}/{stat.st_size}")
        self.send_header("Content-Length", str(stat.st_size - start))
        self.send_header("Last-Modified", modified)
        self.end_headers()
        return handle

    def copyfile(self, source: BinaryIO, outputfile: BinaryIO) -> None:  # type: ignore[override]
        sent = 0
        while chunk := source.read(64 * 1024):
            outputfile.write(chunk)
            sent += len(chunk)
        self.server.count(self.path, sent)


class _MirrorServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], directory: Path) -> None:
        super().__init__(address, partial(_CountingHandler, directory=str(directory)))
        self.lock = threading.Lock()
        self.bytes_sent = 0
        self.sent_by_path: Counter[str] = Counter()
        self.requests: list[str] = []

    def count(self, path: str, sent: int) -> None:
        with self.lock:
            self.bytes_sent += sent
            self.sent_by_path[path] += sent
            self.requests.append(path)


class AptMirror:
    """A flat Debian repository served over HTTP on ``host`` (see the module docstring)."""

    def __init__(self, *, host: str = HOST, root: Path | None = None) -> None:
        self.host = host
        self._root = root
        self.dir: Path | None = None
        self._server: _MirrorServer | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> Self:
        self.dir = Path(tempfile.mkdtemp(prefix="plateau-mirror-", dir=self._root))
        (self.dir / DIST).mkdir()
        (self.dir / "build").mkdir()
        for _attempt in range(20):  # another process may take the port between the probe and the bind
            try:
                self._server = _MirrorServer((self.host, low_port(self.host)), self.dir)
                break
            except OSError:
                continue
        else:
            raise RuntimeError("AptMirror found no free port below 32768")
        self._thread = threading.Thread(target=self._server.serve_forever, name="apt-mirror", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def cleanup(self) -> None:
        if self.dir is not None:
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
        self.cleanup()

    # ------------------------------------------------------------------ what it serves
    @property
    def port(self) -> int:
        assert self._server is not None, "AptMirror not started"
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        """The repository's URL, for ``deb [trusted=yes] <url> ./``."""
        return f"http://{self.host}:{self.port}/{DIST}/"

    @property
    def repo(self) -> Path:
        assert self.dir is not None
        return self.dir / DIST

    @property
    def bytes_sent(self) -> int:
        assert self._server is not None
        with self._server.lock:
            return self._server.bytes_sent

    @property
    def sent_by_path(self) -> dict[str, int]:
        assert self._server is not None
        with self._server.lock:
            return dict(self._server.sent_by_path)

    @property
    def requests(self) -> list[str]:
        assert self._server is not None
        with self._server.lock:
            return list(self._server.requests)

    def reset_counts(self) -> None:
        assert self._server is not None
        with self._server.lock:
            self._server.bytes_sent = 0
            self._server.sent_by_path.clear()
            self._server.requests.clear()

    def add_package(self, name: str, version: str, *, depends: str | None = None, size_kb: int = 16) -> Path:
        """Build ``<name>_<version>_all.deb`` (installs ``/usr/share/<name>/``) into the
        repository; an older version of the same package is removed, as a mirror does."""
        assert self.dir is not None
        for old in self.repo.glob(f"{name}_*_all.deb"):
            old.unlink()
        tree = self.dir / "build" / f"{name}-{version}"
        shutil.rmtree(tree, ignore_errors=True)
        (tree / "DEBIAN").mkdir(parents=True)
        share = tree / "usr" / "share" / name
        share.mkdir(parents=True)
        (share / "VERSION").write_text(f"{version}\n")
        (share / "payload.bin").write_bytes(os.urandom(size_kb * 1024))
        (tree / "DEBIAN" / "control").write_text(
            f"Package: {name}\nVersion: {version}\nArchitecture: all\n"
            "Maintainer: plateau lab <lab@plateau.invalid>\n"
            + (f"Depends: {depends}\n" if depends else "")
            + f"Description: plateau lab package {name}\n"
        )
        deb = self.repo / f"{name}_{version}_all.deb"
        # -Zgzip: quick to build; the payload is random, so no compressor shrinks it anyway
        subprocess.run(["dpkg-deb", "-Zgzip", "--root-owner-group", "--build", str(tree), str(deb)], check=True,
                       capture_output=True, timeout=120)  # fmt: skip
        shutil.rmtree(tree)
        return deb

    def publish(self, *, index_padding: int = 0) -> None:
        """Write ``Packages``, ``Packages.gz`` and ``Release`` of what the repository holds.

        ``index_padding``: that many more paragraphs of packages nobody installs (no file
        behind them), for an index of a real mirror's size (Debian 12 main amd64: 63,000
        paragraphs, 8.95 MB compressed)."""
        paragraphs = []
        for index in range(index_padding):
            digest = hashlib.sha256(f"padding-{index}".encode()).hexdigest()
            paragraphs.append(
                f"Package: plateau-padding-{index}\nVersion: 1.{index}\nArchitecture: all\n"
                f"Maintainer: plateau lab <lab@plateau.invalid>\nDescription: never installed {digest[:24]}\n"
                f"Filename: ./plateau-padding-{index}_1.{index}_all.deb\nSize: {1000 + index}\n"
                f"MD5sum: {digest[:32]}\nSHA256: {digest}\n"
            )
        for deb in sorted(self.repo.glob("*.deb")):
            control = subprocess.run(["dpkg-deb", "--field", str(deb)], check=True, capture_output=True, text=True,
                                     timeout=60).stdout.strip()  # fmt: skip
            data = deb.read_bytes()
            paragraphs.append(
                f"{control}\nFilename: ./{deb.name}\nSize: {len(data)}\n"
                f"MD5sum: {hashlib.md5(data).hexdigest()}\nSHA256: {hashlib.sha256(data).hexdigest()}\n"
            )
        packages = "\n".join(paragraphs).encode()
        packed = gzip.compress(packages, mtime=0)
        release = [
            "Origin: plateau-lab",
            "Label: plateau-lab",
            "Suite: plateau-lab",
            "Codename: plateau-lab",
            f"Date: {time.strftime('%a, %d %b %Y %H:%M:%S UTC', time.gmtime())}",
            "MD5Sum:",
            *(f" {hashlib.md5(d).hexdigest()} {len(d)} {n}" for n, d in (("Packages", packages), ("Packages.gz", packed))),
            "SHA256:",
            *(f" {hashlib.sha256(d).hexdigest()} {len(d)} {n}" for n, d in (("Packages", packages), ("Packages.gz", packed))),
        ]  # fmt: skip
        # written under a temporary name then renamed: a client never reads half an index
        for name, data in (
            ("Packages", packages),
            ("Packages.gz", packed),
            ("Release", ("\n".join(release) + "\n").encode()),
        ):
            tmp = self.repo / f".{name}.tmp"
            tmp.write_bytes(data)
            os.replace(tmp, self.repo / name)
