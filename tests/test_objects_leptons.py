"""Dressed leptons, isolated photons, visible taus and overlap removal on hand-built events."""

from __future__ import annotations

import awkward as ak
import numpy as np
import pytest
import vector
from objects_testing import W_EVENT, particle_batch

from hepreint.objects import (
    electrons,
    jet_inputs,
    lepton_particle_mask,
    muons,
    overlap_remove,
    photons,
    taus,
    truth_view,
)


def _p4(event: list, i: int) -> vector.MomentumObject4D:
    pid, status, parent, pt, eta, phi, *m = event[i]
    return vector.obj(pt=pt, eta=eta, phi=phi, mass=m[0] if m else 0.0)


def test_dressed_electron_gets_near_photon_only() -> None:
    truth = truth_view(particle_batch([W_EVENT]))
    el = electrons(truth, accept_tau_decays=False)
    assert ak.num(el).tolist() == [1]  # the τ-decay electron is not truth-prompt
    expected = _p4(W_EVENT, 2) + _p4(W_EVENT, 4)  # near FSR photon added, far one not
    assert el.px[0, 0] == pytest.approx(expected.px, abs=1e-9)
    assert el.E[0, 0] == pytest.approx(expected.E, abs=1e-9)
    assert el.charge[0, 0] == -1.0 and el.pid[0, 0] == 11
    assert ak.num(muons(truth)).tolist() == [0]  # the muon is from a B decay
    undressed = electrons(truth, dress_dR=0.01)
    assert undressed.pt[0, 0] == pytest.approx(40.0)


def test_tau_decay_leptons_accepted_by_default() -> None:
    """Reco-level reinterpretation: the electron from τ -> e ν ν is selected like a prompt one
    (Rivet PromptFinalState(acceptTauDecays=true)); with accept_tau_decays=False it is not."""
    truth = truth_view(particle_batch([W_EVENT]))
    el = electrons(truth)
    assert ak.num(el).tolist() == [2]
    assert el.pt[0].tolist() == pytest.approx([(_p4(W_EVENT, 2) + _p4(W_EVENT, 4)).pt, 10.0])
    assert el.charge[0].tolist() == [-1.0, -1.0]
    assert ak.num(electrons(truth, accept_tau_decays=False)).tolist() == [1]
    assert ak.num(muons(truth)).tolist() == [0]  # the B-decay muon: never
    assert not truth.prompt[0, 9]  # the flag keeps its strict meaning


def test_hadron_decay_inside_tau_decay_is_never_selected() -> None:
    beam = (2212, 4, -1, 0.0, 10.0, 0.0, 0.938)
    event = [
        beam,  # 0
        (24, 22, 0, 5.0, 0.0, 0.0, 80.4),  # 1 W
        (15, 2, 1, 40.0, 0.5, 1.0, 1.777),  # 2 τ -> π0 ν (hadronic)
        (16, 1, 2, 10.0, 0.5, 1.0),  # 3
        (111, 2, 2, 30.0, 0.5, 1.0, 0.135),  # 4 π0 -> e+ e- γ (Dalitz)
        (11, 1, 4, 10.0, 0.5, 1.0),  # 5 from a hadron inside the τ decay
        (-11, 1, 4, 10.0, 0.5, 1.0),  # 6
        (22, 1, 4, 10.0, 0.5, 1.0),  # 7
        (15, 2, 1, 30.0, -1.0, -1.0, 1.777),  # 8 τ -> μ ν ν
        (13, 1, 8, 20.0, -1.0, -1.0),  # 9
        (22, 1, 8, 2.0, -1.0, -1.05),  # 10 QED radiation in the τ decay: dresses the μ
    ]
    truth = truth_view(particle_batch([event]))
    assert ak.num(electrons(truth)).tolist() == [0]
    mu = muons(truth)
    assert ak.num(mu).tolist() == [1]
    assert mu.E[0, 0] == pytest.approx((_p4(event, 9) + _p4(event, 10)).E)
    assert ak.num(muons(truth, accept_tau_decays=False)).tolist() == [0]
    mask = lepton_particle_mask(truth)
    assert np.nonzero(ak.to_numpy(mask[0]))[0].tolist() == [9, 10]
    strict = lepton_particle_mask(truth, accept_tau_decays=False)
    assert not ak.any(strict)


