"""What the simulated access point's shell prints (:mod:`devices.lab.access_point`): pure
functions of the device's state and one command line, which they may change.

* ``openwrt``  an OpenWrt 23.05 busybox shell: ``uci show wireless``, ``uci get``,
  ``uci set``, ``uci commit wireless``, ``wifi reload``, ``ubus list hostapd.*``,
  ``ubus call hostapd.<if> get_clients``, ``iwinfo <if> assoclist``;
* ``routeros`` RouterOS 6 (legacy wireless package): ``/interface wireless print terse``,
  ``... security-profiles print terse``, ``... registration-table print count-only``, and
  the matching ``set`` commands. The wireless line is modelled on the real hAP ac² capture.

Only what the drivers send is answered; anything else gets the shell's own error line.
"""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass, field


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
