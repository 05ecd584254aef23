"""A parsed pyhepmc event -> the flat numpy columns of the batch, without a per-particle loop.

``GenEvent.write_data`` hands over the particle table as one structured array and the graph as
two link arrays, from which the first mother of every particle is found with numpy alone.
Momenta are converted to GeV and checked finite here, the weights (see
:mod:`hepreint.io.weights`) and the cross-section (see :mod:`hepreint.io.xsec`) read.  The
result type, :class:`EventColumns`, is shared with the fast reader.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pyhepmc

from hepreint.io.checks import EventProblem, event_number
from hepreint.io.detect import HEPMC3
from hepreint.io.split import EventText
from hepreint.io.vet import bad_momenta, event_notes, momentum_problem
from hepreint.io.weights import check_weights
from hepreint.io.xsec import xsec_hepmc2, xsec_hepmc3

_MEV = pyhepmc.Units.MEV

#: momentum-like fields of GenEventData's particle table, contiguous float64 from "mass" on
_FLOAT_FIELDS = ("mass", "px", "py", "pz", "e")


@dataclass(frozen=True, slots=True)
class EventColumns:
    """Flat columns of one event (GeV), in the dtypes of the batch, ready to be concatenated.

    ``columns`` maps every name of :data:`hepreint.events.batch.PARTICLE_FIELDS` to a 1-d array:
    px, py, pz, E, m float64 (``m`` already the on-shell mass where the record stores none),
    pid, status int32, parent int32 (index of the first mother within the event, -1 if none).
    The arrays may be views into the columns of a whole block of events (fast reader).
    """

    columns: dict[str, np.ndarray]
    weights: list[float]
    weight_names: tuple[str, ...] | None
    event_number: int
    xsec: tuple[float, float] | None
    #: what is unusual but kept (:mod:`hepreint.io.vet`): the read loop makes them warnings
    notes: tuple[str, ...] = ()

    @property
    def n_particles(self) -> int:
        return len(self.columns["pid"])


def first_mothers(n: int, n_vertices: int, links1: np.ndarray, links2: np.ndarray) -> np.ndarray:
    """Index of the first incoming particle of each particle's production vertex, or -1.

    In ``GenEventData`` links, positive ids are particles (1-based), negative ids vertices;
    particle->vertex means "enters", vertex->particle means "produced at". ``write_data`` lists
    each vertex's incoming particles in their order, so the first link into a vertex is its first
    mother.
    """
    parent = np.full(n, -1, dtype=np.int32)
    if len(links1) == 0:
        return parent
    into = (links1 > 0) & (links2 < 0)
    vertex_in = -links2[into] - 1
    particle_in = links1[into] - 1
    first = np.full(n_vertices, -1, dtype=np.int32)
    uniq, at = np.unique(vertex_in, return_index=True)
    first[uniq] = particle_in[at]
    out = (links1 < 0) & (links2 > 0)
    parent[links2[out] - 1] = first[-links1[out] - 1]
    return parent


def _float_view(table: np.ndarray) -> np.ndarray:
    """(n, 5) float64 view of mass, px, py, pz, e of the particle table (no copy)."""
    fields = table.dtype.fields
    assert fields is not None  # a structured particle table
    offset = fields["mass"][1]
    return np.ndarray(
        (len(table), len(_FLOAT_FIELDS)),
        dtype=np.float64,
        buffer=table,
        offset=offset,
        strides=(table.dtype.itemsize, 8),
    )


def nonfinite_problem(
    i: int, pid: int, values: Iterable[float], line: int | None = None
) -> EventProblem:
    """Particle ``i`` has NaN/inf among ``values`` (mass, px, py, pz, e), on file ``line``."""
    shown = ", ".join(f"{k}={v}" for k, v in zip(_FLOAT_FIELDS, values, strict=True))
    return EventProblem(
        f"particle {i} (pid {pid}) has a non-finite momentum ({shown}); the generator wrote "
        "NaN/inf",
        line=line,
    )


def particle_line(event: EventText, i: int, pid: int) -> int | None:
    """File line of the ``i``-th particle of a pyhepmc event: its ``i``-th P line, if that
    line's id field says ``pid`` (else unknown: the E line is named)."""
    c = event.census
    rows = np.flatnonzero(c.heads == ord("P"))
    if i >= len(rows):
        return None
    at = int(c.starts[rows[i]])
    fields = event.data[at : at + 200].split(maxsplit=4)
    k = 3 if event.fmt == HEPMC3 else 2
    try:
        ok = int(fields[k]) == pid
    except (IndexError, ValueError):
        ok = False
    return event.line + int(rows[i]) if ok else None


def to_columns(evt: pyhepmc.GenEvent, data: pyhepmc.GenEventData, event: EventText) -> EventColumns:
    """Convert a parsed event to GeV columns; raise EventProblem on non-finite momenta."""
    table = np.asarray(data.particles)
    if len(table):
        floats = _float_view(table)
        if evt.momentum_unit == _MEV:
            table = table.copy()
            floats = _float_view(table)
            floats /= 1000.0
        finite = np.isfinite(floats)
        if not finite.all():
            i = int(np.flatnonzero(~finite.all(axis=1))[0])
            pid = int(table["pid"][i])
            raise nonfinite_problem(i, pid, floats[i], particle_line(event, i, pid))
    links1 = np.asarray(data.links1)
    links2 = np.asarray(data.links2)
    parent = first_mothers(len(table), len(data.vertices), links1, links2)
    columns = table_columns(table, parent)
    p4 = [columns[k] for k in ("px", "py", "pz", "E")]
    bad = np.flatnonzero(bad_momenta(p4[0], p4[1], p4[2], p4[3], columns["status"]))
    if len(bad):
        i = int(bad[0])
        pid, status = int(columns["pid"][i]), int(columns["status"][i])
        row = (float(p4[0][i]), float(p4[1][i]), float(p4[2][i]), float(p4[3][i]))
        raise momentum_problem(i, pid, status, row, particle_line(event, i, pid))
    weights = list(evt.weights)
    run_info = evt.run_info
    names = None
    if run_info is not None and weights:
        names = tuple(run_info.weight_names) or None
    check_weights(event, weights, names)
    xsec = xsec_hepmc3(event) if event.fmt == HEPMC3 else xsec_hepmc2(evt)
    notes = event_notes(columns["pid"])
    return EventColumns(columns, weights, names, event_number(event), xsec, notes)


def table_columns(table: np.ndarray, parent: np.ndarray) -> dict[str, np.ndarray]:
    """Batch columns of a GenEventData particle table (momenta already in GeV)."""
    px, py, pz, energy = (np.ascontiguousarray(table[k]) for k in ("px", "py", "pz", "e"))
    mass = np.ascontiguousarray(table["mass"])
    is_set = table["is_mass_set"]
    if not is_set.all():
        # a record without a stored mass gets the on-shell one from its four-momentum
        computed = np.sqrt(np.maximum(energy**2 - px**2 - py**2 - pz**2, 0.0))
        mass = np.where(is_set, mass, computed)
    return {
        "px": px, "py": py, "pz": pz, "E": energy, "m": mass,
        "pid": table["pid"].astype(np.int32), "status": table["status"].astype(np.int32),
        "parent": parent.astype(np.int32, copy=False),
    }  # fmt: skip