def test_lepton_particle_mask_and_jet_inputs() -> None:
    truth = truth_view(particle_batch([W_EVENT]))
    mask = lepton_particle_mask(truth)
    assert np.nonzero(ak.to_numpy(mask[0]))[0].tolist() == [2, 4, 9]  # τ-decay e included
    inputs = jet_inputs(truth, exclude=mask)
    assert sorted(inputs.index[0].tolist()) == [5, 7, 12]  # visible, not the e's + photon
    strict = lepton_particle_mask(truth, accept_tau_decays=False)
    assert np.nonzero(ak.to_numpy(strict[0]))[0].tolist() == [2, 4]
    inputs = jet_inputs(truth, exclude=strict)
    assert sorted(inputs.index[0].tolist()) == [5, 7, 9, 12]


def test_lepton_masks_per_flavour_with_different_cones_or_together() -> None:
    """The processor builds one mask per lepton flavour (each with its own dress_dR) and ORs
    them; each must match what electrons()/muons() dressed."""
    event = [
        (11, 1, -1, 40.0, 0.0, 0.0),  # 0
        (22, 1, -1, 4.0, 0.0, 0.15),  # 1 ΔR 0.15 from the electron
        (13, 1, -1, 30.0, 1.5, 2.0),  # 2
        (22, 1, -1, 3.0, 1.5, 2.15),  # 3 ΔR 0.15 from the muon
        (211, 1, -1, 20.0, -1.0, -2.0),  # 4
    ]
    truth = truth_view(particle_batch([event]))
    el_mask = lepton_particle_mask(truth, flavours=(11,), dress_dR=0.1)
    mu_mask = lepton_particle_mask(truth, flavours=(13,), dress_dR=0.2)
    both = el_mask | mu_mask
    assert np.nonzero(ak.to_numpy(both[0]))[0].tolist() == [0, 2, 3]
    assert electrons(truth, dress_dR=0.1).pt[0, 0] == pytest.approx(40.0)
    assert muons(truth, dress_dR=0.2).pt[0, 0] > 32.9
    assert sorted(jet_inputs(truth, exclude=both).index[0].tolist()) == [1, 4]
    # the same flavour twice is harmless; a negative |pid| spelling is accepted
    twice = lepton_particle_mask(truth, flavours=(13, -13), dress_dR=0.2)
    assert ak.to_list(twice) == ak.to_list(mu_mask)


def test_photon_dresses_only_closest_lepton_and_sorting() -> None:
    event = [
        (11, 1, -1, 30.0, 0.0, 0.0),
        (-11, 1, -1, 50.0, 0.0, 0.12),
        (22, 1, -1, 4.0, 0.0, 0.08),  # ΔR 0.08 to e-, 0.04 to e+
        (13, 1, -1, 25.0, 1.0, 1.0),
        (22, 1, -1, 2.0, 1.0, 1.05),
    ]
    truth = truth_view(particle_batch([event]))
    el = electrons(truth)
    assert el.pid[0].tolist() == [-11, 11]  # pT-ordered
    assert el.pt[0, 0] == pytest.approx(54.0, rel=1e-3)
    assert el.pt[0, 1] == pytest.approx(30.0)
    mu = muons(truth, pt_min=26.0)
    assert mu.pt[0, 0] == pytest.approx(27.0, rel=1e-3)
    assert ak.num(muons(truth, pt_min=28.0)).tolist() == [0]
    assert ak.num(electrons(truth, abs_eta_max=-1.0)).tolist() == [0]


