"""Files -> batches: the per-file read loop, multi-file iteration, --skip/--max-events.

Batches never span files (``EventBatch.source`` is one path), so the last batch of a file may be
short. When an event is broken and ``skip_bad_events`` is off, the good events already read are
first delivered as a (short) batch and the InputError is raised on the next step: the runner has
then processed exactly ``InputError.events_read`` events and can write partial results.

:func:`read_file` is the one loop over a file's events; the serial :class:`EventStream` and the
share reader (:mod:`.shares`) differ only in what they give it: where splitting starts and
stops, and which events (:class:`Selection`) are parsed.
"""

from __future__ import annotations

import functools
import warnings
import zlib
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import zstandard

from hepreint.errors import InputError
from hepreint.events.batch import EventBatch
from hepreint.io.assemble import BatchBuilder, ReadReport
from hepreint.io.checks import EventProblem
from hepreint.io.columns import EventColumns, to_columns
from hepreint.io.delphes import read_serial
from hepreint.io.detect import HEPMC3, FileInfo, describe_foreign, open_decompressed, scan_file
from hepreint.io.fast import Result, parse_events
from hepreint.io.hepmc import read_event
from hepreint.io.places import Places
from hepreint.io.sequence import SkippedBadEvent, Vetter
from hepreint.io.split import EventText, StrayText, split_events

__all__ = ["READERS", "EventStream", "ReadReport", "Selection", "read_events", "read_file"]

DECOMPRESSION_ERRORS = (OSError, EOFError, zlib.error, zstandard.ZstdError)

#: ``read_events(reader=...)``: "pyhepmc" (reference, default) or "fast" (HepMC3 only, own
#: vectorised parser, identical results; other formats are read with pyhepmc)
READERS = ("pyhepmc", "fast")
#: decompressed text the fast reader parses in one go (a few dozen full-history LHC events)
FAST_BLOCK_BYTES = 4 << 20

#: what ``_with_columns`` yields per event: a function giving its columns (or raising
#: EventProblem), ``None`` for an event that is not parsed
_Columns = Callable[[], EventColumns]


def _pyhepmc_columns(info: FileInfo, event: EventText) -> EventColumns:
    if event.fmt is None:
        raise EventProblem(describe_foreign(Path(info.path), event.header))
    return to_columns(*read_event(event))


def _fast_columns(info: FileInfo, event: EventText, result: Result, report: ReadReport) -> _Columns:
    def columns() -> EventColumns:
        if isinstance(result, EventProblem):
            raise result
        if result is None:
            report.n_fast_fallback += 1
            return _pyhepmc_columns(info, event)
        return result

    return columns


def _with_columns(
    items: Iterator[EventText | StrayText], info: FileInfo, report: ReadReport, *,
    fast: bool, wanted: Callable[[int], bool], budget: int | None,
) -> Iterator[StrayText | tuple[EventText, _Columns | None]]:  # fmt: skip
    """Pair each event with the way to get its columns (``None``: not ``wanted``), in file
    order; the fast reader parses blocks of wanted events ahead (at most ``budget``, so a
    short run parses little), and yields them before a stray text or a decompression error
    that followed."""
    if not fast:
        for item in items:
            if isinstance(item, StrayText):
                yield item
            elif wanted(item.ordinal):
                yield item, functools.partial(_pyhepmc_columns, info, item)
            else:
                yield item, None
        return
    pending: list[EventText] = []
    flags: list[bool] = []
    size = parsed = 0

    def flush() -> Iterator[tuple[EventText, _Columns | None]]:
        events, want = list(pending), list(flags)
        pending.clear()
        flags.clear()
        results = iter(parse_events([e for e, w in zip(events, want, strict=True) if w]))
        for event, w in zip(events, want, strict=True):
            yield event, _fast_columns(info, event, next(results), report) if w else None

    try:
        for item in items:
            if isinstance(item, StrayText):
                yield from flush()
                yield item
                continue
            want = wanted(item.ordinal)
            if not want and not size:
                yield from flush()  # only unwanted events pending: nothing to parse ahead
                yield item, None
                continue
            pending.append(item)
            flags.append(want)
            if not want:
                continue
            size += len(item.data)
            parsed += 1
            if size >= FAST_BLOCK_BYTES or (budget is not None and parsed >= budget):
                yield from flush()
                size = 0
    except DECOMPRESSION_ERRORS:
        yield from flush()
        raise
    yield from flush()


