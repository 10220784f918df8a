"""Printers over IPP (state, reasons, supplies), SNMP Printer-MIB when IPP says too little."""

from __future__ import annotations

from checks import grading_printing as gp
from checks.facts import jsonable
from checks.model import Verdict
from checks.probes.common import ProbeContext
from devices.models import Printer
from devices.printer.driver import read_printer


def probe_printer(device: Printer, ctx: ProbeContext) -> list[Verdict]:
    status = read_printer(
        device.address or "",
        ipp_port=device.ipp_port,
        ipp_path=device.ipp_path,
        snmp_port=device.snmp_port,
        community=device.snmp_community,
        timeout_s=ctx.timeout_s,
    )
    facts = jsonable(status)
    now, probe = status.measured_at, status.source
    supplies = [{**jsonable(s), "some_remaining": s.some_remaining} for s in status.supplies]
    return [
        gp.printer_state(
            device.name,
            state=status.state.value if status.state else None,
            reasons=status.reasons,
            measured_at=now,
            probe=probe,
            room=device.room,
            facts=facts,
        ),
        gp.supplies(
            device.name,
            supplies=supplies,
            min_pct=device.min_supply_pct,
            measured_at=now,
            probe=probe,
            room=device.room,
            reasons=status.reasons,
        ),
    ]
