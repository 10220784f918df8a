from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from devices.lab.projector import ProjectorSimulator, ProjectorState

CAPTURES = Path(__file__).parent / "captures"


@pytest.fixture
def captures() -> Path:
    return CAPTURES


@pytest.fixture
def projector() -> Iterator[ProjectorSimulator]:
    """A fresh PJLink simulator on 127.0.0.1 (ephemeral port); tweak ``projector.state``."""
    sim = ProjectorSimulator(ProjectorState()).start()
    try:
        yield sim
    finally:
        sim.stop()
