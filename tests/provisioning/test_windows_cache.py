"""``plateau cache`` for Windows titles: real recorded winget manifests, served over loopback HTTP.

The server (data/winget/source.py) stands for microsoft/winget-pkgs as GitHub serves it and for
the publishers' download sites; every installer URL of the recorded manifests points at it. The
real resolution code runs (listing, newest version, installer choice, switches, SHA-256 check,
the index the windows role reads) over real sockets.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import sys
from pathlib import Path

import pytest
import yaml

from provision.context import load_all
from provision.messages import render
from provision.provisioning import windows_installers, winget
from provision.provisioning.cache import Status, Wanted, build_cache, cache_vars

HERE = Path(__file__).parent
_spec = importlib.util.spec_from_file_location("winget_source", HERE / "data" / "winget" / "source.py")
assert _spec and _spec.loader
source_mod = importlib.util.module_from_spec(_spec)
sys.modules.setdefault("winget_source", source_mod)
_spec.loader.exec_module(source_mod)

EXAMPLE = Path(__file__).resolve().parents[2] / "inventories" / "example"
RECORDED = {
    "VideoLAN.VLC": "VLC media player",
    "SumatraPDF.SumatraPDF": "SumatraPDF",
    "AivarAnnamaa.Thonny": "Thonny",
    "NVAccess.NVDA": "NVDA",
    "TheDocumentFoundation.LibreOffice": "LibreOffice",
}
USER_ONLY = {"Canva.Canva": "Canva", "Discord.Discord": "Discord"}  # recorded too: per-user installers only
#: recorded too: what LibreOffice's x64 installer declares it needs (PackageDependencies)
DEPENDENCIES = {"Microsoft.VCRedist.2015+.x64": "Microsoft.VCRedist.2015+.x64"}


@pytest.fixture
def source(monkeypatch):
    with source_mod.WingetSource() as server:
        monkeypatch.setenv(winget.LISTING_ENV, server.listing)
        monkeypatch.setenv(winget.MANIFEST_ENV, server.manifests)
        yield server


def wanted(*ids: str) -> list[Wanted]:
    return [Wanted("winget", i, {**RECORDED, **USER_ONLY}[i], ["a-pc-win-01"]) for i in ids]


def index_of(cache: Path) -> dict:
    return json.loads((cache / "windows" / "index.json").read_text("utf-8"))["installers"]


def test_recorded_manifests_give_per_machine_x64_silent_installers(source, tmp_path):
    entries = windows_installers.cache_windows(wanted(*RECORDED), tmp_path)
    assert [(e.id, e.status, e.key) for e in entries] == [
        (i, Status.CACHED, "winget.cached") for i in (*RECORDED, *DEPENDENCIES)
    ]
    # LibreOffice's Visual C++ runtime is cached too, for the PCs that install LibreOffice
    assert entries[-1].hosts == ["a-pc-win-01"]
    index = index_of(tmp_path)
    got = {
        i: (r["type"], r["architecture"], r["scope"], r["arguments"], r["product_id"], r["upgrade_code"])
        for i, r in index.items()
    }
    assert got == {
        # root-level Scope/Silent, x64 preferred to x86, no ProductCode in the manifest
        "VideoLAN.VLC": ("nullsoft", "x64", "machine", "/S", None, None),
        # exe: the manifest's Silent plus the machine-scope installer's Custom (never the user one)
        "SumatraPDF.SumatraPDF": ("exe", "x64", "machine", "-s -allusers -install -with-preview", "SumatraPDF", None),
        # inno: type and ProductCode from the root, /ALLUSERS from the machine installer
        "AivarAnnamaa.Thonny": (
            "inno", "x64", "machine", "/VERYSILENT /SUPPRESSMSGBOXES /NORESTART /SP- /ALLUSERS", "Thonny_is1", None,
        ),
        # x86 only: taken (runs on x64 Windows); the manifest's own Silent overrides nullsoft's /S
        "NVAccess.NVDA": ("nullsoft", "x86", "machine", "--install-silent", "NVDA", None),
        # msi: win_package adds /qn /norestart itself; per machine; ProductCode and UpgradeCode kept
        "TheDocumentFoundation.LibreOffice": (
            "msi", "x64", "machine", "ALLUSERS=1",
            "{5370F9CB-D8E4-452D-A5DD-90EB7A6E5E1F}", "{4B17E523-5D91-4E69-BD96-7FD81CFA81BB}",
        ),
        # burn, per machine, 3010 (reboot needed) a success
        "Microsoft.VCRedist.2015+.x64": (
            "burn", "x64", "machine", "/quiet /norestart",
            "{d8bbe9f9-7c5b-42c6-b715-9ee898a2e515}", "{C146EF48-4D31-3C3D-A2C5-1E91AF8A0A9B}",
        ),
    }  # fmt: skip
    assert index["Microsoft.VCRedist.2015+.x64"]["dependency"] is True
    lo = index["TheDocumentFoundation.LibreOffice"]
    assert lo["switches"] == "/qn /norestart ALLUSERS=1" and lo["dependencies"] == ["Microsoft.VCRedist.2015+.x64"]
    assert lo["file"] == "windows/TheDocumentFoundation.LibreOffice/25.8.3.2/LibreOffice_25.8.3_Win_x86-64.msi"
    assert lo["manifest"].endswith(
        "/t/TheDocumentFoundation/LibreOffice/25.8.3.2/TheDocumentFoundation.LibreOffice.installer.yaml"
    )
    for record in index.values():  # each file is there, with the hash the manifest announced
        data = (tmp_path / record["file"]).read_bytes()
        assert (
            hashlib.sha256(data).hexdigest()
            == record["sha256"]
            == hashlib.sha256(source_mod.payload(Path(record["file"]).name)).hexdigest()
        )
        assert record["url"].startswith(source.url + "/dl/")
    assert source.downloads() == len(RECORDED) + len(DEPENDENCIES)


def test_second_run_downloads_nothing(source, tmp_path):
    windows_installers.cache_windows(wanted(*RECORDED), tmp_path)
    first = source.downloads()
    entries = windows_installers.cache_windows(wanted(*RECORDED), tmp_path)
    assert source.downloads() == first == len(RECORDED) + len(DEPENDENCIES)
    assert {e.key for e in entries} == {"winget.already_cached"}
    assert sorted(index_of(tmp_path)) == sorted({**RECORDED, **DEPENDENCIES})


def test_hash_mismatch_is_refused_and_the_file_deleted(source, tmp_path):
    source.keep_real_hash.add("VideoLAN.VLC")  # the publisher's real hash: the loopback payload differs
    entries = {e.id: e for e in windows_installers.cache_windows(wanted("VideoLAN.VLC", "NVAccess.NVDA"), tmp_path)}
    vlc = entries["VideoLAN.VLC"]
    assert vlc.status == Status.FAILED and vlc.key == "winget.hash_mismatch"
    assert vlc.params["expected"] == "9742689a50e96ddc04d80ceff046b28da2beefd617be18166f8c5e715ec60c59"
    text = render(vlc.key, vlc.params)
    assert "VLC media player" in text and f"{source.url}/dl/vlc-3.0.21-win64.exe" in text and "refusée" in text
    left = [p for p in (tmp_path / "windows" / "VideoLAN.VLC").rglob("*") if p.is_file()]
    assert not left, "nothing of the refused file is left (not even a .part)"
    assert entries["NVAccess.NVDA"].status == Status.CACHED  # one bad title does not stop the others
    assert sorted(index_of(tmp_path)) == ["NVAccess.NVDA"]


def test_unknown_id_unsupported_and_unreachable_source(source, tmp_path, monkeypatch):
    entries = windows_installers.cache_windows([Wanted("winget", "Nobody.Nothing", "Rien", ["pc"])], tmp_path)
    assert entries[0].status == Status.FAILED and entries[0].key == "winget.unknown_id"
    windows_installers.cache_windows(wanted("NVAccess.NVDA"), tmp_path)
    # the source goes away (port closed): the installer cached before is kept, the others listed
    source.__exit__()
    items = wanted("NVAccess.NVDA", "VideoLAN.VLC")
    by = {e.id: e for e in windows_installers.cache_windows(items, tmp_path)}
    assert by["NVAccess.NVDA"].status == Status.CACHED and by["NVAccess.NVDA"].key == "winget.kept"
    assert by["VideoLAN.VLC"].status == Status.MANUAL and by["VideoLAN.VLC"].key == "winget.source_unreachable"
    script = (tmp_path / "windows" / "fetch-installers.ps1").read_text("utf-8-sig")
    assert "winget download --id VideoLAN.VLC --exact" in script and "NVAccess.NVDA" not in script
    assert sorted(index_of(tmp_path)) == ["NVAccess.NVDA"]


def test_per_user_only_installers_are_left_to_the_fallback(source, tmp_path):
    """Canva and Discord publish per-user installers only: nothing cached, the reason said."""
    entries = windows_installers.cache_windows(wanted(*USER_ONLY), tmp_path)
    assert [(e.id, e.status, e.key, e.params["reason"]) for e in entries] == [
        (i, Status.MANUAL, "winget.unsupported", "scope: user only") for i in USER_ONLY
    ]
    assert source.downloads() == 0 and index_of(tmp_path) == {}


def test_non_loopback_source_is_refused_in_tests(tmp_path, monkeypatch):
    """PLATEAU_LOOPBACK_ONLY=1 (every test): the real public source is never contacted."""
    monkeypatch.delenv(winget.LISTING_ENV, raising=False)
    monkeypatch.delenv(winget.MANIFEST_ENV, raising=False)
    assert winget.source_urls() == (winget.LISTING_URL, winget.MANIFEST_URL)
    entry = windows_installers.cache_windows(wanted("VideoLAN.VLC"), tmp_path)[0]
    assert entry.key == "winget.source_unreachable" and "loopback" in entry.params["reason"]


def test_choice_rules_on_edge_cases():
    user_only = {"Installers": [{"Architecture": "x64", "InstallerType": "exe", "Scope": "user"}]}
    with pytest.raises(winget.Unsupported, match="scope"):
        winget.choose_installer(user_only)
    msix = {"InstallerType": "msix", "Installers": [{"Architecture": "x64"}]}
    with pytest.raises(winget.Unsupported, match="type: msix"):
        winget.choose_installer(msix)
    arm = {"InstallerType": "exe", "Installers": [{"Architecture": "arm64"}]}
    with pytest.raises(winget.Unsupported, match="architecture"):
        winget.choose_installer(arm)
    silentless = {"InstallerType": "exe", "Installers": [{"Architecture": "x64", "InstallerUrl": "u"}]}
    with pytest.raises(winget.Unsupported, match="silent"):
        winget.silent_arguments(winget.choose_installer(silentless))
    locales = {
        "InstallerType": "nullsoft",
        "Installers": [
            {"Architecture": "x64", "InstallerLocale": "en-US", "InstallerUrl": "en"},
            {"Architecture": "x64", "InstallerLocale": "fr-FR", "InstallerUrl": "fr"},
        ],
    }
    assert winget.choose_installer(locales)["InstallerUrl"] == "fr"
    versions = ["3.0.9", "3.0.21", "Nightly", "3.0.21beta", "3.0.20"]
    assert sorted(versions, key=winget.version_key)[-1] == "3.0.21"
    assert winget.package_path("Adobe.Acrobat.Reader.64-bit") == "a/Adobe/Acrobat/Reader/64-bit"


def test_plateau_cache_of_the_example_then_provision_vars(source, tmp_path):
    """The example's Windows titles: recorded ones cached, the others said; the role gets the index."""
    plan = load_all(EXAMPLE).plan.to_dict()
    root = tmp_path / "centre"
    report = build_cache(root, plan, ["winget", "choco"])
    by = {(e.kind, e.id): e for e in report.entries}
    for ident in RECORDED:
        assert by[("winget", ident)].status == Status.CACHED, by[("winget", ident)]
    unknown = [e.id for e in report.entries if e.key == "winget.unknown_id"]  # not recorded here
    assert sorted(unknown) == sorted(
        ["Adobe.Acrobat.Reader.64-bit", "ArduinoSA.IDE.stable", "Mozilla.Firefox", "Google.Chrome", "Microsoft.Edge",
         "Audacity.Audacity"]
    )  # fmt: skip
    assert all(e.status == Status.MANUAL for e in report.entries if e.kind == "choco")  # kept as fallback
    extra = cache_vars(root)
    assert sorted(extra["plateau_windows_installers"]) == sorted({**RECORDED, **DEPENDENCIES})
    manifest = json.loads((root / "cache" / "manifest.json").read_text())
    assert {e["key"] for e in manifest["entries"] if e["kind"] == "winget"} >= {"winget.cached"}


