"""Closure of the detector layer on many generated truth objects: what comes out matches the
card within statistical error (tag rates per working point and pseudo-continuous bin, response
widths per pT bin), and truth tagging's mean weight equals the direct-tagging rate."""

from __future__ import annotations

import awkward as ak
import numpy as np
import pytest

from hepreint.detector import load_card, respond
from hepreint.detector.response import tag_efficiencies
from hepreint.detector.truth_tagging import Requirement, draw_passing_tags, requirement_probability
from hepreint.events.batch import EventBatch
from hepreint.events.random import event_uniforms
from hepreint.objects._columnar import jagged

CARD = load_card("atlas-run2")
N_EVENTS = 20000


def _batch(n: int, file_id: int = 7) -> EventBatch:
    counts = np.zeros(n, dtype=np.int64)
    particles = ak.unflatten(ak.Array([{"px": 0.0}])[:0], counts)
    return EventBatch(particles, np.ones((n, 1)), ("w",), np.arange(n), "synthetic",
                      file_id=file_id)  # fmt: skip


def _jets(
    n_events: int, per_event: int, pt: float | np.ndarray, flavour: int, seed: int = 3
) -> ak.Array:
    rng = np.random.default_rng(seed)
    n = n_events * per_event
    pts = np.broadcast_to(np.asarray(pt, dtype=np.float64), (n,)).copy()
    eta = rng.uniform(-2.0, 2.0, n)
    phi = rng.uniform(-np.pi, np.pi, n)
    m = np.full(n, 5.0)
    px, py, pz = pts * np.cos(phi), pts * np.sin(phi), pts * np.sinh(eta)
    e = np.sqrt(px**2 + py**2 + pz**2 + m**2)
    cols = {"px": px, "py": py, "pz": pz, "E": e, "flavour": np.full(n, flavour, dtype=np.int64)}
    off = np.arange(0, n + 1, per_event, dtype=np.int64)
    return jagged(cols, off, with_name="Momentum4D")


def _uniforms(batch: EventBatch, seed: int = 1):  # type: ignore[no-untyped-def]
    return lambda stage, counts: event_uniforms(seed, stage, batch, counts)


def _card_eff(name: str) -> float:
    return float(CARD.function(name)({"pt": np.array([100.0]), "abs_eta": np.array([1.0])})[0])


def _within(measured: np.ndarray, expected: float, n_sigma: float = 4.0) -> None:
    n = measured.size
    sigma = np.sqrt(max(expected * (1 - expected), 1e-12) / n)
    assert abs(measured.mean() - expected) < n_sigma * sigma + 1e-12, (measured.mean(), expected)


@pytest.mark.parametrize(("flavour", "cls"), [(5, "B"), (4, "C"), (0, "L")])
def test_tag_rates_match_the_card_at_every_working_point(flavour: int, cls: str) -> None:
    batch = _batch(N_EVENTS)
    jets = _jets(N_EVENTS, 2, 100.0, flavour)
    out = respond(CARD, "jet", jets, _uniforms(batch))
    wps = (60, 70, 77, 85)
    effs = [_card_eff(f"DL1R_{cls}_{wp}") for wp in wps]
    for wp, eff in zip(wps, effs, strict=True):
        _within(ak.to_numpy(ak.flatten(out[f"btag{wp}"])), eff)
    # pseudo-continuous bins: passes 60 | 70 not 60 | 77 not 70 | 85 not 77 | fails 85
    bins = ak.to_numpy(ak.flatten(out.tag_bin))
    expected = [1 - effs[3], effs[3] - effs[2], effs[2] - effs[1], effs[1] - effs[0], effs[0]]
    for k, p in enumerate(expected):
        _within((bins == k).astype(float), p)
    # nested: a jet passing a tight point passes every looser one
    for tight, loose in zip(wps, wps[1:], strict=False):
        assert not np.any(ak.to_numpy(ak.flatten(out[f"btag{tight}"] & ~out[f"btag{loose}"])))


