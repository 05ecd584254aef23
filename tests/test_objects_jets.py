"""Jets against direct fastjet calls, trimming, flavour labels, large-R counting, empties."""

from __future__ import annotations

import awkward as ak
import fastjet
import numpy as np
import pytest
import vector
from objects_testing import particle_batch, random_batch

from hepreint.objects import (
    count_inside,
    flavour_label,
    jet_inputs,
    jets,
    large_r_jets,
    n_b_hadrons,
    n_c_hadrons,
    truth_view,
)


def _reference_jets(particles: ak.Array, algorithm, R: float, pt_min: float) -> list:
    """One fastjet call per event on PseudoJets (test only), pT-ordered (pt, eta, phi)."""
    out = []
    jetdef = fastjet.JetDefinition(algorithm, R)
    for event in ak.to_list(particles[["px", "py", "pz", "E"]]):
        pjs = [fastjet.PseudoJet(p["px"], p["py"], p["pz"], p["E"]) for p in event]
        found = fastjet.sorted_by_pt(fastjet.ClusterSequence(pjs, jetdef).inclusive_jets(pt_min))
        out.append([(j.pt(), j.eta(), j.phi_std()) for j in found])
    return out


@pytest.mark.parametrize("R", [0.4, 1.0])
def test_jets_equal_direct_fastjet(R: float) -> None:
    truth = truth_view(random_batch(6, 200, seed=3, pt_scale=8.0))
    inputs = jet_inputs(truth)
    got = jets(inputs, R=R, pt_min=10.0)
    ref = _reference_jets(inputs, fastjet.antikt_algorithm, R, 10.0)
    assert ak.num(got).tolist() == [len(r) for r in ref]
    assert sum(len(r) for r in ref) > 10
    for i, event in enumerate(ref):
        for j, (pt, eta, phi) in enumerate(event):
            assert got.pt[i, j] == pytest.approx(pt, abs=1e-9)
            assert got.eta[i, j] == pytest.approx(eta, abs=1e-9)
            assert got.phi[i, j] == pytest.approx(phi, abs=1e-9)


def test_jet_constituents_and_eta_cut() -> None:
    truth = truth_view(random_batch(4, 150, seed=5, pt_scale=8.0))
    inputs = jet_inputs(truth)
    js = jets(inputs, pt_min=5.0, with_constituents=True)
    assert ak.all(ak.num(js.constituents, axis=2) == js.n_constituents)
    offsets = np.concatenate([[0], np.cumsum(ak.num(inputs))])
    flat_px = ak.to_numpy(ak.flatten(inputs.px))
    global_idx = js.constituents + offsets[:-1]
    summed = ak.sum(
        ak.unflatten(
            flat_px[ak.to_numpy(ak.flatten(global_idx, axis=None))], ak.flatten(js.n_constituents)
        ),
        axis=1,
    )
    assert ak.to_numpy(summed) == pytest.approx(ak.to_numpy(ak.flatten(js.px)), abs=1e-9)
    central = jets(inputs, pt_min=5.0, abs_eta_max=1.0)
    assert ak.all(abs(central.eta) < 1.0)
    assert ak.sum(ak.num(central)) < ak.sum(ak.num(js))
    assert ak.all(js.pt[:, :-1] >= js.pt[:, 1:])


def test_trimming_removes_soft_distant_subjet() -> None:
    event = [
        (211, 1, -1, 300.0, 0.0, 0.0),
        (211, 1, -1, 200.0, 0.1, 0.3),
        (211, 1, -1, 10.0, 0.5, -0.6),  # soft, ΔR ≈ 0.78: inside R=1.0, < 5 % of 510 GeV
    ]
    inputs = jet_inputs(truth_view(particle_batch([event])))
    trimmed = large_r_jets(inputs)
    untrimmed = large_r_jets(inputs, trim_fcut=0.0)
    assert untrimmed.n_subjets.tolist() == [[3]] and trimmed.n_subjets.tolist() == [[2]]
    assert trimmed.pt[0, 0] < untrimmed.pt[0, 0]
    assert trimmed.mass[0, 0] < untrimmed.mass[0, 0]
    # the two hard particles only: the trimmed jet is their sum
    pair = large_r_jets(inputs[:, :2])
    assert trimmed.mass[0, 0] == pytest.approx(pair.mass[0, 0], rel=1e-12)


def test_untrimmed_large_r_equals_antikt_10() -> None:
    inputs = jet_inputs(truth_view(random_batch(5, 300, seed=11, pt_scale=20.0)))
    big = large_r_jets(inputs, trim_fcut=0.0, pt_min=100.0, abs_eta_max=np.inf)
    plain = jets(inputs, R=1.0, pt_min=100.0)
    assert ak.sum(ak.num(plain)) > 3
    assert ak.num(big).tolist() == ak.num(plain).tolist()
    assert ak.all(abs(big.mass - plain.mass) < 1e-6)


B_EVENT = [
    (513, 2, -1, 40.0, 0.0, 0.0, 5.33),  # 0 B*: not weak
    (511, 2, 0, 39.0, 0.05, 0.0, 5.28),  # 1 B: weakly decaying
    (-421, 2, 1, 20.0, 0.1, 0.1, 1.86),  # 2 D from B, near the same jet
    (421, 2, -1, 20.0, 0.0, 2.0, 1.86),  # 3 D alone near jet 1
    (521, 2, -1, 3.0, 0.0, -2.0, 5.28),  # 4 soft B (< 5 GeV) near jet 2
    (15, 2, -1, 30.0, 1.5, 1.0, 1.777),  # 5 tau near jet 3
    (16, 1, 5, 5.0, 1.5, 1.0),
]


