"""Simulators of every device family, speaking the real wire protocols on loopback.

Used by the tests and by ``plateau demo``. Each module runs standalone too:
``python -m devices.lab.<family> --port N``.
"""


def wait_for_interrupt(sim: object) -> None:
    """Standalone simulators: serve until Ctrl-C, then stop cleanly."""
    import threading

    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        stop = getattr(sim, "stop", None)
        if stop is not None:
            stop()
