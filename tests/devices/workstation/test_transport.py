"""The SSH transport keeps ONE deadline for the whole reading, whatever step is blocked."""

from __future__ import annotations

import socket
import time

import pytest

from devices.errors import Unreachable
from devices.workstation.transport import run_script_local, run_script_ssh


def test_a_port_that_never_says_ssh_costs_one_timeout() -> None:
    with socket.socket() as silent:  # the kernel accepts, nobody ever writes a banner
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        started = time.monotonic()
        with pytest.raises(Unreachable):
            run_script_ssh(
                "127.0.0.1", silent.getsockname()[1], username="jury", password="x", script="true", timeout_s=1.0
            )
        assert time.monotonic() - started < 1.5


def test_a_refused_port_is_unreachable_at_once() -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    started = time.monotonic()
    with pytest.raises(Unreachable):
        run_script_ssh("127.0.0.1", port, username="jury", password="x", script="true", timeout_s=5.0)
    assert time.monotonic() - started < 1.0


def test_a_local_script_that_hangs_is_cut_at_the_timeout() -> None:
    started = time.monotonic()
    with pytest.raises(Unreachable):
        run_script_local("sleep 30\n", timeout_s=0.5)
    assert time.monotonic() - started < 1.5
