"""Processor and runner behaviour that a wrong number would hide: analysis weights, failures
part-way (kept, not lost), runtime spec errors, merging guards."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

import hepreint
from hepreint import PartialResultsError, RunOptions, SpecError, run
from hepreint.engine.processor import Processor
from hepreint.results.merge import merge_files

ROOT = Path(__file__).resolve().parent.parent


def _copy_tth(tmp_path: Path, edit: str, new: str) -> Path:
    d = tmp_path / "ana"
    shutil.copytree(ROOT / "analyses" / "ttHbb", d)
    y = d / "analysis.yaml"
    text = y.read_text()
    assert edit in text
    y.write_text(text.replace(edit, new))
    return d


def test_event_weight_factors_change_yields(example_sample: Path, tmp_path: Path) -> None:
    # a 0.5 efficiency must halve the yields, not cancel out in the normalisation
    base = run(ROOT / "analyses" / "ttHbb", [example_sample], RunOptions(max_events=40))
    d = _copy_tth(tmp_path, "validation:\n", 'weights:\n  event: ["0.5"]\nvalidation:\n')
    half = run(d, [example_sample], RunOptions(max_events=40))
    y0, _ = base.region_yield("single_lepton")
    y1, _ = half.region_yield("single_lepton")
    assert y0 > 0 and y1 == pytest.approx(0.5 * y0)
    assert half.sumw_all == base.sumw_all


def test_non_finite_event_weight_names_the_expression(example_sample: Path, tmp_path: Path) -> None:
    d = _copy_tth(tmp_path, "validation:\n", 'weights:\n  event: ["1 / (n_jets - n_jets)"]\n'
                  "validation:\n")  # fmt: skip
    with pytest.raises(SpecError, match=r"analysis.yaml:\d+: at weights.event\[0\]"):
        run(d, [example_sample], RunOptions(max_events=20))


def test_list_valued_cut_is_a_spec_error_with_place(example_sample: Path, tmp_path: Path) -> None:
    d = _copy_tth(tmp_path, 'expr: "n_jets >= 5"', 'expr: "jets.pt > 30"')
    with pytest.raises(SpecError, match=r"at cuts.ge5_jets.*gives a list"):
        run(d, [example_sample], RunOptions(max_events=20))


def test_unexpected_failure_keeps_earlier_batches(
    example_sample: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = {"n": 0}
    original = Processor.process

    def flaky(self: Processor, batch):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 3:
            raise ZeroDivisionError("boom")
        return original(self, batch)

    monkeypatch.setattr(Processor, "process", flaky)
    with pytest.raises(PartialResultsError) as err:
        run(ROOT / "analyses" / "ttHbb", [example_sample], RunOptions(batch_size=10))
    res = err.value.results
    assert res.status == "partial" and res.yields.n_events == 20
    assert "internal error (ZeroDivisionError: boom)" in res.errors[0]


def test_merge_refuses_different_weights(example_sample: Path, tmp_path: Path) -> None:
    res = run(ROOT / "analyses" / "ttHbb", [example_sample], RunOptions(max_events=10))
    a = res.write(tmp_path / "a")
    doc = json.loads(a.read_text())
    doc["weight_names"] = ["Weight", "other"]
    ex = doc["exact"]  # a second weight in the exact sums too: readers refuse files that lie
    ex["sumw_all"] *= 2
    ex["sumw2_all"] *= 2
    for r in ex["regions"].values():
        r["sumw"] = [row * 2 for row in r["sumw"]]
        r["sumw2"] = [row * 2 for row in r["sumw2"]]
    b = tmp_path / "b.json"
    b.write_text(json.dumps(doc))
    with pytest.raises(Exception, match="different event weights"):
        merge_files([a, b], tmp_path / "m")


def test_merge_warns_on_differing_xsec(example_sample: Path, tmp_path: Path) -> None:
    tth = ROOT / "analyses" / "ttHbb"
    a = run(tth, [example_sample], RunOptions(max_events=30)).write(tmp_path / "a")
    b = run(tth, [example_sample], RunOptions(skip=30)).write(tmp_path / "b")
    out = json.loads(merge_files([a, b], tmp_path / "m").read_text())
    assert any("different cross-sections" in w for w in out["warnings"])


@pytest.mark.slow
def test_python_api_mirrors_cli(example_sample: Path, tmp_path: Path) -> None:
    res = run(ROOT / "analyses" / "ttHbb", [example_sample], RunOptions(max_events=60))
    assert hepreint.to_yoda(res).startswith("BEGIN YODA_")
    written = hepreint.export_results(res, "checkmate", tmp_path / "cm")
    assert any(p.name == "total_results.txt" for p in written)
    lim = hepreint.limits(res, per_region=False)
    assert lim.label == "calibrated approximation" and lim.mu_limit_exp["median"] > 0
    assert hepreint.validate(res).status == "nothing to compare"


@pytest.mark.slow
def test_limits_survive_few_mc_events(example_sample: Path) -> None:
    # few raw events: the signal's MC uncertainty flattens the upper bands and pyhf returns NaN
    # for some tests; the limit finder must still give ordered, finite central limits and warn
    opts = RunOptions(max_events=50, detectors=("truth",))  # as the workspace was calibrated
    res = run(ROOT / "analyses" / "ttHbb", [example_sample], opts)
    lim = hepreint.limits(res, per_region=False)
    bands = [lim.mu_limit_exp[k] for k in ("-2sigma", "-1sigma", "median", "+1sigma", "+2sigma")]
    assert 0 < bands[0] <= bands[1] <= bands[2] <= bands[3] <= bands[4]
    assert lim.mu_limit_obs is not None and 0 < lim.mu_limit_obs < 10
    assert any("raw MC event" in w for w in lim.warnings)


@pytest.mark.parametrize(
    ("variable", "expr"),
    [("ratio", "n_jets / (n_jets - n_jets)"), ("lead_ratio", "jets.pt / (jets.pt - jets.pt)")],
)
def test_non_finite_variable_is_a_spec_error(
    example_sample: Path, tmp_path: Path, variable: str, expr: str
) -> None:
    # inf/NaN from a division by zero would pass or fail cuts arbitrarily: refused, with place
    d = _copy_tth(
        tmp_path, '  n_lep: "count(leptons)"', f'  n_lep: "count(leptons)"\n  {variable}: "{expr}"'
    )
    with pytest.raises(SpecError, match=rf"variables.{variable}.*gives (nan|inf) in event \d+"):
        run(d, [example_sample], RunOptions(max_events=20))
