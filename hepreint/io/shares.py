"""Parallel reading: the client plans *shares* of the input, each worker reads its own.

Reading is most of a run, so shipping parsed batches from one reading process to workers
does not scale. Instead the client only plans (:func:`plan_shares`: file checks, a few seeks,
no parsing) and every worker opens the file itself and reads one :class:`Share`
(:func:`read_share`). The events of all shares are exactly the serial stream's events, each
once, with the same columns, ``file_id`` and ``offsets`` (what random draws are keyed on), so
a run gives the same numbers with any number of workers.

How a file is shared:

* uncompressed: byte ranges ``[start, stop)`` cut at ``E`` lines; an event belongs to the
  range that holds its ``E`` line. A worker seeks to ``start`` and splits until the first
  event at or after ``stop``, with the file's header (``FileInfo.header``) as run info.
* compressed (gzip/bzip2/zstd cannot seek): whole files when there are at least as many files
  as parts, else a stride: share ``k`` of ``K`` decompresses and splits the whole file but
  parses only events ``k, k+K, ...`` (the others cost a split, no census, no pyhepmc).

``--skip``/``--max-events`` count events over the concatenated files. Planning them exactly
costs a count of the events (split only, never parsed) of the files before the window's end:
memory speed for uncompressed files, decompression speed for compressed ones; a single
compressed file needs no count (its stride shares carry the window in event indices).

Limits: a file of several concatenated listings (``cat a.hepmc b.hepmc``) whose later headers
differ from the first is refused when read in byte ranges (a share starting after the second
header would use the first one); read it with one part. With ``skip_bad_events`` and
``--max-events``, the window is counted in events, broken ones included (the serial reader
reads on to replace them).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from hepreint.errors import InputError
from hepreint.events.batch import EventBatch
from hepreint.io.assemble import ReadReport
from hepreint.io.checks import EventProblem
from hepreint.io.cuts import event_before, event_offsets, next_event_at
from hepreint.io.delphes import entry_ranges, inspect_file, read_entries
from hepreint.io.detect import FileInfo, file_identity, open_decompressed, scan_file
from hepreint.io.places import Places
from hepreint.io.sequence import merge_warnings
from hepreint.io.split import EventText, StrayText, census, split_events
from hepreint.io.stream import (
    BatchIterator,
    RunCount,
    Selection,
    _pyhepmc_columns,
    check_options,
    new_report,
    read_file,
)

__all__ = ["Share", "ShareStream", "file_identity", "merge_reports", "plan_shares", "read_share"]

#: byte-range shares per worker: several, so that a worker finishing early takes another
SHARES_PER_WORKER = 3
#: no byte range smaller than this (a share has a fixed cost: open, scan the header)
MIN_SHARE_BYTES = 256 << 10
#: no entry range of a Delphes file smaller than this (each share opens the file with uproot)
MIN_SHARE_ENTRIES = 100


@dataclass(frozen=True)
class Share:
    """One worker's part of one file: small and picklable (no event data, no header)."""

    path: str
    #: this is part ``part`` (0-based) of the ``n_parts`` parts of the file
    part: int
    n_parts: int
    #: "bytes": events whose E line is in ``[start, stop)``; "events": events of index
    #: ``first + part``, ``first + part + n_parts``, ... before ``last`` (compressed files)
    kind: str
    #: size and identity at planning time: a worker refuses a file changed since
    size_bytes: int
    file_id: int
    start: int = 0
    stop: int | None = None
    first: int = 0
    last: int | None = None
    #: byte offset of the window's first event (0: the file's first): the reference of the
    #: file's weight count (the serial reader compares with the first event it reads)
    origin: int = 0
    #: events of the file passed over by ``--skip`` that this share reports (byte ranges: the
    #: first share of the file; "events" shares count them while reading)
    n_skipped: int = 0
    #: the share ends where ``--max-events`` ends the run (its report is incomplete)
    limited: bool = False
    #: position in the run (after ``--skip``) of the file's first event; None: not counted
    run_base: int | None = 0

    @property
    def empty(self) -> bool:
        """Nothing to read (a file wholly passed over by ``--skip``): only a report."""
        if self.kind == "bytes":
            return self.stop is not None and self.start >= self.stop
        return self.last is not None and self.last <= self.first


