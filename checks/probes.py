"""One probe per device family: call the family's driver, grade its facts.

Each probe is a blocking function (the sweep runs it in a thread with a timeout) and
declares the checks it produces, so that a failed probe marks *every* one of them
UNKNOWN: a dead tablet must not keep yesterday's green battery.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urlsplit

from checks import grading as g
from checks import grading_more as gm
from checks.facts import jsonable
from checks.model import Status, Verdict, utcnow
from provision.inventory.models import Device

Probe = Callable[[Device, "ProbeContext"], list[Verdict]]


@dataclass
class ProbeContext:
    timeout_s: float
    key_dir: Path  # ADB keys of this plateau (never the user's ~/.android)
    inventory_file: Path | None = None  # hosts.yml, for probes that go through Ansible
    vault_password_file: Path | None = None
    #: host name -> {identifier on the device: display name} of software expected there
    expected_software: dict[str, dict[str, str]] = field(default_factory=dict)
    #: room -> SSID of the room's access point (what tablets should be joined to)
    room_ssid: dict[str, str] = field(default_factory=dict)


def _secret(device: Device, name: str) -> str | None:
    value = getattr(device, name, None)
    return None if value is None else value.get_secret_value()


def probe_workstation(device: Device, ctx: ProbeContext) -> list[Verdict]:
    """The management service Ansible uses answers with its own protocol: an ``SSH-2.0`` banner
    on SSH, an HTTP answer on WinRM 5985, a TLS handshake on WinRM 5986. An open port alone
    proves nothing (a firewall or a proxy may accept it)."""
    now = utcnow()
    if getattr(device, "ansible_connection", None) == "local":
        return [g._v(device.name, "reachable", Status.OK, "check.reachable.local", measured_at=now, probe="local",
                     room=device.room)]
    port = device.management_port()  # type: ignore[attr-defined]
    connection = getattr(device, "ansible_connection", None) or "ssh"
    from devices.errors import BadAnswer, Unreachable

    try:
        with socket.create_connection((device.address, port), timeout=ctx.timeout_s) as sock:
            sock.settimeout(ctx.timeout_s)
            if connection == "ssh":
                banner = sock.recv(256)
                if not banner.startswith(b"SSH-"):
                    raise BadAnswer(f"port {port}: no SSH banner")
                probe = "ssh"
            elif port == 5985:
                sock.sendall(b"POST /wsman HTTP/1.1\r\nHost: plateau\r\nContent-Length: 0\r\n\r\n")
                if not sock.recv(64).startswith(b"HTTP/1."):
                    raise BadAnswer(f"port {port}: no HTTP answer from WinRM")
                probe = "winrm"
            else:
                import ssl

                tls = ssl.create_default_context()
                tls.check_hostname = False
                tls.verify_mode = ssl.CERT_NONE  # self-signed WinRM certificates are the norm
                with tls.wrap_socket(sock, server_hostname=device.address):
                    probe = "winrm-tls"
    except (ssl_error(), ConnectionError, OSError) as exc:
        if isinstance(exc, (BadAnswer,)):
            raise
        raise Unreachable(f"{device.address}:{port}: {getattr(exc, 'strerror', None) or exc}") from exc
    return [gm.reachable(device.name, port=port, measured_at=now, probe=probe, room=device.room)]


def ssl_error() -> type[Exception]:
    import ssl

    return ssl.SSLError


def probe_station(device: Device, ctx: ProbeContext) -> list[Verdict]:
    """Reachability, then: does this Linux PC hear the room's Wi-Fi network?"""
    from checks.station import list_networks

    verdicts = probe_workstation(device, ctx)
    expected = ctx.room_ssid.get(device.room or "")
    now = utcnow()
    if expected is None:
        verdicts.append(g._v(device.name, "wifi_seen", Status.OK, "check.wifi_joined.no_ap", measured_at=now,
                             probe="nmcli", room=device.room, blocking=False))
        return verdicts
    heard = list_networks(ctx.inventory_file, device.name, vault_password_file=ctx.vault_password_file,  # type: ignore[arg-type]
                          timeout_s=ctx.timeout_s, nmcli=device.nmcli_path)  # type: ignore[attr-defined]
    match = [n for n in heard if n.ssid == expected]
    facts = {"heard": [n.ssid for n in heard][:30]}
    if match:
        signal = max((n.signal_pct or 0) for n in match)
        status = Status.OK if signal >= 30 else Status.WARN
        key = "check.wifi_seen.ok" if status is Status.OK else "check.wifi_seen.weak"
        verdicts.append(g._v(device.name, "wifi_seen", status, key, measured_at=now, probe="nmcli",
                             room=device.room, value=signal, unit="%", ssid=expected, signal_pct=signal,
                             facts=facts))  # fmt: skip
    else:
        verdicts.append(g._v(device.name, "wifi_seen", Status.FAIL, "check.wifi_seen.absent", measured_at=now,
                             probe="nmcli", room=device.room, ssid=expected, count=len(heard), facts=facts))
    return verdicts


