from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from devices.lab.serial_board import BoardSimulator

CAPTURES = Path(__file__).parent / "captures"


def read_capture(case: str) -> str:
    files = [p for p in (CAPTURES / case).iterdir() if p.name != "README"]
    assert len(files) == 1, case
    return files[0].read_text(encoding="utf-8")


def make_variants(text: str) -> dict[str, str]:
    """The same answer as other firmware/tools might print it."""
    return {"as_captured": text, "crlf": text.replace("\n", "\r\n"),
            "trailing_spaces": "\n".join(line + "  " for line in text.split("\n")),
            "lowercase": text.lower(), "no_final_newline": text.rstrip("\n")}


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


@pytest.fixture
def capture() -> callable:
    return read_capture


@pytest.fixture
def variants() -> callable:
    return make_variants
