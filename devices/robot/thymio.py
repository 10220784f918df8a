"""Thymio II over its USB serial port (Aseba protocol), and LEGO hubs over their REPL.

``read_thymio``: LIST_NODES -> NODE_PRESENT (the robot answers), GET_NODE_DESCRIPTION
-> the named variables and their layout, GET_VARIABLES on ``_fwversion`` and ``_vbat``.
The Thymio firmware exposes ``_vbat`` in ADC units; its own LED gauge turns them into
volts (``behavior.c``), but no percentage is documented, so ``read_thymio_battery``
reports ``voltage_v``, ``level_pct=None`` with reason ``thymio.voltage_only``, and the
raw words. When Thymio Suite owns the port, use :func:`devices.robot.tdm.read_thymio_tdm`.

``read_hub_battery``: Ctrl-C the LEGO hub's MicroPython REPL (SPIKE Prime / Robot
Inventor, LEGO firmware 2.x/3.x-era ``hub`` module), Ctrl-A into the raw REPL, run
``import hub; print('BAT=%d' % hub.battery.capacity_left())``, Ctrl-B back.
"""

from __future__ import annotations

from datetime import UTC, datetime

from devices.errors import BadAnswer, Unreachable
from devices.microcontroller.parse import RAW_REPL_BANNER, parse_raw_repl_reply
from devices.microcontroller.transport import SerialLink
from devices.robot import aseba
from devices.robot.facts import RobotBatteryFacts, ThymioFacts
from devices.robot.parse import parse_repl_battery, parse_thymio_vbat

DEFAULT_HUB_EXPRESSION = "hub.battery.capacity_left()"


class _AsebaSession:
    def __init__(self, link: SerialLink) -> None:
        self.link = link
        self.rest = b""
        self.seen_bytes = 0

    def wait_for(self, wanted: int, source: int | None = None) -> aseba.Message | None:
        """Next message of type ``wanted`` (skipping unrelated ones), None on deadline."""
        chunk = b""
        while True:
            messages, self.rest = aseba.split_frames(self.rest + chunk)
            for index, message in enumerate(messages):
                if message.type == wanted and (source is None or message.source == source):
                    # keep what followed for the next call, re-encoded as it came
                    tail = b"".join(aseba.encode(m.type, m.payload, m.source) for m in messages[index + 1 :])
                    self.rest = tail + self.rest
                    return message
            if self.link.remaining_s() <= 0:
                return None
            chunk = self.link.read_until(lambda b: len(b) >= 6, max_s=0.2)
            self.seen_bytes += len(chunk)


def read_thymio(tty_path: str, timeout_s: float = 3.0) -> ThymioFacts:
    """Aseba handshake + firmware version + raw battery words of a Thymio II."""
    with SerialLink(tty_path, timeout_s=timeout_s, baudrate=115200) as link:
        link.drain()
        session = _AsebaSession(link)
        link.write(aseba.list_nodes())
        present = session.wait_for(aseba.NODE_PRESENT)
        if present is None:
            if session.seen_bytes:
                raise BadAnswer(f"{tty_path}: bytes received but no Aseba NODE_PRESENT")
            raise Unreachable(f"{tty_path}: no Aseba node answered LIST_NODES")
        node = present.source
        aseba.parse_node_present(present)
        link.write(aseba.get_node_description(node))
        described = session.wait_for(aseba.DESCRIPTION, node)
        if described is None:
            raise BadAnswer(f"{tty_path}: node {node} sent no DESCRIPTION")
        description = aseba.parse_description(described)
        variables = []
        for _ in range(description.variable_count):
            message = session.wait_for(aseba.NAMED_VARIABLE_DESCRIPTION, node)
            if message is None:
                raise BadAnswer(f"{tty_path}: node {node} description is incomplete")
            variables.append(aseba.parse_variable_description(message))
        layout = aseba.variable_offsets(variables)
        values: dict[str, tuple[int, ...]] = {}
        for name in ("_fwversion", "_vbat"):
            if name not in layout:
                continue
            offset, size = layout[name]
            link.write(aseba.get_variables(node, offset, size))
            answer = session.wait_for(aseba.VARIABLES, node)
            if answer is None:
                raise BadAnswer(f"{tty_path}: node {node} did not send {name}")
            got_offset, words = aseba.parse_variables(answer)
            if got_offset != offset or len(words) != size:
                raise BadAnswer(f"{tty_path}: VARIABLES answer does not match {name}")
            values[name] = words
    return ThymioFacts(
        node_id=node,
        node_name=description.name or None,
        protocol_version=description.protocol_version,
        firmware_version=values["_fwversion"][0] if "_fwversion" in values else None,
        vbat_raw=values.get("_vbat"),
        measured_at=datetime.now(UTC),
    )


def read_thymio_battery(tty_path: str, timeout_s: float = 3.0) -> RobotBatteryFacts:
    """``_vbat`` in volts (firmware formula, :func:`parse_thymio_vbat`); no percentage."""
    facts = read_thymio(tty_path, timeout_s)
    if facts.vbat_raw is None:
        return RobotBatteryFacts(
            level_pct=None, source="aseba", reason="thymio.no_vbat_variable", raw=None, measured_at=facts.measured_at
        )
    return RobotBatteryFacts(
        level_pct=None,
        source="aseba",
        reason="thymio.voltage_only",
        raw="_vbat=" + ",".join(map(str, facts.vbat_raw)),
        measured_at=facts.measured_at,
        voltage_v=parse_thymio_vbat(facts.vbat_raw),
    )


def read_hub_battery(
    tty_path: str, timeout_s: float = 3.0, *, expression: str = DEFAULT_HUB_EXPRESSION
) -> RobotBatteryFacts:
    """Battery of a LEGO hub (SPIKE Prime, Robot Inventor) through its MicroPython raw REPL.

    Raw REPL rather than the friendly one: no echo to tell apart from the answer, and
    stdout/stderr come framed (``OK`` out ``\\x04`` err ``\\x04>``), as ``mpremote`` uses it.
    """
    code = f"import hub\nprint('BAT=%d' % {expression})".encode()
    with SerialLink(tty_path, timeout_s=timeout_s) as link:
        link.drain()
        link.write(b"\r\x03\x03")  # interrupt a running program
        link.read_until(lambda b: False, max_s=min(0.1, link.remaining_s()))
        link.write(b"\r\x01")  # Ctrl-A: raw REPL
        banner = link.read_until(lambda b: b.endswith(RAW_REPL_BANNER))
        if not banner.endswith(RAW_REPL_BANNER):
            if banner:
                raise BadAnswer(f"{tty_path}: bytes received but no MicroPython raw REPL")
            raise Unreachable(
                f"{tty_path}: the hub's REPL did not answer (is it on, and running LEGO's MicroPython firmware?)"
            )
        link.write(code + b"\x04")
        data = link.read_until(lambda b: b.count(b"\x04") >= 2)
        link.write(b"\x02")  # Ctrl-B: leave the hub as we found it
    if not data:
        raise Unreachable(f"{tty_path}: the hub accepted the raw REPL but did not run the code")
    stdout, stderr = parse_raw_repl_reply(data)
    level = parse_repl_battery(stdout + stderr)
    return RobotBatteryFacts(
        level_pct=level,
        source="repl",
        reason=None if level is not None else "hub.battery_api_missing",
        raw=(stdout + stderr).strip()[-200:] or None,
        measured_at=datetime.now(UTC),
    )
