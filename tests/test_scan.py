"""hepreint scan, fast lane: grid parsing and its errors, seeds, planning and resume, the maps
built from hand-made documents, the JSON schema, HEPData checked by hepdata-validator, plots,
and the CLI over given event files (no generation). The Pythia end-to-end scan is in
tests/test_scan_slow.py."""

from __future__ import annotations

import json
import math
import signal
from pathlib import Path
from typing import Any

import pytest
import yaml

from hepreint.analysis.schemas import validate
from hepreint.errors import HepreintError
from hepreint.scan import GridPoint, ScanError, grid_from_axes, grid_from_file
from hepreint.scan.grid import parse_axis
from hepreint.scan.hepdata import write_scan_hepdata
from hepreint.scan.maps import PointRecord, caveats, efficiency, scan_document
from hepreint.scan.plan import PlannedPoint, ScanConfig, is_done, plan, point_seed, write_manifest

ROOT = Path(__file__).resolve().parent.parent
TOY = ROOT / "tests" / "specs" / "scan_toy"
XSH = ROOT / "tests" / "specs" / "XSH_bbyy"  # no likelihood: efficiency map only
DECLARED = {"mX": 500.0, "mS": 200.0}


# --- grid ---------------------------------------------------------------------------------


def test_axis_range_includes_stop_and_lists() -> None:
    assert parse_axis("mX=250:1000:250") == ("mX", [250.0, 500.0, 750.0, 1000.0])
    assert parse_axis("mX=250:900:250") == ("mX", [250.0, 500.0, 750.0])
    assert parse_axis("mS=0.1:0.3:0.1")[1] == [0.1, 0.2, 0.3]  # no float drift past STOP
    assert parse_axis(" mS = 50, 100 ,400") == ("mS", [50.0, 100.0, 400.0])


def test_grid_is_the_cross_product_first_axis_outermost() -> None:
    g = grid_from_axes(["mX=500:750:250", "mS=50,100"], DECLARED)
    assert g.parameters == ("mX", "mS")
    assert [p.values for p in g.points] == [
        {"mX": 500.0, "mS": 50.0}, {"mX": 500.0, "mS": 100.0},
        {"mX": 750.0, "mS": 50.0}, {"mX": 750.0, "mS": 100.0},
    ]  # fmt: skip
    assert g.points[0].name == "mX500_mS50" and g.points[0].label() == "mX=500, mS=50"


@pytest.mark.parametrize(
    ("axes", "match"),
    [
        (["mX"], "NAME=START:STOP:STEP"),
        (["mX=1:2"], "three numbers"),
        (["mX=500:250:50"], "below START"),
        (["mX=250:500:0"], "STEP must be > 0"),
        (["mX=a,b"], "not a number"),
        (["mX=nan"], "finite"),
        (["mX=1,1"], "twice"),
        (["mX=1,2", "mX=3"], "given twice"),
        (["mY=1,2"], "unknown parameter.*mY.*declares: mX, mS"),
        ([], "no points"),
        (["mX=1:1000000:1"], "use a larger STEP"),
    ],
)
def test_grid_errors_name_the_option_and_fix(axes: list[str], match: str) -> None:
    with pytest.raises(ScanError, match=match) as e:
        grid_from_axes(axes, DECLARED)
    assert "\n" not in str(e.value)
    assert isinstance(e.value, HepreintError)


def test_points_file_with_and_without_files(tmp_path: Path) -> None:
    (tmp_path / "a.hepmc3").write_text("x")
    f = tmp_path / "points.yaml"
    f.write_text(yaml.safe_dump({"points": [
        {"mS": 100, "mX": 500}, {"mX": 750, "mS": 100, "files": ["a.hepmc3"]}]}))  # fmt: skip
    g = grid_from_file(f, DECLARED)
    assert g.parameters == ("mX", "mS")  # the analysis' order, not the file's
    assert g.points[0] == GridPoint((("mX", 500.0), ("mS", 100.0)))
    assert g.points[1].files == (str((tmp_path / "a.hepmc3").resolve()),)


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("points: [", "not YAML"),
        ("points: []", "non-empty list"),
        ("- 5", "expected a mapping"),
        ("- {mY: 5}", "unknown parameter"),
        ("- {mX: 5, files: [missing.hepmc3]}", "not found"),
        ("- {mX: 5}\n- {mX: 6, mS: 1}", "differ from the first point"),
        ("- {mX: .nan}", "finite"),
        ("- {mX: 5}\n- {mX: 5}", "listed twice"),
    ],
)
def test_points_file_errors(tmp_path: Path, text: str, match: str) -> None:
    f = tmp_path / "points.yaml"
    f.write_text(text)
    with pytest.raises(ScanError, match=match) as e:
        grid_from_file(f, DECLARED)
    assert str(f) in str(e.value)


