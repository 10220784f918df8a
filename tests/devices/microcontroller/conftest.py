from __future__ import annotations

from collections.abc import Iterator

import pytest

from devices.lab.serial_board import BoardSimulator


@pytest.fixture
def board() -> Iterator[callable]:
    """Factory: board("micropython", state="dead") -> a started simulator, stopped after."""
    started: list[BoardSimulator] = []

    def make(personality: str, **settings: object) -> BoardSimulator:
        sim = BoardSimulator(personality, **settings).start()
        started.append(sim)
        return sim

    yield make
    for sim in started:
        sim.stop()
