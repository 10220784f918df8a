"""Wi-Fi access point simulator: a real SSH server on 127.0.0.1 (paramiko) with a shell.

Two personalities, chosen by ``ApState.platform``:

* ``openwrt``  prompt ``root@OpenWrt:~# ``; answers ``uci show wireless``, ``uci get``,
  ``uci set``, ``uci commit wireless``, ``wifi reload``, ``ubus list hostapd.*``,
  ``ubus call hostapd.<if> get_clients``, ``iwinfo <if> assoclist``;
* ``routeros`` prompt ``[admin@MikroTik] > ``; accepts netmiko's ``admin+ct511w4098h`` login
  suffix and answers ``/interface wireless print terse``, ``... security-profiles print
  terse``, ``... registration-table print count-only``, and the matching ``set`` commands.
  The wireless line is modelled on the real hAP ac² capture.

The shell echoes input like a pty (netmiko waits for the echo), and takes CR, LF or CRLF.
Settable state (``sim.state.<field>``): ssid, encryption, key, radio_disabled, clients,
and ``mode`` (:mod:`devices.lab.base`; also ``sim.mode``): ``healthy`` (``ok``) | ``dead``
(closes each connection at once) | ``slow`` (waits ``slow_s`` before the first prompt) |
``garbage`` (answers junk to every command).
"Wrong key" is just ``state.key`` differing from what the caller expects.

Standalone: ``python -m devices.lab.access_point --port 2222 --platform openwrt``.
"""

from __future__ import annotations

import argparse
import functools
import json
import logging
import re
import shlex
import socket
import socketserver
import threading
import time
from dataclasses import dataclass, field

import paramiko
from paramiko.common import (
    AUTH_FAILED,
    AUTH_SUCCESSFUL,
    OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED,
    OPEN_SUCCEEDED,
)

from devices.lab.base import HOST, Faults, LabServer, Simulator, wait_for_interrupt

CLIENT_WAIT_S = 60.0  # how long a connected client may take to open its shell
_LOG = logging.getLogger("devices.lab.access_point.ssh")
_LOG.addHandler(logging.NullHandler())
_LOG.propagate = False


@functools.cache
def _host_key() -> paramiko.PKey:
    # ECDSA generation is instant, unlike RSA-2048; one key per process is enough for a lab.
    return paramiko.ECDSAKey.generate()


@dataclass
class ApState:
    platform: str = "openwrt"  # openwrt | routeros
    username: str = "root"
    password: str = "lab-admin"
    ssid: str = "EXAMEN-SALLE1"
    encryption: str = "psk2"  # OpenWrt names: none | psk2 | sae | sae-mixed | psk-mixed
    key: str = "Cle-Wifi-2024"
    radio_disabled: bool = False
    band: str = "2g"
    channel: str = "1"
    clients: list[str] = field(default_factory=lambda: ["a4:c3:f0:11:22:33", "3c:22:fb:44:55:66"])
    ubus: bool = True  # False: no hostapd ubus objects, the driver must fall back to iwinfo
    mode: str = "healthy"  # healthy | dead | slow | garbage
    slow_s: float = 30.0
    commits: int = 0  # how many times the config was committed
    reloads: int = 0  # how many times the radio config was reloaded


def _uci_quote(value: str) -> str:
    # uci show always single-quotes values, escaping ' as '\\''
    return "'" + value.replace("'", "'\\''") + "'"


def _openwrt_show(state: ApState) -> str:
    q = _uci_quote
    lines = [
        "wireless.radio0=wifi-device",
        "wireless.radio0.type='mac80211'",
        "wireless.radio0.path='platform/soc/a000000.wifi'",
        f"wireless.radio0.channel={q(state.channel)}",
        f"wireless.radio0.band={q(state.band)}",
        "wireless.radio0.htmode='HE20'",
        "wireless.radio0.country='FR'",
        "wireless.radio0.cell_density='0'",
    ]
    if state.radio_disabled:
        lines.append("wireless.radio0.disabled='1'")
    lines += [
        "wireless.default_radio0=wifi-iface",
        "wireless.default_radio0.device='radio0'",
        "wireless.default_radio0.network='lan'",
        "wireless.default_radio0.mode='ap'",
        f"wireless.default_radio0.ssid={q(state.ssid)}",
        f"wireless.default_radio0.encryption={q(state.encryption)}",
    ]
    if state.encryption != "none":
        lines.append(f"wireless.default_radio0.key={q(state.key)}")
    return "\n".join(lines)


_IFACE = r"wireless\.(?:@wifi-iface\[0\]|default_radio0)"
_RADIO = r"wireless\.(?:@wifi-device\[0\]|radio0)"


