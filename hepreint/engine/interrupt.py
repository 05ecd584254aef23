"""Ctrl-C and SIGTERM end a run with what it has: the runner stops, merges what finished, and
the CLI writes it marked partial and exits 130 / 143 (128 + the signal's number).

A signal raises :class:`Interrupted` at once, except inside :meth:`Interrupts.merging`, where
the accumulator is being updated: there it is held back until the merge is complete, so the
results written are always a consistent sum of whole batches.
"""

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


class Interrupts:
    def __init__(self) -> None:
        self.signum: int | None = None
        #: signals received so far (a second one means: stop now)
        self.count = 0
        self._held = 0

    def handler(self, signum: int, frame: FrameType | None) -> None:
        self.signum = signum
        self.count += 1
        if not self._held:
            raise Interrupted(signum)

    @contextmanager
    def merging(self) -> Iterator[None]:
        self._held += 1
        try:
            yield
        finally:
            self._held -= 1
        if self.signum is not None and not self._held:
            raise Interrupted(self.signum)

    @contextmanager
    def held(self) -> Iterator[None]:
        """Record signals without raising (a client waiting for its workers checks
        :attr:`signum` itself)."""
        self._held += 1
        try:
            yield
        finally:
            self._held -= 1


#: the run in progress in this process (one at a time: signals are per process)
CURRENT = Interrupts()


@contextmanager
def interrupts_raise() -> Iterator[Interrupts]:
    """Within the block SIGINT and SIGTERM raise :class:`Interrupted` (main thread only)."""
    global CURRENT
    CURRENT = Interrupts()
    try:
        old = {s: signal.signal(s, CURRENT.handler) for s in (signal.SIGINT, signal.SIGTERM)}
    except ValueError:  # not the main thread: leave signals alone
        yield CURRENT
        return
    try:
        yield CURRENT
    finally:
        for s, h in old.items():
            signal.signal(s, h)


def ignore_interrupts() -> None:
    """Worker initialiser: the client alone reacts to Ctrl-C (sent to the whole process group)
    and tells its workers to stop, so no worker dies with a traceback or lingers."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
