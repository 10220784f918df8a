"""Thymio through the Thymio Device Manager: the real tdmclient client (ClientAsync) against
tdmclient's own TDM server (FlatBuffers over TCP on 127.0.0.1), with a simulated Thymio II."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pytest

from devices.errors import BadAnswer, Unreachable

pytest.importorskip("tdmclient", reason="tdmclient not installed (robots extra)")

from devices.lab.thymio_tdm import TdmSimulator
from devices.robot.tdm import read_thymio_tdm


@pytest.fixture
def tdm() -> Iterator:
    started: list[TdmSimulator] = []

    def make(**settings: object) -> TdmSimulator:
        sim = TdmSimulator(**settings).start()  # type: ignore[arg-type]
        started.append(sim)
        return sim

    yield make
    for sim in started:
        sim.stop()


def test_vbat_read_through_tdm(tdm) -> None:
    sim = tdm(vbat_raw=(776, 776))
    facts = read_thymio_tdm("127.0.0.1", sim.port, timeout_s=5.0)
    assert (facts.source, facts.level_pct, facts.reason) == ("tdm", None, "thymio.voltage_only")
    assert facts.voltage_v == 3.9 and facts.raw == "_vbat=776,776"
    assert facts.measured_at.tzinfo is not None


def test_node_selected_by_name(tdm) -> None:
    sim = tdm(name="thymio-salle1")
    assert read_thymio_tdm("127.0.0.1", sim.port, 5.0, node_name="thymio-salle1").voltage_v
    started = time.monotonic()
    with pytest.raises(Unreachable, match="no Thymio"):
        read_thymio_tdm("127.0.0.1", sim.port, 1.0, node_name="thymio-salle2")
    assert time.monotonic() - started < 2.0


def test_firmware_without_vbat(tdm) -> None:
    facts = read_thymio_tdm("127.0.0.1", tdm(with_vbat=False).port, timeout_s=5.0)
    assert facts.level_pct is None and facts.reason == "thymio.no_vbat_variable"


def test_impossible_vbat_is_bad_answer(tdm) -> None:
    with pytest.raises(BadAnswer):
        read_thymio_tdm("127.0.0.1", tdm(vbat_raw=(40000, 40000)).port, timeout_s=5.0)


def test_no_tdm_is_unreachable_with_hint() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(Unreachable, match="Thymio Suite"):
        read_thymio_tdm("127.0.0.1", port, timeout_s=1.0)


def test_silent_peer_is_unreachable_within_timeout() -> None:
    """Something accepts TCP on the port but never speaks TDM."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        started = time.monotonic()
        with pytest.raises(Unreachable):
            read_thymio_tdm("127.0.0.1", listener.getsockname()[1], timeout_s=1.0)
        assert time.monotonic() - started < 2.5
