# Dit lesquels des logiciels donnés sont déjà installés, d'après les clés de désinstallation des
# deux vues du registre (64 et 32 bits, par machine) : le même endroit que lit plateau check.
#   Packages : JSON [{id, display_name, installer: {product_id}}]
#   product_id : nom de la clé (ProductCode MSI, « Thonny_is1 »...) ; display_name : expression
#   régulière cherchée au début de DisplayName, sans tenir compte de la casse.
# Renvoie les id trouvés ; ne modifie rien.
[CmdletBinding()]
param(
    [Parameter(Mandatory)] [string] $Packages
)
$Ansible.Changed = $false
$roots = @(
    'HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall',
    'HKLM:\SOFTWARE\WOW6432Node\Microsoft\Windows\CurrentVersion\Uninstall'
)
$entries = @(foreach ($root in $roots) {
    if (Test-Path -LiteralPath $root) {
        Get-ChildItem -LiteralPath $root -ErrorAction SilentlyContinue | ForEach-Object {
            [pscustomobject]@{ Key = $_.PSChildName; DisplayName = [string]$_.GetValue('DisplayName') }
        }
    }
})
foreach ($package in @(ConvertFrom-Json -InputObject $Packages)) {
    $code = [string]$package.installer.product_id
    $name = [string]$package.display_name
    # no display_name (an installer's dependency): the ProductCode alone, never an empty pattern
    # that would match every program
    $found = $entries | Where-Object {
        ($code -and $_.Key -eq $code) -or ($name -and $_.DisplayName -and $_.DisplayName -match ('^(?:' + $name + ')'))
    }
    if ($found) { [string]$package.id }
}
