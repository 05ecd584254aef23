"""Dressed leptons, isolated photons, visible taus and overlap removal on hand-built events."""

from __future__ import annotations

import awkward as ak
import numpy as np
import pytest
import vector

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
from hepreint.objects.testing import W_EVENT, particle_batch


def _p4(event: list, i: int) -> vector.MomentumObject4D:
    pid, status, parent, pt, eta, phi, *m = event[i]
    return vector.obj(pt=pt, eta=eta, phi=phi, mass=m[0] if m else 0.0)


def test_dressed_electron_gets_near_photon_only() -> None:
    truth = truth_view(particle_batch([W_EVENT]))
    el = electrons(truth)
    assert ak.num(el).tolist() == [1]  # the τ-decay electron is not prompt
    expected = _p4(W_EVENT, 2) + _p4(W_EVENT, 4)  # near FSR photon added, far one not
    assert el.px[0, 0] == pytest.approx(expected.px, abs=1e-9)
    assert el.E[0, 0] == pytest.approx(expected.E, abs=1e-9)
    assert el.charge[0, 0] == -1.0 and el.pid[0, 0] == 11
    assert ak.num(muons(truth)).tolist() == [0]  # the muon is from a B decay
    undressed = electrons(truth, dress_dR=0.01)
    assert undressed.pt[0, 0] == pytest.approx(40.0)


def test_lepton_particle_mask_and_jet_inputs() -> None:
    truth = truth_view(particle_batch([W_EVENT]))
    mask = lepton_particle_mask(truth)
    assert np.nonzero(ak.to_numpy(mask[0]))[0].tolist() == [2, 4]
    inputs = jet_inputs(truth, exclude=mask)
    assert sorted(inputs.index[0].tolist()) == [5, 7, 9, 12]  # visible, not e + its photon


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
        (111, 2, -1, 10.0, 2.0, -2.0, 0.135),
        (22, 1, 5, 8.0, 2.0, -2.0),  # from pi0: not prompt
        (22, 1, -1, 15.0, -1.0, -1.0),
        (22, 1, -1, 0.5, -1.0, -1.1),  # photons count in the cone too: 0.033
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
        (511, 2, -1, 30.0, 2.0, -2.0, 5.28),  # 6 B -> tau: not prompt
        (15, 2, 6, 20.0, 2.0, -2.0, 1.777),
        (211, 1, 7, 15.0, 2.0, -2.0),
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
