"""``plateau bootstrap windows``: the shipped PowerShell script and the command that writes it.

No PowerShell can be installed from the reachable registries (no ``powershell`` package in Debian,
only PowerShell's NuGet SDK, which needs .NET): the script is parsed with tree-sitter's PowerShell
grammar (PyPI ``tree-sitter-powershell``) when installed, and its structure is checked: every step
present, each change behind a check of what is already there, no secret.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from provision.cli import bootstrap as bs

SCRIPT = bs.SCRIPT.read_text("utf-8")


def _code(text: str) -> str:
    """The script without its comments (help block and # lines), to check what it *does*."""
    text = re.sub(r"<#.*?#>", "", text, flags=re.S)
    return "\n".join(line.split(" #", 1)[0] for line in text.splitlines() if not line.lstrip().startswith("#"))


CODE = _code(SCRIPT)


def test_script_parses_as_powershell():
    ts = pytest.importorskip("tree_sitter")
    tsp = pytest.importorskip("tree_sitter_powershell")
    parser = ts.Parser(ts.Language(tsp.language()))
    from devices.workstation.script import windows_script

    live_check = windows_script(["https://www.service-public.fr/", "https://exemple.fr/?a='b'"], per_target_s=4)
    installed = (Path(__file__).resolve().parents[2] / "playbooks/roles/windows/files/installed.ps1").read_text()
    for text in (SCRIPT, bs.render_script("ssh", "jury"), bs.render_script("winrm", "plateau"), live_check, installed):
        tree = parser.parse(text.encode("utf-8"))
        errors = []

        def walk(node, errors=errors, source=text.encode("utf-8")):
            if node.type == "ERROR" or node.is_missing:
                errors.append((node.start_point, source[node.start_byte : node.end_byte][:80]))
            for child in node.children:
                walk(child)

        walk(tree.root_node)
        assert not errors, errors
    # the grammar really rejects broken PowerShell (the check above is not vacuous)
    assert parser.parse(b"if ($x -eq 1) { Write-Host 'a' \n").root_node.has_error


@pytest.mark.parametrize(
    "needle",
    [
        # 1. administrator, 2. network profile (refuse Public unless -SetPrivate)
        "WindowsBuiltInRole]::Administrator",
        "Get-NetConnectionProfile",
        "NetworkCategory -eq 'Public'",
        "Set-NetConnectionProfile",
        "-NetworkCategory Private",
        # 3. account: prompt, never a literal; administrators by SID (any Windows language)
        "Read-Host -AsSecureString",
        "New-LocalUser",
        "Add-LocalGroupMember -SID 'S-1-5-32-544'",
        "$env:USERNAME",
        # 4a. OpenSSH Server
        "Get-WindowsCapability -Online -Name 'OpenSSH.Server*'",
        "Add-WindowsCapability -Online",
        "Set-Service -Name sshd -StartupType Automatic",
        "Start-Service -Name sshd",
        "-LocalPort 22",
        "HKLM:\\SOFTWARE\\OpenSSH",
        "DefaultShell",
        "administrators_authorized_keys",
        # 4b. WinRM HTTPS
        "Set-Service -Name WinRM -StartupType Automatic",
        "New-SelfSignedCertificate",
        "Cert:\\LocalMachine\\My",
        "New-WSManInstance -ResourceURI winrm/config/Listener",
        "Transport = 'HTTPS'",
        "-LocalPort 5986",
        "LocalAccountTokenFilterPolicy",
        "-PropertyType DWord",
    ],
)
def test_every_step_is_present(needle):
    assert needle in CODE


def test_firewall_rules_open_the_private_profile_only():
    rules = re.findall(r"(?:New|Set)-NetFirewallRule[^\n]*", CODE.replace("`\n", " "))
    assert len(rules) >= 5
    for rule in rules:
        assert "-Profile Private" in rule, rule
    assert "-Profile Any" not in CODE and "Domain" not in CODE and "-Profile Public" not in CODE


# each changing command and the check in front of it (same block, at most 20 lines above)
GUARDS = {
    "Set-NetConnectionProfile": "$publicProfiles.Count -gt 0",
    "New-LocalUser": "if ($null -eq $account)",
    "Enable-LocalUser": "if (-not $account.Enabled)",
    "Add-LocalGroupMember": "if (-not $isMember)",
    "Add-WindowsCapability": "$capability.State -ne 'Installed'",
    "Set-Service -Name sshd": "$service.StartType -ne 'Automatic'",
    "Start-Service -Name sshd": "(Get-Service -Name sshd).Status -ne 'Running'",
    "New-NetFirewallRule -Name 'plateau-SSH-In'": "if ($null -eq $rule)",
    "Set-NetFirewallRule -Name 'OpenSSH-Server-In-TCP'": "$builtin.Profile -ne 'Private'",
    "Set-NetFirewallRule -Name 'plateau-SSH-In'": "$rule.Profile -ne 'Private'",
    "Set-NetFirewallRule -Name 'plateau-WinRM-HTTPS-In'": "$rule.Profile -ne 'Private'",
    "New-ItemProperty -Path 'HKLM:\\SOFTWARE\\OpenSSH'": "$current.DefaultShell -ne $shell",
    "Add-Content -Path $keys": "if (-not $present)",
    "Set-Service -Name WinRM": "$service.StartType -ne 'Automatic'",
    "Start-Service -Name WinRM": "(Get-Service -Name WinRM).Status -ne 'Running'",
    "New-SelfSignedCertificate": "if ($null -eq $cert)",
    "New-WSManInstance": "if ($null -eq $listener)",
    "Set-WSManInstance": "$listener.CertificateThumbprint -ne $cert.Thumbprint",
    "New-NetFirewallRule -Name 'plateau-WinRM-HTTPS-In'": "if ($null -eq $rule)",
    "New-ItemProperty -Path $policy": "$value.LocalAccountTokenFilterPolicy -ne 1",
}


@pytest.mark.parametrize("change", sorted(GUARDS))
def test_every_change_is_guarded_by_a_check(change):
    lines = CODE.splitlines()
    at = next(i for i, line in enumerate(lines) if change in line)
    before = "\n".join(lines[max(0, at - 20) : at])
    assert GUARDS[change] in before, f"{change!r} not guarded by {GUARDS[change]!r}:\n{before}"


def test_every_changing_command_is_listed_in_the_guards():
    verbs = r"\b(?:New|Set|Add|Enable|Start|Remove)-[A-Za-z]+"
    changing = {m.group(0) for m in re.finditer(verbs, CODE)} - {
        "New-Object",
        "Set-StrictMode",
        "Enable-PlateauSsh",
        "Enable-PlateauWinrm",
    }
    assert changing
    for verb in changing:
        assert any(k.startswith(verb) for k in GUARDS), f"{verb} has no idempotence guard in the test"


def test_no_secret_in_the_script():
    lowered = CODE.lower()
    assert "-asplaintext" not in lowered  # ConvertTo-SecureString -AsPlainText: a password in the file
    assert not re.search(r"-password\s+['\"]", CODE, re.I)
    assert not re.search(r"\$password\s*=\s*['\"]", CODE, re.I)
    assert "ansible_password" not in lowered
    # the only -Password given is the prompted SecureString
    assert re.findall(r"-Password\s+(\S+)", CODE) == ["$first"]
    assert "ZeroFreeBSTR" in CODE  # the comparison's plain copies are wiped


def test_render_script_sets_the_defaults_only(tmp_path):
    text = bs.render_script("ssh", "jury")
    assert "[string]$Transport = 'ssh'" in text and "[string]$User = 'jury'" in text
    assert text.count("\r\n") == SCRIPT.count("\n") and "\r\r" not in text
    back = (
        text.replace("\r\n", "\n")
        .replace("$Transport = 'ssh'", "$Transport = 'winrm'")
        .replace("$User = 'jury'", "$User = 'plateau'")
    )
    assert back == SCRIPT
    for bad in ("x'; Remove-Item C:\\ -Recurse; '", "a b", "", "x" * 21):
        with pytest.raises(ValueError):
            bs.render_script("ssh", bad)
    with pytest.raises(ValueError):
        bs.render_script("telnet", "jury")
    path = tmp_path / "out" / "b.ps1"
    bs.write_script(path, text)
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")  # Windows PowerShell 5.1 needs the BOM


def _invoke(*args):
    from typer.testing import CliRunner

    from provision.cli.common import app
    from provision.errors import PlateauError

    result = CliRunner().invoke(app, ["bootstrap", *map(str, args)], env={"COLUMNS": "200"})
    if isinstance(result.exception, PlateauError):
        return 2, result.exception.problems
    return result.exit_code, result.output


def test_command_writes_the_script_for_the_inventory(example: Path, vault_secrets):
    code, output = _invoke("windows", "-i", example)
    assert code == 0, output
    written = example / "bootstrap" / "bootstrap-windows.ps1"
    text = written.read_bytes().decode("utf-8-sig")
    assert "[string]$Transport = 'winrm'" in text  # the example reaches Windows over WinRM
    assert "powershell -ExecutionPolicy Bypass -File" in output and "docs/windows-preparation.md" in output
    assert "ansible_user" in output  # the example sets none for Windows: the command says so
    for secret in vault_secrets(example):
        assert secret not in text and secret not in output


def test_command_options(example: Path, tmp_path: Path):
    target = tmp_path / "usb" / "prep.ps1"
    code, output = _invoke("windows", "-i", example, "--transport", "ssh", "--user", "technicien", "-o", target)
    assert code == 0, output
    text = target.read_bytes().decode("utf-8-sig")
    assert "[string]$Transport = 'ssh'" in text and "[string]$User = 'technicien'" in text
    assert "OpenSSH" in output and "a-pc-win-01" in output  # the inventory says winrm for these PCs
    code, problems = _invoke("windows", "-i", example, "--transport", "telnet")
    assert code == 2 and problems[0].key == "bootstrap.bad_transport"
    code, problems = _invoke("windows", "-i", example, "--user", "a b")
    assert code == 2 and problems[0].key == "bootstrap.bad_user"
    code, problems = _invoke("windows", "-i", tmp_path / "nowhere")
    assert code == 2 and problems[0].key == "bootstrap.no_inventory"


def test_validate_lists_the_windows_pcs_plateau_never_reached_as_a_hint(example: Path, plateau) -> None:
    """No pinned WinRM certificate / SSH host key under .plateau/: listed, exit code unchanged."""
    first = plateau("validate", "-i", example)
    assert first.code == 0, first.text
    hint = next(line for line in first.out.splitlines() if "jamais joints" in line)
    assert "(3)" in hint and "Traceback" not in first.text
    assert {"a-pc-win-01", "b-pc-win-01", "b-pc-win-02"} <= set(re.findall(r"[ab]-pc-win-0\d", first.out))
    state = example / ".plateau"
    state.mkdir(exist_ok=True)
    (state / "known_hosts.winrm").write_text(f"192.168.10.11:5986 {'ab' * 32}\n", encoding="utf-8")
    second = plateau("validate", "-i", example)
    assert second.code == 0 and "(2)" in second.out and "a-pc-win-01" not in second.out.split("jamais joints")[1]
