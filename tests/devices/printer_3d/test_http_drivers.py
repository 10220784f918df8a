"""OctoPrint, Moonraker, PrusaLink and Spoolman drivers against the lab simulators over
real sockets on 127.0.0.1."""

from __future__ import annotations

import time

import pytest

from devices.errors import AuthenticationFailed, BadAnswer, Unreachable
from devices.lab.spoolman import lab_spool
from devices.printer_3d import read_printer_3d
from devices.printer_3d.facts import FilamentSensor, PrinterState
from devices.printer_3d.spoolman import read_spool

HTTP_APIS = ["octoprint", "moonraker", "prusalink"]
SECRET = "s3cr3t-key-0123456789"


def read(api: str, sim, **params):
    params.setdefault("timeout_s", 0.5)
    return read_printer_3d(api, host="127.0.0.1", port=sim.port, **params)


@pytest.mark.parametrize("api", HTTP_APIS)
def test_idle_printer(api, start_sim):
    facts = read(api, start_sim(api))
    assert facts.state is PrinterState.IDLE and facts.printing is False
    assert facts.connected is True and facts.errors == ()
    assert facts.nozzle_c is not None and facts.nozzle_c < 40
    assert facts.job_file is None and facts.progress_pct is None
    assert facts.measured_at.tzinfo is not None


@pytest.mark.parametrize(
    "api,file,pct",
    [
        ("octoprint", "3DBenchy_.25.gcode", 42.5),
        ("moonraker", "bird_2._PLA_24m.gcode", 16.0),
        ("prusalink", "1,75-Clip-Closed-Hole_0.15mm_PLA_MINI_8m.gcode", 67.0),
    ],
)
def test_printing(api, file, pct, start_sim):
    facts = read(api, start_sim(api, mode="printing"))
    assert facts.state is PrinterState.PRINTING and facts.printing is True
    assert facts.job_file == file and facts.progress_pct == pytest.approx(pct)
    assert facts.nozzle_target_c and facts.nozzle_target_c > 200


@pytest.mark.parametrize(
    "api,state,sensor",
    [
        ("octoprint", PrinterState.PAUSED, None),  # OctoPrint has no sensor API: unknown
        ("moonraker", PrinterState.PAUSED, FilamentSensor.ABSENT),
        ("prusalink", PrinterState.ERROR, None),  # ATTENTION
    ],
)
def test_filament_out(api, state, sensor, start_sim):
    facts = read(api, start_sim(api, mode="filament_out"))
    assert facts.state is state and facts.filament_sensor is sensor
    assert facts.filament_sensor is not FilamentSensor.PRESENT


def test_moonraker_sensor_present_and_discovered_by_name(start_sim):
    sim = start_sim("moonraker", sensors=["filament_switch_sensor e0_runout", "filament_motion_sensor smart"])
    facts = read("moonraker", sim)
    assert facts.filament_sensor is FilamentSensor.PRESENT
    assert facts.runout_detection_enabled is True
    query = [r for r in sim.requests if r.startswith("/printer/objects/query")][0]
    assert "filament_switch_sensor%20e0_runout" in query
    assert "filament_motion_sensor%20smart" in query


def test_moonraker_without_sensor_is_not_fitted(start_sim):
    facts = read("moonraker", start_sim("moonraker", sensors=[]))
    assert facts.filament_sensor is FilamentSensor.NOT_FITTED


@pytest.mark.parametrize("api", HTTP_APIS)
def test_printer_disconnected_from_controller_is_offline(api, start_sim):
    facts = read(api, start_sim(api, mode="disconnected"))
    assert facts.state is PrinterState.OFFLINE and facts.connected is False


@pytest.mark.parametrize("api", HTTP_APIS)
def test_error(api, start_sim):
    facts = read(api, start_sim(api, mode="error"))
    assert facts.state is PrinterState.ERROR and facts.errors
    assert facts.connected is not True


def test_moonraker_error_message_first_line(start_sim):
    facts = read("moonraker", start_sim("moonraker", mode="error"))
    assert facts.errors == ("Lost communication with MCU 'mcu'",)


@pytest.mark.parametrize("api", HTTP_APIS)
def test_wrong_api_key_is_authentication_failed_without_leaking_it(api, start_sim):
    sim = start_sim(api, api_key="the-right-key")
    with pytest.raises(AuthenticationFailed) as info:
        read(api, sim, api_key=SECRET)
    assert SECRET not in str(info.value) and "the-right-key" not in str(info.value)
    assert read(api, sim, api_key="the-right-key").state is PrinterState.IDLE


@pytest.mark.parametrize("api", HTTP_APIS)
def test_missing_api_key_is_authentication_failed(api, start_sim):
    with pytest.raises(AuthenticationFailed):
        read(api, start_sim(api, api_key="needed"))


