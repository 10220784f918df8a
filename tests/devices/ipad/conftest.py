from __future__ import annotations

from pathlib import Path

import pytest

from devices.ipad import local_runner
from devices.lab.ipad import FakeIpadTools

CAPTURES = Path(__file__).parent / "captures"


def _read(case: str) -> str:
    files = [p for p in (CAPTURES / case).iterdir() if p.name != "README"]
    assert len(files) == 1, case
    return files[0].read_text(encoding="utf-8")


def _variants(text: str) -> dict[str, str]:
    return {"as_captured": text, "crlf": text.replace("\n", "\r\n"),
            "trailing_spaces": "\n".join(line + "  " for line in text.split("\n")),
            "lowercase": text.lower(), "no_final_newline": text.rstrip("\n")}


@pytest.fixture
def capture():
    return _read


@pytest.fixture
def variants():
    return _variants


@pytest.fixture
def fake_tools(tmp_path) -> FakeIpadTools:
    return FakeIpadTools(tmp_path / "bin").install()


@pytest.fixture
def runner(fake_tools):
    """Runs argv with PATH = only the fake tools' folder."""
    return local_runner({"PATH": str(fake_tools.bin_dir)})