def probe_android(device: Device, ctx: ProbeContext) -> list[Verdict]:
    from devices.android.driver import collect_facts, read_android

    if device.address:
        facts = read_android(device.address, device.adb_port, key_dir=ctx.key_dir,  # type: ignore[attr-defined]
                             timeout_s=ctx.timeout_s)  # fmt: skip
    else:  # on USB: through this machine's adb server, which owns the USB link
        from devices.android.adb_cli import AdbCliSession

        with AdbCliSession(device.adb_serial, timeout_s=ctx.timeout_s) as session:  # type: ignore[attr-defined]
            facts = collect_facts(session)
    now, room, probe = facts.measured_at, device.room, "adb"
    battery = facts.battery
    out = [
        g.battery(device.name, level_pct=battery.level_pct if battery else None,
                  charging=battery.charging if battery else None, min_pct=device.min_battery_pct,  # type: ignore[attr-defined]
                  measured_at=now, probe=probe, room=room, facts=jsonable(battery) if battery else {}),
        gm.account(device.name, expected=device.google_account, found=facts.google_accounts or (),  # type: ignore[attr-defined]
                   kind="google", measured_at=now, probe=probe, room=room),
        gm.software(device.name, expected=ctx.expected_software.get(device.name, {}),
                    installed=facts.packages or (), measured_at=now, probe=probe, room=room),
    ]  # fmt: skip
    if facts.packages is None:  # `pm list packages` failed: do not claim anything is missing or present
        out[2] = gm.probe_failed(device.name, "software", _bad("pm list packages"), measured_at=now, probe=probe,
                                 room=room)
    if facts.google_accounts is None:
        out[1] = gm.probe_failed(device.name, "account", _bad("dumpsys account"), measured_at=now, probe=probe,
                                 room=room)
    out.append(_wifi_joined(device, facts.wifi.ssid if facts.wifi else None, ctx, now, probe))
    return out


def _bad(what: str) -> Exception:
    from devices.errors import BadAnswer

    return BadAnswer(f"{what}: unreadable answer")


def _wifi_joined(device: Device, ssid: str | None, ctx: ProbeContext, now: Any, probe: str) -> Verdict:
    from checks.model import Status

    expected = ctx.room_ssid.get(device.room or "")
    if expected is None:
        return g._v(device.name, "wifi_joined", Status.OK, "check.wifi_joined.no_ap", measured_at=now, probe=probe,
                    room=device.room, blocking=False, value=ssid)
    if ssid == expected:
        return g._v(device.name, "wifi_joined", Status.OK, "check.wifi_joined.ok", measured_at=now, probe=probe,
                    room=device.room, value=ssid, ssid=ssid)
    return g._v(device.name, "wifi_joined", Status.WARN, "check.wifi_joined.other", measured_at=now, probe=probe,
                room=device.room, value=ssid, found=ssid or "aucun", expected=expected)