@dataclass
class _Window:
    info: FileInfo
    first: int = 0
    last: int | None = None
    lo: int = 0  # byte offsets of the window (uncompressed files)
    hi: int | None = None
    n_skipped: int = 0
    limited: bool = False
    run_base: int | None = 0
    empty: bool = False


def _windows(infos: list[FileInfo], skip: int, max_events: int | None) -> list[_Window]:
    """The part of each file in the run's ``--skip``/``--max-events`` window; counts events
    (no parsing) only where the window's place cannot be known otherwise."""
    if not skip and max_events is None:
        return [_Window(info, run_base=0 if j == 0 else None) for j, info in enumerate(infos)]
    end = None if max_events is None else skip + max_events
    out: list[_Window] = []
    before: int | None = 0  # events of the files before
    for j, info in enumerate(infos):
        if j and end is not None and before is not None and before >= end:
            break
        w = _Window(info, run_base=None if before is None else before - skip)
        if before is not None:
            w.first = max(0, skip - before)
            w.last = None if end is None else end - before
        plain = info.compression == "none"
        if before is None or (not plain and j == len(infos) - 1):
            out.append(w)  # no count needed: the window is known in event indices
            before = None
            continue
        upto = (w.last if w.last is not None else w.first) + 1
        offsets = (
            event_offsets(info, upto) if info.entries is None else range(min(upto, info.entries))
        )
        n = len(offsets)
        w.n_skipped = min(n, w.first)
        w.empty = n <= w.first or w.last == w.first
        w.lo = int(offsets[w.first]) if 0 < w.first < n else 0
        if w.last is not None and n >= w.last:
            w.limited = True
            w.hi = int(offsets[w.last]) if n > w.last else None
        out.append(w)
        if w.limited:
            break  # the run ends in this file
        before = before + n if n < upto else None  # None: the skip ended in this file
    return out


def _byte_cuts(w: _Window, parts: int) -> list[int]:
    """Starts of ``parts`` byte ranges of the window, at E lines, none empty (fewer if the
    events are too few)."""
    info = w.info
    hi = info.size_bytes if w.hi is None else w.hi
    cuts = [w.lo]
    prev = w.lo or len(info.header)  # the first range holds at least the first event
    for k in range(1, parts):
        target = w.lo + (hi - w.lo) * k // parts
        cut = next_event_at(info.path, max(target, prev + 1), w.hi)
        if cut is None:
            break
        if cut > prev:
            cuts.append(cut)
            prev = cut
    return cuts