def test_prusalink_digest_auth(start_sim):
    sim = start_sim("prusalink", password="Pr1ntM3")
    facts = read("prusalink", sim, username="maker", password="Pr1ntM3")
    assert facts.state is PrinterState.IDLE and facts.firmware == "6.1.3+7898"
    with pytest.raises(AuthenticationFailed) as info:
        read("prusalink", sim, username="maker", password=SECRET)
    assert SECRET not in str(info.value)
    with pytest.raises(AuthenticationFailed):
        read("prusalink", sim)  # no credentials at all


def test_prusalink_legacy_api_fallback(start_sim):
    sim = start_sim("prusalink", legacy_only=True, mode="printing")
    facts = read("prusalink", sim)
    assert "/api/printer" in sim.requests and "/api/job" in sim.requests
    assert facts.state is PrinterState.PRINTING
    assert facts.progress_pct == pytest.approx(23.0)  # legacy completion 0.23 is a fraction
    assert facts.nozzle_c == 172.0


@pytest.mark.parametrize("api", HTTP_APIS + ["spoolman"])
def test_dead_server_is_unreachable(api, start_sim):
    sim = start_sim(api, mode="dead")
    with pytest.raises(Unreachable):
        read(api, sim) if api != "spoolman" else read_spool(host="127.0.0.1", port=sim.port, timeout_s=0.5)


@pytest.mark.parametrize("api", HTTP_APIS)
def test_slow_server_times_out_within_budget(api, start_sim):
    sim = start_sim(api, mode="slow", slow_s=3.0)
    started = time.monotonic()
    with pytest.raises(Unreachable):
        read(api, sim, timeout_s=0.3)
    assert time.monotonic() - started < 1.5


@pytest.mark.parametrize("api", HTTP_APIS + ["spoolman"])
def test_garbage_is_bad_answer(api, start_sim):
    sim = start_sim(api, mode="garbage")
    with pytest.raises(BadAnswer):
        read(api, sim) if api != "spoolman" else read_spool(host="127.0.0.1", port=sim.port, timeout_s=0.5)


def test_nothing_listening_is_unreachable(start_sim):
    sim = start_sim("octoprint")
    port = sim.port
    sim.stop()
    with pytest.raises(Unreachable):
        read_printer_3d("octoprint", host="127.0.0.1", port=port, timeout_s=0.5)


# --------------------------------------------------------------------------- Spoolman
def test_spoolman_by_id_and_single_spool(start_sim):
    sim = start_sim("spoolman", spools=[lab_spool(7, remaining_g=95.0, material="PETG")])
    spool = read_spool(host="127.0.0.1", port=sim.port, spool_id=7, timeout_s=0.5)
    assert (spool.spool_id, spool.remaining_g, spool.material) == (7, 95.0, "PETG")
    assert read_spool(host="127.0.0.1", port=sim.port, timeout_s=0.5).spool_id == 7
    with pytest.raises(BadAnswer):
        read_spool(host="127.0.0.1", port=sim.port, spool_id=8, timeout_s=0.5)


def test_spoolman_several_spools_without_id_is_ambiguous(start_sim):
    sim = start_sim(
        "spoolman",
        spools=[
            lab_spool(1, remaining_g=1.0),
            lab_spool(2, remaining_g=900.0),
            lab_spool(3, remaining_g=5.0, archived=True),
        ],
    )
    with pytest.raises(BadAnswer, match="2 active spools"):
        read_spool(host="127.0.0.1", port=sim.port, timeout_s=0.5)


def test_remaining_g_comes_from_spoolman(start_sim):
    printer = start_sim("moonraker")
    spools = start_sim("spoolman", spools=[lab_spool(1, remaining_g=1000.0), lab_spool(2, remaining_g=42.0)])
    facts = read("moonraker", printer, spoolman_host="127.0.0.1", spoolman_port=spools.port, spool_id=2)
    assert facts.remaining_g == 42.0 and facts.spool is not None and facts.spool.spool_id == 2


def test_spoolman_failure_keeps_printer_facts(start_sim):
    printer = start_sim("octoprint")
    spools = start_sim("spoolman", mode="dead")
    facts = read("octoprint", printer, spoolman_host="127.0.0.1", spoolman_port=spools.port)
    assert facts.state is PrinterState.IDLE and facts.remaining_g is None
    assert facts.errors and facts.errors[-1].startswith("spoolman: ")


def test_simulator_mode_can_change_while_running(start_sim):
    sim = start_sim("octoprint")
    assert read("octoprint", sim).state is PrinterState.IDLE
    sim.mode = "printing"
    assert read("octoprint", sim).state is PrinterState.PRINTING