def probe_ipad(device: Device, ctx: ProbeContext) -> list[Verdict]:
    from devices.ipad.driver import read_ipad

    runner = None
    if device.access == "cfgutil":  # type: ignore[attr-defined]
        from devices.ipad.runner import ssh_runner

        runner = ssh_runner(device.cfgutil_host, username="admin")  # type: ignore[attr-defined]
    facts = read_ipad(via=device.access, udid=device.udid, ecid=device.ecid, runner=runner,  # type: ignore[attr-defined]
                      timeout_s=ctx.timeout_s)  # fmt: skip
    return [g.battery(device.name, level_pct=facts.battery_level_pct, charging=facts.charging,
                      min_pct=device.min_battery_pct, measured_at=facts.measured_at, probe=facts.source,  # type: ignore[attr-defined]
                      room=device.room, facts=jsonable(facts))]  # fmt: skip


def probe_printer(device: Device, ctx: ProbeContext) -> list[Verdict]:
    from devices.printer.driver import read_printer

    status = read_printer(device.address or "", ipp_port=device.ipp_port, ipp_path=device.ipp_path,  # type: ignore[attr-defined]
                          snmp_port=device.snmp_port, community=device.snmp_community,  # type: ignore[attr-defined]
                          timeout_s=ctx.timeout_s)  # fmt: skip
    facts = jsonable(status)
    now, probe = status.measured_at, status.source
    supplies = [{**jsonable(s), "some_remaining": s.some_remaining} for s in status.supplies]
    return [
        g.printer_state(device.name, state=status.state.value if status.state else None, reasons=status.reasons,
                        measured_at=now, probe=probe, room=device.room, facts=facts),
        g.supplies(device.name, supplies=supplies, min_pct=device.min_supply_pct, measured_at=now, probe=probe,  # type: ignore[attr-defined]
                   room=device.room),
    ]  # fmt: skip


def probe_scanner(device: Device, ctx: ProbeContext) -> list[Verdict]:
    from devices.scanner.driver import read_scanner

    facts = read_scanner(device.address or "", port=device.escl_port, base_path=device.escl_path,  # type: ignore[attr-defined]
                         timeout_s=ctx.timeout_s, tls=device.escl_scheme == "https")  # type: ignore[attr-defined]
    status = facts.status
    return [g.scanner_state(device.name, state=status.state.value if status.state else None,
                            adf_state=status.adf_state, measured_at=status.measured_at, probe="escl",
                            room=device.room, facts=jsonable(facts))]  # fmt: skip


def probe_printer_3d(device: Device, ctx: ProbeContext) -> list[Verdict]:
    from devices.printer_3d.driver import read_printer_3d

    params: dict[str, Any] = {"timeout_s": ctx.timeout_s}
    if device.driver == "marlin":  # type: ignore[attr-defined]
        params.update(port=device.serial_port, baudrate=device.baudrate)  # type: ignore[attr-defined]
    else:
        params.update(host=device.address, api_key=_secret(device, "api_key"))
        if device.api_port:  # type: ignore[attr-defined]
            params["port"] = device.api_port  # type: ignore[attr-defined]
        if device.driver == "prusalink" and _secret(device, "api_password"):  # type: ignore[attr-defined]
            params.update(username=device.api_user or "maker", password=_secret(device, "api_password"))  # type: ignore[attr-defined]
    if device.spoolman_url:  # type: ignore[attr-defined]
        url = urlsplit(device.spoolman_url)  # type: ignore[attr-defined]
        params.update(spoolman_host=url.hostname, spoolman_port=url.port or 7912, spool_id=device.spool_id)  # type: ignore[attr-defined]
    facts = read_printer_3d(device.driver, **params)  # type: ignore[attr-defined]
    data = jsonable(facts)
    now, probe = facts.measured_at, device.driver  # type: ignore[attr-defined]
    sensor = facts.filament_sensor.value if facts.filament_sensor else None
    return [
        g.printer_3d_state(device.name, connected=facts.connected, state=facts.state.value, errors=[
            e for e in facts.errors if not e.startswith("spoolman:")], measured_at=now, probe=probe,
            room=device.room, facts=data),
        g.filament(device.name, sensor=sensor, remaining_g=facts.remaining_g, min_g=device.min_filament_g,  # type: ignore[attr-defined]
                   needed_g=None, measured_at=now, probe=probe, room=device.room, facts=data),
    ]  # fmt: skip


