"""Windows, Linux and macOS workstations: the management service Ansible reaches (SSH, WinRM),
and what a Linux PC of the room hears over Wi-Fi (nmcli through Ansible)."""
