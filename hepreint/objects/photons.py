"""Prompt, isolated truth photons.

Isolation follows the truth-level proxy of the ATLAS H→γγ selections: the scalar sum of the pT
of visible final-state particles within ΔR < 0.2 of the photon (excluding the photon itself)
must be below 6.5 % of the photon pT, mirroring topoetcone20/pT < 0.065 of the FixedCutLoose
working point (ATLAS photon ID/isolation, arXiv:1908.00005; H→γγ, arXiv:1802.04146).
Photons from hadron or τ decays are not prompt (ATLAS truth "prompt" classification).
"""

from __future__ import annotations

from typing import Any

import awkward as ak
import numpy as np

from hepreint.objects._columnar import (
    P4_FIELDS,
    delta_r_pairs,
    flat,
    jagged,
    momentum_columns,
    offsets_of,
    sort_and_cut,
    transverse_momentum,
)
from hepreint.objects.registry import BuildInputs, object_kind

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
    # kinematic cuts first: they do not depend on isolation and shrink the pair count
    candidates = sort_and_cut(
        truth[truth.final & truth.prompt & (truth.pid == PHOTON)], pt_min, abs_eta_max
    )
    others = truth[truth.visible]
    # ΔR of every (photon, visible particle) pair of the same event, flat
    dr, ia, ib, _ = delta_r_pairs(candidates, others)
    not_self = flat(candidates, "index")[ia] != flat(others, "index")[ib]
    other = momentum_columns(others)
    other_pt = transverse_momentum(other["px"], other["py"])
    in_cone = (dr < iso_dR) & not_self
    cols = {f: flat(candidates, f, np.float64) for f in P4_FIELDS}
    pt = transverse_momentum(cols["px"], cols["py"])
    cone = np.bincount(ia[in_cone], weights=other_pt[ib[in_cone]], minlength=len(pt))
    with np.errstate(divide="ignore", invalid="ignore"):
        cols["iso"] = cone / pt
    out = jagged(cols, offsets_of(candidates), with_name="Momentum4D")
    return out[out.iso < iso_et_frac]


@object_kind("photon")
def _photon_kind(params: dict[str, Any], inputs: BuildInputs) -> ak.Array:
    return photons(inputs.truth, **params)