def probe_access_point(device: Device, ctx: ProbeContext) -> list[Verdict]:
    from devices.access_point.driver import read_access_point

    facts = read_access_point(device.platform, device.address or "", password=_secret(device, "ssh_password") or "",  # type: ignore[attr-defined]
                              port=device.ssh_port, username=device.ssh_user, timeout_s=ctx.timeout_s,  # type: ignore[attr-defined]
                              expected_key=_secret(device, "wifi_key"))  # fmt: skip
    return gm.access_point(device.name, facts=facts, expected_ssid=device.wifi_ssid,  # type: ignore[attr-defined]
                           expected_security=device.wifi_security, measured_at=facts.measured_at,  # type: ignore[attr-defined]
                           probe=device.platform, room=device.room, facts_dict=jsonable(facts))  # type: ignore[attr-defined]


def probe_projector(device: Device, ctx: ProbeContext) -> list[Verdict]:
    from devices.projector.driver import read_projector

    facts = read_projector(device.address or "", device.pjlink_port, _secret(device, "pjlink_password"),  # type: ignore[attr-defined]
                           timeout_s=ctx.timeout_s)  # fmt: skip
    return [gm.projector(device.name, facts=facts, measured_at=facts.measured_at, probe="pjlink", room=device.room,
                         facts_dict=jsonable(facts))]  # fmt: skip


def probe_microcontroller(device: Device, ctx: ProbeContext) -> list[Verdict]:
    from checks.model import Status
    from devices.errors import Unreachable
    from devices.microcontroller.detect import find_board
    from devices.microcontroller.handshake import handshake

    board = find_board(serial=device.usb_serial) if device.usb_serial else None  # type: ignore[attr-defined]
    if board is None:
        raise Unreachable("board not detected on USB")
    now = utcnow()
    protocol = device.handshake  # type: ignore[attr-defined]
    if protocol == "none":
        return [g._v(device.name, "board", Status.OK, "check.board.detected", measured_at=now, probe="usb",
                     room=device.room, value=board.tty_path, tty=board.tty_path, facts=jsonable(board))]
    facts = handshake(board.tty_path, "probe" if protocol == "custom" else protocol, timeout_s=ctx.timeout_s,
                      probe=(device.probe_string or "").encode() or None, expect=device.expect)  # type: ignore[attr-defined]
    if not facts.answered:
        return [g._v(device.name, "board", Status.FAIL, "check.board.silent", measured_at=facts.measured_at,
                     probe=protocol, room=device.room, tty=board.tty_path, facts=jsonable(facts))]
    return [g._v(device.name, "board", Status.OK, "check.board.answers", measured_at=facts.measured_at,
                 probe=protocol, room=device.room, value=facts.firmware, firmware=facts.firmware or "?",
                 facts=jsonable(facts))]  # fmt: skip


def probe_robot_ble(device: Device, ctx: ProbeContext) -> list[Verdict]:
    from devices.robot.ble import read_ble_battery

    facts = read_ble_battery(device.ble_address, timeout_s=ctx.timeout_s)  # type: ignore[attr-defined]
    return _robot_verdict(device, facts, facts.source)


