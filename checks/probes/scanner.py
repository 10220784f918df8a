"""Scanners over eSCL (AirScan): ScannerStatus state and document feeder state."""

from __future__ import annotations

from checks import grading_printing as gp
from checks.facts import jsonable
from checks.model import Verdict
from checks.probes.common import ProbeContext
from devices.models import Scanner
from devices.scanner.driver import read_scanner


def probe_scanner(device: Scanner, ctx: ProbeContext) -> list[Verdict]:
    facts = read_scanner(
        device.address or "",
        port=device.escl_port,
        base_path=device.escl_path,
        timeout_s=ctx.timeout_s,
        tls=device.escl_scheme == "https",
    )
    status = facts.status
    return [
        gp.scanner_state(
            device.name,
            state=status.state.value if status.state else None,
            adf_state=status.adf_state,
            measured_at=status.measured_at,
            probe="escl",
            room=device.room,
            facts=jsonable(facts),
        )
    ]
