"""Read a projector's state over PJLink; switch it on.

Queries (class 1, answered by class 2 projectors too)::

    %1CLSS ?  class          %1POWR ?  power state     %1INPT ?  input
    %1LAMP ?  lamp hours     %1ERST ?  error status    %1NAME ?  name
    %1INF1 ?  manufacturer   %1INF2 ?  model
    %2SNUM ?  serial number, %2SVER ? software version (class 2 only)

A query the projector refuses (ERR1 undefined, e.g. LAMP on a laser projector; ERR3
unavailable now, e.g. INPT in standby; ERR4 projector failure) gives ``None`` for that
fact, with the reason in ``ProjectorFacts.unanswered``: offline facts are a state, not
an error. ``ERR2`` to a query means the projector misunderstood us: BadAnswer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TypeVar

from devices.errors import BadAnswer
from devices.projector.parse import (
    PJLINK_ERRORS,
    Power,
    Severity,
    parse_class,
    parse_errors,
    parse_input,
    parse_lamps,
    parse_power,
    parse_text,
)
from devices.projector.transport import PJLinkSession

DEFAULT_PORT = 4352
DEFAULT_TIMEOUT_S = 5.0

T = TypeVar("T")


@dataclass(frozen=True, slots=True, kw_only=True)
class ProjectorFacts:
    """What a projector reported over PJLink. ``None`` = not reported."""

    power: Power | None
    input: str | None  # raw code, e.g. "31"
    input_kind: str | None  # "rgb" | "video" | "digital" | "storage" | "network" | "internal"
    lamps: tuple[tuple[int, bool], ...] | None  # (hours, on) per lamp; None = no lamp / not said
    errors: dict[str, Severity] | None  # fan, lamp, temperature, cover, filter, other
    name: str | None
    manufacturer: str | None
    model: str | None
    pjlink_class: int | None
    serial_number: str | None = None
    software_version: str | None = None
    unanswered: dict[str, str] = field(default_factory=dict)  # fact -> "ERR3 unavailable time"
    measured_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class PowerOnResult:
    """Answer to ``%1POWR 1``: ``accepted`` False with the reason when refused."""

    accepted: bool
    reason: str | None  # "ERR3 unavailable time" (e.g. still cooling), "ERR4 projector failure"
    measured_at: datetime


def read_projector(
    host: str,
    port: int = DEFAULT_PORT,
    password: str | None = None,
    timeout_s: float = DEFAULT_TIMEOUT_S,
) -> ProjectorFacts:
    """Query power, input, lamps, errors, identity and class in one PJLink session."""
    unanswered: dict[str, str] = {}
    with PJLinkSession(host, port, password=password, timeout_s=timeout_s) as session:

        def ask(fact: str, command: str, parse: Callable[[str], T], cls: int = 1) -> T | None:
            reply = session.command(command, pjlink_class=cls)
            if reply.error is None:
                assert reply.value is not None
                return parse(reply.value)
            if reply.error == "ERR2":
                raise BadAnswer(f"PJLink {host}:{port}: {command} query refused as out of parameter")
            unanswered[fact] = f"{reply.error} {PJLINK_ERRORS[reply.error]}"
            return None

        pjlink_class = ask("pjlink_class", "CLSS", parse_class)
        power = ask("power", "POWR", parse_power)
        inpt = ask("input", "INPT", parse_input)
        lamps = ask("lamps", "LAMP", parse_lamps)
        errors = ask("errors", "ERST", parse_errors)
        name = ask("name", "NAME", parse_text)
        manufacturer = ask("manufacturer", "INF1", parse_text)
        model = ask("model", "INF2", parse_text)
        serial = version = None
        if pjlink_class is not None and pjlink_class >= 2:
            serial = ask("serial_number", "SNUM", parse_text, cls=2)
            version = ask("software_version", "SVER", parse_text, cls=2)
    return ProjectorFacts(
        power=power,
        input=inpt[0] if inpt else None,
        input_kind=inpt[1] if inpt else None,
        lamps=lamps,
        errors=errors,
        name=name,
        manufacturer=manufacturer,
        model=model,
        pjlink_class=pjlink_class,
        serial_number=serial,
        software_version=version,
        unanswered=unanswered,
        measured_at=datetime.now(UTC),
    )


def power_on(
    host: str,
    port: int = DEFAULT_PORT,
    password: str | None = None,
    timeout_s: float = DEFAULT_TIMEOUT_S,
) -> PowerOnResult:
    """Send ``%1POWR 1``. The projector answers ``OK`` then warms up (POWR reads 3, then 1)."""
    with PJLinkSession(host, port, password=password, timeout_s=timeout_s) as session:
        reply = session.command("POWR", "1")
    now = datetime.now(UTC)
    if reply.error is not None:
        if reply.error in ("ERR1", "ERR2"):
            raise BadAnswer(f"PJLink {host}:{port}: power-on refused with {reply.error}")
        return PowerOnResult(accepted=False, reason=f"{reply.error} {PJLINK_ERRORS[reply.error]}", measured_at=now)
    if (reply.value or "").upper() != "OK":
        raise BadAnswer(f"PJLink {host}:{port}: unexpected answer to power-on")
    return PowerOnResult(accepted=True, reason=None, measured_at=now)
