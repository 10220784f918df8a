# Installe un paquet winget s'il manque, par le module Microsoft.WinGet.Client.
# Ne lève jamais d'erreur : renvoie un objet { id, status, installed } que le rôle lit
# pour décider du repli sur Chocolatey (status = 'Ok', 'Present', 'Unavailable' ou le
# statut d'Install-WinGetPackage : 'NoApplicableInstallers', 'InstallError', ...).
[CmdletBinding(SupportsShouldProcess)]
param(
    [Parameter(Mandatory)] [string] $Id
)
$Ansible.Changed = $false
try {
    Import-Module Microsoft.WinGet.Client -ErrorAction Stop
} catch {
    return @{ id = $Id; status = 'Unavailable'; installed = $false; message = "$_" }
}
try {
    $present = Get-WinGetPackage -Id $Id -MatchOption Equals -ErrorAction Stop
} catch {
    return @{ id = $Id; status = 'Unavailable'; installed = $false; message = "$_" }
}
if ($present) {
    return @{ id = $Id; status = 'Present'; installed = $true; message = '' }
}
if (-not $PSCmdlet.ShouldProcess($Id, 'Install-WinGetPackage')) {
    $Ansible.Changed = $true
    return @{ id = $Id; status = 'WouldInstall'; installed = $true; message = '' }
}
try {
    $result = Install-WinGetPackage -Id $Id -MatchOption Equals -Mode Silent -Source winget `
        -Scope SystemOrUnknown -ErrorAction Stop
    $status = "$($result.Status)"
    $ok = $status -eq 'Ok'
    $Ansible.Changed = $ok
    return @{ id = $Id; status = $status; installed = $ok; message = "$($result.ExtendedErrorCode)" }
} catch {
    return @{ id = $Id; status = 'InstallError'; installed = $false; message = "$_" }
}
