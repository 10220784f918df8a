from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from devices.lab.serial_board import BoardSimulator

CAPTURES = Path(__file__).parent / "captures"


def _read(case: str) -> str:
    files = [p for p in (CAPTURES / case).iterdir() if p.name != "README"]
    assert len(files) == 1, case
    return files[0].read_text(encoding="utf-8")


def _variants(text: str) -> dict[str, str]:
    return {"as_captured": text, "crlf": text.replace("\n", "\r\n"),
            "trailing_spaces": "\n".join(line + "   " for line in text.split("\n")),
            "lowercase": text.lower(), "no_final_newline": text.rstrip("\n")}


@pytest.fixture
def capture():
    return _read


@pytest.fixture
def variants():
    return _variants


@pytest.fixture
def robot() -> Iterator:
    started: list[BoardSimulator] = []

    def make(personality: str, **settings: object) -> BoardSimulator:
        sim = BoardSimulator(personality, **settings).start()
        started.append(sim)
        return sim

    yield make
    for sim in started:
        sim.stop()
