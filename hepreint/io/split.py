"""Cut a decompressed HepMC ASCII stream into the text of single events.

Why split ourselves instead of letting pyhepmc read the stream: pyhepmc's readers stop
*silently* at a broken event (``read_event`` fails, a few lines go to stderr, iteration ends as if
the file were complete), and they cannot tell where in the file they are. Splitting at the ``E ``
lines gives, for free, the byte offset and line number of every event (so every error message
can point at the place), exact knowledge of whether the stream really ended, and
resynchronisation after a broken event (the next ``E`` line starts a fresh event). Splitting costs
one ``bytes.find`` per event; memory is bounded by the read block plus one event.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

import numpy as np

from hepreint.io.detect import sniff_format

#: decompressed bytes read per call; the buffer grows geometrically for larger events
BLOCK_SIZE = 1 << 20

_EVENT_START = b"\nE "
_LISTING_LINE = b"\nHepMC::"


@dataclass(frozen=True, slots=True)
class EventText:
    """The lines of one event, from its ``E`` line to just before the next one.

    ``ordinal`` and ``line`` count from where splitting started: from the file's start (then
    they are the file's), or from a byte-range share's first event, whose reader adds the
    counts before it only when a message needs them (:mod:`hepreint.io.places`).
    """

    data: bytes
    #: 1-based position of the event in its file (or in its byte range, see above)
    ordinal: int
    #: decompressed byte offset (always the file's) and 1-based line number of the ``E`` line
    offset: int
    line: int
    #: the header (run info) in force for this event; fed to pyhepmc together with ``data``
    header: bytes
    #: "hepmc3"/"hepmc2" as declared by ``header``; ``None`` if the header is not HepMC
    fmt: str | None
    #: whether this is the last event of the stream (a truncation can only be here)
    last: bool
    #: line census; :data:`NO_CENSUS` for an event passed over unparsed (not worth computing)
    census: Census


@dataclass(frozen=True, slots=True)
class StrayText:
    """Text after an END_EVENT_LISTING line that does not start a new listing."""

    offset: int
    line: int
    data: bytes


def _segments(stream: BinaryIO, base: int = 0) -> Iterator[tuple[int, bytes, bool]]:
    """Yield ``(offset, text, last)``: the header, then one piece per ``E`` line.

    ``base`` is the offset of the stream's position in the file: 0, or the ``E`` line a
    byte-range share starts at (then there is no header piece).
    """
    buf = stream.read(BLOCK_SIZE)
    start = search = 0  # start of the current piece and where to look for its end, in buf
    read_size = BLOCK_SIZE
    if buf.startswith(b"E "):
        if base == 0:
            yield 0, b"", False  # no header at all
        search = 1
    while True:
        j = buf.find(_EVENT_START, search)
        if j < 0:
            more = stream.read(read_size)
            if not more:
                yield base + start, buf[start:], True
                return
            rest = len(buf) - start
            buf = buf[start:] + more
            base += start
            start = 0
            search = max(0, rest - 2)
            # an event larger than a block: grow reads so that total copying stays linear
            read_size = max(BLOCK_SIZE, rest)
            continue
        yield base + start, buf[start : j + 1], False
        start = search = j + 1


def split_events(
    stream: BinaryIO, *, start: int = 0, stop: int | None = None, header: bytes = b"",
    fmt: str | None = None, wanted: Callable[[int], bool] | None = None,
) -> Iterator[EventText | StrayText]:  # fmt: skip
    """Yield every event of ``stream`` with its place; handles concatenated listings.

    A file made with ``cat a.hepmc b.hepmc`` holds several START/END_EVENT_LISTING blocks; the
    header in force changes at each START, so each event carries its own header and format.

    A byte-range share passes the stream positioned at ``start`` (an ``E`` line), the file's
    ``header``/``fmt``, and ``stop``: the split ends before the first event whose ``E`` line is
    at or after ``stop``, as if the stream ended there (that event is not yielded, and the one
    before is not ``last``). ``wanted(ordinal)`` False: the event will not be parsed, so its
    census is not computed (two C-speed scans instead of numpy's ~10 passes).
    """
    line = 1
    ordinal = 0
    pending: EventText | None = None
    for offset, text, last in _segments(stream, start):
        if offset == 0 and not text.startswith(b"E "):
            header, fmt = text, sniff_format(text)
            line += text.count(b"\n")
            continue
        if stop is not None and offset >= stop:
            break
        ordinal += 1
        if wanted is None or wanted(ordinal):
            lines = census(text)
            trailer_at = lines.listing_line(text)
            if trailer_at >= 0:
                lines = census(text[:trailer_at])
            n_newlines = lines.n_newlines
        else:
            lines = NO_CENSUS
            trailer_at = text.find(_LISTING_LINE) + 1 or -1
            n_newlines = text.count(b"\n", 0, trailer_at if trailer_at >= 0 else len(text))
        body = text if trailer_at < 0 else text[:trailer_at]
        if pending is not None:
            yield pending
        pending = EventText(
            body, ordinal, offset, line, header, fmt, last and trailer_at < 0, lines
        )
        line += n_newlines
        if trailer_at < 0:
            continue
        trailer = text[trailer_at:]
        line_after_body = line
        line += trailer.count(b"\n")
        end = trailer.find(b"END_EVENT_LISTING")
        after = trailer[trailer.find(b"\n", end) + 1 :] if end >= 0 else trailer
        if end >= 0 and trailer.find(b"\n", end) < 0:
            after = b""
        if b"START_EVENT_LISTING" in after:
            header, fmt = after, sniff_format(after)
        elif after.strip():
            blank = len(after) - len(after.lstrip())
            blank = after.rfind(b"\n", 0, blank) + 1  # keep the stray line whole
            skipped = trailer[: len(trailer) - len(after) + blank]
            yield pending
            pending = None
            yield StrayText(
                offset + len(body) + len(skipped),
                line_after_body + skipped.count(b"\n"),
                after[blank:],
            )
    if pending is not None:
        yield pending


@dataclass(frozen=True, slots=True)
class Census:
    """Line counts by record letter, found with numpy instead of a Python loop over lines."""

    counts: np.ndarray  # bincount of the first byte of every line (256 entries)
    heads: np.ndarray  # first byte of every line
    starts: np.ndarray  # offset of every line
    n_newlines: int
    #: first line (0-based within the event) whose first byte is not a record letter, or -1
    bad_line: int

    def __getitem__(self, letter: str) -> int:
        return int(self.counts[ord(letter)])

    def listing_line(self, data: bytes) -> int:
        """Offset of the first ``HepMC::`` line (END/START_EVENT_LISTING), or -1."""
        if not self.counts[ord("H")]:
            return -1
        for at in self.starts[self.heads == ord("H")]:
            if data.startswith(b"HepMC::", int(at)):
                return int(at)
        return -1


_ALLOWED = np.zeros(256, dtype=bool)
for _c in b"EPVUWATNCHF\n\r":
    _ALLOWED[_c] = True


def census(data: bytes) -> Census:
    """Count the lines of each record type of one event and spot non-record lines."""
    arr = np.frombuffer(data, dtype=np.uint8)
    nl = np.flatnonzero(arr == 10)
    starts = np.empty(len(nl) + 1, dtype=np.int64)
    starts[0] = 0
    starts[1:] = nl + 1
    if starts[-1] >= len(arr):
        starts = starts[:-1]
    heads = arr[starts]
    counts = np.bincount(heads, minlength=256)
    bad = np.flatnonzero(~_ALLOWED[heads])
    return Census(counts, heads, starts, len(nl), int(bad[0]) if len(bad) else -1)


#: the census of an event that is passed over unparsed (``split_events(wanted=...)``)
NO_CENSUS = census(b"")
