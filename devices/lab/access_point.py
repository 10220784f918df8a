"""Wi-Fi access point simulator: a real SSH server on 127.0.0.1 (paramiko) with a shell.

Two personalities, chosen by ``ApState.platform``; what each shell prints is in
:mod:`devices.lab.access_point_shells`:

* ``openwrt``  prompt ``root@OpenWrt:~# ``; uci, wifi, ubus and iwinfo commands;
* ``routeros`` prompt ``[admin@MikroTik] > ``; accepts netmiko's ``admin+ct511w4098h`` login
  suffix and answers ``/interface wireless`` print and set commands.

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
import logging
import socket
import socketserver
import threading
import time

import paramiko
from paramiko.common import (
    AUTH_FAILED,
    AUTH_SUCCESSFUL,
    OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED,
    OPEN_SUCCEEDED,
)

from devices.lab.access_point_shells import ApState as ApState  # re-exported
from devices.lab.access_point_shells import openwrt_answer as openwrt_answer  # re-exported
from devices.lab.access_point_shells import routeros_answer as routeros_answer  # re-exported
from devices.lab.base import HOST, Faults, LabServer, Simulator, wait_for_interrupt

CLIENT_WAIT_S = 60.0  # how long a connected client may take to open its shell
_LOG = logging.getLogger("devices.lab.access_point.ssh")
_LOG.addHandler(logging.NullHandler())
_LOG.propagate = False


@functools.cache
def _host_key() -> paramiko.PKey:
    # ECDSA generation is instant, unlike RSA-2048; one key per process is enough for a lab.
    return paramiko.ECDSAKey.generate()


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