def openwrt_answer(state: ApState, line: str) -> str:
    """What an OpenWrt 23.05 busybox shell prints for ``line`` (only what drivers send)."""
    try:
        argv = shlex.split(line)
    except ValueError:
        return "-ash: syntax error: unterminated quoted string"
    if not argv:
        return ""
    if argv == ["uci", "show", "wireless"]:
        return _openwrt_show(state)
    if argv[:2] == ["uci", "get"] and len(argv) == 3:
        for option, value in (
            ("ssid", state.ssid),
            ("encryption", state.encryption),
            ("key", state.key if state.encryption != "none" else None),
        ):
            if re.fullmatch(f"{_IFACE}\\.{option}", argv[2]) and value is not None:
                return value
        if re.fullmatch(f"{_RADIO}\\.disabled", argv[2]) and state.radio_disabled:
            return "1"
        return "uci: Entry not found"
    if argv[:2] == ["uci", "set"] and len(argv) == 3 and "=" in argv[2]:
        path, _, value = argv[2].partition("=")
        if re.fullmatch(f"{_IFACE}\\.ssid", path):
            state.ssid = value
        elif re.fullmatch(f"{_IFACE}\\.encryption", path):
            state.encryption = value
        elif re.fullmatch(f"{_IFACE}\\.key", path):
            state.key = value
        elif re.fullmatch(f"{_RADIO}\\.disabled", path):
            state.radio_disabled = value == "1"
        else:
            return "uci: Invalid argument"
        return ""
    if argv == ["uci", "commit", "wireless"]:
        state.commits += 1
        return ""
    if argv in (["wifi", "reload"], ["wifi"], ["wifi", "up"]):
        state.reloads += 1
        return ""
    if argv[0] == "ubus" and not state.ubus:
        return "-ash: ubus: not found"
    if argv[:2] == ["ubus", "list"]:
        return "" if state.radio_disabled else "hostapd.phy0-ap0"
    if argv[:3] == ["ubus", "call", "hostapd.phy0-ap0"] and argv[3:4] == ["get_clients"]:
        if state.radio_disabled:
            return "Command failed: Not found"
        clients = {
            mac: {
                "auth": True,
                "assoc": True,
                "authorized": True,
                "aid": i + 1,
                "signal": -52,
                "rx": {"rate": 144400},
                "tx": {"rate": 130000},
            }
            for i, mac in enumerate(state.clients)
        }
        return json.dumps({"freq": 2412, "clients": clients}, indent="\t")
    if argv[:1] == ["iwinfo"] and argv[2:3] == ["assoclist"]:
        if state.radio_disabled or argv[1] not in ("phy0-ap0", "wlan0"):
            return "No such wireless device: " + argv[1]
        if not state.clients:
            return "No station connected"
        return "\n\n".join(
            f"{mac.upper()}  -52 dBm / -95 dBm (SNR 43)  10 ms ago\n"
            "\tRX: 144.4 MBit/s, HT20, MCS 15                 1893 Pkts.\n"
            "\tTX: 130.0 MBit/s, HT20, MCS 15, short GI        412 Pkts.\n"
            "\texpected throughput: 91.4 MBit/s"
            for mac in state.clients
        )
    return f"-ash: {argv[0]}: not found"


_ROS_AUTH = {"none": "", "psk2": "wpa2-psk", "psk-mixed": "wpa-psk,wpa2-psk", "psk": "wpa-psk"}
_ROS_BAND = {"2g": "2ghz-b/g/n", "5g": "5ghz-a/n/ac"}
_ROS_ARG = re.compile(r'([a-z0-9-]+)=("(?:[^"\\]|\\.)*"|\S*)')


def _ros_value(value: str) -> str:
    if value.startswith('"') and value.endswith('"') and len(value) >= 2:
        return re.sub(r"\\(.)", r"\1", value[1:-1])
    return value


def _ros_quote(value: str) -> str:
    if value and re.fullmatch(r"[A-Za-z0-9_.:/,+-]+", value):
        return value
    return '"' + re.sub(r'(["\\$?])', r"\\\1", value) + '"'


