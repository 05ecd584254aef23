"""Files -> batches: multi-file iteration, --skip/--max-events, batching and per-file reports.

Batches never span files (``EventBatch.source`` is one path), so the last batch of a file may be
short. When an event is broken and ``skip_bad_events`` is off, the good events already read are
first delivered as a (short) batch and the InputError is raised on the next step: the runner has
then processed exactly ``InputError.events_read`` events and can write partial results.
"""

from __future__ import annotations

import functools
import warnings
import zlib
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import zstandard

from hepreint.errors import InputError
from hepreint.events.batch import PARTICLE_FIELDS, EventBatch, make_particles
from hepreint.io.detect import HEPMC3, FileInfo, describe_foreign, open_decompressed, scan_file
from hepreint.io.fast import Result, parse_events
from hepreint.io.hepmc import EventColumns, EventProblem, read_event, to_columns
from hepreint.io.split import EventText, StrayText, split_events

_DECOMPRESSION_ERRORS = (OSError, EOFError, zlib.error, zstandard.ZstdError)

#: ``read_events(reader=...)``: "pyhepmc" (reference, default) or "fast" (HepMC3 only, own
#: vectorised parser, identical results; other formats are read with pyhepmc)
READERS = ("pyhepmc", "fast")
#: decompressed text the fast reader parses in one go (a few dozen full-history LHC events)
FAST_BLOCK_BYTES = 4 << 20


@dataclass
class ReadReport:
    """What was read from one file; filled while reading, for provenance and for the log."""

    path: str
    size_bytes: int
    format: str
    compression: str
    #: events delivered in batches
    n_events_read: int = 0
    #: events passed over because of ``skip``
    n_skipped: int = 0
    #: broken events passed over because of ``skip_bad_events``
    n_bad_skipped: int = 0
    bad_event_messages: list[str] = field(default_factory=list)
    #: the file was read to its end (False when stopped by max_events or an error)
    complete: bool = False
    weight_names: tuple[str, ...] = ()
    xsec_pb: float | None = None
    xsec_err_pb: float | None = None
    #: the reader that read this file ("fast" falls back to "pyhepmc" for non-HepMC3 files)
    reader: str = "pyhepmc"
    #: events the fast reader handed to pyhepmc (unusual layout, or broken: pyhepmc's message)
    n_fast_fallback: int = 0


#: what ``_with_columns`` yields per event: a function giving its columns (or raising
#: EventProblem), ``None`` for an event passed over by ``skip``
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
    fast: bool, skip: int, budget: int | None,
) -> Iterator[StrayText | tuple[EventText, _Columns | None]]:  # fmt: skip
    """Pair each event with the way to get its columns; the fast reader parses blocks of
    events ahead (at most ``budget`` events beyond the skipped ones, so a short run parses
    little), and yields them before a stray text or a decompression error that followed."""
    if not fast:
        for item in items:
            if isinstance(item, StrayText):
                yield item
            elif skip:
                skip -= 1
                yield item, None
            else:
                yield item, functools.partial(_pyhepmc_columns, info, item)
        return
    pending: list[EventText] = []
    size = parsed = 0

    def flush() -> Iterator[tuple[EventText, _Columns | None]]:
        events = list(pending)
        pending.clear()
        for event, result in zip(events, parse_events(events), strict=True):
            yield event, _fast_columns(info, event, result, report)

    try:
        for item in items:
            if isinstance(item, StrayText):
                yield from flush()
                yield item
                continue
            if skip:
                skip -= 1
                yield item, None
                continue
            pending.append(item)
            size += len(item.data)
            parsed += 1
            if size >= FAST_BLOCK_BYTES or (budget is not None and parsed >= budget):
                yield from flush()
                size = 0
    except _DECOMPRESSION_ERRORS:
        yield from flush()
        raise
    yield from flush()


class _BatchBuilder:
    """Collects per-event columns of one file and concatenates them once per batch.

    Only the column arrays of the events are kept (one list per column, not the events), so
    that :meth:`build` can concatenate one column and at once release what it came from: the
    peak is the batch's columns plus one column, not twice the batch.
    """

    def __init__(self) -> None:
        self.parts: dict[str, list[np.ndarray]] = {f: [] for f in PARTICLE_FIELDS}
        self.counts: list[int] = []
        self.weights: list[list[float]] = []
        self.numbers: list[int] = []
        self.first_event = 0

    def __len__(self) -> int:
        return len(self.counts)

    def add(self, cols: EventColumns, position: int) -> None:
        if not self.counts:
            self.first_event = position
        for name, part in self.parts.items():
            part.append(cols.columns[name])
        self.counts.append(cols.n_particles)
        self.weights.append(cols.weights)
        self.numbers.append(cols.event_number)

    def build(
        self, *, source: str, index: int, names: tuple[str, ...], unweighted: bool,
        fmt: str, xsec: tuple[float, float] | None,
    ) -> EventBatch:  # fmt: skip
        n = len(self.counts)
        counts = np.array(self.counts, dtype=np.int64)
        columns: dict[str, np.ndarray] = {}
        for name in PARTICLE_FIELDS:
            parts, self.parts[name] = self.parts[name], []
            columns[name] = np.concatenate(parts)
            del parts  # the blocks' column ``name`` is freed before the next one is copied
        if unweighted:
            weights = np.ones((n, 1))
        else:
            weights = np.array(self.weights, dtype=np.float64)
        numbers = np.array(self.numbers, dtype=np.int64)
        self.counts, self.weights, self.numbers = [], [], []
        return EventBatch(
            particles=make_particles(counts, columns),
            weights=weights,
            weight_names=names,
            event_numbers=numbers,
            source=source,
            index=index,
            first_event=self.first_event,
            xsec_pb=None if xsec is None else xsec[0],
            xsec_err_pb=None if xsec is None else xsec[1],
            meta={"format": fmt, "unweighted": unweighted},
        )


