"""Hand-built event batches for tests and examples (not used by the analysis path).

A particle is given as ``(pid, status, parent, pt, eta, phi[, m])``; momenta are converted with
vector so tests state physics in the analysts' coordinates.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import vector

from hepreint.batch import EventBatch, make_particles

Row = tuple[float, ...]


def particle_batch(events: Sequence[Sequence[Row]]) -> EventBatch:
    """An :class:`EventBatch` (unit weights) from per-event particle rows."""
    rows = [tuple(r) + (0.0,) * (7 - len(r)) for event in events for r in event]
    table = np.array(rows, dtype=np.float64).reshape(-1, 7)
    mom = vector.array(
        {"pt": table[:, 3], "eta": table[:, 4], "phi": table[:, 5], "mass": table[:, 6]}
    )
    columns = {
        "px": np.asarray(mom.px, np.float64),
        "py": np.asarray(mom.py, np.float64),
        "pz": np.asarray(mom.pz, np.float64),
        "E": np.asarray(mom.E, np.float64),
        "m": table[:, 6].copy(),
        "pid": table[:, 0].astype(np.int64),
        "status": table[:, 1].astype(np.int32),
        "parent": table[:, 2].astype(np.int64),
    }
    counts = np.array([len(e) for e in events], dtype=np.int64)
    n = len(events)
    return EventBatch(
        particles=make_particles(counts, columns),
        weights=np.ones((n, 1)),
        weight_names=("nominal",),
        event_numbers=np.arange(n),
    )


def random_batch(
    n_events: int, n_particles: int, *, seed: int = 1, pt_scale: float = 5.0
) -> EventBatch:
    """Seeded random events of massless final-state pions, photons and a few neutrinos, with
    random earlier-particle parents (a forest), for benchmarks and fastjet cross-checks."""
    rng = np.random.default_rng(seed)
    counts = rng.poisson(n_particles, n_events).astype(np.int64)
    total = int(counts.sum())
    offsets = np.zeros(n_events + 1, np.int64)
    np.cumsum(counts, out=offsets[1:])
    local = np.arange(total) - np.repeat(offsets[:-1], counts)
    parent = np.where(local > 0, (rng.random(total) * np.maximum(local, 1)).astype(np.int64), -1)
    pid = rng.choice(np.array([211, -211, 111, 22, 22, 2212, 12, 11, 13, 511, 421]), total)
    status = np.where(np.isin(pid, (111, 511, 421)), 2, 1)
    pt = rng.exponential(pt_scale, total) + 0.1
    mom = vector.array(
        {
            "pt": pt,
            "eta": rng.uniform(-4.5, 4.5, total),
            "phi": rng.uniform(-np.pi, np.pi, total),
            "mass": np.zeros(total),
        }
    )
    columns = {
        "px": np.asarray(mom.px, np.float64),
        "py": np.asarray(mom.py, np.float64),
        "pz": np.asarray(mom.pz, np.float64),
        "E": np.asarray(mom.E, np.float64),
        "m": np.zeros(total),
        "pid": pid.astype(np.int64),
        "status": status.astype(np.int32),
        "parent": parent,
    }
    return EventBatch(
        particles=make_particles(counts, columns),
        weights=np.ones((n_events, 1)),
        weight_names=("nominal",),
        event_numbers=np.arange(n_events),
    )
