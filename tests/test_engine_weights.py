"""Weights per region: a weighted cut (e.g. a truth-tagging probability) fills each region with
its own weight from that step on, exactly, for every weight variation."""

from __future__ import annotations

import shutil
from fractions import Fraction
from pathlib import Path

import numpy as np

from hepreint import RunOptions, run
from hepreint.engine.exact import SHIFT
from hepreint.engine.yields import Yields

ROOT = Path(__file__).resolve().parent.parent


def _exact(values: np.ndarray) -> int:
    """Σ values as an integer in units of 2**-SHIFT, by Fractions (independent of exact.py)."""
    total = sum((Fraction(float(v)) for v in values), Fraction(0))
    scaled = total * (1 << SHIFT)
    assert scaled.denominator == 1
    return int(scaled)


def test_hand_made_region_factors_are_summed_exactly() -> None:
    rng = np.random.default_rng(11)
    n = 500
    w = rng.normal(1.0, 2.0, size=(n, 2))
    pass1 = rng.random(n) < 0.7
    one = np.ones(n, bool)
    layout = {"A": ("all events", "c1", "tag3"), "B": ("all events", "c1", "tag4")}
    masks = {"A": np.stack([one, pass1, pass1]), "B": np.stack([one, pass1, pass1])}
    f3, f4 = rng.random(n), rng.random(n) ** 2
    factors = {"A": [None, None, f3], "B": [None, None, f4]}
    y = Yields.from_masks(layout, masks, w, ("nominal", "var"), factors=factors)
    for region, f in (("A", f3), ("B", f4)):
        r = y.regions[region]
        for k in range(2):
            assert r.sumw[0][k] == _exact(w[:, k])
            assert r.sumw[1][k] == _exact(w[pass1, k])  # before the weighted step: unweighted
            wf = (w[:, k] * f)[pass1]
            assert r.sumw[2][k] == _exact(wf)
            assert r.sumw2[2][k] == _exact(wf * wf)
        assert r.n == [n, int(pass1.sum()), int(pass1.sum())]
    # the normalisation denominator stays the file's own weights
    assert y.sumw_all[0] == _exact(w[:, 0])


def test_weighted_cut_in_an_analysis(example_sample: Path, tmp_path: Path) -> None:
    d = tmp_path / "ana"
    shutil.copytree(ROOT / "analyses" / "ttHbb", d)
    y = d / "analysis.yaml"
    text = y.read_text()
    # replace the ≥3 b cut of the 1-lepton channel by an (invented) per-event factor: 0.5 per
    # event with >= 3 b-jets, and the ≥3 b cut of the dilepton channel by 0.25 (no cut)
    text = text.replace(
        '  ge3_b_1l:\n    tags: {collection: jets, at_least: {70: 3}}',
        '  ge3_b_1l:\n    tags: {collection: jets, at_least: {70: 3}}\n    weight: "0.5"',
    ).replace(
        '  ge3_b_2l:\n    tags: {collection: jets, at_least: {70: 2, 85: 3}}',
        '  ge3_b_2l:\n    weight: "where(n_b >= 3, 0.25, 0.0)"',
    )
    y.write_text(text)
    # at truth level every b-jet is tagged at every working point: n_b >= 3 is the tag cut
    truth = RunOptions(seed=1, detectors=("truth",))
    base = run(ROOT / "analyses" / "ttHbb", [example_sample], truth)
    weighted = run(d, [example_sample], truth)
    b, w = base.yields.regions, weighted.yields.regions
    sl_b, sl_w = b["single_lepton"], w["single_lepton"]
    assert sl_w.sumw[:-1] == sl_b.sumw[:-1]  # steps before the weighted cut are untouched
    assert sl_w.sumw[-1][0] * 2 == sl_b.sumw[-1][0] and sl_b.n[-1] > 0  # x 0.5 is exact
    dl_b, dl_w = b["dilepton"], w["dilepton"]
    assert dl_w.sumw[-1][0] * 4 == dl_b.sumw[-1][0]  # x 0.25 instead of the cut
    assert dl_w.n[-1] == dl_b.n[-2]  # a weight-only cut removes no event from the raw count
    # the binned child regions carry the parent's weighted cut too
    bins = sum(w[f"SR_1l_bin{i}"].sumw[-1][0] for i in range(6))
    assert bins == w["SR_1l_all"].sumw[-1][0]  # the same ttH-class events, all pT(H)
