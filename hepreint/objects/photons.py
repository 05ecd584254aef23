"""Prompt, isolated truth photons.

Isolation follows the truth-level proxy of the ATLAS H→γγ selections: the scalar sum of the pT
of visible final-state particles within ΔR < 0.2 of the photon (excluding the photon itself)
must be below 6.5 % of the photon pT, mirroring topoetcone20/pT < 0.065 of the FixedCutLoose
working point (ATLAS photon ID/isolation, arXiv:1908.00005; H→γγ, arXiv:1802.04146).
Photons from hadron or τ decays are not prompt (ATLAS truth "prompt" classification).
"""

from __future__ import annotations

import awkward as ak
import numpy as np

from hepreint.objects._columnar import (
    P4_FIELDS,
    delta_r_nested,
    flat,
    jagged,
    offsets_of,
    sort_and_cut,
)

PHOTON = 22


def photons(
    truth: ak.Array,
    *,
    pt_min: float = 0.0,
    abs_eta_max: float = float("inf"),
    iso_dR: float = 0.2,
    iso_et_frac: float = 0.065,
) -> ak.Array:
    """Prompt final isolated photons, pT-ordered; Momentum4D + ``iso`` (cone ΣpT / pT)."""
    candidates = truth[truth.final & truth.prompt & (truth.pid == PHOTON)]
    others = truth[truth.visible]
    dr = delta_r_nested(candidates, others)
    self_pair = ak.cartesian([candidates.index, others.index], axis=1, nested=True)
    not_self = self_pair["0"] != self_pair["1"]
    _, other_pt = ak.unzip(ak.cartesian([candidates.index, others.p4.pt], nested=True))
    cone = ak.sum(ak.where((dr < iso_dR) & not_self, other_pt, 0.0), axis=2)

    cols = {f: flat(candidates, f, np.float64) for f in P4_FIELDS}
    pt = np.hypot(cols["px"], cols["py"])
    with np.errstate(divide="ignore", invalid="ignore"):
        cols["iso"] = flat(cone, None, np.float64) / pt
    out = jagged(cols, offsets_of(candidates), with_name="Momentum4D")
    out = out[out.iso < iso_et_frac]
    return sort_and_cut(out, pt_min, abs_eta_max)
