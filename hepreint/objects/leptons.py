"""Dressed prompt truth electrons and muons.

ATLAS truth leptons are "dressed": the four-momenta of prompt photons within ΔR < 0.1 are added
to the bare final-state lepton, which makes them insensitive to the generator's QED shower
(ATL-PHYS-PUB-2015-013; Rivet ``DressedLeptons``).  As in Rivet, each photon dresses at most
the closest lepton of the requested flavour, so electrons and muons are dressed independently.

Leptons from leptonic τ decays are accepted by default (``accept_tau_decays=True``): a
reconstruction-level analysis reconstructs and selects them like any other lepton, which is
what its detector-level efficiencies describe (Rivet ``PromptFinalState(acceptTauDecays=true)``
as used by reinterpretations of ATLAS/CMS reco-level searches; CheckMATE and MadAnalysis 5
likewise select τ-decay leptons).  The dressing photons then follow the same rule (Rivet
analyses pass both the photons and the bare leptons through ``PromptFinalState`` with the same
τ setting).  Leptons with a hadron ancestor (B/D/π/K decays, also inside a τ decay chain) are
never selected.  ``accept_tau_decays=False`` gives the strict ATLAS truth-"prompt" leptons
(no hadron and no τ ancestor), as for particle-level unfolded measurements.

Which particles were used is given by :func:`lepton_particle_mask`: the jet builders remove
them from the jet inputs (ATLAS ``AntiKt4TruthWZJets`` exclude prompt leptons and their
dressing photons).
"""

from __future__ import annotations

from typing import Any

import awkward as ak
import numpy as np

from hepreint.objects._columnar import (
    P4_FIELDS,
    delta_r_nested,
    event_index,
    flat,
    jagged,
    jagged_values,
    momentum_columns,
    offsets_of,
    sort_and_cut,
)
from hepreint.objects.registry import BuildInputs, object_kind

ELECTRON = 11
MUON = 13
PHOTON = 22


def _origin_ok(truth: ak.Array, accept_tau_decays: bool) -> ak.Array:
    """Which particles may be (or dress) a selected lepton: no hadron ancestor, and (unless
    ``accept_tau_decays``) no τ ancestor either."""
    return ~truth.from_hadron if accept_tau_decays else truth.prompt


def _dress(
    truth: ak.Array, flavour: int, dress_dR: float, accept_tau_decays: bool
) -> tuple[ak.Array, ak.Array]:
    """Dressed leptons of one flavour (unsorted, uncut) and the particle mask they used."""
    origin_ok = _origin_ok(truth, accept_tau_decays)
    bare_mask = truth.final & origin_ok & (truth.abspid == flavour)
    photon_mask = truth.final & origin_ok & (truth.pid == PHOTON)
    leptons = truth[bare_mask]
    photons = truth[photon_mask]

    # closest lepton of every photon ([event][photon] -> local lepton index or None)
    dr = delta_r_nested(photons, leptons)
    closest = ak.argmin(dr, axis=2)
    closest_dr = ak.min(dr, axis=2)
    used = ak.to_numpy(ak.flatten(ak.fill_none(closest_dr < dress_dR, False), axis=1))
    closest_flat = ak.to_numpy(ak.flatten(ak.fill_none(closest, -1), axis=1)).astype(np.int64)

    lep_off = offsets_of(leptons)
    pho_off = offsets_of(photons)
    target = lep_off[:-1][event_index(pho_off)] + closest_flat
    lep = momentum_columns(leptons)
    pho = momentum_columns(photons)
    n_lep = int(lep_off[-1])
    dressed = {
        f: lep[f] + np.bincount(target[used], weights=pho[f][used], minlength=n_lep)
        for f in P4_FIELDS
    }
    dressed["charge"] = flat(leptons, "charge", np.float64)
    dressed["pid"] = flat(leptons, "pid", np.int64)
    out = jagged(dressed, lep_off, with_name="Momentum4D")

    # particle mask: bare leptons plus the photons that dressed one of them
    truth_off = offsets_of(truth)
    mask = flat(bare_mask).astype(bool, copy=True)
    pho_global = truth_off[:-1][event_index(pho_off)] + flat(photons, "index", np.int64)
    mask[pho_global[used]] = True
    return out, jagged_values(mask, truth_off)


def _leptons(
    truth: ak.Array,
    flavour: int,
    pt_min: float,
    abs_eta_max: float,
    dress_dR: float,
    accept_tau_decays: bool,
) -> ak.Array:
    dressed, _ = _dress(truth, flavour, dress_dR, accept_tau_decays)
    return sort_and_cut(dressed, pt_min, abs_eta_max)


def electrons(
    truth: ak.Array,
    *,
    pt_min: float = 0.0,
    abs_eta_max: float = float("inf"),
    dress_dR: float = 0.1,
    accept_tau_decays: bool = True,
) -> ak.Array:
    """Final-state electrons not from hadron decays, dressed within ``dress_dR``, pT-ordered;
    Momentum4D + charge, pid.

    ``accept_tau_decays=True`` (default, reco-level reinterpretation) keeps electrons from
    leptonic τ decays; ``False`` keeps only truth-prompt ones (no τ ancestor either).
    """
    return _leptons(truth, ELECTRON, pt_min, abs_eta_max, dress_dR, accept_tau_decays)


def muons(
    truth: ak.Array,
    *,
    pt_min: float = 0.0,
    abs_eta_max: float = float("inf"),
    dress_dR: float = 0.1,
    accept_tau_decays: bool = True,
) -> ak.Array:
    """Final-state muons not from hadron decays, dressed within ``dress_dR``, pT-ordered;
    Momentum4D + charge, pid.  ``accept_tau_decays`` as for :func:`electrons`."""
    return _leptons(truth, MUON, pt_min, abs_eta_max, dress_dR, accept_tau_decays)


def lepton_particle_mask(
    truth: ak.Array,
    *,
    dress_dR: float = 0.1,
    flavours: tuple[int, ...] = (ELECTRON, MUON),
    accept_tau_decays: bool = True,
) -> ak.Array:
    """Jagged bool mask over ``truth``: the final e/μ that :func:`electrons`/:func:`muons` with
    the same ``dress_dR`` and ``accept_tau_decays`` would select (before any kinematic cut)
    and their dressing photons.  Pass it as ``jet_inputs(truth, exclude=...)`` so that a lepton
    is not also a jet (ATLAS truth-jet convention, AntiKt4TruthWZJets).

    ``flavours`` are |pid| values.  Masks of separate calls can be OR-ed, e.g. electrons and
    muons dressed with different cones:
    ``lepton_particle_mask(t, flavours=(11,), dress_dR=0.1) | lepton_particle_mask(t,
    flavours=(13,), dress_dR=0.2)``.
    """
    offsets = offsets_of(truth)
    mask = np.zeros(int(offsets[-1]), dtype=bool)
    for flavour in flavours:
        _, used = _dress(truth, abs(int(flavour)), dress_dR, accept_tau_decays)
        mask |= flat(used)
    return jagged_values(mask, offsets)


@object_kind("electron")
def _electron_kind(params: dict[str, Any], inputs: BuildInputs) -> ak.Array:
    # truth "prompt": not from hadron or τ decays, unless the analysis accepts τ decays
    return electrons(inputs.truth, **{"accept_tau_decays": False, **params})


@object_kind("muon")
def _muon_kind(params: dict[str, Any], inputs: BuildInputs) -> ak.Array:
    return muons(inputs.truth, **{"accept_tau_decays": False, **params})
