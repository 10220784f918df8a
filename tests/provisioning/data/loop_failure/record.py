"""Re-record events.jsonl: ``.venv/bin/python tests/provisioning/data/loop_failure/record.py``.

Runs play.yml with ansible-runner against this machine (connection local, nothing is changed:
apt runs in check mode, the privileged tasks go through fake-sudo) and keeps every event.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent


def record() -> list[dict]:
    import ansible_runner

    events: list[dict] = []
    with tempfile.TemporaryDirectory() as private:
        ansible_runner.run(
            private_data_dir=private,
            playbook=str(HERE / "play.yml"),
            inventory=str(HERE / "hosts.yml"),
            quiet=True,
            envvars={
                "PATH": os.pathsep.join([str(Path(sys.executable).parent), "/usr/bin", "/bin"]),
                "ANSIBLE_NOCOLOR": "True",
            },
            event_handler=lambda event: events.append(event) or True,
        )
    return events


if __name__ == "__main__":
    with (HERE / "events.jsonl").open("w", encoding="utf-8") as out:
        for event in record():
            out.write(json.dumps(event, ensure_ascii=False) + "\n")
