"""read_printer_snmp against snmpsim serving the real Printer-MIB recordings."""

from __future__ import annotations

import asyncio
import concurrent.futures
import socket
import subprocess
import sys
import time

import pytest

from devices.errors import Unreachable
from devices.lab.snmp import COMMUNITIES, DATA_DIR, SnmpSim, read_snmprec
from devices.printer import PrinterState, read_printer_snmp, read_printer_snmp_async, transport
from devices.printer.parse import parse_snmp_values

HOST = "127.0.0.1"


def test_lab_serves_every_recording() -> None:
    assert set(COMMUNITIES) == {
        "derived_sharp_mx-3570n_black_toner_low",
        "librenms_epson_wf-c5790_inkjet",
        "librenms_sharp_mx-3570n_mfp",
        "librenms_xerox_altalink_c8045",
    }


@pytest.mark.parametrize("community", COMMUNITIES)
def test_wire_reading_equals_parsing_the_recording(snmpsim: SnmpSim, community: str) -> None:
    """What crosses UDP (pysnmp <-> snmpsim) gives the same facts as the file itself."""
    over_the_wire = read_printer_snmp(HOST, port=snmpsim.port, community=community, timeout_s=5)
    from_file = parse_snmp_values(
        read_snmprec(DATA_DIR / f"{community}.snmprec"), measured_at=over_the_wire.measured_at, host=HOST
    )
    assert over_the_wire == from_file
    assert over_the_wire.supplies


def test_real_xerox_levels(snmpsim: SnmpSim) -> None:
    status = read_printer_snmp(HOST, port=snmpsim.port, community="librenms_xerox_altalink_c8045", timeout_s=5)
    assert (status.make, status.model) == ("Xerox", "AltaLink C8045")
    assert [(s.colour, s.level_pct) for s in status.supplies[:4]] == [
        ("black", 20),
        ("cyan", 66),
        ("magenta", 72),
        ("yellow", 60),
    ]


def test_derived_black_toner_low(snmpsim: SnmpSim) -> None:
    status = read_printer_snmp(HOST, port=snmpsim.port, community="derived_sharp_mx-3570n_black_toner_low", timeout_s=5)
    assert status.state is PrinterState.IDLE
    assert status.reasons == ("toner-low",)
    black = next(s for s in status.supplies if s.name == "Black Toner")
    assert black.level_pct == 3


def test_snmpv1_walk_gives_the_same_supplies(snmpsim: SnmpSim) -> None:
    community = "librenms_sharp_mx-3570n_mfp"
    v1 = read_printer_snmp(HOST, port=snmpsim.port, community=community, version="1", timeout_s=5)
    v2 = read_printer_snmp(HOST, port=snmpsim.port, community=community, timeout_s=5)
    assert v1.supplies == v2.supplies and v1.reasons == v2.reasons


def test_async_api_inside_a_running_loop(snmpsim: SnmpSim) -> None:
    async def sweep():
        return await asyncio.gather(
            *(read_printer_snmp_async(HOST, port=snmpsim.port, community=c, timeout_s=5) for c in COMMUNITIES)
        )

    results = asyncio.run(sweep())
    assert [r.make for r in results] == ["SHARP", "EPSON", "SHARP", "Xerox"]


def test_unknown_community_is_unreachable_within_budget(snmpsim: SnmpSim) -> None:
    started = time.monotonic()
    with pytest.raises(Unreachable) as caught:
        read_printer_snmp(HOST, port=snmpsim.port, community="s3cret-wrong", timeout_s=0.6)
    assert time.monotonic() - started < 2
    assert "s3cret-wrong" not in str(caught.value)  # the community is a credential


def test_nobody_listening_is_unreachable() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((HOST, 0))
        port = sock.getsockname()[1]
        started = time.monotonic()
        with pytest.raises(Unreachable):
            read_printer_snmp(HOST, port=port, community="public", timeout_s=0.5)
        assert time.monotonic() - started < 2


_READ_IN_A_FRESH_PROCESS = """
import sys
from devices.printer import read_printer_snmp
status = read_printer_snmp("127.0.0.1", port=int(sys.argv[1]), community=sys.argv[2], timeout_s=5)
assert status.supplies, status
loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("pysmi", "lark")
                or m.startswith(("pysnmp.hlapi", "pysnmp.smi.rfc1902", "pysnmp.smi.compiler")))
print(",".join(loaded) or "none")
"""


def test_a_read_loads_no_mib_compiler(snmpsim: SnmpSim) -> None:
    """Numeric OIDs only: neither pysmi (its lark grammar costs ~1 s) nor pysnmp's hlapi."""
    done = subprocess.run(
        [sys.executable, "-c", _READ_IN_A_FRESH_PROCESS, str(snmpsim.port), COMMUNITIES[0]],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "none"
    assert "pysmi" not in done.stdout


def test_engines_are_reused_across_reads_and_threads(snmpsim: SnmpSim) -> None:
    read_printer_snmp(HOST, port=snmpsim.port, community=COMMUNITIES[0], timeout_s=5)
    engines = {id(e) for e in transport._idle_engines}
    for _ in range(3):
        read_printer_snmp(HOST, port=snmpsim.port, community=COMMUNITIES[1], timeout_s=5)
    assert {id(e) for e in transport._idle_engines} == engines  # no engine per request
    with concurrent.futures.ThreadPoolExecutor(max_workers=3) as pool:
        makes = list(
            pool.map(
                lambda c: read_printer_snmp(HOST, port=snmpsim.port, community=c, timeout_s=5).make, COMMUNITIES * 2
            )
        )
    assert makes == ["SHARP", "EPSON", "SHARP", "Xerox"] * 2
    assert len(transport._idle_engines) <= max(3, len(engines))  # at most one per thread
    assert not transport._engine_of_loop  # every loop gave its engine back


def test_engine_still_answers_after_a_timed_out_read(snmpsim: SnmpSim) -> None:
    with pytest.raises(Unreachable):
        read_printer_snmp(HOST, port=snmpsim.port, community="wrong", timeout_s=0.3)
    time.sleep(0.5)  # the stale request expires on the pooled engine, in another loop
    status = read_printer_snmp(HOST, port=snmpsim.port, community=COMMUNITIES[3], timeout_s=5)
    assert status.make == "Xerox"
