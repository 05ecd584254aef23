"""The per-file part of :mod:`hepreint.io.vet`: each event against the one before it, and
the events' notes turned into :attr:`ReadReport.warnings` (once per file and kind).

Kept out of the read loop (:mod:`hepreint.io.stream`) so that the loop stays one page, and
out of :mod:`hepreint.io.vet`, which the column builders import (no import circle).
"""

from __future__ import annotations

import re
import warnings

from hepreint.io.assemble import ReadReport
from hepreint.io.checks import EventProblem
from hepreint.io.columns import EventColumns
from hepreint.io.places import Places
from hepreint.io.split import EventText

#: warnings kept per file (one per kind already; many unknown ids would flood the log)
MAX_WARNINGS = 20


class SkippedBadEvent(UserWarning):
    """A bad event passed over with ``skip_bad_events``. Ignored by default: the user hears
    of it through :attr:`ReadReport.bad_event_messages` (the results' warnings); the category
    exists for library users who want them as Python warnings (``-W always``,
    ``pytest.warns``)."""


warnings.filterwarnings("ignore", category=SkippedBadEvent, append=True)


def event_number_text(data: bytes) -> int | None:
    """The event number of an event's E line, ``None`` if unreadable (checked elsewhere)."""
    fields = data[: data.find(b"\n")].split(maxsplit=2)
    try:
        return int(fields[1])
    except (IndexError, ValueError):
        return None


class Vetter:
    """The per-file checks of the read loop: each event against the one before it, and the
    events' notes turned into the report's warnings (once per file and kind).

    ``before``: the text of the event just before the first one this read splits (a byte-
    range share starting mid-file), so that its first event is compared as serially."""

    def __init__(self, report: ReadReport, places: Places, before: bytes | None = None) -> None:
        self.report = report
        self.places = places
        self.prev = before
        self.prev_number = None if before is None else event_number_text(before)
        self.warned: set[str] = set()

    def follow(self, event: EventText, *, parsed: bool) -> None:
        """Compare ``event`` with the previous one (every event of the split is passed, but
        only a ``parsed`` one is refused or warned about: the reader that parses it does)."""
        prev, prev_number = self.prev, self.prev_number
        self.prev = event.data
        self.prev_number = number = event_number_text(event.data)
        if not parsed or prev is None or number is None or prev_number is None:
            return
        if event.data == prev:
            raise EventProblem(
                f"an exact copy of the event before it (event number {number}): a copy-"
                "paste or a buffer written twice would count it twice; remove the copy"
            )
        if number <= prev_number:
            self.warn(
                event,
                f"has event number {number}, not above the previous event's {prev_number} "
                "(numbering restarts: runs concatenated?); kept; if the file holds the same "
                "events twice, remove the copy starting here",
                key="number",
            )

    def notes(self, event: EventText, cols: EventColumns) -> None:
        for note in cols.notes:
            self.warn(event, note, key=note)

    def warn(self, event: EventText, what: str, *, key: str) -> None:
        if key in self.warned or len(self.warned) >= MAX_WARNINGS:
            return
        self.warned.add(key)
        self.report.warnings.append(f"{self.places.info.path}: {self.places.place(event)} {what}")


_PLACE = re.compile(r" event \d+ \(line \d+, (?:uncompressed )?byte \d+\) ")


def merge_warnings(into: list[str], more: list[str]) -> None:
    """Add the warnings of another share of the file, one per kind (the place aside)."""
    seen = {_PLACE.sub(" ", w) for w in into}
    for w in more:
        key = _PLACE.sub(" ", w)
        if key not in seen:
            seen.add(key)
            into.append(w)
