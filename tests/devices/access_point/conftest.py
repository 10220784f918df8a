from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from devices.lab.access_point import AccessPointSimulator, ApState

CAPTURES = Path(__file__).parent / "captures"
PASSWORD = "lab-admin"


@pytest.fixture
def captures() -> Path:
    return CAPTURES


@pytest.fixture
def openwrt() -> Iterator[AccessPointSimulator]:
    """OpenWrt SSH simulator on 127.0.0.1 (ephemeral port); tweak ``openwrt.state``."""
    with AccessPointSimulator(ApState(platform="openwrt", username="root", password=PASSWORD)) as sim:
        yield sim


@pytest.fixture
def routeros() -> Iterator[AccessPointSimulator]:
    """RouterOS SSH simulator on 127.0.0.1 (ephemeral port); tweak ``routeros.state``."""
    with AccessPointSimulator(ApState(platform="routeros", username="admin", password=PASSWORD)) as sim:
        yield sim