def test_unreadable_points_file(tmp_path: Path) -> None:
    with pytest.raises(ScanError, match="--points .*cannot read"):
        grid_from_file(tmp_path / "nope.yaml", DECLARED)


# --- seeds and planning -------------------------------------------------------------------


def test_point_seeds_are_deterministic_distinct_and_in_pythia_range() -> None:
    g = grid_from_axes(["mX=250:1000:250", "mS=50:400:50"], DECLARED)
    seeds = [point_seed(7, p) for p in g.points]
    assert seeds == [point_seed(7, p) for p in g.points]
    assert len(set(seeds)) == len(seeds)
    assert all(0 < s < 900_000_000 for s in seeds)
    assert point_seed(8, g.points[0]) != seeds[0]
    # a point's seed does not depend on the rest of the grid
    one = grid_from_axes(["mX=250", "mS=50"], DECLARED).points[0]
    assert point_seed(7, one) == seeds[0]


def _config(tmp_path: Path, **kw: Any) -> ScanConfig:
    base: dict[str, Any] = dict(
        analysis=str(TOY), analysis_sha256="0" * 64, outdir=str(tmp_path), process="X_SH_bbyy",
        n_events=100,
    )
    return ScanConfig(**{**base, **kw})


def test_impossible_points_are_skipped_with_the_generator_reason(tmp_path: Path) -> None:
    g = grid_from_axes(["mX=300,500", "mS=100,200"], DECLARED)
    planned = plan(_config(tmp_path), g.points)
    status = {p.point.name: p.status for p in planned}
    assert status == {"mX300_mS100": "todo", "mX300_mS200": "skipped",
                      "mX500_mS100": "todo", "mX500_mS200": "todo"}  # fmt: skip
    bad = next(p for p in planned if p.status == "skipped")
    assert "mX > mS + mH" in bad.reason and "generator cannot make it" in bad.reason


def test_planning_needs_a_process_or_files(tmp_path: Path) -> None:
    g = grid_from_axes(["mX=500"], DECLARED)
    with pytest.raises(ScanError, match="no --process"):
        plan(_config(tmp_path, process=None), g.points)
    with pytest.raises(ScanError, match="needs parameter.*mS"):
        plan(_config(tmp_path), g.points)  # X_SH_bbyy needs mS too


def _results_doc(params: dict[str, float], seed: int, regions: dict[str, tuple]) -> dict[str, Any]:
    """A hand-made results document: regions -> (sumw, sumw2, raw) with 10 unit-weight events."""
    out = {}
    for name, (sw, sw2, raw) in regions.items():
        out[name] = {
            "yield": sw, "yield_stat": math.sqrt(sw2), "raw": raw, "variations": {},
            "cutflow": [
                {"step": "all events", "raw": 10, "sumw": 10.0, "sumw2": 10.0, "yield": 10.0,
                 "yield_stat": 0.0, "efficiency": 1.0},
                {"step": "sel", "raw": raw, "sumw": sw, "sumw2": sw2, "yield": sw,
                 "yield_stat": 0.0, "efficiency": sw / 10.0},
            ],
        }  # fmt: skip
    return {
        "schema": "hepreint-results/1", "status": "complete", "warnings": [],
        "analysis": {"name": "scan_toy", "parameters": params, "approximations": []},
        "provenance": {"seed": seed, "networks": {}},
        "regions": out,
    }  # fmt: skip


def _write_point(pp: PlannedPoint, doc: dict[str, Any], limits: bool = True) -> None:
    pp.directory.mkdir(parents=True, exist_ok=True)
    (pp.directory / "results.json").write_text(json.dumps(doc))
    outputs = ["results.json"]
    if limits:
        (pp.directory / "limits.json").write_text("{}")
        outputs.append("limits.json")
    write_manifest(pp, outputs, {})


