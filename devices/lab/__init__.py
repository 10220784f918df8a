"""Simulators of every device family, speaking the real wire protocols on loopback.

Used by the tests and by ``plateau demo``. Each module runs standalone too:
``python -m devices.lab.<family> --port N``.
"""
