"""Truth view: ancestry flags, PDG properties, MET, invisibles (hand-built records)."""

from __future__ import annotations

from pathlib import Path

import awkward as ak
import numpy as np
import pytest
from objects_testing import W_EVENT, particle_batch, random_batch

from hepreint.events.batch import EventBatch, make_particles
from hepreint.objects import met, truth_view
from hepreint.objects.ancestry import any_ancestor, global_parent, max_steps


@pytest.fixture
def w_truth() -> ak.Array:
    return truth_view(particle_batch([W_EVENT]))


def test_prompt_flags(w_truth: ak.Array) -> None:
    t = w_truth[0]
    assert t.prompt[2] and t.prompt[4] and t.prompt[5]
    assert t.from_hadron[7] and not t.prompt[7], "muon from B decay"
    assert t.from_tau[9] and not t.prompt[9], "electron from tau decay"
    assert t.from_hadron[12] and not t.prompt[12], "photon from pi0"
    assert not t.from_hadron[6], "the beam proton must not count as a decaying hadron"


def test_parentless_hadron_is_a_beam() -> None:
    """Beams written with a status other than 4 (Pythia 6: 2) are recognised by having no
    mother; before, every particle of such a record was "from a hadron" and nothing prompt."""
    event = [
        (2212, 2, -1, 0.0, 10.0, 0.0, 0.938),  # 0 beam, status 2
        (2212, 3, -1, 0.0, -10.0, 0.0, 0.938),  # 1 beam, status 3
        (23, 22, 0, 5.0, 0.0, 0.0, 91.2),  # 2 Z
        (13, 1, 2, 40.0, 0.5, 1.0),  # 3 prompt muon
        (511, 2, 1, 20.0, 2.0, -1.0, 5.28),  # 4 B from the beam: decaying
        (-13, 1, 4, 8.0, 2.0, -1.0),  # 5 muon from the B
    ]
    t = truth_view(particle_batch([event]))[0]
    assert t.from_hadron.tolist() == [False] * 5 + [True]
    assert t.prompt.tolist() == [True] * 5 + [False]


def test_pythia6_file_beams_status_2() -> None:
    """The Pythia 6 HepMC2 file writes its beam protons with status 2: the Z -> mumu muons
    must be prompt (and selected), the pion and photon from the beam vertex too."""
    from hepreint.io import read_events
    from hepreint.objects import muons

    path = Path(__file__).parent / "data" / "io" / "pythia6_v2.hepmc"
    (batch,) = list(read_events([path]))
    t = truth_view(batch)
    assert t.status[0, :2].tolist() == [2, 2] and t.pid[0, :2].tolist() == [2212, 2212]
    assert not ak.any(t.from_hadron)
    assert ak.all(t.prompt[t.final])
    mu = muons(t)
    assert ak.num(mu).tolist() == [2, 2]
    assert sorted(mu.pid[0].tolist()) == [-13, 13]


def test_invisible_and_met(w_truth: ak.Array) -> None:
    t = w_truth[0]
    assert t.invisible.tolist() == [i in (3, 10, 13) for i in range(len(W_EVENT))]
    assert bool(t.visible[2]) and not bool(t.visible[0])  # beam is not final
    m = met(w_truth)
    assert m.px[0] == pytest.approx(sum(t.px[i] for i in (3, 10, 13)), abs=1e-9)
    assert m.py[0] == pytest.approx(sum(t.py[i] for i in (3, 10, 13)), abs=1e-9)
    expected_pt = np.hypot(m.px[0], m.py[0])
    assert m.pt[0] == pytest.approx(expected_pt)  # vector Momentum2D behaviour


def test_extra_invisible_pids() -> None:
    event = [(9000006, 1, -1, 30.0, 0.0, 0.0), (-9000006, 1, -1, 20.0, 0.0, np.pi)]
    plain = truth_view(particle_batch([event]))
    assert not ak.any(plain.invisible)
    extra = truth_view(particle_batch([event]), extra_invisible_pids=[9000006])
    assert ak.all(extra.invisible)
    assert met(extra).pt[0] == pytest.approx(10.0)


def test_charges_and_unknown_codes() -> None:
    codes = (11, -11, 211, 2212, 22, 92, 0, 81, 1103, -123456789, 9999999)
    event = [(pid, 1, -1, 1.0, 0.0, 0.0) for pid in codes]
    t = truth_view(particle_batch([event]))[0]
    assert t.charge.tolist() == pytest.approx([-1, 1, 1, 1, 0, 0, 0, 0, -2 / 3, 0, 0])
    # strings, clusters, 0, diquarks and malformed codes are never hadrons (9999999 is a
    # well-formed PDG hadron number for particle.pdgid, so it is not asserted here)
    assert not ak.any(t.is_hadron[4:10])
    assert t.is_hadron[2] and t.is_hadron[3]