def test_resume_keeps_only_complete_matching_points(tmp_path: Path) -> None:
    cfg = _config(tmp_path)
    g = grid_from_axes(["mX=500,750", "mS=100"], DECLARED)
    first = plan(cfg, g.points)
    assert [p.status for p in first] == ["todo", "todo"]
    a, b = first
    _write_point(a, _results_doc(a.point.values, a.seed, {"SR": (3.0, 3.0, 3)}))
    # b: interrupted after results.json, before point.json
    b.directory.mkdir(parents=True)
    (b.directory / "results.json").write_text(json.dumps(_results_doc(b.point.values, b.seed, {})))
    assert [p.status for p in plan(cfg, g.points)] == ["done", "todo"]
    # another event count: another digest, redone
    assert [p.status for p in plan(_config(tmp_path, n_events=200), g.points)] == ["todo"] * 2
    # another scan seed: other point seeds, redone
    assert [p.status for p in plan(_config(tmp_path, seed=1), g.points)] == ["todo"] * 2
    (a.directory / "limits.json").unlink()
    assert is_done(plan(cfg, g.points)[0]) == (False, "limits.json is missing")


def test_resume_refuses_results_of_other_parameters_or_seed(tmp_path: Path) -> None:
    cfg = _config(tmp_path)
    (pp,) = plan(cfg, grid_from_axes(["mX=500", "mS=100"], DECLARED).points)
    _write_point(pp, _results_doc({"mX": 600.0, "mS": 100.0}, pp.seed, {}))
    assert is_done(pp) == (False, "results.json is for other parameter values")
    _write_point(pp, _results_doc(pp.point.values, pp.seed + 1, {}))
    assert is_done(pp) == (False, "results.json has another seed")
    partial = _results_doc(pp.point.values, pp.seed, {})
    partial["status"] = "partial"
    _write_point(pp, partial)
    assert not is_done(pp)[0]
    _write_point(pp, _results_doc(pp.point.values, pp.seed, {}))
    assert is_done(pp) == (True, "")


# --- maps ---------------------------------------------------------------------------------


def test_efficiency_is_selected_over_generated_weight_with_binomial_error() -> None:
    doc = _results_doc({}, 1, {"SR": (3.0, 3.0, 3), "none": (0.0, 0.0, 0), "all": (10.0, 10.0, 10)})
    e = efficiency(doc)
    assert e["SR"]["value"] == pytest.approx(0.3)
    assert e["SR"]["stat"] == pytest.approx(math.sqrt(0.3 * 0.7 / 10))  # unit weights: binomial
    assert e["none"]["value"] == 0.0 and e["none"]["stat"] == 0.0
    assert e["all"]["value"] == 1.0 and e["all"]["stat"] == pytest.approx(0.0, abs=1e-12)
    assert e["SR"]["raw"] == 3 and e["SR"]["raw_all"] == 10 and e["SR"]["sumw2_all"] == 10.0


def _limits(mu: float, xsec_fb: float, label: str = "simplified") -> dict[str, Any]:
    bands = {"-2sigma": 0.5, "-1sigma": 0.7, "median": 1.0, "+1sigma": 1.4, "+2sigma": 2.0}
    return {
        "label": label, "likelihood_kind": "calibrated" if "calibrated" in label else label,
        "likelihood": {"source": "toy"}, "warnings": ["fit note"],
        "mu_limit_obs": mu, "mu_limit_exp": {k: v * mu for k, v in bands.items()},
        "xsec_limit_obs_fb": mu * xsec_fb,
        "xsec_limit_exp_fb": {k: v * mu * xsec_fb for k, v in bands.items()},
        "cls_obs": 0.2, "excluded_at_95cl": False, "signal_xsec_fb": xsec_fb,
        "best_expected_region": "SR",
    }  # fmt: skip


INFO = {"name": "scan_toy", "title": "toy", "arxiv": "2404.12915", "sha256": "a" * 64,
        "sqrt_s_TeV": 13, "luminosity_fb": 140.0, "experiment": "ATLAS"}  # fmt: skip


