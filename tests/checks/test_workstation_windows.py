"""Windows over WinRM, over the wire: pywinrm's real SOAP envelopes (Create shell, Command,
Receive, Signal, Delete) against the lab's WS-Management peer (devices/lab/workstation.py), Basic
authentication of the admin account, the PowerShell script decoded on the other side; and the
same check through OpenSSH Server (the bootstrap's other transport), at the end."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from checks.model import Status
from checks.probes.common import CapabilityRule, PlannedTitle, ProbeContext
from checks.probes.workstation import pinned, probe_windows
from devices.errors import AuthenticationFailed, Unreachable
from devices.lab.workstation import WinRMLab
from devices.models import WindowsWorkstation
from devices.workstation.transport import POWERSHELL_COMMAND, PasswordLoginRefused, run_powershell_winrm, run_script_ssh
from provision.families import REGISTRY
from provision.messages import render

PASSWORD = "Win-Jury-5521!"


def title(ids: dict[str, str], name: str, title_id: str, *provides: str, by: str = "candidat:C01") -> PlannedTitle:
    return PlannedTitle(title_id=title_id, name=name, ids=ids, requested_by=(by,), provides=provides)


FIREFOX = title(
    {"winget": "Mozilla.Firefox", "display_name": r"Mozilla Firefox\b"},
    "Mozilla Firefox",
    "firefox",
    "web_browser",
    by="référentiel:mn-2025",
)
CHROME = title(
    {"winget": "Google.Chrome", "display_name": "Google Chrome$"},
    "Google Chrome",
    "google-chrome",
    "web_browser",
    by="référentiel:mn-2025",
)
VLC = title({"winget": "VideoLAN.VLC", "display_name": "VLC media player"}, "VLC media player", "vlc", "video_player")


@pytest.fixture
def win():
    with WinRMLab(password=PASSWORD) as lab:  # HTTPS, self-signed, as WinRM on 5986
        yield lab


def test_plain_http_to_loopback_works_too() -> None:
    with WinRMLab(password=PASSWORD, tls=False) as lab:
        run = run_powershell_winrm(
            lab.host, lab.port, username="jury", password=PASSWORD, script="Get-Date", timeout_s=2, https=False
        )
    assert run.exit_status == 1 and "only answers plateau" in run.stderr  # the script is not ours: refused


def device(lab: Any, password: str = PASSWORD) -> WindowsWorkstation:
    return WindowsWorkstation(name="pc-win-01", room="salle_a", admin_password=password, **lab.host_vars())


def context(tmp_path: Path, *titles: PlannedTitle) -> ProbeContext:
    return ProbeContext(timeout_s=5, key_dir=tmp_path, planned={"pc-win-01": titles},
                        internet_targets=("http://127.0.0.1:9/examen",),
                        capabilities_needed={"pc-win-01": CapabilityRule(label="Poste candidat",
                                                                         needs={"web_browser": 3})},
                        capability_titles={"windows": (FIREFOX, CHROME)},
                        provision_command=("plateau", "provision", "-i", "centre"))  # fmt: skip


def test_the_real_soap_exchange_runs_the_script_once(win: WinRMLab, tmp_path: Path) -> None:
    verdicts = probe_windows(device(win), context(tmp_path, FIREFOX, CHROME, VLC))
    got = {(v.check, v.params.get("title_id")): v for v in verdicts}
    assert got[("admin_login", None)].status is Status.OK and got[("admin_login", None)].probe == "winrm"
    assert got[("software", "firefox")].status is Status.OK
    assert got[("software", "google-chrome")].params["via"].startswith("Google Chrome")  # found in WOW6432Node
    vlc = got[("software", "vlc")]
    assert vlc.status is Status.FAIL and "candidat C01" in render(vlc.key, vlc.params)
    browsers = got[("capabilities", None)]
    assert browsers.status is Status.FAIL and (browsers.params["have"], browsers.params["need"]) == (2, 3)
    assert got[("internet", None)].status is Status.OK and got[("disk_space", None)].value == 50.0
    assert len(win.scripts) == 1 and "HKLM:\\Software\\WOW6432Node" in win.scripts[0]
    assert "'http://127.0.0.1:9/examen'" in win.scripts[0]
    assert PASSWORD not in win.scripts[0]
    actions = "".join(win.requests)
    assert actions.count("/wsman") >= 5  # Create, Command, Receive, Signal, Delete


def test_found_later_and_per_machine_appx(win: WinRMLab, tmp_path: Path) -> None:
    win.set(
        uninstall=[("64", "VLC media player", "3.0.21"), ("user", "Mozilla Firefox (x64 fr)", "133.0")],
        appx=[("Microsoft.ScreenSketch", "11.0", "X64")],
        internet="down",
        free_bytes=1024**3,
    )
    snip = title({"winget": "9MZ95KL8MR0L", "appx": "Microsoft.ScreenSketch"}, "Outil Capture", "snip")
    got = {
        (v.check, v.params.get("title_id")): v
        for v in probe_windows(device(win), context(tmp_path, FIREFOX, VLC, snip))
    }
    assert got[("software", "vlc")].status is Status.OK and got[("software", "snip")].status is Status.OK
    assert got[("software", "firefox")].status is Status.WARN  # only in the admin's own HKCU key
    assert got[("internet", None)].status is Status.FAIL and got[("disk_space", None)].status is Status.FAIL


def test_a_wrong_password_is_a_blocking_red(win: WinRMLab, tmp_path: Path) -> None:
    verdicts = probe_windows(device(win, "old-password"), context(tmp_path, VLC))
    login = next(v for v in verdicts if v.check == "admin_login")
    assert login.status is Status.FAIL and login.blocking and login.key == "check.admin_login.refused"
    assert {v.status for v in verdicts if v.check not in ("admin_login", "reachable")} == {Status.UNKNOWN}
    with pytest.raises(PasswordLoginRefused):
        run_powershell_winrm(win.host, win.port, username="jury", password="nope", script="x", timeout_s=2, https=True)


def test_plain_http_to_a_real_host_is_refused_before_any_password_is_sent() -> None:
    with pytest.raises(Unreachable, match="clear"):
        run_powershell_winrm(
            "192.0.2.10", 5985, username="jury", password=PASSWORD, script="x", timeout_s=1, https=False
        )


def test_a_dead_winrm_service_is_unknown_within_the_bound(win: WinRMLab, tmp_path: Path) -> None:
    import time

    win.set_mode("slow", slow_s=30)
    ctx = context(tmp_path, VLC)
    ctx.timeout_s = 1.0
    started = time.monotonic()
    with pytest.raises(Unreachable):
        probe_windows(device(win), ctx)
    assert time.monotonic() - started < 1.0 * 2.5  # the sweep's bound for one probe


def test_the_password_goes_only_to_the_certificate_pinned_on_first_contact(win: WinRMLab, tmp_path: Path) -> None:
    """WinRM certificates are self-signed, so trust is pinned on first contact (as SSH host keys
    are); a changed certificate is refused before any password is sent."""
    known = tmp_path / "known_hosts"
    seen: list[str] = []
    original = win.authorized

    def spy(request) -> bool:  # records every Authorization header the peer receives
        seen.append(request.headers.get("Authorization") or "")
        return original(request)

    win.authorized = spy  # type: ignore[method-assign]
    first = run_powershell_winrm(win.host, win.port, username="jury", password=PASSWORD, script="Get-Date",
                                 timeout_s=3, https=True, known_hosts=known)  # fmt: skip
    assert first.authenticated_at is not None
    pins = known.with_name("known_hosts.winrm").read_text(encoding="utf-8").split()
    assert pins[0] == f"{win.host}:{win.port}" and len(pins[1]) == 64
    known.with_name("known_hosts.winrm").write_text(f"{win.host}:{win.port} {'0' * 64}\n", encoding="utf-8")
    seen.clear()
    with pytest.raises(AuthenticationFailed):
        run_powershell_winrm(win.host, win.port, username="jury", password=PASSWORD, script="Get-Date",
                             timeout_s=3, https=True, known_hosts=known)  # fmt: skip
    assert seen == []  # refused before a single request carried the password


def test_the_pin_is_checked_on_the_connection_that_carries_the_password(
    win: WinRMLab, tmp_path: Path, monkeypatch
) -> None:
    """Even if a first handshake was answered by the right certificate, the request with the
    password is refused on a connection that presents another one (urllib3 assert_fingerprint)."""
    from devices.errors import DeviceError
    from devices.workstation import transport

    seen: list[str] = []
    original = win.authorized
    win.authorized = lambda request: seen.append(request.headers.get("Authorization") or "") or original(request)  # type: ignore[method-assign]
    monkeypatch.setattr(transport, "winrm_certificate_pin", lambda *args, **kwargs: "ab" * 32)
    with pytest.raises(DeviceError):
        run_powershell_winrm(win.host, win.port, username="jury", password=PASSWORD, script="Get-Date",
                             timeout_s=3, https=True, known_hosts=tmp_path / "known_hosts")  # fmt: skip
    assert seen == []


# ------------------------------------------------------------------- Windows PCs not bootstrapped yet


class Peer:
    """A TCP peer on loopback: ``"garbage"`` answers a line that is neither SSH, HTTP nor TLS and
    closes; ``"silent"`` accepts and never says a word (as a port behind a proxy that accepts)."""

    def __init__(self, mode: str) -> None:
        import socket
        import threading

        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.mode, self.held = mode, []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            if self.mode == "garbage":
                conn.sendall(b"220 imprimante-salle-b prete\r\n")
                conn.close()
            else:
                self.held.append(conn)

    def close(self) -> None:
        self.sock.close()
        for conn in self.held:
            conn.close()


def windows_at(port: int, connection: str = "winrm") -> WindowsWorkstation:
    return WindowsWorkstation(name="pc-win-01", room="salle_a", admin_user="jury", admin_password=PASSWORD, ansible_host="127.0.0.1",
                              ansible_port=port, ansible_connection=connection)  # fmt: skip


def reachable_of(verdicts):
    (only,) = [v for v in verdicts if v.check == "reachable"]
    return only


def assert_never_ready(verdicts) -> None:
    assert verdicts and {v.status for v in verdicts} == {Status.UNKNOWN}


def test_a_closed_winrm_port_says_not_prepared(tmp_path: Path) -> None:
    from devices.lab.base import free_port

    ctx = context(tmp_path, VLC)
    ctx.known_hosts_file = tmp_path / "known_hosts"
    verdicts = probe_windows(windows_at(free_port()), ctx)  # nothing listens there: refused
    reach = reachable_of(verdicts)
    assert reach.key == "bootstrap.not_prepared_refused" and reach.params["transport"] == "WinRM HTTPS"
    text = render(reach.key, reach.params)
    assert "pas encore préparé pour plateau" in text.lower() and "plateau bootstrap windows" in text
    assert "docs/windows-preparation.md" in text
    assert_never_ready(verdicts)
    assert {v.check for v in verdicts} == {"reachable", "admin_login", "software", "capabilities", "internet",
                                           "disk_space"}  # fmt: skip
    # every other check says the same reason, the planned title included
    assert {v.key for v in verdicts if v.check != "reachable"} == {"bootstrap.not_measured"}
    assert [v.params["title_id"] for v in verdicts if v.check == "software"] == ["vlc"]


def test_a_port_that_speaks_neither_tls_nor_ssh(tmp_path: Path) -> None:
    from checks.probes.workstation import probe_workstation

    peer = Peer("garbage")
    try:
        ctx = context(tmp_path, VLC)
        ctx.known_hosts_file = tmp_path / "known_hosts"
        over_winrm = probe_windows(windows_at(peer.port), ctx)
        over_ssh = probe_workstation(windows_at(peer.port, "ssh"), ctx)
    finally:
        peer.close()
    assert reachable_of(over_winrm).key == "bootstrap.not_prepared_no_protocol"
    assert reachable_of(over_ssh).key == "bootstrap.not_prepared_no_protocol"
    assert reachable_of(over_ssh).params["transport"] == "SSH"
    assert_never_ready(over_winrm)
    assert_never_ready(over_ssh)


def test_a_real_sshd_on_the_winrm_port_is_not_winrm(tmp_path: Path, local_sshd) -> None:
    """Debian's sshd answers its banner: a Windows PC said to be on WinRM HTTPS there is not prepared
    (no TLS); the same port said to be OpenSSH is reachable (the handshake saw SSH-2.0)."""
    from checks.probes.workstation import probe_workstation

    ctx = context(tmp_path, VLC)
    ctx.known_hosts_file = tmp_path / "known_hosts"
    with local_sshd(tmp_path / "sshd") as (port, _key):
        winrm = probe_windows(windows_at(port), ctx)
        ssh = probe_workstation(windows_at(port, "ssh"), ctx)
    assert reachable_of(winrm).key == "bootstrap.not_prepared_no_protocol"
    assert_never_ready(winrm)
    assert reachable_of(ssh).status is Status.OK and reachable_of(ssh).probe == "ssh"
    assert {v.status for v in ssh if v.check == "software"} == {Status.UNKNOWN}  # handshake only


def test_silence_is_not_prepared_only_while_plateau_never_reached_the_pc(tmp_path: Path) -> None:
    peer = Peer("silent")
    try:
        ctx = context(tmp_path, VLC)
        ctx.timeout_s = 1.0
        ctx.known_hosts_file = tmp_path / "known_hosts"
        first = probe_windows(windows_at(peer.port), ctx)
        assert reachable_of(first).key == "bootstrap.not_prepared_silent"
        assert_never_ready(first)
        # once plateau has pinned this PC's certificate, silence is a plain « injoignable »
        (tmp_path / "known_hosts.winrm").write_text(f"127.0.0.1:{peer.port} {'ab' * 32}\n", encoding="utf-8")
        assert pinned("127.0.0.1", peer.port, ctx.known_hosts_file)
        with pytest.raises(Unreachable):
            probe_windows(windows_at(peer.port), ctx)
    finally:
        peer.close()


def test_pins_of_either_transport_count_as_reached(tmp_path: Path) -> None:
    known = tmp_path / "known_hosts"
    assert not pinned("127.0.0.1", 5986, known) and not pinned("127.0.0.1", 22, None)
    known.write_text("[127.0.0.1]:2222 ssh-ed25519 AAAAC3Nza\n10.0.0.5,pc-b ssh-ed25519 AAAAC3Nza\n")
    assert pinned("127.0.0.1", 2222, known) and pinned("10.0.0.5", 22, known)
    assert not pinned("127.0.0.1", 22, known) and not pinned("127.0.0.1", 5986, known)


# ------------------------------------------------------------------ through OpenSSH Server
# Debian's real sshd on loopback, a real password login, one exec of ``powershell.exe
# -EncodedCommand`` answered by the lab's stand-in for cmd.exe (devices/lab/windows_cmd.py, the
# same answers as the WinRM lab), the host key pinned on first contact.


@pytest.fixture
def win_ssh(workstation_lab):
    return workstation_lab(flavour="windows", password=PASSWORD)


def test_the_powershell_check_runs_over_ssh_and_pins_the_host_key(win_ssh, tmp_path: Path) -> None:
    ctx = context(tmp_path, FIREFOX, CHROME, VLC)
    ctx.known_hosts_file = tmp_path / "known_hosts"
    assert not pinned(win_ssh.host, win_ssh.port, ctx.known_hosts_file)  # validate: « jamais joint »
    got = {(v.check, v.params.get("title_id")): v for v in probe_windows(device(win_ssh), ctx)}
    assert got[("admin_login", None)].status is Status.OK and got[("admin_login", None)].probe == "ssh"
    assert got[("software", "firefox")].status is Status.OK
    assert got[("software", "google-chrome")].params["via"].startswith("Google Chrome")
    vlc = got[("software", "vlc")]
    assert vlc.status is Status.FAIL and "candidat C01" in render(vlc.key, vlc.params)
    assert got[("internet", None)].status is Status.OK and got[("disk_space", None)].value == 50.0
    assert pinned(win_ssh.host, win_ssh.port, ctx.known_hosts_file)  # first contact pinned it


def test_what_the_pc_holds_now_is_what_the_check_says(win_ssh, tmp_path: Path) -> None:
    win_ssh.set(uninstall=[("64", "VLC media player", "3.0.21")], internet="down", free_bytes=1024**3)
    got = {(v.check, v.params.get("title_id")): v for v in probe_windows(device(win_ssh), context(tmp_path, VLC,
                                                                                                   FIREFOX))}  # fmt: skip
    assert got[("software", "vlc")].status is Status.OK and got[("software", "firefox")].status is Status.FAIL
    assert got[("internet", None)].status is Status.FAIL and got[("disk_space", None)].status is Status.FAIL


def test_a_wrong_password_is_a_blocking_red_and_nothing_is_green(win_ssh, tmp_path: Path) -> None:
    verdicts = probe_windows(device(win_ssh, "old-password"), context(tmp_path, VLC))
    login = next(v for v in verdicts if v.check == "admin_login")
    assert login.status is Status.FAIL and login.blocking and login.key == "check.admin_login.refused"
    assert {v.status for v in verdicts if v.check not in ("admin_login", "reachable")} == {Status.UNKNOWN}


def test_the_command_line_is_powershell_and_nothing_else_answers(win_ssh) -> None:
    assert POWERSHELL_COMMAND.startswith("powershell.exe ") and "-EncodedCommand {encoded}" in POWERSHELL_COMMAND
    run = run_script_ssh(win_ssh.host, win_ssh.port, username=win_ssh.user, password=PASSWORD, script="",
                         timeout_s=10, command="dir C:\\")  # fmt: skip
    assert run.exit_status == 1 and "is not recognized" in run.stderr


def test_the_registry_probes_an_ssh_windows_pc_live() -> None:
    family = REGISTRY["windows"]
    ssh = WindowsWorkstation(name="w", room="r", address="127.0.0.1", admin_user="jury", ansible_connection="ssh")
    winrm = WindowsWorkstation(name="w", room="r", address="127.0.0.1", admin_user="jury", ansible_connection="winrm")
    assert family.probes[family.choose_probe(ssh)].fn == family.probes[family.choose_probe(winrm)].fn
    assert family.probes[family.choose_probe(ssh)].name == "ssh"
