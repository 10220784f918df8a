"""Plan -> per-host playbook variables, for the example centre (exact lists per manager)."""

from __future__ import annotations

from pathlib import Path

import pytest

from provision.context import load_all
from provision.provisioning.vars import extra_vars, host_vars, plateau_hosts

EXAMPLE = Path(__file__).resolve().parents[2] / "inventories" / "example"


@pytest.fixture(scope="module")
def hosts():
    return plateau_hosts(load_all(EXAMPLE).plan.to_dict())


def ids(items):
    return [(i["id"], i.get("choco")) for i in items]


def test_only_workstations_get_vars(hosts):
    assert sorted(hosts) == ["a-mac-01", "a-pc-linux-01", "a-pc-win-01", "b-pc-win-01", "b-pc-win-02"]


def test_windows_winget_first_with_choco_fallback(hosts):
    win = hosts["a-pc-win-01"]
    assert win["platform"] == "windows"
    assert ids(win["winget"]) == [
        ("Adobe.Acrobat.Reader.64-bit", None),
        ("ArduinoSA.IDE.stable", None),
        ("Mozilla.Firefox", "firefox"),
        ("Google.Chrome", "googlechrome"),
        ("TheDocumentFoundation.LibreOffice", "libreoffice-fresh"),
        ("Microsoft.Edge", None),
        ("NVAccess.NVDA", None),
        ("SumatraPDF.SumatraPDF", None),
        ("AivarAnnamaa.Thonny", None),
        ("VideoLAN.VLC", "vlc"),
    ]
    assert win["choco"] == [] and win["apt"] == [] and win["brew_cask"] == []
    assert win["admin"] == {"login": "jury", "secret_var": "admin_password"}
    assert win["accessibility"] == {"high_contrast": True}  # screen reader = NVDA, in software
    nvda = next(i for i in win["winget"] if i["id"] == "NVAccess.NVDA")
    assert nvda == {
        "id": "NVAccess.NVDA",
        "title": "NVDA",
        "requested_by": ["accessibilité:C02"],
        "display_name": "NVDA",  # what the role looks for in the uninstall keys (plateau check's rule)
    }


def test_linux_apt_first_then_flatpak(hosts):
    linux = hosts["a-pc-linux-01"]
    assert ids(linux["apt"]) == [("gimp", None)]
    assert ids(linux["flatpak"]) == [("edu.mit.Scratch", None)]
    assert linux["accessibility"] == {"screen_reader": True, "high_contrast": True}


def test_macos_and_jury_host(hosts):
    mac = hosts["a-mac-01"]
    assert mac["brew_cask"] == [] and mac["brew"] == []
    assert mac["accessibility"] == {"screen_reader": True, "high_contrast": True}
    jury = hosts["b-pc-win-02"]
    assert jury["winget"] == [] and jury["accessibility"] == {} and jury["admin"]["login"] == "jury"


def test_macos_cask_preferred_over_formula():
    host = {
        "name": "m",
        "family": "macos",
        "accounts": [],
        "settings": [],
        "software": [
            {"id": "vlc", "name": "VLC", "install": {"brew_cask": "vlc", "brew": "vlc"}, "requested_by": ["x"]},
            {"id": "mpv", "name": "mpv", "install": {"brew": "mpv"}, "requested_by": ["x"]},
        ],
    }
    result = host_vars(host)
    assert ids(result["brew_cask"]) == [("vlc", None)] and ids(result["brew"]) == [("mpv", None)]
    assert "admin" not in result


def test_no_secret_values_in_extra_vars(vault_secrets):
    text = repr(extra_vars(load_all(EXAMPLE).plan.to_dict()))
    for secret in vault_secrets(EXAMPLE):
        assert secret not in text
