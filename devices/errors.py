"""Exceptions raised by device drivers.

    DeviceError                 anything that kept us from measuring a device
    ├── Unreachable             no answer: refused, timed out, host or serial port absent
    ├── AuthenticationFailed    the device answered but refused our credentials
    └── BadAnswer               the device answered something we cannot parse (garbage,
                                wrong protocol, truncated reply)

Every driver turns its library's exceptions into one of these (``raise ... from exc``)
so that the sweep can grade any failure as *unknown* without knowing the library.
Messages are English and for logs; the checks render French text for technicians.
Never put a secret (password, API key, Wi-Fi key) in an exception message.
"""

from __future__ import annotations


class DeviceError(Exception):
    """Base class: the device could not be measured."""

    def __init__(self, message: str, *, device: str | None = None) -> None:
        super().__init__(message)
        self.device = device


class Unreachable(DeviceError):
    """Connection refused, timed out, no route, serial port missing."""


class AuthenticationFailed(DeviceError):
    """The device answered but rejected the credentials (API key, PJLink password, SSH)."""


class BadAnswer(DeviceError):
    """The device answered with something that does not follow its protocol."""