@pytest.mark.parametrize("pt", [25.0, 50.0, 120.0, 400.0])
def test_jet_response_width_matches_the_card_resolution(pt: float) -> None:
    batch = _batch(N_EVENTS)
    jets = _jets(N_EVENTS, 1, pt, 0)
    # JVT would drop some low-pT jets: measure the response on the kept ones (independent)
    out = respond(CARD, "jet", jets, _uniforms(batch))
    response = ak.to_numpy(ak.flatten(out.pt)) / pt
    sigma = float(CARD.function("JET_ENERGY_RESOLUTION")({"pt": np.array([pt])})[0])
    n = response.size
    assert abs(response.mean() - 1.0) < 5 * sigma / np.sqrt(n)
    assert abs(response.std() - sigma) < 5 * sigma / np.sqrt(2 * n)


def test_muon_resolution_and_efficiency_match_the_card() -> None:
    batch = _batch(N_EVENTS)
    mu = _jets(N_EVENTS, 1, 80.0, 0)
    out = respond(CARD, "muon", mu, _uniforms(batch))
    kin = {"pt": np.full(1, 80.0), "abs_eta": np.full(1, 1.0)}
    # |eta| uniform in [0, 2): the card's efficiency averaged over it
    etas = np.abs(ak.to_numpy(ak.flatten(mu.eta)))
    eff = np.mean(CARD.function("MUON_RECOEFF_ATLAS_RUN2")({"abs_eta": etas})
                  * CARD.function("MUON_MEDIUM_PT")({"pt": np.full(etas.size, 80.0)}))  # fmt: skip
    kept = ak.num(out, axis=1).to_numpy().astype(float)
    _within(kept, float(eff))
    central = np.abs(ak.to_numpy(ak.flatten(out.eta))) < 1.5
    sigma = float(CARD.function("MUON_SMEAR_ATLAS_RUN2")({**kin, "abs_eta": np.array([1.0])})[0])
    resp = ak.to_numpy(ak.flatten(out.pt))[central] / 80.0
    assert abs(resp.std() - sigma) < 5 * sigma / np.sqrt(2 * resp.size)


def _mixed_jets(n_events: int) -> ak.Array:
    rng = np.random.default_rng(11)
    counts = rng.integers(2, 7, n_events)
    n = int(counts.sum())
    flav = rng.choice([5, 4, 0], size=n, p=[0.5, 0.2, 0.3])
    pts = rng.uniform(30, 200, n)
    phi = rng.uniform(-np.pi, np.pi, n)
    cols = {"px": pts * np.cos(phi), "py": pts * np.sin(phi), "pz": np.zeros(n),
            "E": pts * 1.01, "flavour": flav}  # fmt: skip
    off = np.zeros(n_events + 1, dtype=np.int64)
    np.cumsum(counts, out=off[1:])
    return jagged(cols, off, with_name="Momentum4D")


REQUIREMENTS = [
    {"collection": "jets", "at_least": {77: 2}},
    {"collection": "jets", "at_least": {70: 3}},
    {"collection": "jets", "at_least": {77: 4}},
    {"collection": "jets", "at_least": {70: 2, 85: 3}},
    {"collection": "jets", "exactly": {70: 2}, "at_most": {85: 3}},
]


