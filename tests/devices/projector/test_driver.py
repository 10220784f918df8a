"""read_projector / power_on against the PJLink simulator over real TCP sockets."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from datetime import UTC

import pytest

from devices.errors import AuthenticationFailed, BadAnswer, Unreachable
from devices.lab.projector import ProjectorSimulator, ProjectorState
from devices.projector import Power, Severity, power_on, read_projector

TIMEOUT_S = 1.0


def read(sim, **kwargs):
    return read_projector(sim.host, sim.port, timeout_s=TIMEOUT_S, **kwargs)


def test_reads_every_fact(projector):
    facts = read(projector)
    assert facts.power is Power.OFF
    assert (facts.input, facts.input_kind) == ("31", "digital")
    assert facts.lamps == ((1234, False),)
    assert set(facts.errors.values()) == {Severity.OK} and len(facts.errors) == 6
    assert (facts.name, facts.manufacturer, facts.model) == ("salle1-videoprojecteur", "Panasonic", "VX42Z")
    assert facts.pjlink_class == 1
    assert facts.serial_number is None  # class 1: SNUM is not asked
    assert facts.unanswered == {}
    assert facts.measured_at.tzinfo is UTC
    assert "%2SNUM ?" not in projector.received


def test_class2_reads_serial_and_version(projector):
    projector.state.pjlink_class = 2
    facts = read(projector)
    assert facts.pjlink_class == 2
    assert (facts.serial_number, facts.software_version) == ("SH1234567", "1.05")


def test_lamp_error_and_hours(projector):
    projector.state.errors = "020001"
    projector.state.power = "on"
    projector.state.lamps = [(2950, True), (10, False)]
    facts = read(projector)
    assert facts.errors["lamp"] is Severity.ERROR and facts.errors["other"] is Severity.WARNING
    assert facts.errors["fan"] is Severity.OK
    assert facts.lamps == ((2950, True), (10, False))
    assert facts.power is Power.ON


def test_laser_projector_without_lamp_is_not_reported(projector):
    projector.state.lamps = None
    facts = read(projector)
    assert facts.lamps is None
    assert facts.unanswered == {"lamps": "ERR1 undefined command"}


def test_input_unavailable_in_standby(projector):
    projector.state.input_err3_in_standby = True
    facts = read(projector)
    assert facts.input is None and facts.unanswered["input"].startswith("ERR3")


def test_lowercase_replies_and_optoma_class(projector):
    projector.state.lowercase = True
    projector.state.class_answer = "Class 1"
    facts = read(projector)
    assert facts.pjlink_class == 1 and facts.power is Power.OFF and facts.model == "VX42Z"


def test_authentication(projector):
    projector.state.password = "JPjlink-2024"
    facts = read(projector, password="JPjlink-2024")
    assert facts.power is Power.OFF
    first = projector.received[0]
    assert len(first) == 32 + len("%1CLSS ?") and first.endswith("%1CLSS ?")
    assert all(not line[:1].isalnum() for line in projector.received[1:])  # digest only once


def test_wrong_password_is_authentication_failure_without_secret(projector):
    projector.state.password = "right-one"
    with pytest.raises(AuthenticationFailed) as info:
        read(projector, password="wrong-one")
    assert "wrong-one" not in str(info.value) and "right-one" not in str(info.value)


def test_missing_password(projector):
    projector.state.password = "right-one"
    with pytest.raises(AuthenticationFailed, match="requires a password"):
        read(projector)


def test_dead_projector_is_unreachable(projector):
    projector.state.mode = "dead"
    with pytest.raises(Unreachable):
        read(projector)


def test_slow_projector_times_out_within_budget(projector):
    projector.state.mode = "slow"
    start = time.monotonic()
    with pytest.raises(Unreachable, match="timed out"):
        read_projector(projector.host, projector.port, timeout_s=0.3)
    assert time.monotonic() - start < 1.5


def test_garbage_is_bad_answer(projector):
    projector.state.mode = "garbage"
    with pytest.raises(BadAnswer):
        read(projector)


def test_closed_port_is_unreachable():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(Unreachable, match="cannot connect"):
        read_projector("127.0.0.1", port, timeout_s=TIMEOUT_S)


def test_power_on_warms_up_then_is_on(projector):
    projector.state.warmup_s = 0.2
    result = power_on(projector.host, projector.port, timeout_s=TIMEOUT_S)
    assert result.accepted and result.reason is None
    assert read(projector).power is Power.WARMING
    time.sleep(0.3)
    assert read(projector).power is Power.ON


def test_power_on_while_cooling_is_refused_with_reason(projector):
    projector.state.power = "cooling"
    result = power_on(projector.host, projector.port, timeout_s=TIMEOUT_S)
    assert not result.accepted and result.reason == "ERR3 unavailable time"
    assert projector.state.power == "cooling"


def test_power_on_with_password(projector):
    projector.state.password = "pw"
    assert power_on(projector.host, projector.port, password="pw", timeout_s=TIMEOUT_S).accepted
    with pytest.raises(AuthenticationFailed):
        power_on(projector.host, projector.port, password="nope", timeout_s=TIMEOUT_S)


def test_simulator_binds_loopback_ephemeral_port_and_stops_unstarted():
    sim = ProjectorSimulator(ProjectorState())
    try:
        assert sim.host == "127.0.0.1" and sim.port > 0
    finally:
        sim.stop()


def test_standalone_simulator_serves():
    proc = subprocess.Popen(
        [sys.executable, "-m", "devices.lab.projector", "--port", "0", "--power", "on", "--errors", "200000"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        line = proc.stdout.readline()
        port = int(line.rsplit(":", 1)[1])
        facts = read_projector("127.0.0.1", port, timeout_s=2)
        assert facts.power is Power.ON and facts.errors["fan"] is Severity.ERROR
    finally:
        proc.terminate()
        proc.wait(timeout=5)
