"""iPad app installs through cfgutil on a "Mac" reached over real SSH (paramiko -> Debian sshd).

The Mac is this machine behind its own sshd on 127.0.0.1 (throwaway host and client keys,
host key pinned in a known_hosts file). Its ``cfgutil`` is a stand-in script answering
like Apple Configurator's (``--format JSON get installedApps`` / ``install-app <ipa>``),
which opens the uploaded .ipa for real to learn its bundle id, so what the test proves is
the whole path: .ipa read locally, SFTP upload, cfgutil command line, JSON answers,
verification by bundle id.
"""

from __future__ import annotations

import json
import plistlib
import sys
import zipfile
from pathlib import Path

import pytest

from devices.ipad.install import BadIpa, IpaFile, install_apps, ipa_bundle_id, ssh_uploader
from devices.ipad.runner import local_runner, ssh_runner

ECID = "0x1A2B3C4D5E6F7"
SSHD = "/usr/sbin/sshd"

STAND_IN = r'''#!{python}
"""Stand-in for Apple Configurator's cfgutil: state in a JSON file next to it."""
import json, plistlib, re, sys, zipfile
from pathlib import Path
STATE = Path(__file__).with_name("ipad-state.json")
state = json.loads(STATE.read_text())
args = sys.argv[1:]
ecid = args[args.index("--ecid") + 1] if "--ecid" in args else None
verb = [a for a in args if a in ("get", "install-app")][0]
def out(payload, code=0):
    print(json.dumps(payload)); sys.exit(code)
if ecid != state["ecid"]:
    out({{"Type": "Error", "Message": "The device " + str(ecid) + " is not connected.", "Code": 602}}, 1)
if verb == "get":
    apps = [{{"bundleIdentifier": b, "displayName": b.rsplit(".", 1)[-1]}} for b in state["apps"]]
    out({{"Command": "get", "Type": "CommandOutput", "Devices": [ecid],
          "Output": {{ecid: {{"installedApps": apps}}}}}})
path = args[-1]
state["installs"].append(path)
if "refused" in Path(path).name:
    STATE.write_text(json.dumps(state))
    out({{"Type": "Error", "Message": "The app could not be installed (MIInstallerErrorDomain error 13).", "Code": 1}}, 1)
with zipfile.ZipFile(path) as z:
    name = [n for n in z.namelist() if re.match(r"^Payload/[^/]+\.app/Info\.plist$", n)][0]
    bundle = plistlib.loads(z.read(name))["CFBundleIdentifier"]
if "silent" not in Path(path).name:  # "silent": says done, installs nothing
    state["apps"].append(bundle)
STATE.write_text(json.dumps(state))
out({{"Command": "install-app", "Type": "CommandOutput", "Devices": [ecid], "Output": {{ecid: {{}}}}}})
'''


def make_ipa(path: Path, bundle: str, binary: bool = False) -> Path:
    info = plistlib.dumps(
        {"CFBundleIdentifier": bundle, "CFBundleName": bundle.rsplit(".", 1)[-1]},
        fmt=plistlib.FMT_BINARY if binary else plistlib.FMT_XML,
    )
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(f"Payload/{bundle.rsplit('.', 1)[-1]}.app/Info.plist", info)
        archive.writestr(f"Payload/{bundle.rsplit('.', 1)[-1]}.app/binary", b"\0" * 64)
    return path


def test_bundle_id_from_xml_and_binary_plists(tmp_path):
    assert ipa_bundle_id(make_ipa(tmp_path / "a.ipa", "org.example.Alpha")) == "org.example.Alpha"
    assert ipa_bundle_id(make_ipa(tmp_path / "b.ipa", "org.example.Beta", binary=True)) == "org.example.Beta"
    (tmp_path / "junk.ipa").write_bytes(b"not a zip")
    with pytest.raises(BadIpa):
        ipa_bundle_id(tmp_path / "junk.ipa")
    with zipfile.ZipFile(tmp_path / "empty.ipa", "w") as archive:
        archive.writestr("README", "no payload")
    with pytest.raises(BadIpa):
        ipa_bundle_id(tmp_path / "empty.ipa")


