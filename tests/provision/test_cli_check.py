"""``plateau check`` in a real terminal: the progress bar counts devices answered / expected and
names the one still waiting; the closing « next commands » come from the catalogue (French or
English) and start with a program the shell can run."""

from __future__ import annotations

import os
import pty
import re
import select
import shlex
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

PLATEAU = Path(sys.executable).parent / "plateau"


def _in_a_terminal(args: list[str], cwd: Path, *, columns: int = 80, ceiling_s: float = 60) -> str:
    """Run plateau on a pty of ``columns`` columns; everything it drew, escape codes removed."""
    leader, follower = pty.openpty()
    env = dict(os.environ, COLUMNS=str(columns), LINES="40", TERM="xterm-256color", PLATEAU_LOOPBACK_ONLY="1")
    env.pop("PLATEAU_VAULT_PASSWORD_FILE", None)
    proc = subprocess.Popen([str(PLATEAU), *args], cwd=cwd, env=env, stdin=follower, stdout=follower, stderr=follower)
    os.close(follower)
    chunks: list[bytes] = []
    deadline = time.monotonic() + ceiling_s
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([leader], [], [], 0.5)
            if ready:
                try:
                    data = os.read(leader, 65536)
                except OSError:  # the child closed the terminal
                    break
                if not data:
                    break
                chunks.append(data)
            elif proc.poll() is not None:
                break
        proc.wait(timeout=max(1.0, deadline - time.monotonic()))
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(leader)
    text = b"".join(chunks).decode("utf-8", "replace")
    return re.sub(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07", "", text).replace("\r", "\n")


@pytest.mark.slow
def test_progress_counts_devices_and_names_the_one_still_waiting(demo: Path, demo_prefix: str) -> None:
    # the projector's address accepts connections and never says a word: it is the slowest
    silent = socket.socket()
    silent.bind((f"{demo_prefix}50", 4352))
    silent.listen(8)
    try:
        screen = _in_a_terminal(["check", "-i", str(demo), "--timeout", "4"], demo.parent)
    finally:
        silent.close()
    counts = [tuple(map(int, m)) for m in re.findall(r"Vérification\s.*?(\d+)/(\d+) appareils", screen)]
    assert counts, screen[-2000:]
    expected = {total for _, total in counts}
    assert len(expected) == 1 and expected.pop() >= 10  # one total: every device with a probe, and the centre
    assert any(0 < done < total for done, total in counts)  # some answered, some still waited for
    assert re.search(r"attend : demo-projecteur\b", screen), screen[-2000:]
    assert "Prochaines commandes :" in screen


@pytest.mark.slow
def test_next_commands_are_runnable_and_come_from_the_catalogue(demo: Path, demo_prefix: str) -> None:
    # nothing listens at the demo's private addresses: every device is red, quickly
    env = dict(os.environ, COLUMNS="300", PLATEAU_LOOPBACK_ONLY="1", PATH="/usr/bin:/bin")  # plateau not on PATH
    env.pop("PLATEAU_VAULT_PASSWORD_FILE", None)
    done = subprocess.run([str(PLATEAU), "check", "-i", "demo", "--timeout", "1"], cwd=demo.parent, env=env,
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode == 1, done.stderr
    lines = done.stdout.splitlines()
    start = lines.index("Prochaines commandes :")
    commands = [line.strip() for line in lines[start + 1 :] if line.startswith("    ")]
    assert any(" attest " in c for c in commands) and any(" check " in c for c in commands)
    for command in commands:
        program = shlex.split(command)[0]
        assert program != "plateau"  # not on this PATH: the path that runs, as printed
        assert os.access(demo.parent / program, os.X_OK), command
    [board] = [c for c in commands if " attest " in c and " tableau " in c]
    assert board.endswith('--salle salle_demo --par "Prénom Nom"')
    assert "Quand tout est prêt :" in done.stdout

    # the attest line, typed as printed (a name put in), records the attestation
    typed = board.replace("Prénom Nom", "Mme Martin")
    attested = subprocess.run(["bash", "-c", typed], cwd=demo.parent, env=env, capture_output=True, text=True,
                              timeout=120)  # fmt: skip
    assert attested.returncode == 0, attested.stderr
    from provision.state import open_store

    assert [(a.item, a.by_name) for a in open_store(demo).attestations()] == [("board", "Mme Martin")]

    english = subprocess.run([str(PLATEAU), "check", "-i", "demo", "--timeout", "1"], cwd=demo.parent,
                             env=dict(env, PLATEAU_LANG="en"), capture_output=True, text=True, timeout=120)  # fmt: skip
    assert "Next commands:" in english.stdout and "Prochaines" not in english.stdout
    assert re.search(r" attest -i demo markers --room salle_demo --by \"First Last\"", english.stdout)
    assert "Check on site, then attest:" in english.stdout and "When all is ready:" in english.stdout