def _doc(two_d: bool = True, label: str = "simplified", surrogate: bool = False,
         partial: bool = False) -> dict[str, Any]:  # fmt: skip
    recs = []
    xs = [500.0, 750.0]
    ys = [100.0, 200.0] if two_d else [None]
    for i, x in enumerate(xs):
        for j, y in enumerate(ys):
            params = {"mX": x} if y is None else {"mX": x, "mS": y}
            r = PointRecord(f"p{i}{j}", params, 10 * i + j, "complete")
            r.results = _results_doc(params, r.seed, {"SR": (1.0 + i + j, 1.0 + i + j, 1 + i + j),
                                                      "CR": (5.0, 5.0, 5)})  # fmt: skip
            r.results["warnings"] = ["approximate preservation: toy", f"point {i}{j} note"]
            if surrogate:
                r.results["provenance"]["networks"] = {"pnn": {"surrogate": True, "onnx": []}}
            r.limits = _limits(0.5 + i + j, 10.0, label)
            recs.append(r)
    recs.append(PointRecord("bad", {"mX": 300.0, "mS": 200.0} if two_d else {"mX": 100.0}, 99,
                            "skipped", reason="the generator cannot make it"))  # fmt: skip
    if partial:
        recs[0].status = "pending"
    params = [{"name": "mX", "unit": "GeV"}] + ([{"name": "mS", "unit": "GeV"}] if two_d else [])
    return scan_document(INFO, params, recs, {"seed": 1})


def test_scan_document_validates_and_holds_both_maps() -> None:
    doc = _doc()
    assert validate(doc, "scan") == []
    assert doc["schema"] == "hepreint-scan/1" and doc["status"] == "complete"
    assert doc["summary"] == {"complete": 4, "skipped": 1, "failed": 0, "pending": 0}
    assert doc["regions"] == ["SR", "CR"]
    p = doc["points"][3]
    assert p["efficiency"]["SR"]["value"] == pytest.approx(0.3)
    assert p["limits"]["xsec_limit_exp_fb"]["median"] == pytest.approx(25.0)
    assert p["limits"]["mu_limit_obs"] == pytest.approx(2.5)
    assert doc["points"][4]["status"] == "skipped" and "generator" in doc["points"][4]["reason"]
    # the shared warning once at the top, the point's own kept with the point
    assert "approximate preservation: toy" in doc["warnings"]
    assert p["warnings"] == ["point 11 note"]
    bad = json.loads(json.dumps(doc))
    bad["points"][0]["efficiency"]["SR"]["stat"] = -1.0
    assert validate(bad, "scan")  # the schema check can fail


def test_calibrated_and_surrogate_flags_reach_maps_and_hepdata(tmp_path: Path) -> None:
    doc = _doc(label="calibrated approximation", surrogate=True)
    ap = doc["approximations"]
    assert ap["calibrated_likelihood"] and ap["surrogate_networks"] == ["pnn"]
    assert any("calibrated approximation" in w for w in doc["warnings"])
    assert any("surrogate networks pnn" in w for w in doc["warnings"])
    assert "calibrated approximation" in caveats(doc) and "pnn" in caveats(doc)
    write_scan_hepdata(doc, tmp_path)
    entries = list(yaml.safe_load_all((tmp_path / "submission.yaml").read_text()))
    assert "calibrated approximation" in entries[0]["comment"]
    for e in entries[1:]:
        assert "calibrated approximation" in e["description"] and "pnn" in e["description"]
    assert "calibrated approximation" not in caveats(_doc())


def test_partial_scan_is_marked_everywhere(tmp_path: Path) -> None:
    doc = _doc(partial=True)
    assert doc["status"] == "partial" and doc["summary"]["pending"] == 1
    assert "PARTIAL" in caveats(doc)
    paths = write_scan_hepdata(doc, tmp_path)
    assert all("PARTIAL" in p.read_text() for p in paths)


# --- HEPData, as hepdata.net checks it ------------------------------------------------------

sfv = pytest.importorskip("hepdata_validator.submission_file_validator")
dfv = pytest.importorskip("hepdata_validator.data_file_validator")


def _validate_submission(directory: Path) -> None:
    v = sfv.SubmissionFileValidator()
    sub = str(directory / "submission.yaml")
    assert v.validate(file_path=sub), [m.message for m in v.get_messages(sub)]
    for entry in yaml.safe_load_all((directory / "submission.yaml").read_text()):
        if "data_file" in entry:
            f = str(directory / entry["data_file"])
            d = dfv.DataFileValidator()
            assert d.validate(file_path=f), [m.message for m in d.get_messages(f)]