def test_heavy_flavour_chain() -> None:
    event = [
        (5, 23, -1, 50.0, 0.0, 0.0),  # 0 b quark
        (513, 2, 0, 40.0, 0.0, 0.0, 5.3),  # 1 B*0
        (511, 2, 1, 39.0, 0.0, 0.0, 5.28),  # 2 B0: the weakly decaying one
        (22, 1, 1, 0.05, 0.0, 0.0),  # 3 photon from B*
        (-421, 2, 2, 20.0, 0.1, 0.0, 1.86),  # 4 D0bar from B0
        (321, 1, 4, 10.0, 0.1, 0.0),  # 5 kaon from D
        (4122, 2, -1, 20.0, 2.0, 1.0, 2.29),  # 6 Lambda_c, prompt charm
        (15, 2, -1, 10.0, 0.0, 0.0),  # 7 tau before FSR
        (15, 2, 7, 9.0, 0.0, 0.0),  # 8 last tau
    ]
    t = truth_view(particle_batch([event]))[0]
    assert t.is_b_hadron.tolist() == [False, True, True, False, False, False, False, False, False]
    assert t.weak_b.tolist() == [False, False, True, False, False, False, False, False, False]
    assert t.weak_c.tolist() == [False, False, False, False, True, False, True, False, False]
    assert t.tau_last.tolist() == [False] * 8 + [True]
    assert t.from_hadron.tolist() == [False, False, True, True, True, True, False, False, False]


def _reference_any_ancestor(flag: np.ndarray, parent: np.ndarray, counts: np.ndarray) -> list:
    """Slow per-particle walk (test only) for cross-checking pointer jumping."""
    out = []
    start = 0
    for n in counts:
        for i in range(n):
            seen, j, hit = set(), parent[start + i], False
            while 0 <= j < n and j not in seen:
                seen.add(j)
                hit |= bool(flag[start + j])
                j = parent[start + j]
            out.append(hit)
        start += n
    return out


def test_pointer_jumping_matches_walk_on_random_forests() -> None:
    rng = np.random.default_rng(7)
    counts = np.array([0, 1, 50, 300, 17])
    local = np.concatenate([np.arange(n) for n in counts])
    # mostly earlier parents (deep chains), some arbitrary ones (cycles), some out of range
    parent = np.where(rng.random(len(local)) < 0.9, local - 1, rng.integers(-1, 320, len(local)))
    flag = rng.random(len(local)) < 0.05
    offsets = np.concatenate([[0], np.cumsum(counts)])
    got = any_ancestor(flag, global_parent(parent, offsets), max_steps(offsets))
    assert got.tolist() == _reference_any_ancestor(flag, parent, counts)


def test_deep_chain_and_cycle_terminate() -> None:
    depth = 1000
    parent = np.arange(-1, depth - 1)  # a single chain 0 <- 1 <- ... <- 999
    parent_cycle = parent.copy()
    parent_cycle[0] = depth - 1  # closes the chain into a cycle
    for par in (parent, parent_cycle):
        cols = {
            "px": np.ones(depth),
            "py": np.zeros(depth),
            "pz": np.zeros(depth),
            "E": np.ones(depth),
            "m": np.zeros(depth),
            # 0 is a photon without mother, 1 a B: a parentless hadron would count as a beam
            "pid": np.where(np.arange(depth) == 1, 511, 22),
            "status": np.full(depth, 2),
            "parent": par,
        }
        batch = EventBatch(make_particles(np.array([depth]), cols), np.ones((1, 1)), ("n",), [0])
        t = truth_view(batch)[0]
        assert ak.all(t.from_hadron[2:])
        assert t.from_hadron[:2].tolist() == [par is parent_cycle] * 2


def test_empty_inputs() -> None:
    for batch in (particle_batch([]), particle_batch([[], []])):
        t = truth_view(batch)
        assert len(t) == len(batch)
        assert ak.sum(ak.num(t)) == 0
        assert len(met(t)) == len(batch)


def test_random_batch_fields_consistent() -> None:
    t = truth_view(random_batch(20, 50))
    assert ak.all(t.prompt == (~t.from_hadron & ~t.from_tau))
    assert ak.all(t.visible == (t.final & ~t.invisible))
    assert ak.all(t.index == ak.local_index(t))
