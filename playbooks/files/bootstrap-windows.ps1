<#
.SYNOPSIS
    plateau : prépare un poste Windows neuf pour qu'Ansible puisse le joindre (OpenSSH ou WinRM HTTPS).

.DESCRIPTION
    À lancer UNE fois par poste, dans une fenêtre PowerShell ouverte « en tant qu'administrateur » :

        powershell -ExecutionPolicy Bypass -File .\bootstrap-windows.ps1

    Le script peut être relancé sans risque : chaque étape vérifie d'abord ce qui est déjà en place
    et ne change que ce qui manque (il affiche « déjà en place » ou « fait » pour chaque étape).

    Étapes :
      1. vérifie qu'il tourne en administrateur ;
      2. vérifie le profil réseau : refuse un réseau « Public » (sauf -SetPrivate, qui le passe en
         « Privé ») car les règles de pare-feu ci-dessous ne s'ouvrent que sur le profil « Privé » ;
      3. crée ou vérifie le compte qu'utilise plateau (membre du groupe Administrateurs) : le mot
         de passe est demandé au clavier (Read-Host -AsSecureString), il n'est jamais écrit dans ce
         fichier ; -UseCurrentAccount garde le compte qui lance le script ;
      4a. transport « ssh » : fonctionnalité facultative OpenSSH.Server, service sshd démarré et
          automatique, pare-feu port 22 sur le profil Privé seulement, PowerShell comme shell par défaut ;
      4b. transport « winrm » : service WinRM automatique, certificat auto-signé, écouteur HTTPS 5986,
          pare-feu 5986 sur le profil Privé seulement, LocalAccountTokenFilterPolicy=1 (sans quoi un
          compte administrateur local n'a pas ses droits d'administrateur à distance) ;
      5. résumé : ce qui a été fait, ce qui était déjà en place, et la ligne à mettre dans l'inventaire.

    Fichier fourni par plateau (playbooks/files/bootstrap-windows.ps1) ; « plateau bootstrap windows »
    en écrit une copie avec le transport et le compte de l'inventaire.
#>
[CmdletBinding()]
param(
    [ValidateSet('ssh', 'winrm')]
    [string]$Transport = 'winrm',

    [ValidatePattern('^[A-Za-z0-9._-]{1,20}$')]
    [string]$User = 'plateau',

    # garder le compte (administrateur) qui lance ce script au lieu de créer $User
    [switch]$UseCurrentAccount,

    # passer les cartes réseau « Public » en « Privé » au lieu de s'arrêter
    [switch]$SetPrivate,

    # clé publique SSH (une ligne « ssh-ed25519 AAAA... ») autorisée pour les administrateurs
    [string]$PublicKey = ''
)

Set-StrictMode -Version 2.0
$ErrorActionPreference = 'Stop'
$script:Done = New-Object System.Collections.Generic.List[string]
$script:Already = New-Object System.Collections.Generic.List[string]

function Step-Done([string]$What) {
    $script:Done.Add($What)
    Write-Host "  [fait]           $What" -ForegroundColor Green
}

function Step-Already([string]$What) {
    $script:Already.Add($What)
    Write-Host "  [déjà en place]  $What" -ForegroundColor DarkGray
}

function Stop-Bootstrap([string]$Why) {
    Write-Host ''
    Write-Host "ARRÊT : $Why" -ForegroundColor Red
    exit 1
}