@dataclass(frozen=True)
class Selection:
    """Which events of a split a read parses; indices are 0-based in the split (the file's,
    unless splitting started at a byte-range share's first event)."""

    #: events before this one are passed over unparsed (``--skip``)
    first: int = 0
    #: the read ends before this event (the end of a ``--max-events`` window); None: the end
    last: int | None = None
    #: parse every ``stride``-th event of the window from ``first + phase`` (a share of a
    #: compressed file)
    stride: int = 1
    phase: int = 0
    #: deliver at most this many events (serial ``--max-events``: bad events do not count)
    budget: int | None = None
    #: count events before ``first`` in the report (one share per file does)
    count_skipped: bool = True
    #: the split's end is the end of the ``--max-events`` window (the report is incomplete)
    limited: bool = False

    def wanted(self, ordinal: int) -> bool:
        i = ordinal - 1
        if i < self.first or (self.last is not None and i >= self.last):
            return False
        return self.stride == 1 or (i - self.first) % self.stride == self.phase


class RunCount:
    """Batches made and events delivered so far by one stream (for batch indices and for
    ``InputError.events_read``)."""

    def __init__(self) -> None:
        self.batches = 0
        self.events_read = 0


def read_file(  # noqa: PLR0912, PLR0915 (one loop, its cases in order)
    info: FileInfo, report: ReadReport, stream: BinaryIO, *, places: Places, select: Selection,
    run: RunCount, batch_size: int, skip_bad_events: bool, split: dict[str, Any],
    reference_weights: Callable[[EventText, EventText | None], int | None] | None = None,
    check_header: Callable[[EventText | StrayText], None] | None = None, serial: bool = True,
    before: bytes | None = None,
) -> Generator[EventBatch, None, int]:  # fmt: skip
    """Read the selected events of ``stream`` (opened on ``info``; closed here) into batches.

    ``split``: keyword arguments of :func:`split_events` (a share's ``start``/``stop``/header).
    ``reference_weights(first parsed event, the window's first event if seen unparsed)``: the
    weight count the serial reader would compare with (that of the first event it reads in
    the file), for a share that may not parse that event; ``None``: the first parsed event's.
    ``check_header``: called on every split item (a share refuses a header change).
    ``serial``: the stream's own counts give the ``--max-events`` advice.
    ``before``: the text of the event before the split's first (see :class:`Vetter`).
    Returns the number of events passed over before ``select.first``.
    """
    builder = BatchBuilder()
    n_weights: int | None = None
    names: tuple[str, ...] = ()
    xsec: tuple[float, float] | None = None
    error: InputError | None = None
    last: EventText | None = None
    skipped = taken = 0
    seen_first: EventText | None = None  # the window's first event, if passed over unparsed
    vet = Vetter(report, places, before)

    def flush() -> EventBatch:
        batch = builder.build(
            source=info.path, index=run.batches, names=names, unweighted=n_weights == 0,
            fmt=info.format, xsec=xsec, file_id=info.identity,
        )  # fmt: skip
        run.batches += 1
        run.events_read += len(batch)
        report.n_events_read += len(batch)
        return batch

    def delivered() -> int | None:
        return run.events_read + len(builder) if serial else None

    position = -1 if split.get("start", 0) else 0  # index in the file of split event 0
    budget = select.budget
    try:
        items = split_events(stream, wanted=select.wanted, **split)
        if check_header is not None:
            items = _checked(items, check_header)
        events = _with_columns(
            items, info, report,
            fast=report.reader == "fast", wanted=select.wanted, budget=budget,
        )  # fmt: skip
        while True:
            if budget is not None and taken >= budget:
                break
            try:
                item = next(events)
            except StopIteration:
                seen = 0 if last is None else last.ordinal
                report.complete = not select.limited and (select.last is None or seen < select.last)
                break
            except DECOMPRESSION_ERRORS as exc:
                error = InputError(places.corrupt(exc, last, delivered()))
                break
            if isinstance(item, StrayText):
                error = InputError(places.stray(item))
                break
            event, columns = item
            if columns is None:
                if select.last is not None and event.ordinal > select.last:
                    break
                vet.follow(event, parsed=False)
                last = event
                if event.ordinal == select.first + 1:
                    seen_first = event
                if event.ordinal <= select.first:
                    skipped += 1
                    report.n_skipped += select.count_skipped
                continue
            last = event
            try:
                vet.follow(event, parsed=True)
                cols = columns()
                if n_weights is None:
                    n_weights = len(cols.weights)
                    names = cols.weight_names or tuple(f"w{i}" for i in range(n_weights))
                    names = names if n_weights else ("unit",)
                    report.weight_names = names
                    if reference_weights is not None:
                        n_ref = reference_weights(event, seen_first)
                        n_weights = n_weights if n_ref is None else n_ref
                if len(cols.weights) != n_weights:
                    raise EventProblem(
                        f"has {len(cols.weights)} weights but the file's first event has "
                        f"{n_weights}; the file mixes runs with different weight sets"
                    )
            except EventProblem as problem:
                n_bad = (report.n_bad_skipped + 1) * skip_bad_events
                message = places.broken(
                    event, str(problem), problem.line, problem.truncated, delivered(), n_bad
                )
                if skip_bad_events:
                    report.n_bad_skipped += 1
                    report.bad_event_messages.append(message)  # (the user is told from here)
                    warnings.warn(message, SkippedBadEvent, stacklevel=2)
                    continue
                error = InputError(message)
                break
            vet.notes(event, cols)
            if cols.xsec is not None:
                xsec = cols.xsec
                report.xsec_pb, report.xsec_err_pb = xsec
                report.xsec_offset = event.offset
            builder.add(cols, event.ordinal - 1 if position == 0 else -1, event.offset)
            taken += 1
            if len(builder) >= batch_size:
                yield flush()
    finally:
        stream.close()
    if len(builder):
        yield flush()
    if error is not None:
        error.events_read = run.events_read
        raise error
    if report.complete and report.n_events_read + report.n_skipped + report.n_bad_skipped == 0:
        if last is None:
            raise InputError(places.no_events(), events_read=run.events_read)
    return skipped


