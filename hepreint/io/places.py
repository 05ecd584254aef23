"""Where an event is, in words: the place part of every reading error message.

The serial reader splits a file from its start, so an event's ordinal and line number are
known as it goes. A byte-range share (:mod:`.shares`) starts in the middle of a file and only
knows byte offsets; its ordinals and lines count from its first event. The counts before the
share's start are found here, once and only when a message is made (one scan of the bytes
before the share: memory speed, and only on the error path), so that a share's messages say
exactly what the serial reader's say.
"""

from __future__ import annotations

from pathlib import Path

from hepreint.io.detect import FileInfo
from hepreint.io.split import EventText, StrayText

#: bytes read at a time when counting the lines and events before a share's start
_COUNT_BLOCK = 8 << 20


def count_before(path: str | Path, start: int) -> tuple[int, int]:
    """(newlines, ``E`` lines) of an uncompressed file before byte ``start``."""
    newlines = events = 0
    tail = b""
    done = 0
    with Path(path).open("rb") as f:
        while done < start + 1:
            block = f.read(min(_COUNT_BLOCK, start + 1 - done))
            if not block:
                break
            newlines += block.count(b"\n", 0, max(0, start - done))
            # an E line at offset o is b"\nE " at o - 1; only those with o < start count
            events += (tail + block).count(b"\nE ")
            tail = block[-2:]
            done += len(block)
    return newlines, events


class Places:
    """Turns the place of an event as split into the file's place, and words it.

    ``start``: byte offset splitting started at (0: the file's start, counts are exact);
    ``run_base``: position in the run (0-based, after ``--skip``) of the file's first event,
    for the ``--max-events`` advice; ``None`` when the planner did not count the files before.
    """

    def __init__(self, info: FileInfo, *, start: int = 0, run_base: int | None = 0) -> None:
        self.info = info
        self.start = start
        self.run_base = run_base
        self._before: tuple[int, int] | None = (0, 0) if start == 0 else None
        self.where = "uncompressed byte" if info.compression != "none" else "byte"

    def _counts(self) -> tuple[int, int]:
        if self._before is None:
            self._before = count_before(self.info.path, self.start)
        return self._before

    def ordinal(self, event: EventText) -> int:
        """1-based position of ``event`` in its file."""
        return event.ordinal + (self._counts()[1] if self.start else 0)

    def line(self, line: int) -> int:
        """File line number of a line numbered as split."""
        return line + (self._counts()[0] if self.start else 0)

    def place(self, event: EventText) -> str:
        line = self.line(event.line)
        return f"event {self.ordinal(event)} (line {line}, {self.where} {event.offset})"

    def max_events(self, delivered: int | None, event: EventText | None, *, through: bool) -> str:
        """``--max-events N`` that stops before ``event`` (``through``: just after it; no
        event: before the file).

        ``delivered``: events delivered before it in the run, when the reader knows (serial);
        otherwise the event's position in the run from ``run_base``.
        """
        n = 0 if event is None else self.ordinal(event) - (0 if through else 1)
        if delivered is None and self.run_base is not None:
            delivered = max(0, self.run_base + n)
        if delivered is not None:
            return f"--max-events {delivered}"
        return f"--max-events N (N: the run's events before this file plus {n})"

    def stray(self, item: StrayText) -> str:
        return (
            f"{self.info.path}: unexpected text after the END_EVENT_LISTING line at line "
            f"{self.line(item.line)} ({item.data[:40]!r}); remove it or re-create the file"
        )

    def corrupt(self, exc: Exception, last: EventText | None, delivered: int | None) -> str:
        info = self.info
        at = "" if last is None else f" after {self.place(last)}"
        stop = self.max_events(delivered, last, through=True)
        return (
            f"{info.path}: {info.compression} stream is corrupt or cut{at}: {exc}; the file "
            f"was probably damaged while copying; re-copy it or pass {stop}"
        )

    def broken(
        self, event: EventText, what: str, line: int | None, truncated: bool,
        delivered: int | None, skipped: int = 0,
    ) -> str:  # fmt: skip
        """The message for a broken event (``what``: the problem, ``line`` as split;
        ``skipped``: it is passed over (``--skip-bad-events``), the n-th of the file so far)."""
        info = self.info
        number = event.data[: event.data.find(b"\n")].split()[1:2]
        number_text = f", event number {number[0].decode(errors='replace')}" if number else ""
        line = self.line(line or event.line)
        ordinal = self.ordinal(event)
        stop = self.max_events(delivered, event, through=False)
        if skipped:
            cut = f"truncated at {self.where} {event.offset + len(event.data)}: " * truncated
            return (
                f"{info.path}: event {ordinal} (line {line}, {self.where} {event.offset}"
                f"{number_text}) is broken: {cut}{what}; skipped; {skipped} so far"
            )
        if truncated:
            return (
                f"{info.path}: truncated at {self.where} {event.offset + len(event.data)} "
                f"inside event {ordinal} (line {line}{number_text}): {what}; the file was "
                f"probably cut while copying or its job was killed; re-copy it or pass {stop}"
            )
        return (
            f"{info.path}: event {ordinal} (line {line}, {self.where} {event.offset}"
            f"{number_text}) is broken: {what}; regenerate or re-copy the file, pass "
            f"--skip-bad-events to skip broken events, or {stop} to stop before it"
        )

    def no_events(self) -> str:
        info = self.info
        return (
            f"{info.path}: holds a HepMC header but no events ({info.size_bytes} bytes); "
            "the generator probably produced no events; regenerate it or drop it"
        )
