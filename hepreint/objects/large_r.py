"""Trimmed large-R truth jets.

ATLAS large-R jets: anti-kt R = 1.0, trimmed by reclustering the constituents into kt R = 0.2
subjets and dropping subjets with pT < 5 % of the (untrimmed) large-R jet pT
(Krohn, Thaler, Wang, JHEP 02 (2010) 084; ATLAS, JHEP 09 (2013) 076, arXiv:1306.4945).

The scikit-hep fastjet binding exposes ``fastjet.Filter`` only on single PseudoJets (one call
per jet), not on its awkward multi-event interface, so trimming is done columnar instead:
the constituents of every large-R jet of every event become one "event" each of a second
multi-event kt clustering, and the kept subjets are summed back.
"""

from __future__ import annotations

import awkward as ak
import fastjet
import numpy as np

from hepreint.objects._columnar import (
    P4_FIELDS,
    event_index,
    flat,
    jagged,
    momentum_columns,
    offsets_of,
    sort_and_cut,
    transverse_momentum,
)
from hepreint.objects.jets import jet_definition, packed_momenta


def large_r_jets(
    particles_in: ak.Array,
    *,
    R: float = 1.0,
    trim_R: float = 0.2,
    trim_fcut: float = 0.05,
    pt_min: float = 200.0,
    abs_eta_max: float = 2.0,
) -> ak.Array:
    """Trimmed anti-kt jets (pT, |η| cuts after trimming), pT-ordered: Momentum4D + n_subjets."""
    offsets = offsets_of(particles_in)
    cs = fastjet.ClusterSequence(
        packed_momenta(offsets, momentum_columns(particles_in)), jet_definition("antikt", R)
    )
    # Trimming only removes momentum, so a jet below pt_min before trimming stays below it.
    untrimmed = cs.inclusive_jets(pt_min)
    constituents = cs.constituents(pt_min)  # [event][jet][particle], same jet order
    jet_off = offsets_of(untrimmed)
    n_jets = int(jet_off[-1])

    per_jet = ak.flatten(constituents, axis=1)  # [jet][particle]: one "event" per jet
    sub_cs = fastjet.ClusterSequence(
        packed_momenta(offsets_of(per_jet), {f: flat(per_jet, f) for f in P4_FIELDS}),
        jet_definition("kt", trim_R),
    )
    subjets = sub_cs.inclusive_jets(0.0)
    sub_off = offsets_of(subjets)
    owner = event_index(sub_off)  # large-R jet of every subjet
    sub = {f: flat(subjets, f, np.float64) for f in P4_FIELDS}
    jet_pt = transverse_momentum(
        flat(untrimmed, "px", np.float64), flat(untrimmed, "py", np.float64)
    )
    keep = transverse_momentum(sub["px"], sub["py"]) >= trim_fcut * jet_pt[owner]

    cols: dict[str, np.ndarray] = {
        f: np.bincount(owner[keep], weights=sub[f][keep], minlength=n_jets) for f in P4_FIELDS
    }
    cols["n_subjets"] = np.bincount(owner[keep], minlength=n_jets).astype(np.int64)
    out = jagged(cols, jet_off, with_name="Momentum4D")
    return sort_and_cut(out, pt_min, abs_eta_max)