def _checked(
    items: Iterator[EventText | StrayText], check: Callable[[EventText | StrayText], None]
) -> Iterator[EventText | StrayText]:
    for item in items:
        check(item)
        yield item


class BatchIterator:
    """What every reader's iterator shares: batches from ``_it``, the count in ``_run``."""

    _run: RunCount
    _it: Generator[EventBatch, None, None]

    @property
    def events_read(self) -> int:
        """Events delivered so far in batches, over all files."""
        return self._run.events_read

    def __iter__(self) -> BatchIterator:
        return self

    def __next__(self) -> EventBatch:
        return next(self._it)

    def close(self) -> None:
        self._it.close()


class EventStream(BatchIterator):
    """Iterator over :class:`EventBatch` of several files, with ``reports`` filled as it goes.

    All files are checked (exist, non-empty, HepMC format) before the first batch, so a typo in
    the 5th path fails the run at once rather than after hours of processing.
    """

    def __init__(
        self,
        paths: Sequence[str | Path],
        *,
        batch_size: int = 2000,
        max_events: int | None = None,
        skip: int = 0,
        skip_bad_events: bool = False,
        reader: str = "pyhepmc",
    ) -> None:
        check_options(reader, batch_size)
        if skip < 0 or (max_events is not None and max_events < 0):
            raise ValueError("skip and max_events must be >= 0")
        if isinstance(paths, str | Path):
            paths = [paths]
        self.infos = [scan_file(p) for p in paths]
        self.batch_size = batch_size
        self.max_events = max_events
        self.skip = skip
        self.skip_bad_events = skip_bad_events
        self.reader = reader
        self.reports: list[ReadReport] = []
        self._run = RunCount()
        self._it = self._generate()

    def _generate(self) -> Generator[EventBatch, None, None]:
        to_skip = self.skip
        for info in self.infos:
            report = new_report(info, self.reader)
            self.reports.append(report)
            budget = None if self.max_events is None else self.max_events - self.events_read
            if info.entries is not None:  # a Delphes ROOT file: entries, read with uproot
                to_skip -= yield from read_serial(info, report, self._run, to_skip, budget,
                                                  self.batch_size)  # fmt: skip
            else:
                to_skip -= yield from read_file(
                    info, report, open_decompressed(Path(info.path), info.compression),
                    places=Places(info), select=Selection(first=to_skip, budget=budget),
                    run=self._run, batch_size=self.batch_size,
                    skip_bad_events=self.skip_bad_events, split={},
                )  # fmt: skip
            if self.max_events is not None and self.events_read >= self.max_events:
                return


def check_options(reader: str, batch_size: int) -> None:
    if reader not in READERS:
        raise ValueError(f"unknown reader {reader!r}; use one of {', '.join(READERS)}")
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")


def new_report(info: FileInfo, reader: str) -> ReadReport:
    report = ReadReport(info.path, info.size_bytes, info.format, info.compression)
    if reader == "fast" and info.format == HEPMC3:
        report.reader = "fast"
    elif info.entries is not None:  # Delphes
        report.reader = "uproot"
    return report


def read_events(
    paths: Sequence[str | Path],
    *,
    batch_size: int = 2000,
    max_events: int | None = None,
    skip: int = 0,
    skip_bad_events: bool = False,
    reader: str = "pyhepmc",
) -> EventStream:
    """Stream the events of ``paths`` (in order) as :class:`EventBatch` objects.

    ``skip`` drops the first events of the whole run (across files, without parsing them, so
    resuming is fast); ``max_events`` bounds the events delivered in total. ``reader="fast"``
    parses HepMC3 files with :mod:`hepreint.io.fast` (same results, several times faster;
    HepMC2 files are still read with pyhepmc).
    """
    return EventStream(
        paths,
        batch_size=batch_size,
        max_events=max_events,
        skip=skip,
        skip_bad_events=skip_bad_events,
        reader=reader,
    )