@pytest.mark.parametrize("two_d", [True, False], ids=["2D", "1D"])
def test_hepdata_tables_pass_hepdata_validator(tmp_path: Path, two_d: bool) -> None:
    doc = _doc(two_d=two_d)
    paths = write_scan_hepdata(doc, tmp_path)
    assert [p.name for p in paths] == ["submission.yaml", "acceptance_efficiency.yaml",
                                       "upper_limits.yaml"]  # fmt: skip
    _validate_submission(tmp_path)
    eff = yaml.safe_load((tmp_path / "acceptance_efficiency.yaml").read_text())
    assert [v["header"]["name"] for v in eff["independent_variables"]] == (
        ["mX", "mS"] if two_d else ["mX"])  # fmt: skip
    assert len(eff["independent_variables"][0]["values"]) == 4 if two_d else 2  # skipped: no row
    sr = eff["dependent_variables"][0]
    assert {"name": "REGION", "value": "SR"} in sr["qualifiers"]
    assert sr["values"][0]["value"] == 0.1  # unrounded
    err = math.sqrt(0.1 * 0.9 / 10)  # unit weights: the binomial error
    assert sr["values"][0]["errors"] == [{"symerror": pytest.approx(err), "label": "stat"}]
    lim = yaml.safe_load((tmp_path / "upper_limits.yaml").read_text())
    exp = lim["dependent_variables"][1]["values"][0]
    assert exp["value"] == pytest.approx(5.0)
    one_sigma = {"plus": pytest.approx(2.0), "minus": pytest.approx(-1.5)}
    assert exp["errors"][0] == {"asymerror": one_sigma, "label": "1 sigma"}


def test_hepdata_validator_check_can_fail(tmp_path: Path) -> None:
    write_scan_hepdata(_doc(), tmp_path)
    p = tmp_path / "acceptance_efficiency.yaml"
    data = yaml.safe_load(p.read_text())
    data["dependent_variables"][0]["values"][0]["errors"] = [{"symerror": 0.0, "label": "stat"}]
    p.write_text(yaml.safe_dump(data))
    d = dfv.DataFileValidator()
    assert not d.validate(file_path=str(p))


def test_no_limits_means_no_limit_table(tmp_path: Path) -> None:
    doc = _doc()
    for p in doc["points"]:
        p.pop("limits", None)
    doc["limits"] = None
    paths = write_scan_hepdata(doc, tmp_path)
    assert [p.name for p in paths] == ["submission.yaml", "acceptance_efficiency.yaml"]
    _validate_submission(tmp_path)


# --- plots ----------------------------------------------------------------------------------


def test_plots_of_2d_and_1d_scans(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    from hepreint.scan.plots import limit_scan, plot_brazil, plot_efficiency_map, plot_limit_map

    doc = _doc(label="calibrated approximation")
    theory = {(500.0, 100.0): 100.0, (500.0, 200.0): 1.0, (750.0, 100.0): 1.0,
              (750.0, 200.0): 0.1}  # fmt: skip
    for path in (plot_limit_map(doc, tmp_path / "exp.png", theory=theory),
                 plot_limit_map(doc, tmp_path / "obs.png", observed=True),
                 plot_efficiency_map(doc, "SR", tmp_path / "eff.png")):  # fmt: skip
        assert path.stat().st_size > 10_000
    one = _doc(two_d=False)
    scan = limit_scan(one)
    assert [p.x for p in scan.points] == [500.0, 750.0]
    assert scan.points[1].expected[2] == pytest.approx(15.0)
    assert plot_brazil(one, tmp_path / "band.png").stat().st_size > 10_000
    with pytest.raises(HepreintError, match="--region nope"):
        plot_efficiency_map(doc, "nope", tmp_path / "x.png")
    with pytest.raises(HepreintError, match="two-parameter"):
        plot_limit_map(one, tmp_path / "x.png")


# --- CLI over given files (no generation) ---------------------------------------------------


def _cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    from hepreint.cli import main

    with pytest.raises(SystemExit) as e:
        main([*args])
        raise SystemExit(0)
    out = capsys.readouterr()
    return int(e.value.code or 0), out.out, out.err


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (["--grid", "mX=1:2"], "--grid 'mX=1:2': a range is START:STOP:STEP"),
        (["--grid", "mZ=1"], "--grid: unknown parameter(s) mZ; the analysis declares: mX, mS"),
        ([], "no points: give --grid"),
        (["--points", "/nonexistent/p.yaml"], "--points /nonexistent/p.yaml: cannot read"),
        (["--grid", "mX=500", "--grid", "mS=100"], "no --process to generate them"),
        (["--grid", "mX=500", "--grid", "mS=100", "--process", "X_SH_bbyy"], "needs --events"),
        (["--grid", "mX=500", "--region", "nope"], "--region nope: not a region"),
    ],
)
def test_cli_errors_are_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], match: str
) -> None:
    code, _, err = _cli(["scan", str(TOY), "-o", str(tmp_path / "s"), *args], capsys)
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("hepreint: error: ")
    assert match in lines[0], lines[0]