def _jets_at(etas_phis: list[list[tuple[float, float]]]) -> ak.Array:
    return vector.zip(
        {
            "pt": [[50.0] * len(e) for e in etas_phis],
            "eta": [[x[0] for x in e] for e in etas_phis],
            "phi": [[x[1] for x in e] for e in etas_phis],
            "mass": [[0.0] * len(e) for e in etas_phis],
        }
    )


def test_flavour_labels() -> None:
    truth = truth_view(particle_batch([B_EVENT, []]))
    assert truth.weak_b[0].tolist() == [False, True, False, False, True, False, False]
    js = _jets_at([[(0.0, 0.0), (0.0, 2.0), (0.0, -2.0), (1.5, 1.0), (-2.0, 0.0)], []])
    assert flavour_label(js, truth).tolist() == [[5, 4, 0, 15, 0], []]
    # a soft b-hadron counts once the threshold is lowered
    assert flavour_label(js, truth, hadron_pt_min=2.0).tolist()[0][2] == 5
    # exclusive: a hadron between two jets labels only the closer one
    two = _jets_at([[(0.0, 0.25), (0.0, -0.1)], []])
    assert flavour_label(two, truth).tolist() == [[4, 5], []]
    assert flavour_label(two, truth, exclusive=False).tolist() == [[5, 5], []]


def test_large_r_counting() -> None:
    truth = truth_view(particle_batch([B_EVENT, []]))
    small = _jets_at([[(0.0, 0.0), (0.0, 0.6), (0.0, 2.0), (3.0, 0.0)], []])
    small = ak.with_field(small, flavour_label(small, truth), "flavour")
    large = _jets_at([[(0.0, 0.3), (0.0, -3.0)], []])
    assert count_inside(large, small).tolist() == [[2, 0], []]
    assert count_inside(large, small, where=small.flavour == 5).tolist() == [[1, 0], []]
    assert n_b_hadrons(large, truth).tolist() == [[1, 0], []]
    assert n_b_hadrons(large, truth, hadron_pt_min=1.0).tolist() == [[1, 0], []]
    assert n_b_hadrons(large, truth, dR=2.5, hadron_pt_min=1.0).tolist() == [[2, 1], []]


def test_large_r_c_hadron_counting() -> None:
    truth = truth_view(particle_batch([B_EVENT, []]))
    assert truth.weak_c[0].tolist() == [False, False, True, True, False, False, False]
    large = _jets_at([[(0.0, 0.3), (0.0, -3.0)], []])
    # the D from the B counts (no b-veto); the lone D is 1.7 and 1.28 away
    assert n_c_hadrons(large, truth).tolist() == [[1, 0], []]
    assert n_c_hadrons(large, truth, dR=2.5).tolist() == [[2, 1], []]
    assert n_c_hadrons(large, truth, dR=2.5, hadron_pt_min=25.0).tolist() == [[0, 0], []]
    assert n_c_hadrons(large[:0], truth[:0]).tolist() == []


@pytest.mark.parametrize("events", [[], [[], []], [[(22, 1, -1, 1.0, 0.0, 0.0)]]])
def test_empty_and_jetless_batches(events: list) -> None:
    truth = truth_view(particle_batch(events))
    inputs = jet_inputs(truth)
    js = jets(inputs)
    big = large_r_jets(inputs)
    assert len(js) == len(events) and ak.sum(ak.num(js)) == 0
    assert len(big) == len(events) and ak.sum(ak.num(big)) == 0
    assert flavour_label(js, truth).tolist() == [[] for _ in events]
    assert count_inside(big, js).tolist() == [[] for _ in events]
    assert n_b_hadrons(big, truth).tolist() == [[] for _ in events]
    assert n_c_hadrons(big, truth).tolist() == [[] for _ in events]


def test_overlap_removal_with_rapidity() -> None:
    # a massive jet at the same eta as an electron but a different rapidity: kept with the
    # rapidity distance, removed with the pseudorapidity one
    import awkward as ak
    import vector

    from hepreint.objects import overlap_remove

    vector.register_awkward()
    e = vector.obj(pt=50.0, eta=1.5, phi=0.0, mass=0.0)
    j = vector.obj(pt=50.0, eta=1.5, phi=0.0, mass=60.0)
    ele = ak.zip({"px": [[e.px]], "py": [[e.py]], "pz": [[e.pz]], "E": [[e.E]]},
                 with_name="Momentum4D")  # fmt: skip
    jet = ak.zip({"px": [[j.px]], "py": [[j.py]], "pz": [[j.pz]], "E": [[j.E]]},
                 with_name="Momentum4D")  # fmt: skip
    assert abs(j.rapidity - e.rapidity) > 0.2
    assert ak.num(overlap_remove(jet, ele, dR=0.2), axis=1).tolist() == [0]
    assert ak.num(overlap_remove(jet, ele, dR=0.2, use_rapidity=True), axis=1).tolist() == [1]
