"""Device families: each sub-package knows how to talk to one kind of hardware.

Layout of a family (see ../shared/STYLE.md):
    devices/<family>/transport.py  the only module touching the wire library
    devices/<family>/parse.py      pure functions: device answer -> typed facts
    devices/<family>/driver.py     uses a transport, returns facts
    devices/lab/<family>.py        simulator speaking the real wire protocol

Drivers measure; ``checks`` judge. Drivers raise only the exceptions of
:mod:`devices.errors`; a fact a device cannot report is ``None`` with a reason.
"""
