"""Pure rules, continued: Wi-Fi access point, projection, software, accounts, attestations,
reachability, and the verdict for a probe that could not measure anything."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from checks.grading import _Common, _joined, _msg, _v
from checks.model import Status, Verdict
from devices.errors import AuthenticationFailed, BadAnswer, DeviceError, Unreachable


def probe_failed(device: str, check: str, error: BaseException, *, measured_at: dt.datetime, probe: str,
                 room: str | None, timeout_s: float | None = None) -> Verdict:  # fmt: skip
    """Whatever went wrong, the device is UNKNOWN (never OK), with what to do about it."""
    params: dict[str, Any]  # the message's placeholders, passed on to ``_v`` as its ``**params``
    if isinstance(error, TimeoutError):
        if timeout_s is None:
            key, params = "check.probe.no_answer", {}
        else:
            key, params = (
                "check.probe.timeout",
                {"timeout_s": int(timeout_s) if float(timeout_s).is_integer() else round(timeout_s, 1)},
            )
    elif isinstance(error, AuthenticationFailed):
        key, params = "check.probe.auth_failed", {}
    elif isinstance(error, BadAnswer):
        key, params = "check.probe.bad_answer", {}
    elif isinstance(error, Unreachable):
        key, params = "check.probe.unreachable", {}
    elif isinstance(error, DeviceError):
        key, params = "check.probe.device_error", {}
    else:  # a bug in a driver must not turn into green: it is unknown, and logged
        key, params = "check.probe.internal", {"error": type(error).__name__}
    return _v(
        device,
        check,
        Status.UNKNOWN,
        key,
        measured_at=measured_at,
        probe=probe,
        room=room,
        facts={"error": str(error)[:300]},
        **params,
    )


def access_point(device: str, *, facts: Any, expected_ssid: str, expected_security: str,
                 measured_at: dt.datetime, probe: str, room: str | None, facts_dict: dict[str, Any]) -> list[Verdict]:  # fmt: skip
    common = _Common(measured_at=measured_at, probe=probe, room=room, facts=facts_dict)
    out: list[Verdict] = []
    if facts.radio_enabled is False:
        out.append(_v(device, "wifi_radio", Status.FAIL, "check.wifi.radio_off", **common))
    elif facts.radio_enabled is None:
        out.append(_v(device, "wifi_radio", Status.UNKNOWN, "check.wifi.radio_unknown", **common))
    else:
        out.append(
            _v(
                device,
                "wifi_radio",
                Status.OK,
                "check.wifi.radio_on",
                value=facts.clients_count,
                clients=facts.clients_count if facts.clients_count is not None else "?",
                **common,
            )
        )
    if facts.ssid != expected_ssid:
        out.append(
            _v(
                device,
                "wifi_config",
                Status.FAIL,
                "check.wifi.ssid_mismatch",
                value=facts.ssid,
                found=facts.ssid or "?",
                expected=expected_ssid,
                **common,
            )
        )
    elif facts.security != expected_security:
        out.append(
            _v(
                device,
                "wifi_config",
                Status.FAIL,
                "check.wifi.security_mismatch",
                value=facts.security,
                found=facts.security or "?",
                expected=expected_security,
                **common,
            )
        )
    elif expected_security != "open" and facts.key_matches is not True:
        key = "check.wifi.key_mismatch" if facts.key_matches is False else "check.wifi.key_unknown"
        status = Status.FAIL if facts.key_matches is False else Status.UNKNOWN
        out.append(_v(device, "wifi_config", status, key, **common))
    else:
        out.append(
            _v(device, "wifi_config", Status.OK, "check.wifi.config_ok", value=facts.ssid, ssid=facts.ssid, **common)
        )
    return out


#: ProjectorFacts fields and ERST parts -> their label (check.projector.part.<name>)
PROJECTOR_PARTS = frozenset(
    {
        "power",
        "input",
        "lamps",
        "errors",
        "name",
        "manufacturer",
        "model",
        "pjlink_class",
        "serial_number",
        "software_version",
        "fan",
        "lamp",
        "temperature",
        "cover",
        "filter",
        "other",
    }
)


def _parts(names: Iterable[str]) -> dict[str, Any]:
    return _joined(
        [
            _msg(f"check.projector.part.{n}") if n in PROJECTOR_PARTS else _msg("check.projector.part.unnamed", name=n)
            for n in names
        ]
    )


def projector(device: str, *, facts: Any, measured_at: dt.datetime, probe: str, room: str | None,
              facts_dict: dict[str, Any]) -> Verdict:  # fmt: skip
    """ERST errors, or ERR4 (projector failure) to any query: FAIL; ERST not given: UNKNOWN; ERST
    warnings, ERR3 (unavailable time: busy or in standby) or ERR1/ERR2 (not supported, out of
    parameter) to any query: WARN, never OK; power state not given: UNKNOWN."""
    common = _Common(measured_at=measured_at, probe=probe, room=room, facts=facts_dict)
    errors = facts.errors
    unanswered: dict[str, str] = dict(getattr(facts, "unanswered", None) or {})
    refused = {
        fact: str(reason).split()[0].upper() if str(reason).split() else "?" for fact, reason in unanswered.items()
    }
    power = str(getattr(facts.power, "value", facts.power)) if facts.power is not None else None
    failing = sorted(name for name, sev in (errors or {}).items() if str(getattr(sev, "value", sev)) == "error")
    warning = sorted(name for name, sev in (errors or {}).items() if str(getattr(sev, "value", sev)) == "warning")
    if failing:
        return _v(
            device, "projector", Status.FAIL, "check.projector.error", value=power, parts=_parts(failing), **common
        )
    if failed := sorted(f for f, code in refused.items() if code == "ERR4"):
        return _v(
            device, "projector", Status.FAIL, "check.projector.failure", value=power, parts=_parts(failed), **common
        )
    if errors is None:
        return _v(device, "projector", Status.UNKNOWN, "check.projector.errors_unknown", **common)
    if warning:
        return _v(
            device, "projector", Status.WARN, "check.projector.warning", value=power, parts=_parts(warning), **common
        )
    if power not in ("off", "on", "cooling", "warming"):
        return _v(device, "projector", Status.UNKNOWN, "check.projector.power_unknown", **common)
    if busy := sorted(f for f, code in refused.items() if code == "ERR3"):
        return _v(
            device,
            "projector",
            Status.WARN,
            "check.projector.unavailable",
            value=power,
            parts=_parts(busy),
            power=_msg(f"check.projector.power_name.{power}"),
            **common,
        )
    if refused:  # ERR1 undefined command, ERR2 out of parameter, or anything else instead of an answer
        return _v(
            device,
            "projector",
            Status.WARN,
            "check.projector.unsupported",
            value=power,
            parts=_parts(sorted(refused)),
            **common,
        )
    return _v(
        device,
        "projector",
        Status.OK,
        "check.projector.ok",
        value=power,
        power=_msg(f"check.projector.power_name.{power}"),
        **common,
    )


def software(device: str, *, expected: dict[str, str], installed: Iterable[str], measured_at: dt.datetime,
             probe: str, room: str | None) -> Verdict:  # fmt: skip
    """``expected``: {identifier on the device: display name}; ``installed``: identifiers found."""
    installed = set(installed)
    missing = sorted(name for ident, name in expected.items() if ident not in installed)
    common = _Common(measured_at=measured_at, probe=probe, room=room,
                     facts={"expected": sorted(expected), "missing": missing})  # fmt: skip
    if missing:
        return _v(
            device, "software", Status.FAIL, "check.software.missing", value=len(missing), titles=missing, **common
        )
    return _v(device, "software", Status.OK, "check.software.ok", value=len(expected), count=len(expected), **common)


def account(device: str, *, expected: str, found: Iterable[str], kind: str, measured_at: dt.datetime,
            probe: str, room: str | None) -> Verdict:  # fmt: skip
    found = [f.lower() for f in found]
    common = _Common(measured_at=measured_at, probe=probe, room=room, facts={"accounts_count": len(found)})
    if expected.lower() in found:
        return _v(
            device, "account", Status.OK, "check.account.ok", value=expected, account=expected, kind=kind, **common
        )
    return _v(
        device, "account", Status.FAIL, "check.account.missing", value=None, account=expected, kind=kind, **common
    )


def reachable(device: str, *, port: int, measured_at: dt.datetime, probe: str, room: str | None) -> Verdict:
    return _v(
        device,
        "reachable",
        Status.OK,
        "check.reachable.ok",
        value=port,
        port=port,
        measured_at=measured_at,
        probe=probe,
        room=room,
    )


def attestation(device: str, *, item: str, label: str, record: Any | None, now: dt.datetime, room: str | None,
                validity_h: float) -> Verdict:  # fmt: skip
    """A manual check: missing or expired is not ready (blocking)."""
    common = _Common(measured_at=now, probe="manual", room=room)
    validity_h = int(validity_h) if float(validity_h).is_integer() else validity_h
    if record is None:
        return _v(
            device,
            f"attestation:{item}",
            Status.FAIL,
            "check.attestation.missing",
            label=label,
            validity_h=validity_h,
            **common,
        )
    facts = {"by": record.by_name, "at": record.at.isoformat(), "expires_at": record.expires_at.isoformat()}
    recorded: _Common = {**common, "measured_at": record.at, "facts": facts}  # measured when attested
    if not record.valid_at(now):
        return _v(
            device,
            f"attestation:{item}",
            Status.FAIL,
            "check.attestation.expired",
            label=label,
            by=record.by_name,
            at=record.at.strftime("%d/%m %H:%M"),
            **recorded,
        )
    return _v(
        device,
        f"attestation:{item}",
        Status.OK,
        "check.attestation.ok",
        label=label,
        by=record.by_name,
        at=record.at.strftime("%d/%m %H:%M"),
        **recorded,
    )