def _place(info: FileInfo, event: EventText) -> str:
    where = "uncompressed byte" if info.compression != "none" else "byte"
    return f"event {event.ordinal} (line {event.line}, {where} {event.offset})"


class EventStream:
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
        if reader not in READERS:
            raise ValueError(f"unknown reader {reader!r}; use one of {', '.join(READERS)}")
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
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
        #: events delivered so far in batches, over all files
        self.events_read = 0
        self._batches = 0
        self._it = self._generate()

    def __iter__(self) -> EventStream:
        return self

    def __next__(self) -> EventBatch:
        return next(self._it)

    def close(self) -> None:
        self._it.close()

    def _generate(self) -> Generator[EventBatch, None, None]:
        to_skip = self.skip
        for info in self.infos:
            report = ReadReport(info.path, info.size_bytes, info.format, info.compression)
            if self.reader == "fast" and info.format == HEPMC3:
                report.reader = "fast"
            self.reports.append(report)
            to_skip = yield from self._read_file(info, report, to_skip)
            if self.max_events is not None and self.events_read >= self.max_events:
                return

    def _read_file(
        self, info: FileInfo, report: ReadReport, to_skip: int
    ) -> Generator[EventBatch, None, int]:
        builder = _BatchBuilder()
        n_weights: int | None = None
        names: tuple[str, ...] = ()
        xsec: tuple[float, float] | None = None
        error: InputError | None = None
        last: EventText | None = None

        def flush() -> EventBatch:
            batch = builder.build(
                source=info.path, index=self._batches, names=names,
                unweighted=n_weights == 0, fmt=info.format, xsec=xsec,
            )  # fmt: skip
            self._batches += 1
            self.events_read += len(batch)
            report.n_events_read += len(batch)
            return batch

        budget = None if self.max_events is None else self.max_events - self.events_read
        taken = 0
        stream = open_decompressed(Path(info.path), info.compression)
        try:
            events = _with_columns(
                split_events(stream), info, report,
                fast=report.reader == "fast", skip=to_skip, budget=budget,
            )  # fmt: skip
            while True:
                if budget is not None and taken >= budget:
                    break
                try:
                    item = next(events)
                except StopIteration:
                    report.complete = True
                    break
                except _DECOMPRESSION_ERRORS as exc:
                    at = "" if last is None else f" after {_place(info, last)}"
                    error = InputError(
                        f"{info.path}: {info.compression} stream is corrupt or cut{at}: {exc}; "
                        f"the file was probably damaged while copying; re-copy it or pass "
                        f"--max-events {self.events_read + len(builder)}",
                        events_read=self.events_read,
                    )
                    break
                if isinstance(item, StrayText):
                    error = InputError(
                        f"{info.path}: unexpected text after the END_EVENT_LISTING line at line "
                        f"{item.line} ({item.data[:40]!r}); remove it or re-create the file",
                        events_read=self.events_read,
                    )
                    break
                event, columns = item
                last = event
                if columns is None:
                    to_skip -= 1
                    report.n_skipped += 1
                    continue
                try:
                    cols = columns()
                    if n_weights is None:
                        n_weights = len(cols.weights)
                        names = cols.weight_names or tuple(f"w{i}" for i in range(n_weights))
                        names = names if n_weights else ("unit",)
                        report.weight_names = names
                    elif len(cols.weights) != n_weights:
                        raise EventProblem(
                            f"has {len(cols.weights)} weights but the file's first event has "
                            f"{n_weights}; the file mixes runs with different weight sets"
                        )
                except EventProblem as problem:
                    message = self._message(info, event, problem, len(builder))
                    if self.skip_bad_events:
                        report.n_bad_skipped += 1
                        report.bad_event_messages.append(message)
                        warnings.warn(message, stacklevel=2)
                        continue
                    error = InputError(message, events_read=self.events_read)
                    break
                if cols.xsec is not None:
                    xsec = cols.xsec
                    report.xsec_pb, report.xsec_err_pb = xsec
                builder.add(cols, event.ordinal - 1)
                taken += 1
                if len(builder) >= self.batch_size:
                    yield flush()
        finally:
            stream.close()
        if len(builder):
            yield flush()
        if error is not None:
            error.events_read = self.events_read
            raise error
        if report.complete and report.n_events_read + report.n_skipped + report.n_bad_skipped == 0:
            if last is None:
                raise InputError(
                    f"{info.path}: holds a HepMC header but no events ({info.size_bytes} bytes); "
                    "the generator probably produced no events; regenerate it or drop it",
                    events_read=self.events_read,
                )
        return to_skip

    def _message(
        self, info: FileInfo, event: EventText, problem: EventProblem, pending: int
    ) -> str:
        keep = self.events_read + pending
        number = event.data[: event.data.find(b"\n")].split()[1:2]
        number_text = f", event number {number[0].decode(errors='replace')}" if number else ""
        where = "uncompressed byte" if info.compression != "none" else "byte"
        line = problem.line or event.line
        if problem.truncated:
            return (
                f"{info.path}: truncated at {where} {event.offset + len(event.data)} inside "
                f"event {event.ordinal} (line {line}{number_text}): {problem}; the file was "
                f"probably cut while copying or its job was killed; re-copy it or pass "
                f"--max-events {keep}"
            )
        return (
            f"{info.path}: event {event.ordinal} (line {line}, {where} {event.offset}"
            f"{number_text}) is broken: {problem}; regenerate or re-copy the file, pass "
            f"--skip-bad-events to skip broken events, or --max-events {keep} to stop before it"
        )


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