@pytest.mark.parametrize(
    "spec", REQUIREMENTS, ids=lambda s: str({k: v for k, v in s.items() if k != "collection"})
)
def test_truth_tagging_weight_equals_direct_tagging_rate(spec: dict) -> None:
    n_events = 20000
    batch = _batch(n_events)
    jets = _mixed_jets(n_events)
    out = respond(CARD, "jet", jets, _uniforms(batch))  # direct tags on the same jets
    req = Requirement.from_spec(spec)
    counts = {wp: ak.to_numpy(ak.sum(out[f"btag{wp}"], axis=1)) for wp in req.working_points}
    direct = req.passes(counts).astype(float)
    effs = {wp: out[f"btageff{wp}"] for wp in req.working_points}
    p, *_ = requirement_probability(effs, req)
    assert np.all((p >= 0) & (p <= 1 + 1e-12))
    # the direct rate is a binomial estimate of the mean probability
    sigma = np.sqrt(p.mean() * (1 - p.mean()) / n_events)
    assert abs(direct.mean() - p.mean()) < 4 * sigma + 1e-9
    # event by event: the mean of many direct draws approaches p (exact by enumeration below)
    u = event_uniforms(5, "truth-tag-test", batch, 2 * ak.num(out, axis=1).to_numpy() + 1)
    p2, jet_u = draw_passing_tags(effs, req, u)
    np.testing.assert_allclose(p2, p)
    # the drawn tags satisfy the requirement whenever it can be satisfied
    n_jets = ak.num(out, axis=1).to_numpy()
    u_j = ak.unflatten(jet_u, n_jets)
    drawn = {
        wp: ak.to_numpy(ak.sum(u_j < out[f"btageff{wp}"], axis=1)) for wp in req.working_points
    }
    assert np.all(req.passes(drawn)[p > 0])


def test_truth_tagging_probability_is_exact_by_enumeration() -> None:
    import itertools

    effs70 = ak.Array([[0.7, 0.1, 0.3, 0.02]])
    effs85 = ak.Array([[0.85, 0.3, 0.5, 0.1]])
    req = Requirement.from_spec({"collection": "j", "at_least": {70: 2, 85: 3}})
    p, *_ = requirement_probability({70: effs70, 85: effs85}, req)
    e70, e85 = np.asarray(effs70[0]), np.asarray(effs85[0])
    total = 0.0
    for levels in itertools.product((0, 1, 2), repeat=4):  # 0 fail, 1 85-not-70, 2 70
        prob = np.prod([(1 - e85[i], e85[i] - e70[i], e70[i])[lv] for i, lv in enumerate(levels)])
        if sum(lv == 2 for lv in levels) >= 2 and sum(lv >= 1 for lv in levels) >= 3:
            total += prob
    assert p[0] == pytest.approx(total, rel=1e-12)


def test_tag_draw_of_truth_tagging_follows_configuration_probabilities() -> None:
    # one event, three b-jets, >= 2 at 70 %: each passing configuration drawn with P(config)/P
    n = 40000
    batch = _batch(n)
    e = 0.7
    effs = {70: ak.Array(np.full((n, 3), e).tolist())}
    req = Requirement.from_spec({"collection": "j", "at_least": {70: 2}})
    u = event_uniforms(9, "draw", batch, np.full(n, 7))
    p, jet_u = draw_passing_tags(effs, req, u)
    tagged = jet_u.reshape(n, 3) < e
    all3 = tagged.all(axis=1).mean()
    expected = e**3 / (e**3 + 3 * e**2 * (1 - e))
    assert abs(all3 - expected) < 4 * np.sqrt(expected * (1 - expected) / n)
    assert p[0] == pytest.approx(e**3 + 3 * e**2 * (1 - e))


def test_tag_efficiencies_are_cumulative_even_if_a_card_is_not() -> None:
    batch = _batch(10)
    jets = _jets(10, 3, 50.0, 5)
    tag = dict(CARD.section("jet")["flavour_tagging"])
    kin = {
        "pt": ak.to_numpy(ak.flatten(jets.pt)),
        "abs_eta": np.abs(ak.to_numpy(ak.flatten(jets.eta))),
    }
    effs = tag_efficiencies(CARD, "jet", tag, jets, kin)
    arr = np.stack([effs[w] for w in (60, 70, 77, 85)])
    assert np.all(np.diff(arr, axis=0) >= 0)
    assert batch is not None