@pytest.fixture
def mac(tmp_path, local_sshd):
    """sshd on loopback + the stand-in cfgutil; yields connection settings and the iPad's state file."""
    mac_bin = tmp_path / "mac-bin"
    mac_bin.mkdir()
    cfgutil = mac_bin / "cfgutil"
    cfgutil.write_text(STAND_IN.format(python=sys.executable))
    cfgutil.chmod(0o755)
    state = mac_bin / "ipad-state.json"
    state.write_text(
        json.dumps({"ecid": ECID, "apps": ["com.apple.mobilesafari", "org.example.Already"], "installs": []})
    )
    keys = tmp_path / "keys"
    with local_sshd(keys) as (port, client_key):
        host_pub = (keys / "host_key.pub").read_text().split()
        (tmp_path / "known_hosts").write_text(f"[127.0.0.1]:{port} {host_pub[0]} {host_pub[1]}\n")
        settings = {
            "port": port,
            "username": "root",
            "key_filename": str(client_key),
            "known_hosts": str(tmp_path / "known_hosts"),
        }
        yield {"settings": settings, "cfgutil": str(cfgutil), "state": state, "remote_dir": str(tmp_path / "uploads")}


def read_state(mac) -> dict:
    return json.loads(mac["state"].read_text())


def test_cfgutil_install_over_ssh_then_verify(mac, tmp_path):
    local = tmp_path / "ipa"
    local.mkdir()
    ipas = [
        IpaFile.read(make_ipa(local / "1.ipa", "org.example.Alpha"), "Alpha"),
        IpaFile.read(make_ipa(local / "2.ipa", "org.example.Beta", binary=True), "Beta"),
        IpaFile.read(make_ipa(local / "3.ipa", "org.example.Already"), "Déjà là"),
    ]
    runner = ssh_runner("127.0.0.1", **mac["settings"])
    upload = ssh_uploader("127.0.0.1", remote_dir=mac["remote_dir"], **mac["settings"])

    report = install_apps(
        ipas, via="cfgutil", ecid=ECID, runner=runner, upload=upload, executable=mac["cfgutil"], timeout_s=10
    )
    assert report.installed == ("org.example.Alpha", "org.example.Beta")
    assert report.already == ("org.example.Already",) and not report.failed and report.changed
    assert {"org.example.Alpha", "org.example.Beta"} <= report.apps_after
    # cfgutil was given the copies on the Mac, never the local paths
    assert read_state(mac)["installs"] == [f"{mac['remote_dir']}/1.ipa", f"{mac['remote_dir']}/2.ipa"]
    assert (Path(mac["remote_dir"]) / "1.ipa").read_bytes() == (local / "1.ipa").read_bytes()

    again = install_apps(
        ipas, via="cfgutil", ecid=ECID, runner=runner, upload=upload, executable=mac["cfgutil"], timeout_s=10
    )
    assert not again.changed and len(again.already) == 3 and not again.failed
    assert len(read_state(mac)["installs"]) == 2  # a re-run installs nothing


def test_refused_and_unverified_installs_are_failures(mac, tmp_path):
    refused = IpaFile.read(make_ipa(tmp_path / "refused.ipa", "org.example.Refused"), "Refusée")
    silent = IpaFile.read(make_ipa(tmp_path / "silent.ipa", "org.example.Silent"), "Muette")
    good = IpaFile.read(make_ipa(tmp_path / "good.ipa", "org.example.Good"), "Bonne")
    report = install_apps(
        [refused, silent, good],
        via="cfgutil",
        ecid=ECID,
        runner=ssh_runner("127.0.0.1", **mac["settings"]),
        upload=ssh_uploader("127.0.0.1", remote_dir=mac["remote_dir"], **mac["settings"]),
        executable=mac["cfgutil"],
        timeout_s=10,
    )
    assert report.installed == ("org.example.Good",)
    reasons = {f.bundle_id: f.reason for f in report.failed}
    assert "MIInstallerErrorDomain" in reasons["org.example.Refused"]
    assert reasons["org.example.Silent"] == "not listed by the iPad after install"  # "done" is not proof


