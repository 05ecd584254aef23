"""Truth flavour labels of jets and heavy-flavour counting in large-R jets.

Small-R jets: ATLAS cone labelling (arXiv:1907.05120 Sec. 2, "HadronConeExclTruthLabelID"):
a jet is b-labelled if a weakly decaying b-hadron with pT > 5 GeV lies within ΔR < 0.3 of the
jet axis; otherwise c-labelled for a weakly decaying c-hadron; otherwise τ-labelled (15) for a
τ lepton; otherwise light (0).  With ``exclusive=True`` (the ATLAS default) each hadron/τ is
given only to its closest jet.  The τ uses its *visible* momentum (τ minus its neutrino
children) for both the pT threshold and the direction, as it is the visible decay products
that end up in the jet.
"""

from __future__ import annotations

import awkward as ak
import numpy as np

from hepreint.objects._columnar import (
    P4_FIELDS,
    delta_r_nested,
    event_index,
    flat,
    jagged,
    jagged_values,
    offsets_of,
    selected_offsets,
    transverse_momentum,
)
from hepreint.objects.taus import visible_tau_columns


def _labelled_particles(truth: ak.Array, flag: str, pt_min: float) -> ak.Array:
    """Truth particles with ``flag`` and pT > pt_min as Momentum4D (τ: visible momentum)."""
    offsets = offsets_of(truth)
    if flag == "tau_last":
        cols = visible_tau_columns(truth)[0]
    else:
        cols = {f: flat(truth, f, np.float64) for f in P4_FIELDS}
    pt = transverse_momentum(cols["px"], cols["py"])
    select = flat(truth, flag).astype(bool) & (pt > pt_min)
    return jagged(
        {f: cols[f][select] for f in P4_FIELDS},
        selected_offsets(select, offsets),
        with_name="Momentum4D",
    )


def _jets_with_match(jets: ak.Array, particles: ak.Array, dR: float, exclusive: bool) -> np.ndarray:
    """Flat bool per jet: some particle within dR (exclusive: the particle's closest jet)."""
    jet_off = offsets_of(jets)
    flag = np.zeros(int(jet_off[-1]), dtype=bool)
    if exclusive:
        dr = delta_r_nested(particles, jets)  # [event][particle][jet]
        closest = ak.to_numpy(ak.flatten(ak.fill_none(ak.argmin(dr, axis=2), -1), axis=1))
        close = ak.to_numpy(ak.flatten(ak.fill_none(ak.min(dr, axis=2) < dR, False), axis=1))
        part_evt = event_index(offsets_of(particles))
        flag[(jet_off[:-1][part_evt] + closest)[close]] = True
    else:
        dr = delta_r_nested(jets, particles)  # [event][jet][particle]
        flag = ak.to_numpy(ak.flatten(ak.any(dr < dR, axis=2), axis=1)).astype(bool)
    return flag


def flavour_label(
    jets: ak.Array,
    truth: ak.Array,
    *,
    dR: float = 0.3,
    hadron_pt_min: float = 5.0,
    exclusive: bool = True,
) -> ak.Array:
    """Jagged int per jet: 5 (b), 4 (c), 15 (τ) or 0 (light); priority b > c > τ."""
    jet_off = offsets_of(jets)
    label = np.zeros(int(jet_off[-1]), dtype=np.int64)
    # lowest priority first, so that later (heavier) labels overwrite
    for flag, value in (("tau_last", 15), ("weak_c", 4), ("weak_b", 5)):
        matched = _jets_with_match(
            jets, _labelled_particles(truth, flag, hadron_pt_min), dR, exclusive
        )
        label[matched] = value
    return jagged_values(label, jet_off)


def count_inside(
    large_jets: ak.Array,
    small_jets: ak.Array,
    *,
    dR: float = 1.0,
    where: ak.Array | None = None,
) -> ak.Array:
    """Jagged int per large-R jet: small-R jets (optionally only those with ``where``) within
    ΔR < dR of its axis (ΔR association of track/small-R jets to large-R jets as in ATLAS
    boosted H→bb tagging, e.g. arXiv:1906.11005)."""
    if where is not None:
        small_jets = small_jets[where]
    return ak.sum(delta_r_nested(large_jets, small_jets) < dR, axis=2)


def _n_hadrons(
    large_jets: ak.Array, truth: ak.Array, flag: str, dR: float, hadron_pt_min: float
) -> ak.Array:
    hadrons = _labelled_particles(truth, flag, hadron_pt_min)
    return ak.sum(delta_r_nested(large_jets, hadrons) < dR, axis=2)


def n_b_hadrons(
    large_jets: ak.Array, truth: ak.Array, *, dR: float = 1.0, hadron_pt_min: float = 5.0
) -> ak.Array:
    """Jagged int per large-R jet: weakly decaying b-hadrons (pT > hadron_pt_min) within ΔR <
    dR (ATLAS large-R jet truth labelling counts b-hadrons ghost/ΔR-associated to the jet,
    arXiv:1906.11005)."""
    return _n_hadrons(large_jets, truth, "weak_b", dR, hadron_pt_min)


def n_c_hadrons(
    large_jets: ak.Array, truth: ak.Array, *, dR: float = 1.0, hadron_pt_min: float = 5.0
) -> ak.Array:
    """Jagged int per large-R jet: weakly decaying c-hadrons (pT > hadron_pt_min) within ΔR <
    dR, counted like :func:`n_b_hadrons`.  All weakly decaying c-hadrons count, including
    those from b-hadron decays (no b-veto: combine with ``n_b_hadrons`` for exclusive labels
    such as "bb", "bc", "cc")."""
    return _n_hadrons(large_jets, truth, "weak_c", dR, hadron_pt_min)