def test_recorded_fixtures_are_real_manifests():
    """Each fixture is an installer manifest of a catalog title, as listed in SOURCES.md."""
    sources = (HERE / "data" / "winget" / "SOURCES.md").read_text("utf-8")
    files = sorted((HERE / "data" / "winget" / "manifests").rglob("*.yaml"))
    assert len(files) == len(RECORDED) + len(USER_ONLY) + len(DEPENDENCIES)
    for path in files:
        manifest = yaml.safe_load(path.read_text("utf-8"))
        known = {**RECORDED, **USER_ONLY, **DEPENDENCIES}
        assert manifest["ManifestType"] == "installer" and manifest["PackageIdentifier"] in known
        assert str(path.relative_to(HERE / "data" / "winget")) in sources


def test_cli_names_the_refused_title_and_url_in_french(source, example, monkeypatch):
    """``plateau cache --only winget``: exit 1, the mismatch said in French with title and URL."""
    import typer
    from typer.testing import CliRunner

    from provision.cli import cache as cache_cli

    monkeypatch.setenv("COLUMNS", "250")
    source.keep_real_hash.add("NVAccess.NVDA")
    app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    app.command("cache")(cache_cli.cache_command)
    app.command("noop")(lambda: None)  # two commands: typer keeps the « cache » sub-command name
    result = CliRunner().invoke(app, ["cache", "-i", str(example), "--only", "winget"])
    assert result.exit_code == 1, result.output
    flat = " ".join(result.output.split())
    assert "Empreinte SHA-256 refusée pour NVDA" in flat and "nvda_2024.3.1.exe" in flat, flat
    assert "Traceback" not in result.output
    assert not (example / "cache" / "windows" / "NVAccess.NVDA").exists() or not [
        p for p in (example / "cache" / "windows" / "NVAccess.NVDA").rglob("*") if p.is_file()
    ]
