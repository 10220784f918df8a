"""iPads: libimobiledevice (ideviceinfo, ideviceinstaller) or Apple Configurator's cfgutil.

read_ipad(via="libimobiledevice", udid=..., runner=None, timeout_s=15) -> IpadFacts
read_ipad(via="cfgutil", ecid=..., runner=ssh_runner(mac, username=...)) -> IpadFacts
"""

from devices.ipad.driver import (
    CFGUTIL_PROPERTIES,
    IpadFacts,
    read_ipad,
    read_ipad_cfgutil,
    read_ipad_libimobiledevice,
)
from devices.ipad.runner import CommandResult, Runner, local_runner, ssh_runner

__all__ = [
    "CFGUTIL_PROPERTIES",
    "CommandResult",
    "IpadFacts",
    "Runner",
    "local_runner",
    "read_ipad",
    "read_ipad_cfgutil",
    "read_ipad_libimobiledevice",
    "ssh_runner",
]
