"""Projectors and screens over PJLink: power, lamp, errors."""

from __future__ import annotations

from checks import grading_more as gm
from checks.facts import jsonable
from checks.model import Verdict
from checks.probes.common import ProbeContext, secret
from devices.models import Projector
from devices.projector.driver import read_projector


def probe_projector(device: Projector, ctx: ProbeContext) -> list[Verdict]:
    facts = read_projector(
        device.address or "", device.pjlink_port, secret(device, "pjlink_password"), timeout_s=ctx.timeout_s
    )
    return [
        gm.projector(
            device.name,
            facts=facts,
            measured_at=facts.measured_at,
            probe="pjlink",
            room=device.room,
            facts_dict=jsonable(facts),
        )
    ]