def _robot_verdict(device: Device, facts: Any, probe: str) -> list[Verdict]:
    if facts.level_pct is None and getattr(facts, "voltage_v", None) is not None:
        return [g.battery_voltage(device.name, voltage_v=facts.voltage_v, measured_at=facts.measured_at, probe=probe,
                                  room=device.room, facts=jsonable(facts))]  # fmt: skip
    return [g.battery(device.name, level_pct=facts.level_pct, charging=None, min_pct=device.min_battery_pct,  # type: ignore[attr-defined]
                      measured_at=facts.measured_at, probe=probe, room=device.room, facts=jsonable(facts))]


#: USB vendor ids of robots that expose a serial port
ROBOT_USB_VENDORS = {"thymio": "0617", "spike": "0694"}


def probe_robot_serial(device: Device, ctx: ProbeContext) -> list[Verdict]:
    """Thymio II (Aseba) or LEGO SPIKE hub (MicroPython raw REPL) on its USB serial port."""
    from devices.errors import Unreachable
    from devices.microcontroller.detect import find_board
    from devices.robot.thymio import read_hub_battery, read_thymio_battery

    kind = device.kind  # type: ignore[attr-defined]
    if kind not in ROBOT_USB_VENDORS:
        raise Unreachable(f"no serial protocol known for robot kind {kind}")
    usb_serial = getattr(device, "usb_serial", None)
    board = find_board(serial=usb_serial) if usb_serial else find_board(vendor_id=ROBOT_USB_VENDORS[kind])
    if board is None:
        raise Unreachable("robot not detected on USB: plug it in and switch it on")
    reader = read_thymio_battery if kind == "thymio" else read_hub_battery
    return _robot_verdict(device, reader(board.tty_path, timeout_s=ctx.timeout_s), "aseba" if kind == "thymio" else "repl")


def probe_robot_tdm(device: Device, ctx: ProbeContext) -> list[Verdict]:
    """A Thymio seen through the Thymio Device Manager (Thymio Suite) on this machine or a PC."""
    from devices.robot.tdm import read_thymio_tdm

    facts = read_thymio_tdm(device.address or "127.0.0.1", device.tdm_port, timeout_s=ctx.timeout_s)  # type: ignore[attr-defined]
    return _robot_verdict(device, facts, "tdm")


@dataclass(frozen=True)
class ProbeSpec:
    name: str
    checks: tuple[str, ...]
    fn: Probe


WORKSTATION = ProbeSpec("tcp", ("reachable",), probe_workstation)
PROBES: dict[str, ProbeSpec] = {
    "windows": WORKSTATION,
    "linux": WORKSTATION,
    "macos": WORKSTATION,
    "android": ProbeSpec("adb", ("battery", "account", "software", "wifi_joined"), probe_android),
    "ipad": ProbeSpec("ipad", ("battery",), probe_ipad),
    "printer": ProbeSpec("ipp", ("printer_state", "consumables"), probe_printer),
    "scanner": ProbeSpec("escl", ("scanner_state",), probe_scanner),
    "printer_3d": ProbeSpec("printer_3d", ("printer_3d_state", "filament"), probe_printer_3d),
    "access_point": ProbeSpec("ssh", ("wifi_radio", "wifi_config"), probe_access_point),
    "projector": ProbeSpec("pjlink", ("projector",), probe_projector),
    "microcontroller": ProbeSpec("usb", ("board",), probe_microcontroller),
}


def probe_for(device: Device) -> ProbeSpec | None:
    """The probe of a device, or None when it can only be attested by a person."""
    if device.family == "robot":
        return {
            "ble": ProbeSpec("ble", ("battery",), probe_robot_ble),
            "serial": ProbeSpec("serial", ("battery",), probe_robot_serial),
            "tdm": ProbeSpec("tdm", ("battery",), probe_robot_tdm),
        }.get(device.probe)  # type: ignore[attr-defined]
    if device.family == "projector" and not device.pjlink:  # type: ignore[attr-defined]
        return None
    if device.family == "linux" and getattr(device, "wifi_station", False):
        return ProbeSpec("nmcli", ("reachable", "wifi_seen"), probe_station)
    return PROBES.get(device.family)
