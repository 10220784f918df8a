"""Probes: call a family's driver, grade its facts into verdicts.

One module per family (``checks/probes/<family>.py``); each imports its driver at the top, so
importing a probe module in the main thread (the sweep does, through the family registry,
before any probe runs in a thread) imports everything the probe needs. Which probe measures
which device is the family registry's business (``provision/families``), not this package's.

Each probe is a blocking function ``(device, ctx) -> list[Verdict]`` that raises only
:mod:`devices.errors` exceptions when it cannot measure; the sweep turns those into UNKNOWN
for *every* check the probe owns, so a dead tablet never keeps yesterday's green battery.
"""

from checks.probes.common import Probe, ProbeContext, ProbeSpec

__all__ = ["Probe", "ProbeContext", "ProbeSpec"]
