"""The unit of work that travels from readers to the analysis: a few thousand events, columnar.

A batch is immutable and self-describing so that a processor applied to it needs nothing else
(coffea's model). Each event carries where it came from (``file_id``, its byte ``offsets`` in the
decompressed file, its event number), which is what random draws are keyed on
(:mod:`hepreint.events.random`): never the batch, so batching and workers change no number.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import awkward as ak
import numpy as np

#: Fields every particle record carries, in this order (units: GeV; ``parent`` is an index).
PARTICLE_FIELDS: tuple[str, ...] = ("px", "py", "pz", "E", "m", "pid", "status", "parent")


@dataclass(frozen=True)
class EventBatch:
    """Columnar events.

    ``particles`` is jagged (one list per event) with :data:`PARTICLE_FIELDS`:
    momenta in GeV (readers convert MeV), ``pid`` the PDG code, ``status`` the generator status,
    ``parent`` the index *within the same event* of the first mother particle (-1 when the
    particle has no mother: beams, or particles of a HepMC record without vertices).
    One mother is enough for every ancestry question the analyses ask (is a lepton from a hadron
    or a tau? is a b-hadron the last of its chain?), and it keeps ancestry a plain integer column.

    ``weights`` has shape ``(n_events, len(weight_names))``; the first column is the nominal.
    ``xsec_pb``/``xsec_err_pb`` is the cross-section the file states (the last value seen, as
    generators refine it while running); ``None`` when the file has none.
    """

    particles: ak.Array
    weights: np.ndarray
    weight_names: tuple[str, ...]
    event_numbers: np.ndarray
    source: str = ""
    #: position of this batch in its stream (for messages only: no number depends on it)
    index: int = 0
    #: index of the first event of this batch within ``source`` (0-based), -1 if unknown (a
    #: worker reading a byte range of a file does not count the events before its range)
    first_event: int = 0
    #: 63-bit identity of the file's content (:func:`hepreint.io.detect.file_identity`): two
    #: files whose events are numbered alike still get different random draws
    file_id: int = 0
    #: decompressed byte offset of each event's first line in ``source`` (int64); ``None`` for
    #: batches made in memory, whose events are then placed by ``first_event + i``
    offsets: np.ndarray | None = None
    xsec_pb: float | None = None
    xsec_err_pb: float | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    #: collections already reconstructed by a fast simulation such as Delphes, keyed by object
    #: kind ("electron", "muon", "photon", "jet", "large_r_jet", "tau", "met"); ``None`` for
    #: generator-level events. With it, ``particles`` holds the file's generator record where
    #: it has one (Delphes' Particle branch), else an empty list per event, and
    #: ``meta["reconstructed"]`` names the simulation: the detector stage must not run twice.
    reco: dict[str, ak.Array] | None = None

    def __post_init__(self) -> None:
        n = len(self.particles)
        if self.weights.ndim != 2 or self.weights.shape[0] != n:
            raise ValueError(f"weights shape {self.weights.shape} does not match {n} events")
        if self.weights.shape[1] != len(self.weight_names):
            raise ValueError("weights columns and weight_names differ in length")
        if len(self.event_numbers) != n:
            raise ValueError("event_numbers length differs from the number of events")
        if self.offsets is not None and len(self.offsets) != n:
            raise ValueError("offsets length differs from the number of events")

    def __len__(self) -> int:
        return len(self.particles)

    @property
    def nominal_weight(self) -> np.ndarray:
        return np.asarray(self.weights[:, 0])

    @property
    def places(self) -> np.ndarray:
        """Where each event sits in its file: byte offsets, or positions for in-memory batches."""
        if self.offsets is not None:
            return np.asarray(self.offsets, dtype=np.int64)
        return np.arange(self.first_event, self.first_event + len(self), dtype=np.int64)


def make_particles(
    counts: np.ndarray,
    columns: dict[str, np.ndarray],
) -> ak.Array:
    """Build the jagged particle array from flat columns and per-event counts (zero-copy)."""
    missing = [f for f in PARTICLE_FIELDS if f not in columns]
    if missing:
        raise ValueError(f"particle columns missing: {missing}")
    offsets = np.zeros(len(counts) + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    content = ak.contents.RecordArray(
        [ak.contents.NumpyArray(np.asarray(columns[f])) for f in PARTICLE_FIELDS],
        list(PARTICLE_FIELDS),
    )
    layout = ak.contents.ListOffsetArray(ak.index.Index64(offsets), content)
    return ak.Array(layout)
