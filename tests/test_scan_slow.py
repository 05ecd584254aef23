"""hepreint scan end to end: a 2x2 grid of X -> S(bb)H(yy) points generated with Pythia (60
events each) on two local worker processes, run on the toy analysis (tests/specs/scan_toy, an
invented simplified likelihood), limits, maps, HEPData checked by hepdata-validator, plots; then
the same command again, which must redo nothing (no event regenerated, no file rewritten).

60 events per point (150 before): the one statistical assertion, preselection efficiency
> 0.2, is measured 0.58-0.75 at the four points, and with 60 events its binomial error is
0.065, so the cut is more than five standard deviations below every point."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
import yaml

pytest.importorskip("pythia8mc")
sfv = pytest.importorskip("hepdata_validator.submission_file_validator")
dfv = pytest.importorskip("hepdata_validator.data_file_validator")

from hepreint.analysis.schemas import validate  # noqa: E402
from hepreint.scan import run_scan  # noqa: E402

TOY = Path(__file__).resolve().parent / "specs" / "scan_toy"
EVENTS = 60


@pytest.mark.slow
def test_scan_2x2_generates_maps_and_resumes(tmp_path: Path) -> None:
    out = tmp_path / "scan"
    kw = dict(
        grid_axes=["mX=500,750", "mS=100,200"],
        process="X_SH_bbyy",
        n_events=EVENTS,
        seed=3,
        executor="processes",
        workers=2,
        xsec_pb=0.001,  # 1 fb: signal yields of tens of events at 140 fb^-1
    )
    t0 = time.perf_counter()
    rep = run_scan(TOY, out, **kw)  # type: ignore[arg-type]
    first = time.perf_counter() - t0
    doc = rep.doc
    assert validate(doc, "scan") == []
    assert doc["status"] == "complete" and doc["summary"]["complete"] == 4
    assert rep.generated == 4 and rep.ran == 4 and rep.reused == 0
    seeds = set()
    for p in doc["points"]:
        d = Path(p["directory"])
        manifest = json.loads((d / "point.json").read_text())
        assert manifest["seed"] == p["seed"] and manifest["generation"]["events"] == EVENTS
        seeds.add(p["seed"])
        res = json.loads((d / "results.json").read_text())
        assert res["analysis"]["parameters"] == p["parameters"]
        assert res["provenance"]["seed"] == p["seed"]
        assert res["normalisation"]["n_events"] == EVENTS
        for region, e in p["efficiency"].items():
            step = res["regions"][region]["cutflow"][-1]
            assert e["value"] == pytest.approx(step["efficiency"])
            assert e["stat"] == pytest.approx(step["efficiency_stat"])
            assert 0 <= e["value"] <= 1
        assert p["efficiency"]["presel"]["value"] > 0.2  # two photons and a b-jet, mostly
        lim = json.loads((d / "limits.json").read_text())
        exp = p["limits"]["xsec_limit_exp_fb"]
        assert exp["median"] == pytest.approx(lim["xsec_limit_exp_fb"]["median"])
        assert exp["-2sigma"] < exp["-1sigma"] < exp["median"] < exp["+1sigma"] < exp["+2sigma"]
        assert p["limits"]["xsec_limit_obs_fb"] == pytest.approx(lim["xsec_limit_obs_fb"])
        assert p["limits"]["signal_xsec_fb"] == pytest.approx(1.0)  # --xsec 0.001 pb
        mu = p["limits"]["mu_limit_obs"]
        assert mu * p["limits"]["signal_xsec_fb"] == pytest.approx(lim["xsec_limit_obs_fb"])
    assert len(seeds) == 4
    assert doc["limits"]["label"] == "simplified" and "TOY" in doc["limits"]["source"]
    # HEPData as hepdata.net checks it
    hd = out / "hepdata"
    v = sfv.SubmissionFileValidator()
    assert v.validate(file_path=str(hd / "submission.yaml"))
    for entry in yaml.safe_load_all((hd / "submission.yaml").read_text()):
        if "data_file" in entry:
            d = dfv.DataFileValidator()
            f = str(hd / entry["data_file"])
            assert d.validate(file_path=f), [m.message for m in d.get_messages(f)]
    lim_table = yaml.safe_load((hd / "upper_limits.yaml").read_text())
    assert [iv["header"]["name"] for iv in lim_table["independent_variables"]] == ["mX", "mS"]
    assert {p.name for p in rep.plots} == {
        "limit_map_expected.png", "limit_map_observed.png", "efficiency_map_one_b.png"}  # fmt: skip
    # rerun: every point is kept, nothing generated or rewritten
    events = {p: p.stat().st_mtime_ns for p in out.rglob("events.hepmc3.gz")}
    kept = {p: p.stat().st_mtime_ns for p in (out / "points").rglob("*.json")}
    assert len(events) == 4
    t1 = time.perf_counter()
    again = run_scan(TOY, out, **kw)  # type: ignore[arg-type]
    second = time.perf_counter() - t1
    assert again.ran == 0 and again.generated == 0 and again.reused == 4
    assert {p: p.stat().st_mtime_ns for p in out.rglob("events.hepmc3.gz")} == events
    assert {p: p.stat().st_mtime_ns for p in kept} == kept
    assert again.doc["points"] == [{**p, "reused": True} for p in doc["points"]]
    print(f"\nscan 2x2 x {EVENTS} events: {first:.1f} s ({4 / first:.3f} points/s); "
          f"rerun {second:.1f} s, 0 points redone")  # fmt: skip
