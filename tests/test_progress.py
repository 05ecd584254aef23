"""The progress bar shows on a terminal (events, events/s) and stays out of pipes, CI logs and
``-q`` runs."""

from __future__ import annotations

import fcntl
import os
import pty
import struct
import subprocess
import sys
import termios
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow


def _run(example: Path, *extra: str, tty: bool) -> str:
    cmd = [sys.executable, "-m", "hepreint", "run", str(ROOT / "analyses" / "ttHbb"), str(example),
           "--batch-size", "20", "--max-events", "60", *extra]  # fmt: skip
    if not tty:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
        assert p.returncode == 0, p.stderr
        return p.stderr
    master, slave = pty.openpty()
    # a new pseudo-terminal is 0 x 0: give it a real size, as a terminal window has
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=slave)
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 4096)
        except OSError:  # the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    assert p.wait(timeout=300) == 0
    os.close(master)
    return b"".join(chunks).decode(errors="replace")


def test_bar_on_a_terminal(example_sample: Path) -> None:
    err = _run(example_sample, tty=True)
    assert "ev/s" in err and "60/60" in err


def test_no_bar_in_a_pipe_or_with_quiet(example_sample: Path) -> None:
    assert "ev/s" not in _run(example_sample, tty=False)
    assert "ev/s" not in _run(example_sample, "-q", tty=True)
