"""Per-event columns -> :class:`EventBatch`, and the per-file :class:`ReadReport`.

Shared by the serial stream (:mod:`.stream`) and the share reader (:mod:`.shares`) so that a
batch carries the same ``file_id`` and ``offsets`` whichever of them read the event: random
draws are keyed on these (:mod:`hepreint.events.random`), so they must not depend on the way
the file was read, nor on the batch size.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from hepreint.events.batch import PARTICLE_FIELDS, EventBatch, make_particles
from hepreint.io.columns import EventColumns


@dataclass
class ReadReport:
    """What was read from one file (or one share of it); filled while reading, for provenance
    and for the log. Reports of the shares of a file add up to the serial report
    (:func:`hepreint.io.shares.merge_reports`)."""

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
    #: what was kept but looks wrong (:mod:`hepreint.io.vet`), one line each naming the file:
    #: unknown particle ids, empty events, event numbers that go back
    warnings: list[str] = field(default_factory=list)
    #: the file (share) was read to its end (False when stopped by max_events or an error)
    complete: bool = False
    weight_names: tuple[str, ...] = ()
    xsec_pb: float | None = None
    xsec_err_pb: float | None = None
    #: decompressed offset of the event that gave ``xsec_pb`` (-1: none): of the reports of a
    #: file's shares, the one with the largest offset holds the file's last cross-section
    xsec_offset: int = -1
    #: the reader that read this file ("fast" falls back to "pyhepmc" for non-HepMC3 files)
    reader: str = "pyhepmc"
    #: events the fast reader handed to pyhepmc (unusual layout, or broken: pyhepmc's message)
    n_fast_fallback: int = 0


class BatchBuilder:
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
        self.offsets: list[int] = []
        self.first_event = 0

    def __len__(self) -> int:
        return len(self.counts)

    def add(self, cols: EventColumns, position: int, offset: int) -> None:
        """``position``: 0-based index in the file (-1 unknown); ``offset``: of its E line."""
        if not self.counts:
            self.first_event = position
        for name, part in self.parts.items():
            part.append(cols.columns[name])
        self.counts.append(cols.n_particles)
        self.weights.append(cols.weights)
        self.numbers.append(cols.event_number)
        self.offsets.append(offset)

    def build(
        self, *, source: str, index: int, names: tuple[str, ...], unweighted: bool,
        fmt: str, xsec: tuple[float, float] | None, file_id: int,
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
        offsets = np.array(self.offsets, dtype=np.int64)
        self.counts, self.weights, self.numbers, self.offsets = [], [], [], []
        return EventBatch(
            particles=make_particles(counts, columns),
            weights=weights,
            weight_names=names,
            event_numbers=numbers,
            source=source,
            index=index,
            first_event=self.first_event,
            file_id=file_id,
            offsets=offsets,
            xsec_pb=None if xsec is None else xsec[0],
            xsec_err_pb=None if xsec is None else xsec[1],
            meta={"format": fmt, "unweighted": unweighted},
        )