def test_wrong_ecid_is_unreachable_before_any_install(mac, tmp_path):
    from devices.errors import Unreachable

    ipa = IpaFile.read(make_ipa(tmp_path / "a.ipa", "org.example.Alpha"))
    with pytest.raises(Unreachable, match="not connected"):
        install_apps(
            [ipa],
            via="cfgutil",
            ecid="0xDEAD",
            runner=ssh_runner("127.0.0.1", **mac["settings"]),
            executable=mac["cfgutil"],
            timeout_s=10,
        )
    assert read_state(mac)["installs"] == []


def test_libimobiledevice_path_with_local_tool(tmp_path):
    """ideviceinstaller -l / -i through the local runner (a stand-in speaking its CSV format)."""
    tool = tmp_path / "ideviceinstaller"
    listing = tmp_path / "apps.txt"
    listing.write_text("com.apple.mobilesafari\n")
    tool.write_text(f"""#!/bin/sh
if [ "$3" = "-l" ]; then
  echo 'CFBundleIdentifier, CFBundleShortVersionString, CFBundleDisplayName'
  sed 's/$/, "1.0", "App"/' {listing}
  exit 0
fi
case "$(basename "$4")" in *bad*) echo "ERROR: Install failed. Got error \\"ApplicationVerificationFailed\\""; exit 0;; esac
{sys.executable} -c 'import sys,zipfile,plistlib; z=zipfile.ZipFile(sys.argv[1]); n=[x for x in z.namelist() if x.endswith(".app/Info.plist")][0]; print(plistlib.loads(z.read(n))["CFBundleIdentifier"])' "$4" >> {listing}
echo "Install: Complete"
""")
    tool.chmod(0o755)
    good = IpaFile.read(make_ipa(tmp_path / "good.ipa", "org.example.Good"))
    bad = IpaFile.read(make_ipa(tmp_path / "bad.ipa", "org.example.Bad"))
    report = install_apps(
        [good, bad],
        via="libimobiledevice",
        udid="00008030-001A2C3E0C41802E",
        runner=local_runner(),
        executable=str(tool),
        timeout_s=10,
    )
    assert report.installed == ("org.example.Good",)
    assert [f.bundle_id for f in report.failed] == ["org.example.Bad"]
    assert "ApplicationVerificationFailed" in report.failed[0].reason


def test_apply_ipad_without_ipa_reports_store_assignment(tmp_path):
    """The example centre's iPads: no ipa/ folder -> nothing to push, App Store titles to assign."""
    from provision.context import load_all
    from provision.devices_apply import apply_devices, select_devices

    example = Path(__file__).resolve().parents[2] / "inventories" / "example"
    loaded = load_all(example)
    ipads = [d for d in select_devices(loaded, None) if d.family == "ipad"]
    assert ipads
    outcomes = apply_devices(loaded, ipads)
    assert {o.status for o in outcomes} == {"ok"}
    assert {o.key for o in outcomes} <= {"ipad.assign_via_manager", "ipad.apps_ok"}
    assert any(o.key == "ipad.assign_via_manager" and o.params["titles"] for o in outcomes)


def test_a_broken_ipa_in_the_cache_is_named_in_french(tmp_path):
    """A file of ipa/ that is not an .ipa: the iPad fails with the file's name, never a class name."""
    import shutil

    from provision.context import load_all
    from provision.devices_apply import apply_devices, select_devices
    from provision.messages import render

    example = Path(__file__).resolve().parents[2] / "inventories" / "example"
    centre = tmp_path / "example"
    shutil.copytree(example, centre, ignore=shutil.ignore_patterns(".plateau"))
    loaded = load_all(centre)
    [ipad] = [d for d in select_devices(loaded, None) if d.name == "b-ipad-01"]  # it has ScratchJr to install
    plan = next(h for h in loaded.plan.hosts if h.device.name == ipad.name)
    app_id = plan.software["scratchjr"].title.ids_for("ios")["app_store_id"]
    (centre / "ipa").mkdir()
    (centre / "ipa" / f"{app_id}.ipa").write_bytes(b"<html>not found</html>")  # a download gone wrong
    again = load_all(centre)
    [outcome] = apply_devices(again, [d for d in select_devices(again, None) if d.name == ipad.name])
    assert outcome.status == "failed" and outcome.key == "ipad.bad_ipa", outcome
    message = render(outcome.key, outcome.params)
    assert f"ipa/{app_id}.ipa" in message and "BadIpa" not in message
