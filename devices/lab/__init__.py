"""Simulators of every device family, speaking the real wire protocols on loopback.

Used by the tests and by ``plateau demo``. Each module runs standalone too:
``python -m devices.lab.<family> --port N``. Every simulator is a
:class:`devices.lab.base.Simulator` (start/stop, ``with``, ``address``/``port``, one mode
vocabulary: ``healthy`` | ``dead`` | ``slow`` | ``garbage`` + the family's own);
the HTTP ones share :class:`devices.lab.web.LabHttpServer`.
"""
