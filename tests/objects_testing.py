"""Hand-built event batches for tests and examples (not used by the analysis path).

A particle is given as ``(pid, status, parent, pt, eta, phi[, m])``; momenta are converted with
vector so tests state physics in the analysts' coordinates.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import vector

from hepreint.events.batch import EventBatch, make_particles

Row = tuple[float, ...]

#: W -> e nu with FSR, a B -> mu decay, tau -> e nu nu, pi0 -> gamma and an LSP; rows are
#: (pid, status, parent, pt, eta, phi[, m]); the tests state what each object must be
W_EVENT: list[Row] = [
    (2212, 4, -1, 0.0, 10.0, 0.0, 0.938),  # 0 beam proton: a hadron, but not a decay
    (24, 22, 0, 5.0, 0.0, 0.0, 80.4),  # 1 W
    (11, 1, 1, 40.0, 0.5, 1.0),  # 2 prompt electron
    (12, 1, 1, 30.0, -0.5, -2.0),  # 3 neutrino
    (22, 1, 2, 5.0, 0.55, 1.03),  # 4 FSR photon, ΔR ≈ 0.06 from the electron
    (22, 1, 1, 3.0, 1.5, 1.0),  # 5 prompt photon far (ΔR = 1) from the electron
    (511, 2, 0, 20.0, 2.0, -1.0, 5.28),  # 6 B0 (child of the beam)
    (13, 1, 6, 8.0, 2.0, -1.0),  # 7 muon from B decay
    (15, 2, 1, 25.0, -1.0, 2.5, 1.777),  # 8 tau
    (11, 1, 8, 10.0, -1.0, 2.5),  # 9 electron from tau
    (16, 1, 8, 7.0, -1.0, 2.5),  # 10 tau neutrino
    (111, 2, 0, 12.0, 0.0, -2.5, 0.135),  # 11 pi0
    (22, 1, 11, 6.0, 0.0, -2.5),  # 12 photon from pi0
    (1000022, 1, 1, 50.0, 0.2, 0.3, 100.0),  # 13 neutralino
]


def particle_batch(events: Sequence[Sequence[Row]]) -> EventBatch:
    """An :class:`EventBatch` (unit weights) from per-event particle rows."""
    rows = [tuple(r) + (0.0,) * (7 - len(r)) for event in events for r in event]
    table = np.array(rows, dtype=np.float64).reshape(-1, 7)
    mom: Any = vector.array(
        {"pt": table[:, 3], "eta": table[:, 4], "phi": table[:, 5], "mass": table[:, 6]}
    )
    columns: dict[str, np.ndarray] = {
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
    mom: Any = vector.array(
        {
            "pt": pt,
            "eta": rng.uniform(-4.5, 4.5, total),
            "phi": rng.uniform(-np.pi, np.pi, total),
            "mass": np.zeros(total),
        }
    )
    columns: dict[str, np.ndarray] = {
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
