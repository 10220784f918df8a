"""The workstation parsers on recorded answers (captures/<case>/, each with a README saying whether
it was captured or constructed) and the matching rules of checks/grading_workstation.py."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from checks import grading_workstation as gw
from checks.model import Status
from checks.probes.common import CapabilityRule, PlannedTitle
from devices.errors import BadAnswer
from devices.workstation.driver import linux_facts, mac_facts
from devices.workstation.parse import (
    DebPackage,
    FlatpakApp,
    MacApps,
    Reached,
    UsbPolicy,
    parse_brew_list,
    parse_df,
    parse_dpkg,
    parse_flatpak,
    parse_internet,
    parse_mac_bundles,
    parse_windows_inventory,
    split_sections,
)
from devices.workstation.script import linux_script
from devices.workstation.transport import ScriptRun

NOW = dt.datetime(2026, 12, 3, 6, 42, tzinfo=dt.UTC)


def run(text: str) -> ScriptRun:
    return ScriptRun(text, "", 0, NOW, 0.1)


def test_dpkg_query_of_a_real_debian(capture) -> None:
    packages = parse_dpkg(capture("dpkg_debian12"))
    assert len(packages) == 60 and all(p.installed for p in packages)
    assert {p.arch for p in packages} <= {"amd64", "all"}


@pytest.mark.parametrize(("status", "installed", "broken"), [
    ("ii ", True, False), ("hi ", True, False), ("rc ", False, False), ("iU ", False, True),
    ("iF ", False, True), ("iiR", False, True), ("un ", False, False)])  # fmt: skip
def test_dpkg_status_abbreviations(status: str, installed: bool, broken: bool) -> None:
    (package,) = parse_dpkg(f"vlc\t{status}\tamd64\n")
    assert (package.installed, package.broken) == (installed, broken)


def test_dpkg_garbage_is_a_bad_answer() -> None:
    with pytest.raises(BadAnswer):
        parse_dpkg("\x1b[31m#@!garbage%% ~~ not a listing ~~\n")


def test_flatpak_tab_separated_and_with_a_header(capture) -> None:
    apps = parse_flatpak(capture("flatpak_list_tsv"))
    assert apps[1] == FlatpakApp("edu.mit.Scratch", "x86_64", "user")
    with_header = "Application ID\tArch\tInstallation\norg.videolan.VLC\tx86_64\tsystem\n"
    assert parse_flatpak(with_header) == [FlatpakApp("org.videolan.VLC", "x86_64", "system")]
    assert parse_flatpak("org.videolan.VLC    x86_64    system\n")[0].installation == "system"  # on a terminal


def test_df_posix(capture) -> None:
    disk = parse_df(capture("df_posix"))
    assert disk.mount == "/" and disk.available_kb > 0 and disk.total_kb > disk.available_kb
    with pytest.raises(BadAnswer):
        parse_df("df: /: No such file or directory\n")


def test_the_whole_linux_script_as_run_on_a_real_debian(capture) -> None:
    facts = linux_facts(run(capture("linux_script_local")), login=None)
    assert facts.native_arch == "amd64" and facts.packages and len(facts.packages) > 500
    assert facts.flatpak_installed is False and facts.flatpaks == ()
    assert facts.usb == UsbPolicy((), ()) and facts.disk is not None
    assert facts.internet == (Reached("http://127.0.0.1:9/", False, None, "curl", "connection refused"),)


def test_a_cut_answer_is_a_bad_answer_never_an_empty_list(capture) -> None:
    text = capture("linux_script_local")
    with pytest.raises(BadAnswer):
        linux_facts(run(text[: len(text) // 2]), login="jury")


def test_sections_and_exit_statuses() -> None:
    sections = split_sections("\n### plateau-section a\nx\ny\n\n### plateau-rc a 3\n### plateau-section b\nz\n")
    assert (sections["a"].body, sections["a"].rc) == ("x\ny", 3)
    assert sections["b"].rc is None  # never finished
    with pytest.raises(BadAnswer):
        split_sections("### plateau-section a\n### plateau-rc b 0\n")


def test_internet_lines_curl_and_wget() -> None:
    got = parse_internet(
        "http://a/\t0\t200\tcurl\nhttp://b/\t0\t503\tcurl\nhttp://c/\t28\t000\tcurl\n"
        "http://d/\t8\t-\twget\nhttp://e/\t4\t-\twget\nhttp://f/\t127\t-\tnone\n"
    )
    assert [r.ok for r in got] == [True, False, False, True, False, False]
    assert [r.reason for r in got][:3] == [None, "http 503", "timeout"]


def test_the_script_quotes_every_target() -> None:
    script = linux_script(["http://x/a b", "http://y/'; rm -rf /"], per_target_s=2.2)
    assert "net 'http://x/a b' 3 &" in script
    assert "net 'http://y/'\"'\"'; rm -rf /' 3 &" in script  # shlex.quote: one argument, never code


@given(st.text(max_size=400))
def test_garbage_never_crashes_a_parser(text: str) -> None:
    for parser in (
        parse_dpkg,
        parse_flatpak,
        parse_df,
        parse_internet,
        parse_windows_inventory,
        parse_mac_bundles,
        parse_brew_list,
        split_sections,
    ):
        try:
            parser(text)
        except BadAnswer:
            pass


def test_windows_inventory_of_both_registry_views_and_appx(capture) -> None:
    entries = parse_windows_inventory(capture("windows_inventory"))
    names = {e.name: e for e in entries}
    assert names["Google Chrome"].source == "uninstall32" and names["SumatraPDF"].scope == "user"
    assert names["Microsoft.WindowsCalculator"].source == "appx"  # a single AppX comes as an object
    assert None not in names and "" not in names
    assert gw.match_windows({"display_name": "VLC media player"}, "VLC media player", entries).state == "present"
    assert gw.match_windows({"display_name": r"Mozilla Firefox\b"}, "Mozilla Firefox", entries).via.startswith(
        "Mozilla Firefox (x64 fr)"
    )
    assert gw.match_windows({}, "LibreOffice", entries).state == "present"  # the name as a prefix
    assert gw.match_windows({"display_name": r"SumatraPDF\b"}, "SumatraPDF", entries).state == "user_only"
    assert gw.match_windows({"appx": "Microsoft.WindowsCalculator"}, "Calc", entries).state == "present"
    assert gw.match_windows({"display_name": "GIMP"}, "GIMP", entries).state == "missing"
    with pytest.raises(BadAnswer):
        parse_windows_inventory("Get-AppxPackage : Access denied")


def test_macos_bundles_and_homebrew(capture) -> None:
    facts = mac_facts(run(capture("mac_script")), login="jury")
    assert facts.apps.bundle_ids == {"org.mozilla.firefox", "org.videolan.vlc"}
    assert facts.apps.casks == {"libreoffice", "google-chrome"} and facts.apps.formulae == {"mpv"}
    assert gw.match_macos({"brew_cask": "firefox", "bundle_id": "org.mozilla.firefox"}, facts.apps).state == "present"
    assert gw.match_macos({"brew_cask": "libreoffice"}, facts.apps).via == "brew cask libreoffice"
    assert gw.match_macos({"brew_cask": "gimp"}, facts.apps).state == "missing"
    assert (
        gw.match_macos({"brew_cask": "gimp"}, MacApps(frozenset(), frozenset(), frozenset(), False)).state
        == "unmatchable"
    )  # no Homebrew and no bundle id: cannot say
    assert facts.internet is not None and facts.internet[0].ok


PKGS = [DebPackage("vlc", "ii", "amd64"), DebPackage("gimp", "ii", "i386"), DebPackage("okular", "iU", "amd64"),
        DebPackage("tzdata", "ii", "all")]  # fmt: skip
FLATPAKS = [FlatpakApp("edu.mit.Scratch", "x86_64", "user"), FlatpakApp("org.videolan.VLC", "x86_64", "system")]


@pytest.mark.parametrize(("ids", "state"), [
    ({"apt": "vlc"}, "present"), ({"apt": "tzdata"}, "present"), ({"apt": "gimp"}, "foreign_arch"),
    ({"apt": "okular"}, "broken"), ({"apt": "evince"}, "missing"), ({"flatpak": "edu.mit.Scratch"}, "user_only"),
    ({"apt": "nope", "flatpak": "org.videolan.VLC"}, "present"), ({}, "unmatchable")])  # fmt: skip
def test_linux_matching(ids: dict[str, str], state: str) -> None:
    found = gw.match_linux(ids, packages=PKGS, flatpaks=FLATPAKS, native_arch="amd64", user="jury")
    assert found.state == state


def test_capabilities_count_what_is_found_each_title_once() -> None:
    rule = CapabilityRule(label="Poste candidat", needs={"web_browser": 3, "pdf_reader": 1})
    found = [PlannedTitle(title_id=i, name=i, ids={}, provides=("web_browser",)) for i in ("ff", "chrome", "ff")]
    verdicts = gw.capabilities("pc", rule, found, measured_at=NOW, probe="ssh", room="a")
    assert {(v.params["capability"], v.params["have"], v.params["need"]) for v in verdicts} == {
        ("web_browser", 2, 3),
        ("pdf_reader", 0, 1),
    }
    assert all(v.status is Status.FAIL and v.blocking for v in verdicts)
    found.append(PlannedTitle(title_id="edge", name="Edge", ids={}, provides=("web_browser", "pdf_reader")))
    (ok,) = gw.capabilities("pc", rule, found, measured_at=NOW, probe="ssh", room="a")
    assert ok.status is Status.OK


def test_the_login_verdict_carries_the_local_time_of_the_real_authentication() -> None:
    verdict = gw.admin_login("pc", login="jury", outcome="ok", at=NOW, fix="f", probe="ssh", room=None)
    assert verdict.status is Status.OK and verdict.params["at"] == NOW.astimezone().strftime("%H:%M")
    refused = gw.admin_login("pc", login="jury", outcome="refused", at=NOW, fix="f", probe="ssh", room=None)
    assert refused.status is Status.FAIL and refused.blocking
    local = gw.admin_login("pc", login="jury", outcome="local", at=NOW, fix="f", probe="local", room=None)
    assert local.status is Status.WARN and not local.blocking


def test_macos_script_over_the_lab_and_an_unreadable_brew_list(capture) -> None:
    facts = mac_facts(run(capture("mac_script_lab")), login="jury")
    assert facts.apps.bundle_ids == {"com.google.Chrome", "com.apple.Safari", "org.videolan.vlc"}
    assert facts.apps.casks == {"google-chrome", "vlc"} and facts.apps.formulae == {"mpv", "python@3.12"}
    assert facts.apps.brew_error is None and facts.disk is not None and facts.disk.available_kb == 41943040
    # a cask still listed whose app left /Applications is missing, not present
    ids = {"brew_cask": "firefox", "bundle_id": "org.mozilla.firefox"}
    gone = MacApps(frozenset(), frozenset({"firefox"}), frozenset(), True)
    assert gw.match_macos(ids, gone).state == "missing"
    broken = capture("mac_script_lab").replace("### plateau-rc brew_cask 0", "### plateau-rc brew_cask 1")
    apps = mac_facts(run(broken), login="jury").apps
    assert apps.brew_error == "brew list --cask: exit status 1"
    assert gw.match_macos({"brew_cask": "scratch"}, apps).state == "unmatchable"  # not "missing"
