"""Fixtures for the Android family: a running simulated adbd and a session-wide ADB key pair."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from devices.android.transport import load_signer
from devices.lab import base
from devices.lab.android import SimulatedTablet, TabletState

CAPTURES = Path(__file__).parent / "captures"


def read_capture(case: str) -> str:
    """Text of the single capture file in ``captures/<case>/``."""
    (path,) = [p for p in (CAPTURES / case).iterdir() if p.is_file()]
    return path.read_text(encoding="utf-8")


@pytest.fixture
def capture():
    return read_capture


@pytest.fixture
def free_port():
    """free_port() -> a TCP port free on 127.0.0.1 now (devices.lab.base.free_port)."""
    return base.free_port


@pytest.fixture(scope="session")
def key_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("adbkeys")
    load_signer(directory)  # generate once: RSA-2048 keygen is the slow part
    return directory


@pytest.fixture
def tablet() -> Iterator[SimulatedTablet]:
    with SimulatedTablet(TabletState()) as sim:
        yield sim