# Nom local du groupe Administrateurs (« Administrateurs » sur un Windows français) par son SID.
function Get-AdministratorsGroupName {
    $sid = New-Object System.Security.Principal.SecurityIdentifier('S-1-5-32-544')
    return $sid.Translate([System.Security.Principal.NTAccount]).Value.Split('\')[-1]
}

# ------------------------------------------------------------------ 1. administrateur
Write-Host "plateau : préparation de $env:COMPUTERNAME (transport : $Transport)" -ForegroundColor Cyan
$principal = New-Object System.Security.Principal.WindowsPrincipal([System.Security.Principal.WindowsIdentity]::GetCurrent())
if (-not $principal.IsInRole([System.Security.Principal.WindowsBuiltInRole]::Administrator)) {
    Stop-Bootstrap 'ouvrir PowerShell avec « Exécuter en tant qu''administrateur » puis relancer ce script.'
}

# ------------------------------------------------------------------ 2. profil réseau
Write-Host '1/4 Profil réseau'
$publicProfiles = @(Get-NetConnectionProfile | Where-Object { $_.NetworkCategory -eq 'Public' })
if ($publicProfiles.Count -gt 0) {
    $names = ($publicProfiles | ForEach-Object { "$($_.InterfaceAlias) ($($_.Name))" }) -join ', '
    if (-not $SetPrivate) {
        Stop-Bootstrap ("réseau « Public » sur : $names. Sur le réseau du centre, relancer avec -SetPrivate " +
            '(ou Paramètres > Réseau > Propriétés > « Privé »). Le pare-feu ne s''ouvre que sur le profil Privé.')
    }
    foreach ($p in $publicProfiles) {
        Set-NetConnectionProfile -InterfaceIndex $p.InterfaceIndex -NetworkCategory Private
    }
    Step-Done "réseau passé en « Privé » : $names"
} else {
    Step-Already 'aucun réseau « Public »'
}

# ------------------------------------------------------------------ 3. compte
Write-Host '2/4 Compte utilisé par plateau'
$adminGroup = Get-AdministratorsGroupName
if ($UseCurrentAccount) {
    $User = $env:USERNAME
    Step-Already "compte courant $User (administrateur)"
} else {
    $account = Get-LocalUser -Name $User -ErrorAction SilentlyContinue
    if ($null -eq $account) {
        Write-Host "  Le compte local « $User » n'existe pas : il va être créé."
        $first = Read-Host -AsSecureString "  Mot de passe pour $User (le même que dans le coffre de plateau)"
        $second = Read-Host -AsSecureString '  Le retaper'
        $a = [Runtime.InteropServices.Marshal]::SecureStringToBSTR($first)
        $b = [Runtime.InteropServices.Marshal]::SecureStringToBSTR($second)
        try {
            $same = [Runtime.InteropServices.Marshal]::PtrToStringBSTR($a) -ceq [Runtime.InteropServices.Marshal]::PtrToStringBSTR($b)
        } finally {
            [Runtime.InteropServices.Marshal]::ZeroFreeBSTR($a)
            [Runtime.InteropServices.Marshal]::ZeroFreeBSTR($b)
        }
        if (-not $same) { Stop-Bootstrap 'les deux mots de passe diffèrent : relancer le script.' }
        if ($first.Length -eq 0) { Stop-Bootstrap 'mot de passe vide : relancer le script.' }
        New-LocalUser -Name $User -Password $first -FullName 'plateau (préparation)' `
            -Description 'Compte utilisé par plateau / Ansible' -PasswordNeverExpires -AccountNeverExpires | Out-Null
        Step-Done "compte $User créé"
    } else {
        if (-not $account.Enabled) {
            Enable-LocalUser -Name $User
            Step-Done "compte $User réactivé"
        } else {
            Step-Already "compte $User présent et actif (mot de passe inchangé)"
        }
    }
    $isMember = @(Get-LocalGroupMember -SID 'S-1-5-32-544' -ErrorAction SilentlyContinue |
        Where-Object { $_.Name.Split('\')[-1] -eq $User }).Count -gt 0
    if (-not $isMember) {
        # Get-LocalGroupMember can fail on a group holding orphaned SIDs (old domain or Azure AD
        # accounts): then « already a member » is the answer, not an error.
        try {
            Add-LocalGroupMember -SID 'S-1-5-32-544' -Member $User
            Step-Done "$User ajouté au groupe $adminGroup"
        } catch [Microsoft.PowerShell.Commands.MemberExistsException] {
            Step-Already "$User membre du groupe $adminGroup"
        }
    } else {
        Step-Already "$User membre du groupe $adminGroup"
    }
}

# ------------------------------------------------------------------ 4a. OpenSSH
function Enable-PlateauSsh {
    Write-Host '3/4 OpenSSH Server'
    $capability = Get-WindowsCapability -Online -Name 'OpenSSH.Server*' | Select-Object -First 1
    if ($null -eq $capability) { Stop-Bootstrap 'fonctionnalité OpenSSH.Server introuvable (Windows 10 1809 ou plus récent requis).' }
    if ($capability.State -ne 'Installed') {
        Write-Host '  Installation de la fonctionnalité facultative OpenSSH.Server (quelques minutes)...'
        Add-WindowsCapability -Online -Name $capability.Name | Out-Null
        Step-Done 'fonctionnalité OpenSSH.Server installée'
    } else {
        Step-Already 'fonctionnalité OpenSSH.Server installée'
    }
    $service = Get-Service -Name sshd
    if ($service.StartType -ne 'Automatic') {
        Set-Service -Name sshd -StartupType Automatic
        Step-Done 'service sshd en démarrage automatique'
    } else {
        Step-Already 'service sshd en démarrage automatique'
    }
    if ((Get-Service -Name sshd).Status -ne 'Running') {
        Start-Service -Name sshd
        Step-Done 'service sshd démarré'
    } else {
        Step-Already 'service sshd démarré'
    }
    # La fonctionnalité crée une règle ouverte sur tous les profils : la restreindre au profil Privé.
    $builtin = Get-NetFirewallRule -Name 'OpenSSH-Server-In-TCP' -ErrorAction SilentlyContinue
    if ($null -ne $builtin -and $builtin.Profile -ne 'Private') {
        Set-NetFirewallRule -Name 'OpenSSH-Server-In-TCP' -Profile Private
        Step-Done 'règle OpenSSH-Server-In-TCP limitée au profil Privé'
    }
    $rule = Get-NetFirewallRule -Name 'plateau-SSH-In' -ErrorAction SilentlyContinue
    if ($null -eq $rule) {
        New-NetFirewallRule -Name 'plateau-SSH-In' -DisplayName 'plateau SSH (TCP 22, Privé)' -Direction Inbound `
            -Protocol TCP -LocalPort 22 -Action Allow -Profile Private | Out-Null
        Step-Done 'pare-feu : port 22 ouvert sur le profil Privé'
    } elseif ($rule.Profile -ne 'Private' -or $rule.Enabled -ne 'True') {
        Set-NetFirewallRule -Name 'plateau-SSH-In' -Profile Private -Enabled True
        Step-Done 'pare-feu : règle plateau-SSH-In corrigée (profil Privé)'
    } else {
        Step-Already 'pare-feu : port 22 ouvert sur le profil Privé'
    }
    $shell = Join-Path $env:SystemRoot 'System32\WindowsPowerShell\v1.0\powershell.exe'
    $current = (Get-ItemProperty -Path 'HKLM:\SOFTWARE\OpenSSH' -Name DefaultShell -ErrorAction SilentlyContinue)
    if ($null -eq $current -or $current.DefaultShell -ne $shell) {
        if (-not (Test-Path 'HKLM:\SOFTWARE\OpenSSH')) { New-Item -Path 'HKLM:\SOFTWARE\OpenSSH' -Force | Out-Null }
        New-ItemProperty -Path 'HKLM:\SOFTWARE\OpenSSH' -Name DefaultShell -Value $shell -PropertyType String -Force | Out-Null
        Step-Done 'shell par défaut de SSH : PowerShell'
    } else {
        Step-Already 'shell par défaut de SSH : PowerShell'
    }
    if ($PublicKey -ne '') {
        # Pour un membre des Administrateurs, sshd ne lit que ce fichier (droits : SYSTEM et Administrateurs).
        $keys = Join-Path $env:ProgramData 'ssh\administrators_authorized_keys'
        $present = (Test-Path $keys) -and (@(Get-Content -Path $keys) -contains $PublicKey.Trim())
        if (-not $present) {
            Add-Content -Path $keys -Value $PublicKey.Trim() -Encoding ascii
            icacls.exe $keys /inheritance:r /grant '*S-1-5-32-544:F' /grant '*S-1-5-18:F' | Out-Null
            Step-Done 'clé publique ajoutée à administrators_authorized_keys'
        } else {
            Step-Already 'clé publique déjà autorisée'
        }
    }
}

# ------------------------------------------------------------------ 4b. WinRM HTTPS
function Enable-PlateauWinrm {
    Write-Host '3/4 WinRM HTTPS (port 5986)'
    $service = Get-Service -Name WinRM
    if ($service.StartType -ne 'Automatic') {
        Set-Service -Name WinRM -StartupType Automatic
        Step-Done 'service WinRM en démarrage automatique'
    } else {
        Step-Already 'service WinRM en démarrage automatique'
    }
    if ((Get-Service -Name WinRM).Status -ne 'Running') {
        Start-Service -Name WinRM
        Step-Done 'service WinRM démarré'
    } else {
        Step-Already 'service WinRM démarré'
    }
    $hostname = $env:COMPUTERNAME
    $cert = Get-ChildItem -Path Cert:\LocalMachine\My |
        Where-Object { $_.FriendlyName -eq 'plateau WinRM' -and $_.Subject -eq "CN=$hostname" -and $_.NotAfter -gt (Get-Date).AddDays(30) } |
        Sort-Object NotAfter -Descending | Select-Object -First 1
    if ($null -eq $cert) {
        $cert = New-SelfSignedCertificate -DnsName $hostname -CertStoreLocation Cert:\LocalMachine\My `
            -FriendlyName 'plateau WinRM' -NotAfter (Get-Date).AddYears(5) -KeyExportPolicy NonExportable
        Step-Done "certificat auto-signé créé (empreinte $($cert.Thumbprint))"
    } else {
        Step-Already "certificat auto-signé (empreinte $($cert.Thumbprint), valable jusqu'au $($cert.NotAfter.ToString('dd/MM/yyyy')))"
    }
    # Équivalent de : winrm create winrm/config/Listener?Address=*+Transport=HTTPS @{Hostname="...";CertificateThumbprint="..."}
    # (New-WSManInstance évite les pièges de guillemets de winrm.cmd).
    $selector = @{ Address = '*'; Transport = 'HTTPS' }
    try {
        $listener = Get-WSManInstance -ResourceURI winrm/config/Listener -SelectorSet $selector -ErrorAction Stop
    } catch {
        $listener = $null  # no HTTPS listener yet
    }
    if ($null -eq $listener) {
        New-WSManInstance -ResourceURI winrm/config/Listener -SelectorSet $selector `
            -ValueSet @{ Hostname = $hostname; CertificateThumbprint = $cert.Thumbprint } | Out-Null
        Step-Done 'écouteur WinRM HTTPS créé'
    } elseif ($listener.CertificateThumbprint -ne $cert.Thumbprint) {
        Set-WSManInstance -ResourceURI winrm/config/Listener -SelectorSet $selector `
            -ValueSet @{ Hostname = $hostname; CertificateThumbprint = $cert.Thumbprint } | Out-Null
        Step-Done 'écouteur WinRM HTTPS : certificat remplacé'
    } else {
        Step-Already 'écouteur WinRM HTTPS'
    }
    $rule = Get-NetFirewallRule -Name 'plateau-WinRM-HTTPS-In' -ErrorAction SilentlyContinue
    if ($null -eq $rule) {
        New-NetFirewallRule -Name 'plateau-WinRM-HTTPS-In' -DisplayName 'plateau WinRM HTTPS (TCP 5986, Privé)' `
            -Direction Inbound -Protocol TCP -LocalPort 5986 -Action Allow -Profile Private | Out-Null
        Step-Done 'pare-feu : port 5986 ouvert sur le profil Privé'
    } elseif ($rule.Profile -ne 'Private' -or $rule.Enabled -ne 'True') {
        Set-NetFirewallRule -Name 'plateau-WinRM-HTTPS-In' -Profile Private -Enabled True
        Step-Done 'pare-feu : règle plateau-WinRM-HTTPS-In corrigée (profil Privé)'
    } else {
        Step-Already 'pare-feu : port 5986 ouvert sur le profil Privé'
    }
    # Sans cette valeur, un compte administrateur LOCAL (autre que « Administrateur » intégré)
    # se connecte à distance avec un jeton filtré, sans droits d'administrateur (UAC distant).
    $policy = 'HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\Policies\System'
    $value = Get-ItemProperty -Path $policy -Name LocalAccountTokenFilterPolicy -ErrorAction SilentlyContinue
    if ($null -eq $value -or $value.LocalAccountTokenFilterPolicy -ne 1) {
        New-ItemProperty -Path $policy -Name LocalAccountTokenFilterPolicy -Value 1 -PropertyType DWord -Force | Out-Null
        Step-Done 'LocalAccountTokenFilterPolicy = 1 (administrateur local à distance)'
    } else {
        Step-Already 'LocalAccountTokenFilterPolicy = 1'
    }
    $basic = (Get-Item -Path WSMan:\localhost\Service\Auth\Basic).Value
    if ($basic -eq 'true') {
        Write-Host '  [attention]      l''authentification Basic de WinRM est active : plateau utilise NTLM, elle peut être désactivée.' -ForegroundColor Yellow
    }
}

if ($Transport -eq 'ssh') { Enable-PlateauSsh } else { Enable-PlateauWinrm }

# ------------------------------------------------------------------ 5. résumé
Write-Host '4/4 Résumé'
$addresses = @(Get-NetIPAddress -AddressFamily IPv4 -ErrorAction SilentlyContinue |
    Where-Object { $_.IPAddress -notlike '127.*' -and $_.IPAddress -notlike '169.254.*' } | ForEach-Object { $_.IPAddress })
Write-Host ("  {0} étape(s) faite(s), {1} déjà en place." -f $script:Done.Count, $script:Already.Count)
Write-Host "  Poste : $env:COMPUTERNAME — adresse(s) IPv4 : $($addresses -join ', ')"
Write-Host "  Compte : $User"
if ($Transport -eq 'ssh') {
    Write-Host '  Dans l''inventaire : ansible_connection: ssh, ansible_shell_type: powershell, ansible_port: 22'
} else {
    Write-Host '  Dans l''inventaire : ansible_connection: winrm, ansible_port: 5986, ansible_winrm_transport: ntlm,'
    Write-Host '                      ansible_winrm_server_cert_validation: ignore (certificat auto-signé)'
}
Write-Host 'Poste prêt pour plateau. Vérifier depuis le portable : plateau check -i <inventaire>' -ForegroundColor Cyan
exit 0
