"""Events for a user's Python session: particles with scikit-hep ``vector`` behaviour.

The engine reads plain records (``px py pz E m pid status parent``) and computes kinematics
itself; a user exploring a file wants ``particles.pt``, ``.eta``, ``.deltaR(...)`` directly.
``vector`` accepts one temporal coordinate per record, so the vector view keeps the stored mass
``m`` and moves the file's energy to ``generated_E``: ``.E`` is then vector's sqrt(p² + m²),
which has no cancellation. The other way round, sqrt(E² − p²) from a file's printed digits loses
the mass of light energetic particles (GeV off for a pion of a few TeV; 0 for the beams).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path

import awkward as ak
import vector

from hepreint.events.batch import EventBatch
from hepreint.io.stream import EventStream

vector.register_awkward()


def with_vector(batch: EventBatch) -> EventBatch:
    """``batch`` with its particles as ``Momentum4D`` records (same events, same order)."""
    p = batch.particles
    fields = {name: p[name] for name in ("px", "py", "pz", "m", "pid", "status", "parent")}
    fields["generated_E"] = p["E"]
    return dataclasses.replace(batch, particles=ak.zip(fields, with_name="Momentum4D"))


class VectorEventStream(EventStream):
    """:class:`EventStream` whose batches carry ``vector`` particles (``reports`` etc. as is)."""

    def __next__(self) -> EventBatch:
        return with_vector(super().__next__())


def read_events(
    paths: Sequence[str | Path],
    *,
    batch_size: int = 2000,
    max_events: int | None = None,
    skip: int = 0,
    skip_bad_events: bool = False,
    reader: str = "pyhepmc",
    vector: bool = True,
) -> EventStream:
    """Stream ``paths`` as :class:`EventBatch` objects, particles as ``vector`` 4-momenta.

    ``vector=False`` gives the engine's plain records (with the stored mass ``m``).
    """
    cls = VectorEventStream if vector else EventStream
    return cls(
        paths,
        batch_size=batch_size,
        max_events=max_events,
        skip=skip,
        skip_bad_events=skip_bad_events,
        reader=reader,
    )
