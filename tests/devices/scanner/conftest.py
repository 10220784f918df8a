"""Fixtures for the scanner family: eSCL captures and the lab eSCL simulator."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from devices.lab.scanner import EsclScannerSim

CAPTURES = Path(__file__).parent / "captures"


def _capture_bytes(case: str) -> bytes:
    (path,) = [p for p in (CAPTURES / case).iterdir() if p.is_file()]
    return path.read_bytes()


@pytest.fixture
def capture():
    """``capture(case)``: bytes of the single file in ``captures/<case>/``."""
    return _capture_bytes


@pytest.fixture
def escl_sim() -> Iterator[EsclScannerSim]:
    with EsclScannerSim(delay_s=2.0) as sim:
        yield sim
