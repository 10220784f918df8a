"""Ctrl-C with a browser tab open: the real ``plateau dashboard`` process, a real client holding the
live stream (Server-Sent Events) open, and a sweep of the centre under way. The server ends the
stream itself (the last chunk of a finished response, not a cut connection), the process exits,
and stderr holds nothing (or « Interrompu. »): no traceback, no cancelled task.
"""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest

READY_TIMEOUT_S = 60.0  # generous ceilings: a loaded machine


def open_stream(port: int) -> socket.socket:
    """A client of /evenements, as the page's EventSource is: returns once the stream has begun."""
    client = socket.create_connection(("127.0.0.1", port), timeout=READY_TIMEOUT_S)
    client.sendall(b"GET /evenements HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n")
    received = b""
    while b"retry: 3000" not in received:
        chunk = client.recv(65536)
        assert chunk, received
        received += chunk
    assert received.startswith(b"HTTP/1.1 200") and b"transfer-encoding: chunked" in received.lower()
    return client


def read_to_end(client: socket.socket) -> bytes:
    received = b""
    client.settimeout(READY_TIMEOUT_S)
    while True:
        try:
            chunk = client.recv(65536)
        except ConnectionResetError:
            return received + b"<reset>"
        if not chunk:
            return received
        received += chunk


@pytest.mark.slow  # a real process, a sweep of the (absent) demo lab
def test_ctrl_c_with_a_live_stream_open_exits_cleanly(demo: Path, dashboard_process) -> None:
    running = dashboard_process(demo, "--timeout", "2")  # sweeps the whole centre on start
    client = open_stream(running.port)
    started = time.monotonic()
    code = running.interrupt()
    elapsed = time.monotonic() - started
    tail = read_to_end(client)
    client.close()
    print(f"exit {code} {elapsed:.2f} s after SIGINT")
    assert code == 130, running.stderr
    # the server finished the response: chunked encoding's last (empty) chunk, no reset
    assert tail.endswith(b"0\r\n\r\n"), tail[-200:]
    assert running.stderr.strip() in ("", "Interrompu."), running.stderr  # Typer's exit 130 says nothing
