"""Fixtures for the printer_3d family: capture paths and running simulators."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from devices.lab.marlin import MarlinSim
from devices.lab.printer_3d import (
    LabHttpServer,
    MoonrakerSim,
    OctoPrintSim,
    PrusaLinkSim,
)
from devices.lab.spoolman import SpoolmanSim

CAPTURES = Path(__file__).parent / "captures"


def capture(case: str, name: str | None = None) -> bytes:
    """The capture ``name`` (or the single capture file) of ``captures/<api>/<case>``."""
    if name is not None:
        return (CAPTURES / case / name).read_bytes()
    files = [p for p in (CAPTURES / case).iterdir() if p.name != "README.md"]
    assert len(files) == 1, files
    return files[0].read_bytes()


@pytest.fixture
def captured() -> Callable[[str], bytes]:
    return capture


@pytest.fixture
def start_sim() -> Iterator[Callable[..., LabHttpServer]]:
    """``start_sim("octoprint", mode="printing", api_key=...)`` -> a started simulator."""
    classes = {"octoprint": OctoPrintSim, "moonraker": MoonrakerSim, "prusalink": PrusaLinkSim, "spoolman": SpoolmanSim}
    started: list[LabHttpServer] = []

    def start(api: str, **kwargs) -> LabHttpServer:
        kwargs.setdefault("slow_s", 1.5)
        sim = classes[api](**kwargs).start()
        started.append(sim)
        return sim

    yield start
    for sim in started:
        sim.stop()


@pytest.fixture
def marlin_sim() -> Iterator[Callable[..., MarlinSim]]:
    started: list[MarlinSim] = []

    def start(**kwargs) -> MarlinSim:
        sim = MarlinSim(**kwargs).start()
        started.append(sim)
        return sim

    yield start
    for sim in started:
        sim.stop()