def plan_shares(
    paths: Sequence[str | Path], n_parts: int, *, skip: int = 0, max_events: int | None = None
) -> list[Share]:
    """Shares for ``n_parts`` workers, in file order (and, within a file, in event order).

    Many files: one share per file. Otherwise uncompressed files are cut into byte ranges
    (about :data:`SHARES_PER_WORKER` per worker over the run, for load balance) and a
    compressed file into ``ceil(n_parts / n_files)`` strides. Cost: the checks of
    :func:`scan_file` (first MiB of every file), one seek per cut, and with ``skip`` or
    ``max_events`` a count of events up to the window's end (see the module docstring).
    """
    if n_parts < 1:
        raise ValueError(f"n_parts must be >= 1, got {n_parts}")
    if skip < 0 or (max_events is not None and max_events < 0):
        raise ValueError("skip and max_events must be >= 0")
    if isinstance(paths, str | Path):
        paths = [paths]
    infos = [scan_file(p) for p in paths]
    if max_events == 0:  # the serial reader opens the first file and stops at once
        info = infos[0]
        kind = "bytes" if info.compression == "none" else "events"
        return [
            Share(
                info.path,
                0,
                1,
                kind,
                info.size_bytes,
                info.identity,
                stop=0,
                last=0,
                limited=True,
                run_base=-skip,
            )  # fmt: skip
        ]
    windows = _windows(infos, skip, max_events)
    n_files = len(windows)
    whole = n_parts == 1 or n_files >= n_parts * SHARES_PER_WORKER
    sizes = [(w.hi or w.info.size_bytes) - w.lo for w in windows if w.info.compression == "none"]
    target = max(MIN_SHARE_BYTES, sum(sizes) // (n_parts * SHARES_PER_WORKER) + 1)
    shares: list[Share] = []
    for w in windows:
        info = w.info
        common: dict[str, Any] = dict(
            path=info.path, size_bytes=info.size_bytes, file_id=info.identity,
            run_base=w.run_base,
        )  # fmt: skip
        if info.entries is not None:  # a Delphes file: entry ranges
            hi = info.entries if w.hi is None else w.hi
            parts = 1 if whole or w.empty else n_parts * SHARES_PER_WORKER // n_files
            lo = hi if w.empty else w.lo
            ranges = entry_ranges(lo, hi, min(parts, (hi - lo) // MIN_SHARE_ENTRIES))
            for k, (a, b) in enumerate(ranges):
                last = k == len(ranges) - 1
                shares.append(Share(
                    part=k, n_parts=len(ranges), kind="entries", first=a, last=b,
                    n_skipped=w.n_skipped if k == 0 else 0, limited=w.limited and last, **common,
                ))  # fmt: skip
            continue
        if info.compression == "none":
            span = (w.hi or info.size_bytes) - w.lo
            parts = 1 if whole or w.empty else max(1, math.ceil(span / target))
            cuts = [w.lo] if parts == 1 else _byte_cuts(w, parts)
            if w.empty:
                cuts, w.hi = [info.size_bytes], info.size_bytes
            stops = [*cuts[1:], w.hi]
            for k, (start, stop) in enumerate(zip(cuts, stops, strict=True)):
                shares.append(
                    Share(
                        part=k,
                        n_parts=len(cuts),
                        kind="bytes",
                        start=start,
                        stop=stop,
                        origin=w.lo,
                        n_skipped=w.n_skipped if k == 0 else 0,
                        limited=w.limited and k == len(cuts) - 1,
                        **common,
                    )  # fmt: skip
                )
            continue
        strides = 1 if whole or w.empty or n_files >= n_parts else math.ceil(n_parts / n_files)
        for k in range(strides):
            shares.append(
                Share(
                    part=k,
                    n_parts=strides,
                    kind="events",
                    first=w.first,
                    last=w.first if w.empty else w.last,
                    n_skipped=w.n_skipped if w.empty else 0,
                    limited=w.limited,
                    **common,
                )  # fmt: skip
            )
    return shares


def _event_at(info: FileInfo, offset: int) -> EventText | None:
    """The event whose E line is at ``offset`` (0: the file's first) of an uncompressed file."""
    with Path(info.path).open("rb") as f:
        f.seek(offset)
        kw: dict[str, Any] = (
            {"start": offset, "header": info.header, "fmt": info.format} if offset else {}
        )
        for item in split_events(f, **kw):
            return item if isinstance(item, EventText) else None
    return None


def _reference_weights(
    info: FileInfo, share: Share
) -> Callable[[EventText, EventText | None], int | None]:
    """The weight count of the first event of the file's window, for a share that does not
    parse it (``None``: this share parses it, or it is broken: then its own first counts)."""

    def weights(parsed: EventText, seen: EventText | None) -> int | None:
        if share.kind == "events":
            event = seen
        elif parsed.offset == (share.origin or len(info.header)):
            event = None
        else:
            event = _event_at(info, share.origin)
        if event is None:
            return None
        try:
            return len(_pyhepmc_columns(info, replace(event, census=census(event.data))).weights)
        except EventProblem:
            return None

    return weights


class ShareStream(BatchIterator):
    """Iterator over the :class:`EventBatch` of one share, with ``reports`` (one, for the
    share's file) filled as it goes; see :func:`merge_reports` to add up a file's shares."""

    def __init__(
        self, share: Share, *, batch_size: int, skip_bad_events: bool, reader: str
    ) -> None:
        check_options(reader, batch_size)
        self.share = share
        self.info = info = scan_file(share.path)
        if (info.size_bytes, info.identity) != (share.size_bytes, share.file_id):
            raise InputError(
                f"{info.path}: changed since the run was planned ({share.size_bytes} -> "
                f"{info.size_bytes} bytes, or new content); do not modify inputs during a run"
            )
        self.batch_size = batch_size
        self.skip_bad_events = skip_bad_events
        self.report = new_report(info, reader)
        self.reports: list[ReadReport] = [self.report]
        self._run = RunCount()
        self._it = self._generate()

    def _generate(self) -> Generator[EventBatch, None, None]:
        share, info, report = self.share, self.info, self.report
        report.n_skipped = share.n_skipped
        if share.empty:
            report.complete = not share.limited
            return
        if share.kind == "entries":  # a Delphes file
            yield from read_entries(
                info.path, inspect_file(info.path), report, self._run, file_id=info.identity,
                first=share.first, stop=share.last, batch_size=self.batch_size,
                limited=share.limited, count_skipped=False,
            )  # fmt: skip
            return
        split: dict[str, Any] = {}
        before = None
        if share.kind == "bytes":
            stream = Path(info.path).open("rb")
            if share.start:
                stream.seek(share.start)
                if stream.read(2) != b"E ":
                    stream.close()
                    raise InputError(
                        f"{info.path}: no event starts at byte {share.start} as planned; the "
                        "file changed since the run was planned; re-run"
                    )
                stream.seek(share.start)
                split = {"start": share.start, "header": info.header, "fmt": info.format}
                before = event_before(info.path, share.start)
            split["stop"] = share.stop
            select = Selection(count_skipped=False, limited=share.limited)
        else:
            stream = open_decompressed(Path(info.path), info.compression)  # type: ignore[assignment]
            select = Selection(
                first=share.first, last=share.last, stride=share.n_parts, phase=share.part,
                count_skipped=share.part == 0, limited=share.limited,
            )  # fmt: skip
        yield from read_file(
            info, report, stream, places=Places(info, start=share.start, run_base=share.run_base),
            select=select, run=self._run, batch_size=self.batch_size,
            skip_bad_events=self.skip_bad_events, split=split, serial=False,
            reference_weights=_reference_weights(info, share),
            check_header=self._check_header if share.kind == "bytes" else None, before=before,
        )  # fmt: skip

    def _check_header(self, event: EventText | StrayText) -> None:
        """Refuse a second listing whose header differs while later shares of the file read
        with the first header (see the module docstring)."""
        info, share = self.info, self.share
        if (
            isinstance(event, EventText)
            and event.header is not info.header
            and event.header.strip() != info.header.strip()  # (blank lines between listings)
            and share.part < share.n_parts - 1
        ):
            raise InputError(
                f"{info.path}: a second event listing with a different header starts before "
                f"byte {event.offset} (concatenated files); it cannot be read in byte ranges; "
                "split it into its original files or read it with one worker"
            )


def read_share(
    share: Share, *, batch_size: int, skip_bad_events: bool = False, reader: str = "fast"
) -> ShareStream:
    """Read one share planned by :func:`plan_shares` (in a worker process)."""
    return ShareStream(share, batch_size=batch_size, skip_bad_events=skip_bad_events, reader=reader)


def merge_reports(reports: Sequence[ReadReport]) -> list[ReadReport]:
    """One report per file from the reports of its shares (any order): what the serial
    reader reports: counts added up, complete if every share was, the cross-section of the
    share whose event came last in the file."""
    merged: dict[str, ReadReport] = {}
    for r in reports:
        m = merged.get(r.path)
        if m is None:
            merged[r.path] = replace(r, bad_event_messages=list(r.bad_event_messages), warnings=[])
            merge_warnings(merged[r.path].warnings, r.warnings)
            continue
        merge_warnings(m.warnings, r.warnings)
        m.n_events_read += r.n_events_read
        m.n_skipped += r.n_skipped
        m.n_bad_skipped += r.n_bad_skipped
        m.n_fast_fallback += r.n_fast_fallback
        m.bad_event_messages += r.bad_event_messages
        m.complete = m.complete and r.complete
        m.weight_names = m.weight_names or r.weight_names
        if r.xsec_offset > m.xsec_offset:
            m.xsec_pb, m.xsec_err_pb, m.xsec_offset = r.xsec_pb, r.xsec_err_pb, r.xsec_offset
    return list(merged.values())
