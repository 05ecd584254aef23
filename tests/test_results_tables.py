"""Results as scikit-hep objects: hist cut-flows and binned regions, tidy rows, vector events."""

from __future__ import annotations

import math
from pathlib import Path

import awkward as ak
import hist
import numpy as np
import pytest

import hepreint
from hepreint.results import Results


@pytest.fixture(scope="module")
def res(example_sample: Path) -> Results:
    ana = hepreint.load_analysis("analyses/ttHbb")
    return hepreint.run(ana, [example_sample], hepreint.RunOptions(seed=1, max_events=60))


def test_cutflow_hists_hold_the_results_numbers(res: Results) -> None:
    doc = res.to_dict()
    hists = res.to_hist()
    f = doc["normalisation"]["factor"]
    for name, reg in doc["regions"].items():
        if reg["bin"] is not None:
            continue
        h = hists[f"cutflow_{name}"]
        assert isinstance(h.axes[0], hist.axis.StrCategory)
        assert list(h.axes[0]) == [s["step"] for s in reg["cutflow"]]
        np.testing.assert_allclose(h.values(), [s["yield"] for s in reg["cutflow"]], rtol=1e-12)
        np.testing.assert_allclose(
            h.variances(), [s["sumw2"] * f * f for s in reg["cutflow"]], rtol=1e-12
        )
        assert h[hist.loc(reg["cutflow"][-1]["step"])].value == pytest.approx(reg["yield"])


def test_a_binned_region_is_one_variable_axis_with_its_edges(res: Results) -> None:
    doc = res.to_dict()
    h = res.to_hist()["SR_1l"]
    axis = h.axes[0]
    assert isinstance(axis, hist.axis.Variable) and axis.name == "pth_reco"
    region = "SR_1l"
    bins = [r for r in doc["regions"].values() if r["bin"] and r["bin"]["region"] == region]
    bins.sort(key=lambda r: r["bin"]["index"])
    assert math.isinf(bins[-1]["bin"]["high"])  # the open last bin is the overflow bin
    assert list(axis.edges) == [b["bin"]["low"] for b in bins]
    np.testing.assert_allclose(h.values(flow=True), [b["yield"] for b in bins], rtol=1e-12)
    assert h.sum(flow=True).value == pytest.approx(doc["regions"]["single_lepton"]["yield"])
    assert not any("_bin" in k for k in res.to_hist())


def test_a_weight_is_chosen_by_name_or_position(res: Results) -> None:
    name = res.yields.weight_names[0]
    a, b = res.to_hist(name), res.to_hist(0)
    assert a["cutflow_dilepton"] == b["cutflow_dilepton"]
    with pytest.raises(hepreint.HepreintError, match="no weight named 'nope'"):
        res.to_hist("nope")


def test_the_table_is_tidy_and_adds_up(res: Results) -> None:
    rows = res.to_table()
    keys = {tuple(sorted(r)) for r in rows}
    assert len(keys) == 1  # every row has the same columns
    ptbb = [r for r in rows if r["region"] == "SR_1l" and r["bin_low"] is not None]
    assert len(ptbb) == 6 and all(r["step_index"] == ptbb[0]["step_index"] for r in ptbb)
    last = [r for r in rows if r["region"] == "single_lepton"][-1]
    assert sum(r["yield"] for r in ptbb) == pytest.approx(last["yield"])
    assert sum(r["raw"] for r in ptbb) == last["raw"]
    assert len(res.to_table(variations=True)) == len(rows) * len(res.yields.weight_names)


def test_to_pandas_says_how_to_get_pandas(res: Results) -> None:
    try:
        import pandas  # noqa: F401
    except ImportError:
        with pytest.raises(hepreint.HepreintError, match="pip install pandas"):
            res.to_pandas()
    else:
        df = res.to_pandas()
        assert len(df) == len(res.to_table()) and "yield" in df.columns


def test_read_events_gives_vector_particles(example_sample: Path) -> None:
    stream = hepreint.read_events([example_sample], batch_size=20, max_events=20)
    (batch,) = list(stream)
    p = batch.particles
    plain = next(iter(hepreint.read_events([example_sample], batch_size=20, vector=False)))
    q = plain.particles
    np.testing.assert_allclose(ak.flatten(p.pt), ak.flatten(np.hypot(q.px, q.py)))
    assert ak.all(p.m == q.m) and ak.all(p.generated_E == q.E)
    fs = p[p.status == 1]
    assert ak.max(abs(fs.E - fs.generated_E) / fs.E) < 1e-5
    assert stream.reports[0].n_events_read == 20
