"""Two probe threads never race to import one package (that deadlocked: two threads importing
``devices.robot.ble`` and ``devices.robot.tdm``, whose package ``__init__`` imports both, got
``_DeadlockError`` 15 times in 20). The sweep resolves every probe in the calling thread first,
which imports the probe's modules and drivers, so the threads import nothing."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

SCRIPT = textwrap.dedent("""
    import sys, threading
    from pathlib import Path
    from checks.probes.common import ProbeContext
    from devices.models import Ipad, Robot
    from provision.sweep import probe_jobs

    devices = [
        Robot(name="r-ble", kind="thymio", probe="ble", ble_address="AA:BB:CC:DD:EE:FF"),
        Robot(name="r-tdm", kind="thymio", probe="tdm", ansible_host="127.0.0.1", tdm_port=9),
        Ipad(name="i-usb", apple_id="a@b.fr", udid="0000"),
        Ipad(name="i-cfg", apple_id="c@d.fr", access="cfgutil", ecid="0x1", cfgutil_host="127.0.0.1"),
    ]
    jobs = probe_jobs(devices)
    assert len(jobs) == 4
    for module in ("devices.robot.ble", "devices.robot.tdm", "devices.ipad.driver", "devices.ipad.runner"):
        assert module in sys.modules, module  # imported here, before any thread
    before = set(sys.modules)
    ctx = ProbeContext(timeout_s=0.5, key_dir=Path("."))
    errors = []

    def run(job):
        try:
            job.spec.fn(job.device, ctx)
        except Exception as exc:  # a device error is expected: nothing answers
            if "Deadlock" in type(exc).__name__:
                errors.append(exc)

    threads = [threading.Thread(target=run, args=(job,), daemon=True) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert not any(t.is_alive() for t in threads), "a probe thread is stuck"
    assert not errors, errors
    print("ok", sorted(m for m in set(sys.modules) - before if m.startswith(("devices.", "checks."))))
""")


@pytest.mark.parametrize("attempt", range(5))
def test_probe_threads_of_one_package_never_deadlock(attempt: int) -> None:
    """A fresh interpreter each time (imports happen once per process)."""
    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.startswith("ok"), done.stdout
    assert done.stdout.strip() == "ok []", "probe threads imported modules: " + done.stdout
