from __future__ import annotations

import pytest

from devices.ipad import local_runner
from devices.lab.ipad import FakeIpadTools


@pytest.fixture
def fake_tools(tmp_path) -> FakeIpadTools:
    return FakeIpadTools(tmp_path / "bin").install()


@pytest.fixture
def runner(fake_tools):
    """Runs argv with PATH = only the fake tools' folder."""
    return local_runner({"PATH": str(fake_tools.bin_dir)})
