"""PJLink parsers on real captures, their variants, and garbage."""

from __future__ import annotations

import ast
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from devices.errors import AuthenticationFailed, BadAnswer
from devices.projector.parse import (
    Power,
    Severity,
    parse_class,
    parse_errors,
    parse_greeting,
    parse_input,
    parse_lamps,
    parse_power,
    parse_reply,
    parse_text,
)


def test_lowercase_power_reply_from_openhab_log(captures):
    text = (captures / "lowercase_reply_openhab" / "pjlink_powr_lowercase_reply_openhab_log.txt").read_text()
    found = re.findall(r"Got response '([^']*)' \((\[[0-9, ]+\])\) for request '%1POWR", text)
    assert len(found) == 3
    for shown, raw_list in found:
        raw = bytes(ast.literal_eval(raw_list))
        assert raw.decode() == shown == "%1powr=0"
        reply = parse_reply(raw + b"\r", "POWR")
        assert reply.command == "POWR" and reply.error is None
        assert parse_power(reply.value) is Power.OFF


def test_nonstandard_class_answer_from_optoma(captures):
    text = (captures / "nonstandard_class_answer_optoma" / "pjlink_clss_optoma_x351_nonstandard_class1.txt").read_text()
    reply_line = re.search(r"\(reply\) (.*)", text)[1]
    reply = parse_reply(reply_line, "CLSS")
    assert reply.value == "Class 1"
    assert parse_class(reply.value) == 1


def test_panasonic_manual_identity_and_error_layout(captures):
    text = (
        captures / "vendor_manual_panasonic_class1" / "pjlink_manual_table_panasonic_pt-vx42z_class1.txt"
    ).read_text()
    manufacturer = re.search(r"INF1 \? Manufacturer name query (\w+)", text)[1]
    model = re.search(r"INF2 \? Model name query (\w+)", text)[1]
    assert parse_text(parse_reply(f"%1INF1={manufacturer}\r", "INF1").value) == "Panasonic"
    assert parse_text(parse_reply(f"%1INF2={model}\r", "INF2").value) == "VX42Z"
    # The manual says the 4th ERST byte (cover) is fixed at 0 on this model.
    assert "4th byte Fixed at 0" in text
    errors = parse_errors(parse_reply("%1ERST=020000", "ERST").value)
    assert errors["lamp"] is Severity.ERROR and errors["cover"] is Severity.OK


@pytest.mark.parametrize(
    ("raw", "auth", "random"),
    [
        (b"PJLINK 0\r", False, None),
        (b"PJLINK 1 498e4a67\r", True, "498e4a67"),
        (b"pjlink 1 498E4A67\r\n", True, "498E4A67"),
        (b"  PJLINK   0  \r\n", False, None),
    ],
)
def test_greetings(raw, auth, random):
    greeting = parse_greeting(raw)
    assert greeting.auth_required is auth and greeting.random == random


@pytest.mark.parametrize("raw", [b"PJLINK ERRA\r", b"pjlink erra\r\n"])
def test_erra_is_authentication_failure(raw):
    with pytest.raises(AuthenticationFailed):
        parse_greeting(raw)
    with pytest.raises(AuthenticationFailed):
        parse_reply(raw, "POWR")


@pytest.mark.parametrize("raw", [b"", b"SSH-2.0-OpenSSH_9.2\r\n", b"PJLINK 1\r", b"PJLINK 2\r", b"HTTP/1.1 400"])
def test_bad_greetings(raw):
    with pytest.raises(BadAnswer):
        parse_greeting(raw)


@pytest.mark.parametrize(
    ("raw", "command", "value", "error"),
    [
        ("%1POWR=1\r", "POWR", "1", None),
        ("%1POWR=1\r\n", "powr", "1", None),
        ("%1POWR = 1 \r", "POWR", "1", None),
        ("%1LAMP=ERR1\r", "LAMP", None, "ERR1"),
        ("%1inpt=err3", "INPT", None, "ERR3"),
        ("%1ERST=ERR4", "ERST", None, "ERR4"),
        ("%1NAME=", "NAME", "", None),
        ("%2SNUM=SH1234567\r", "SNUM", "SH1234567", None),
        ("%1POWR=OK", "POWR", "OK", None),
    ],
)
def test_replies(raw, command, value, error):
    reply = parse_reply(raw, command)
    assert (reply.value, reply.error) == (value, error)


def test_reply_to_another_command_is_rejected():
    with pytest.raises(BadAnswer, match="INPT"):
        parse_reply("%1INPT=31", "POWR")


@pytest.mark.parametrize(
    ("value", "power"), [("0", Power.OFF), ("1", Power.ON), ("2", Power.COOLING), (" 3 ", Power.WARMING)]
)
def test_power_states(value, power):
    assert parse_power(value) is power


@pytest.mark.parametrize("value", ["4", "", "on", "11"])
def test_unknown_power_state(value):
    with pytest.raises(BadAnswer):
        parse_power(value)


@pytest.mark.parametrize(
    ("value", "lamps"),
    [("1234 1", ((1234, True),)), ("0 0", ((0, False),)), ("12 1  99999 0", ((12, True), (99999, False)))],
)
def test_lamps(value, lamps):
    assert parse_lamps(value) == lamps


@pytest.mark.parametrize("value", ["", "1234", "1234 2", "abc 1", "123456 1", "1 1 2"])
def test_bad_lamps(value):
    with pytest.raises(BadAnswer):
        parse_lamps(value)


def test_errors_all_parts():
    assert parse_errors("012012") == {
        "fan": Severity.OK,
        "lamp": Severity.WARNING,
        "temperature": Severity.ERROR,
        "cover": Severity.OK,
        "filter": Severity.WARNING,
        "other": Severity.ERROR,
    }


@pytest.mark.parametrize("value", ["00000", "0000000", "030000", "OK"])
def test_bad_errors(value):
    with pytest.raises(BadAnswer):
        parse_errors(value)


@pytest.mark.parametrize(
    ("value", "code", "kind"),
    [("31", "31", "digital"), ("11", "11", "rgb"), ("3a", "3A", "digital"), ("99", "99", None)],
)
def test_inputs(value, code, kind):
    assert parse_input(value) == (code, kind)


@pytest.mark.parametrize(("value", "cls"), [("1", 1), ("2", 2), ("Class 1", 1), ("class2", 2)])
def test_classes(value, cls):
    assert parse_class(value) == cls


def test_empty_name_is_not_reported():
    assert parse_text("   ") is None
    assert parse_text("Salle 1 \x00") == "Salle 1"


PARSERS = [parse_power, parse_input, parse_lamps, parse_errors, parse_class, parse_text]


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_garbage_greeting_raises_only_bad_answer(raw):
    try:
        parse_greeting(raw)
    except (BadAnswer, AuthenticationFailed):
        pass


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.binary(max_size=200), st.text(max_size=200)), st.sampled_from(["POWR", "LAMP", "CLSS"]))
def test_garbage_reply_raises_only_bad_answer(raw, command):
    try:
        reply = parse_reply(raw, command)
    except (BadAnswer, AuthenticationFailed):
        return
    assert reply.command == command


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=80))
def test_garbage_values_raise_only_bad_answer(value):
    for parse in PARSERS:
        try:
            parse(value)
        except BadAnswer:
            pass


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="0123456789 \t", max_size=40))
def test_garbage_never_reports_all_clear(value):
    """Digits that are not 6 digits 0-2 never read as 'no error'."""
    try:
        parse_errors(value)
    except BadAnswer:
        return
    assert len(value.strip()) == 6
