"""Ctrl-C and SIGTERM end a run with what it has: the runner stops, merges what finished, and
the CLI writes it marked partial and exits 130 / 143 (128 + the signal's number)."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType


class Interrupted(KeyboardInterrupt):
    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum

    @property
    def name(self) -> str:
        return signal.Signals(self.signum).name

    @property
    def exit_code(self) -> int:
        return 128 + self.signum


@contextmanager
def interrupts_raise() -> Iterator[None]:
    """Within the block SIGINT and SIGTERM raise :class:`Interrupted` (main thread only)."""

    def handler(signum: int, frame: FrameType | None) -> None:
        raise Interrupted(signum)

    try:
        old = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
    except ValueError:  # not the main thread: leave signals alone
        yield
        return
    try:
        yield
    finally:
        for s, h in old.items():
            signal.signal(s, h)


def ignore_interrupts() -> None:
    """Worker initialiser: the client alone reacts to Ctrl-C (sent to the whole process group)
    and stops the workers itself, so no worker dies with a traceback or lingers."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