def routeros_answer(state: ApState, line: str) -> str:
    """What RouterOS 6 (legacy wireless package) prints for ``line`` (only what drivers send)."""
    words = line.split()
    if not words:
        return ""
    path = " ".join(w for w in words[:4] if "=" not in w and not w.startswith("["))
    args = {k: _ros_value(v) for k, v in _ROS_ARG.findall(line)}
    if path.startswith("/interface wireless print"):
        flags = "X" if state.radio_disabled else "R"
        return (
            f"0 {flags} name=wlan1 mtu=1500 l2mtu=1600 mac-address=2C:C8:1B:38:D6:1C arp=enabled "
            "disable-running-check=no interface-type=IPQ4019 radio-name=2CC81B38D61C mode=ap-bridge "
            f"ssid={_ros_quote(state.ssid)} area= frequency-mode=regulatory-domain country=france "
            "installation=indoor antenna-gain=2 "
            f"frequency={'auto' if state.channel == 'auto' else 2407 + 5 * int(state.channel)} "
            f"band={_ROS_BAND.get(state.band, state.band)} channel-width=20/40mhz-XX "
            "secondary-frequency= scan-list=default wireless-protocol=802.11 rate-set=default "
            "max-station-count=2007 distance=indoors tx-power-mode=default vlan-mode=use-tag vlan-id=1 "
            "wds-mode=disabled bridge-mode=enabled default-authentication=yes default-forwarding=yes "
            "wmm-support=disabled hide-ssid=no security-profile=default wps-mode=disabled"
        )
    if path.startswith("/interface wireless security-profiles print"):
        auth = _ROS_AUTH.get(state.encryption, "wpa2-psk")
        key = _ros_quote(state.key) if auth else '""'
        return (
            f"0 * name=default mode={'dynamic-keys' if auth else 'none'} authentication-types={auth} "
            "unicast-ciphers=aes-ccm group-ciphers=aes-ccm "
            f"wpa-pre-shared-key={key} wpa2-pre-shared-key={key} supplicant-identity=MikroTik "
            "eap-methods=passthrough tls-mode=no-certificates tls-certificate=none mschapv2-username= "
            "mschapv2-password= disable-pmkid=no static-algo-0=none static-key-0= "
            "static-sta-private-algo=none static-sta-private-key= radius-mac-authentication=no "
            "radius-mac-accounting=no radius-eap-accounting=no management-protection=disabled "
            "management-protection-key="
        )
    if path.startswith("/interface wireless registration-table print") and "count-only" in words:
        return "  " + str(0 if state.radio_disabled else len(state.clients))
    if path == "/interface wireless set":
        if not re.search(r"\[find (?:default-)?name=\"?wlan1\"?\]|set (?:wlan1|0) ", line):
            return "no such item"
        if "ssid" in args:
            state.ssid = args["ssid"]
        if "disabled" in args:
            state.radio_disabled = args["disabled"] == "yes"
        return ""
    if path == "/interface wireless security-profiles set":
        if not re.search(r"\[find name=\"?default\"?\]|set (?:default|0) ", line):
            return "no such item"
        if args.get("mode") == "none":
            state.encryption = "none"
        elif "authentication-types" in args:
            state.encryption = {v: k for k, v in _ROS_AUTH.items()}.get(args["authentication-types"], "psk2")
        if "wpa2-pre-shared-key" in args:
            state.key = args["wpa2-pre-shared-key"]
        return ""
    if path.startswith("/"):
        return f"syntax error (line 1 column {len(words[0]) + 2})"
    return f"bad command name {words[0]} (line 1 column 1)"


class _ServerInterface(paramiko.ServerInterface):
    def __init__(self, state: ApState, logins: list[str]) -> None:
        self.state = state
        self.logins = logins
        self.shell_requested = threading.Event()

    def check_auth_password(self, username: str, password: str) -> int:
        self.logins.append(username)
        # RouterOS logins carry options after '+' (netmiko sends admin+ct511w4098h).
        user = username.split("+", 1)[0] if self.state.platform == "routeros" else username
        if user == self.state.username and password == self.state.password:
            return AUTH_SUCCESSFUL
        return AUTH_FAILED

    def get_allowed_auths(self, username: str) -> str:
        return "password"

    def check_channel_request(self, kind: str, chanid: int) -> int:
        if kind == "session":
            return OPEN_SUCCEEDED
        return OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED

    def check_channel_pty_request(self, *args: object) -> bool:
        return True

    def check_channel_shell_request(self, channel: paramiko.Channel) -> bool:
        self.shell_requested.set()
        return True


class _Handler(socketserver.BaseRequestHandler):
    server: LabServer[AccessPointSimulator]

    def handle(self) -> None:
        if self.server.sim.state.mode != "dead":  # dead: the connection is closed at once
            self.server.sim.serve_ssh(self.request)


