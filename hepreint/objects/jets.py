"""Truth jets: anti-kt clustering of visible final-state particles with fastjet.

ATLAS truth jets are anti-kt R = 0.4 jets (Cacciari, Salam, Soyez, JHEP 04 (2008) 063) of
stable visible particles (neutrinos and other invisibles excluded; ATL-PHYS-PUB-2015-013).
The whole batch goes through fastjet's multi-event awkward interface in one call.
"""

from __future__ import annotations

import awkward as ak
import fastjet
import numpy as np

from hepreint.errors import SpecError
from hepreint.objects._columnar import (
    P4_FIELDS,
    flat,
    jagged,
    momentum_columns,
    offsets_of,
    sort_and_cut,
)

ALGORITHMS = {
    "antikt": fastjet.antikt_algorithm,
    "kt": fastjet.kt_algorithm,
    "cambridge": fastjet.cambridge_algorithm,
    "ca": fastjet.cambridge_algorithm,
}


def jet_inputs(truth: ak.Array, *, exclude: ak.Array | None = None) -> ak.Array:
    """Visible final particles, minus ``exclude`` (jagged bool mask over ``truth``, e.g.
    :func:`~hepreint.objects.leptons.lepton_particle_mask`)."""
    keep = truth.visible
    if exclude is not None:
        keep = keep & ~exclude
    return truth[keep]


def packed_momenta(offsets: np.ndarray, columns: dict[str, np.ndarray]) -> ak.Array:
    """A clean ListOffsetArray of Momentum4D (float64 px, py, pz, E) for fastjet, which reads
    the raw buffers and starts/stops directly."""
    return jagged(
        {f: np.ascontiguousarray(columns[f], dtype=np.float64) for f in P4_FIELDS},
        offsets,
        with_name="Momentum4D",
    )


def jet_definition(algorithm: str, R: float) -> fastjet.JetDefinition:
    try:
        algo = ALGORITHMS[algorithm]
    except KeyError:
        raise SpecError(
            f"unknown jet algorithm {algorithm!r}; choose one of {sorted(ALGORITHMS)}"
        ) from None
    return fastjet.JetDefinition(algo, float(R))


def cluster(
    offsets: np.ndarray,
    columns: dict[str, np.ndarray],
    jetdef: fastjet.JetDefinition,
    pt_min: float,
    *,
    constituents: bool = False,
) -> tuple[ak.Array, ak.Array | None]:
    """Cluster every event (one multi-event fastjet call): jets (fastjet order) and, if asked,
    the per-jet constituent indices into each event's input list."""
    # fastjet's multi-event path handles 0 events and empty events when the layout is typed
    cs = fastjet.ClusterSequence(packed_momenta(offsets, columns), jetdef)
    found = cs.inclusive_jets(pt_min)
    index = cs.constituent_index(pt_min) if constituents else None
    return found, index


def jets(
    particles_in: ak.Array,
    *,
    R: float = 0.4,
    algorithm: str = "antikt",
    pt_min: float = 20.0,
    abs_eta_max: float = float("inf"),
    with_constituents: bool = False,
) -> ak.Array:
    """Jets of ``particles_in`` (pT-ordered): Momentum4D + ``n_constituents``; with
    ``with_constituents`` also ``constituents`` = indices into each event's ``particles_in``."""
    offsets = offsets_of(particles_in)
    found, index = cluster(
        offsets,
        momentum_columns(particles_in),
        jet_definition(algorithm, R),
        pt_min,
        constituents=True,
    )
    cols: dict[str, np.ndarray | ak.contents.Content] = {
        f: flat(found, f, np.float64) for f in P4_FIELDS
    }
    jet_off = offsets_of(found)
    assert index is not None
    per_jet = ak.flatten(index, axis=1)
    cols["n_constituents"] = np.asarray(ak.to_numpy(ak.num(per_jet, axis=1)), np.int64)
    if with_constituents:
        cols["constituents"] = per_jet.layout
    out = jagged(cols, jet_off, with_name="Momentum4D")
    return sort_and_cut(out, pt_min, abs_eta_max)
