"""Hadronically decaying prompt truth τ leptons with their visible momentum.

ATLAS truth τ_had: the last τ of its chain that has no electron or muon among its direct
children, with the visible four-momentum = τ minus its neutrino children (ATLAS
TauTruthMatchingTool / "TruthTaus" container convention).  Prompt here means not from a hadron
decay: ``from_tau`` is not usable because in generator records a τ descends from its own
earlier copies (QED shower).
"""

from __future__ import annotations

from typing import Any

import awkward as ak
import numpy as np

from hepreint.objects._columnar import (
    P4_FIELDS,
    flat,
    jagged,
    offsets_of,
    selected_offsets,
    sort_and_cut,
)
from hepreint.objects.ancestry import any_child, global_parent, sum_over_children
from hepreint.objects.registry import BuildInputs, object_kind
from hepreint.objects.truth import NEUTRINOS

LIGHT_LEPTONS = (11, 13)


def visible_tau_columns(truth: ak.Array) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """For every particle: four-momentum minus neutrino children (flat), and whether it has a
    direct e/μ child.  Meaningful for ``tau_last`` particles."""
    offsets = offsets_of(truth)
    gparent = global_parent(flat(truth, "parent"), offsets)
    abspid = flat(truth, "abspid")
    is_nu = np.isin(abspid, NEUTRINOS)
    momentum = {f: flat(truth, f, np.float64) for f in P4_FIELDS}
    visible = {f: v - sum_over_children(v, is_nu, gparent) for f, v in momentum.items()}
    leptonic = any_child(np.isin(abspid, LIGHT_LEPTONS), gparent)
    return visible, leptonic


def taus(truth: ak.Array, *, pt_min: float = 0.0, abs_eta_max: float = float("inf")) -> ak.Array:
    """Visible prompt τ_had, pT-ordered; Momentum4D + charge, pid."""
    visible, leptonic = visible_tau_columns(truth)
    select = flat(truth, "tau_last") & ~flat(truth, "from_hadron") & ~leptonic
    offsets = offsets_of(truth)
    new_off = selected_offsets(select, offsets)
    cols = {f: visible[f][select] for f in P4_FIELDS}
    cols["charge"] = flat(truth, "charge", np.float64)[select]
    cols["pid"] = flat(truth, "pid", np.int64)[select]
    return sort_and_cut(jagged(cols, new_off, with_name="Momentum4D"), pt_min, abs_eta_max)


@object_kind("tau")
def _tau_kind(params: dict[str, Any], inputs: BuildInputs) -> ak.Array:
    return taus(inputs.truth, **params)