def _points(tmp_path: Path, sample: Path) -> Path:
    f = tmp_path / "points.yaml"
    pts = [{"mX": x, "mS": 100, "files": [str(sample)]} for x in (500, 750)]
    f.write_text(yaml.safe_dump({"points": pts}))
    return f


def test_cli_without_likelihood_writes_the_efficiency_map_and_resumes(
    tmp_path: Path, example_sample: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "scan"
    args = ["scan", str(XSH), "--points", str(_points(tmp_path, example_sample)), "-o", str(out),
            "--no-plots"]  # fmt: skip
    code, stdout, err = _cli(args, capsys)
    assert code == 0, err
    assert "limits are skipped and only the efficiency map is written" in err
    assert "2 complete (0 kept from before, 2 run now)" in stdout
    doc = json.loads((out / "scan.json").read_text())
    assert validate(doc, "scan") == [] and doc["limits"] is None
    assert any("limits are skipped" in w for w in doc["warnings"])
    for p in doc["points"]:
        assert p["status"] == "complete" and p["limits"] is None
        res = json.loads((Path(p["directory"]) / "results.json").read_text())
        assert res["analysis"]["parameters"] == p["parameters"]
        assert res["provenance"]["seed"] == p["seed"]
        assert not (Path(p["directory"]) / "limits.json").exists()
        presel = p["efficiency"]["presel"]
        step = res["regions"]["presel"]["cutflow"][-1]
        assert presel["value"] == pytest.approx(step["efficiency"])
        assert presel["stat"] == pytest.approx(step["efficiency_stat"])
    _validate_submission(out / "hepdata")
    assert not (out / "hepdata" / "upper_limits.yaml").exists()
    mtimes = {p: p.stat().st_mtime_ns for p in out.rglob("results.json")}
    code, stdout, _ = _cli(args, capsys)
    assert code == 0 and "2 complete (2 kept from before, 0 run now)" in stdout
    assert {p: p.stat().st_mtime_ns for p in out.rglob("results.json")} == mtimes


def test_interrupted_scan_keeps_finished_points_and_is_partial(
    tmp_path: Path, example_sample: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hepreint.engine.interrupt import Interrupted
    from hepreint.scan import ScanInterrupted, parallel, run_scan

    real = parallel.run_point
    calls = []

    def flaky(config: ScanConfig, pp: PlannedPoint) -> Any:
        calls.append(pp.point.name)
        if len(calls) == 2:
            raise Interrupted(signal.SIGINT)
        return real(config, pp)

    monkeypatch.setattr(parallel, "run_point", flaky)
    out = tmp_path / "scan"
    kw: dict[str, Any] = dict(points_file=str(_points(tmp_path, example_sample)), plots=False)
    with pytest.raises(ScanInterrupted) as e:
        run_scan(TOY, out, **kw)
    assert e.value.exit_code == 130
    doc = json.loads((out / "scan.json").read_text())
    assert doc["status"] == "partial" and doc["summary"]["complete"] == 1
    assert doc["summary"]["pending"] == 1
    assert "PARTIAL" in (out / "hepdata" / "submission.yaml").read_text()
    monkeypatch.setattr(parallel, "run_point", real)
    rep = run_scan(TOY, out, **{**kw, "plots": True})
    assert rep.reused == 1 and rep.ran == 1 and rep.doc["status"] == "complete"
    # ttH events pass no diphoton selection: no limit to map, only the A×ε map is drawn
    assert all(p["limits"]["xsec_limit_exp_fb"] is None for p in rep.doc["points"])
    assert [p.name for p in rep.plots] == ["efficiency_map_one_b.png"]
    assert rep.doc["limits"]["label"] == "simplified"
    assert "TOY" in rep.doc["limits"]["source"]