def test_photon_isolation() -> None:
    event = [
        (22, 1, -1, 20.0, 0.0, 0.0),  # isolated: 1 GeV pion nearby -> 0.05 < 0.065
        (211, 1, -1, 1.0, 0.1, 0.0),
        (22, 1, -1, 30.0, 0.0, 2.0),  # not isolated: 2.5 GeV within 0.2 -> 0.083
        (211, 1, -1, 2.5, 0.0, 2.15),
        (12, 1, -1, 50.0, 0.0, 2.05),  # invisible: never in the cone
        (111, 2, 9, 10.0, 2.0, -2.0, 0.135),  # (a hadron without mother would be a beam)
        (22, 1, 5, 8.0, 2.0, -2.0),  # from pi0: not prompt
        (22, 1, -1, 15.0, -1.0, -1.0),
        (22, 1, -1, 0.5, -1.0, -1.1),  # photons count in the cone too: 0.033
        (2212, 4, -1, 0.0, 10.0, 0.0, 0.938),  # 9 beam
    ]
    truth = truth_view(particle_batch([event]))
    ph = photons(truth)
    assert ph.pt[0].tolist() == pytest.approx([20.0, 15.0])
    assert ph.iso[0].tolist() == pytest.approx([0.05, 0.5 / 15.0])
    assert ph.pt[0].tolist() != pytest.approx([30.0])
    loose = photons(truth, iso_et_frac=0.1)
    assert loose.pt[0].tolist() == pytest.approx([30.0, 20.0, 15.0])
    assert photons(truth, pt_min=18.0).pt[0].tolist() == pytest.approx([20.0])


def test_hadronic_tau_visible_momentum() -> None:
    event = [
        (15, 2, -1, 40.0, 0.5, 0.5, 1.777),  # 0 hadronic tau
        (16, 1, 0, 10.0, 0.6, 0.4),  # 1 its neutrino
        (-211, 1, 0, 20.0, 0.5, 0.5),  # 2
        (111, 2, 0, 10.0, 0.45, 0.55, 0.135),  # 3
        (-15, 2, -1, 30.0, -1.0, 2.0, 1.777),  # 4 leptonic tau: excluded
        (-11, 1, 4, 20.0, -1.0, 2.0),
        (511, 2, 9, 30.0, 2.0, -2.0, 5.28),  # 6 B -> tau: not prompt
        (15, 2, 6, 20.0, 2.0, -2.0, 1.777),
        (211, 1, 7, 15.0, 2.0, -2.0),
        (2212, 4, -1, 0.0, 10.0, 0.0, 0.938),  # 9 beam
    ]
    truth = truth_view(particle_batch([event]))
    ta = taus(truth)
    assert ak.num(ta).tolist() == [1]
    visible = _p4(event, 0) - _p4(event, 1)
    assert ta.px[0, 0] == pytest.approx(visible.px, abs=1e-9)
    assert ta.pz[0, 0] == pytest.approx(visible.pz, abs=1e-9)
    assert ta.charge[0, 0] == -1.0


def test_overlap_remove() -> None:
    j = vector.zip(
        {
            "pt": [[50.0, 40.0, 30.0], [], [20.0]],
            "eta": [[0, 1, 2.0], [], [0.0]],
            "phi": [[0, 0, 0.0], [], [0.0]],
            "mass": [[0, 0, 0.0], [], [0.0]],
        }
    )
    e = vector.zip(
        {
            "pt": [[10.0], [5.0], []],
            "eta": [[1.1], [0.0], []],
            "phi": [[0.1], [0.0], []],
            "mass": [[0.0], [0.0], []],
        }
    )
    kept = overlap_remove(j, e, dR=0.2)
    assert kept.pt.tolist() == [[50.0, 30.0], [], [20.0]]
    assert overlap_remove(j, e, dR=0.1).pt.tolist() == [[50.0, 40.0, 30.0], [], [20.0]]
    assert overlap_remove(j[:0], e[:0], dR=0.4).tolist() == []


def test_empty_batches_leptons() -> None:
    for batch in (particle_batch([]), particle_batch([[], []])):
        truth = truth_view(batch)
        for objects in (electrons(truth), muons(truth), photons(truth), taus(truth)):
            assert len(objects) == len(batch) and ak.sum(ak.num(objects)) == 0
        assert len(lepton_particle_mask(truth)) == len(batch)