class AccessPointSimulator(Simulator):
    """SSH server on 127.0.0.1 emulating an OpenWrt or RouterOS shell; bound (port 0 =
    ephemeral) once constructed."""

    def __init__(self, state: ApState | None = None, port: int = 0, host: str = HOST) -> None:
        self.state = state or ApState()
        super().__init__(host=host, mode=self.state.mode, slow_s=self.state.slow_s)
        self.received: list[str] = []  # every command line the shell executed
        self.logins: list[str] = []  # user names offered (RouterOS: with netmiko's +options)
        self.lock = threading.Lock()
        self._transports: list[paramiko.Transport] = []
        self.bind(_Handler, port)

    def faults(self) -> Faults:
        return self.state

    @property
    def prompt(self) -> str:
        if self.state.platform == "routeros":
            return f"[{self.state.username}@MikroTik] > "
        return f"{self.state.username}@OpenWrt:~# "

    def _open(self) -> None:
        _host_key()  # generated once per process, before the first client waits for it

    def _close(self) -> None:
        for transport in list(self._transports):
            transport.close()

    def serve_ssh(self, conn: socket.socket) -> None:
        """One SSH client, in its handler thread: log in, then the shell."""
        transport = paramiko.Transport(conn)
        transport.set_log_channel(_LOG.name)  # quiet: clients hanging up is normal here
        self._transports.append(transport)
        transport.add_server_key(_host_key())
        server = _ServerInterface(self.state, self.logins)
        try:
            transport.start_server(server=server)
            # generous: a client on a loaded machine may take long to ask; stop() ends the wait
            channel = transport.accept(timeout=CLIENT_WAIT_S)
            deadline = time.monotonic() + CLIENT_WAIT_S
            while channel is not None and not server.shell_requested.wait(0.1):
                if self.stopping.is_set() or time.monotonic() > deadline:
                    return
            if channel is not None:
                self._shell(channel)
        except (paramiko.SSHException, OSError, EOFError):
            pass
        finally:
            transport.close()

    def _shell(self, channel: paramiko.Channel) -> None:
        state = self.state
        if state.mode == "slow" and self.stopping.wait(state.slow_s):
            return
        if state.platform == "routeros":
            channel.sendall(b"\r\n\r\n  MikroTik RouterOS 6.49.10 (c) 1999-2023       http://www.mikrotik.com/\r\n\r\n")
        else:
            channel.sendall(b"\r\n\r\nBusyBox v1.36.1 (2023-10-09) built-in shell (ash)\r\n\r\n")
        channel.sendall(self.prompt.encode())
        line, last = b"", b""
        while not self.stopping.is_set():
            data = channel.recv(1024)
            if not data:
                return
            for byte in (data[i : i + 1] for i in range(len(data))):
                if byte == b"\n" and last == b"\r":  # CRLF is one Enter
                    last = byte
                    continue
                last = byte
                if byte in (b"\r", b"\n"):
                    channel.sendall(b"\r\n")
                    self._run(channel, line.decode("utf-8", errors="replace"))
                    line = b""
                elif byte in (b"\x7f", b"\x08"):
                    line = line[:-1]
                else:
                    line += byte
                    channel.sendall(byte)  # echo, like a pty

    def _run(self, channel: paramiko.Channel, line: str) -> None:
        command = line.strip()
        if command in ("exit", "quit", "/quit"):
            channel.close()
            return
        with self.lock:
            self.received.append(command)
            if self.state.mode == "garbage" and command:
                answer = "\x1b[31m#@!? 0xDEADBEEF ===\n\x00 key=\n%%%% =\n{[}"
            elif self.state.platform == "routeros":
                answer = routeros_answer(self.state, command)
            else:
                answer = openwrt_answer(self.state, command)
        if answer:
            channel.sendall(answer.replace("\n", "\r\n").encode() + b"\r\n")
        channel.sendall(self.prompt.encode())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Wi-Fi access point SSH simulator on 127.0.0.1")
    parser.add_argument("--port", type=int, default=2222)
    parser.add_argument("--platform", choices=("openwrt", "routeros"), default="openwrt")
    parser.add_argument("--username", default=None, help="default root (OpenWrt) or admin (RouterOS)")
    parser.add_argument("--password", default="lab-admin")
    parser.add_argument("--ssid", default="EXAMEN-SALLE1")
    parser.add_argument("--key", default="Cle-Wifi-2024")
    parser.add_argument("--radio-off", action="store_true")
    parser.add_argument("--mode", choices=(*AccessPointSimulator.modes, "ok"), default="healthy")
    args = parser.parse_args(argv)
    username = args.username or ("admin" if args.platform == "routeros" else "root")
    state = ApState(
        platform=args.platform,
        username=username,
        password=args.password,
        ssid=args.ssid,
        key=args.key,
        radio_disabled=args.radio_off,
        mode=args.mode,
    )
    sim = AccessPointSimulator(state, port=args.port).start()
    print(f"{args.platform} access point simulator listening on {sim.host}:{sim.port}", flush=True)
    wait_for_interrupt(sim)


if __name__ == "__main__":
    main()
