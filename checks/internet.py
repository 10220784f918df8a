"""Internet reachability of the centre: DNS resolution and an HTTP(S) answer from the
targets the exam needs (``internet_targets`` in group_vars/all; tests use loopback URLs).

Measured from the machine running plateau, which sits on the centre's network.
"""

from __future__ import annotations

from checks.grading import _Common, _v
from checks.model import Status, Verdict, utcnow
from devices.internet import reach

DEVICE = "centre:internet"


def probe_internet(targets: list[str], timeout_s: float) -> Verdict:
    now = utcnow()
    if not targets:
        return _v(
            DEVICE, "internet", Status.UNKNOWN, "check.internet.no_targets", measured_at=now, probe="https", room=None
        )
    failures = {url: reason for url in targets if (reason := reach(url, timeout_s)) is not None}
    facts = {"targets": targets, "failures": failures}
    reached = len(targets) - len(failures)
    common = _Common(measured_at=now, probe="https", room=None, facts=facts)
    if not failures:
        return _v(DEVICE, "internet", Status.OK, "check.internet.ok", value=reached, count=reached, **common)
    if reached:
        return _v(
            DEVICE, "internet", Status.WARN, "check.internet.partial", value=reached, failed=sorted(failures), **common
        )
    return _v(DEVICE, "internet", Status.FAIL, "check.internet.down", value=reached, failed=sorted(failures), **common)
