"""Exporters: every format written from a results document reads back to the same numbers.

Two documents: the shipped example run (one weight, all positive) and a synthetic run of the
ttHbb analysis with three weight variations and negative weights, so that variations, the sign
split of MadAnalysis5 counters and unnormalised yields are exercised too.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from export_readers import read_cls_summary, read_saf, read_yoda

import hepreint
from hepreint.engine.exact import to_float
from hepreint.engine.yields import Yields
from hepreint.errors import HepreintError
from hepreint.export import export, load_results
from hepreint.export._common import check_limits, fnum
from hepreint.export.checkmate import (
    COLUMNS,
    format_table,
    read_table,
    result_rows,
    signal_error,
)
from hepreint.export.hepdata_table import parse_table, read_submission
from hepreint.export.hepdata_table import read_table as read_hd
from hepreint.export.saf import cls_summary, cutflow_saf
from hepreint.export.yoda import to_yoda
from hepreint.results.document import Results

ROOT = Path(__file__).resolve().parent.parent
TTH = ROOT / "analyses" / "ttHbb"


def _roundtrip_json(doc: dict[str, Any], tmp: Path) -> dict[str, Any]:
    res_dir = tmp / "res"
    res_dir.mkdir(exist_ok=True)
    (res_dir / "results.json").write_text(json.dumps(doc, default=str))
    return load_results(res_dir / "results.json")


@pytest.fixture(scope="module")
def real_doc(example_sample: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    ana = hepreint.load_analysis(TTH)
    res = hepreint.run(ana, [str(example_sample)], hepreint.RunOptions())
    out = res.write(tmp_path_factory.mktemp("real"))
    return load_results(out)


def _synthetic(normalised: bool, tmp: Path) -> dict[str, Any]:
    ana = hepreint.load_analysis(TTH)
    rng = np.random.default_rng(7)
    n = 400
    w0 = rng.normal(1.0, 0.6, n)  # some negative weights
    weights = np.stack([w0, w0 * rng.uniform(0.8, 1.2, n), w0 * rng.uniform(0.9, 1.1, n)], axis=1)
    masks = {}
    for name, steps in ana.layout.items():
        m = np.ones((len(steps), n), dtype=bool)
        for i in range(1, len(steps)):
            m[i] = m[i - 1] & (rng.uniform(size=n) < 0.7)
        masks[name] = m
    names = ("nominal", "MUR=2 MUF=1", "PDF set 1")
    y = Yields.from_masks(ana.layout, masks, weights, names)
    prov = {
        "hepreint_version": "test",
        "analysis_sha256": ana.digest(),
        "inputs": [{"path": "/data/sig_mX500.hepmc3.gz", "size_bytes": 1, "events_read": n}],
        "seed": 1,
        "command": "test",
        "time_utc": "2025-01-01T00:00:00+00:00",
    }
    res = Results(
        ana,
        y,
        0.5 if normalised else None,
        0.01 if normalised else None,
        "test" if normalised else None,
        140.0,
        "analysis",
        prov,
    )
    return _roundtrip_json(res.to_dict(), tmp)


@pytest.fixture(scope="module")
def synth_doc(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return _synthetic(True, tmp_path_factory.mktemp("synth"))


@pytest.fixture(scope="module")
def unnorm_doc(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return _synthetic(False, tmp_path_factory.mktemp("unnorm"))


@pytest.fixture(params=["real", "synth", "unnorm"])
def doc(request: pytest.FixtureRequest) -> dict[str, Any]:
    return request.getfixturevalue(f"{request.param}_doc")


LIMITS = {
    "single_lepton": {"s95_obs": 3000.0, "s95_exp": 2500.0, "cls_obs": 0.2, "cls_exp": 0.3},
    "dilepton": {"s95_exp": 900.0, "r_obs": 0.4},
}


# --- common ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("x", [0.0, 1.0, -5e-300, 1 / 3, 2411.0178727637253, 1e22, 130.0])
def test_numbers_are_written_exactly(x: float) -> None:
    assert float(fnum(x)) == x


def test_bad_results_are_one_line_errors(tmp_path: Path, real_doc: dict[str, Any]) -> None:
    cases = {
        "missing.json": None,
        "notjson.json": "{ nope",
        "other.json": json.dumps({"schema": "something-else"}),
        "invalid.json": json.dumps({**real_doc, "regions": {"x": {"yield": "many"}}}, default=str),
    }
    for name, text in cases.items():
        p = tmp_path / name
        if text is not None:
            p.write_text(text)
        with pytest.raises(HepreintError) as exc:
            load_results(p)
        assert "\n" not in str(exc.value) and str(p) in str(exc.value)


def test_bad_limits_are_refused() -> None:
    with pytest.raises(HepreintError, match="did you|unknown key 's95obs'"):
        check_limits({"single_lepton": {"s95obs": 1.0}})
    with pytest.raises(HepreintError, match="expected a number"):
        check_limits({"single_lepton": {"s95_obs": "ten"}})
    with pytest.raises(HepreintError):
        check_limits([1, 2])
    assert check_limits({"sr": {"s95_obs": 3, "cls_obs": None}}) == {"sr": {"s95_obs": 3.0}}


def test_export_all_writes_every_format(tmp_path: Path, synth_doc: dict[str, Any]) -> None:
    paths = export(synth_doc, "all", tmp_path, LIMITS)
    subdirs = {p.relative_to(tmp_path).parts[0] for p in paths}
    assert subdirs == {"yoda", "ma5", "checkmate", "hepdata", "pyhf"}
    assert all(p.is_file() and p.stat().st_size > 0 for p in paths)


# --- YODA (read with a reader following YODA's ReaderYODA; babyyoda in test_consumer_yoda) ---


def _exact(doc: dict[str, Any], region: str, step: int, k: int) -> tuple[float, float, int]:
    r = doc["exact"]["regions"][region]
    return (
        to_float(int(r["sumw"][step][k], 16)),
        to_float(int(r["sumw2"][step][k], 16)),
        r["n"][step],
    )


def test_yoda_text_is_what_yodas_reader_accepts(doc: dict[str, Any]) -> None:
    text = to_yoda(doc)
    objs = read_yoda(text)  # raises where ReaderYODA would fail or lose a path
    begins = re.findall(r"^BEGIN (YODA_\w+_V2) (\S+)$", text, re.M)
    assert len(objs) == len(begins)  # no two objects share a path
    paths = [p for _, p in begins]
    raw_at = next(i for i, p in enumerate(paths) if p.startswith("/RAW/"))
    assert all(not p.startswith("/RAW/") for p in paths[:raw_at])  # Rivet: finalized, then raw
    assert all(p.startswith("/RAW/") for p in paths[raw_at:])
    assert paths[:raw_at] == [p[4:] for p in paths[raw_at:]]
    assert "[" not in paths[0] and paths[0].endswith("cutflow_single_lepton")  # nominal first


def test_yoda_sums_are_weight_sums_for_every_weight(doc: dict[str, Any]) -> None:
    objs = read_yoda(to_yoda(doc))
    pre = "/ATLAS_ttHbb"
    norm = doc["normalisation"]
    f = norm["factor"] if norm["normalised"] else 1.0
    suffix = ["", *("[" + w.replace(" ", "_") + "]" for w in doc["weight_names"][1:])]
    for k, sfx in enumerate(suffix):
        for name, reg in doc["regions"].items():
            h, raw = objs[f"{pre}/cutflow_{name}{sfx}"], objs[f"/RAW{pre}/cutflow_{name}{sfx}"]
            assert h.type == "HISTO1D" and h.step_names() == [s["step"] for s in reg["cutflow"]]
            for i, (b, rb) in enumerate(zip(h.bins(), raw.bins(), strict=True)):
                sw, sw2, n = _exact(doc, name, i, k)
                assert (b[0], b[1]) == (i, i + 1)
                assert (rb[2], rb[3], rb[6]) == (sw, sw2, n)  # raw: Σw, Σw², entries
                assert b[2] == pytest.approx(f * sw, rel=1e-14)
                assert b[3] == pytest.approx(f * f * sw2, rel=1e-14) and b[6] == n
            if k == 0:
                assert h.bins()[-1][2] == pytest.approx(reg["yield"], rel=1e-14)
            else:
                assert h.annotations["WeightName"] == doc["weight_names"][k]
                v = reg["variations"][doc["weight_names"][k]]
                assert objs[f"{pre}/yield_{name}{sfx}"].values()[0] == pytest.approx(v, rel=1e-14)
            scaled = h.annotations.get("ScaledBy")
            assert scaled == (f if norm["normalised"] else None)
            assert "ScaledBy" not in raw.annotations
        ev = objs[f"/_EVTCOUNT{sfx}"].values()
        ex = doc["exact"]
        sumw_all = to_float(int(ex["sumw_all"][k], 16))
        assert ev == [sumw_all, to_float(int(ex["sumw2_all"][k], 16)), norm["n_events"]]
        assert objs[f"/RAW/_EVTCOUNT{sfx}"].values() == ev
        assert (f"/_XSEC{sfx}" in objs) == norm["normalised"]
        assert (f"/RAW/_XSEC{sfx}" in objs) == norm["normalised"]
        if norm["normalised"]:
            assert objs[f"/_XSEC{sfx}"].values()[0] == norm["xsec_pb"]


def test_yoda_weight_names_are_kept(synth_doc: dict[str, Any]) -> None:
    """'=' and other characters stay; only blanks, which end a YODA path, become '_'."""
    objs = read_yoda(to_yoda(synth_doc))
    assert "/ATLAS_ttHbb/yield_dilepton[MUR=2_MUF=1]" in objs
    assert "/RAW/ATLAS_ttHbb/cutflow_dilepton[PDF_set_1]" in objs
    names = {o.annotations.get("WeightName") for o in objs.values()}
    assert {"MUR=2 MUF=1", "PDF set 1"} <= names


def test_yoda_binned_region_is_a_histogram_with_overflow(real_doc: dict[str, Any]) -> None:
    objs = read_yoda(to_yoda(real_doc))
    h = objs["/ATLAS_ttHbb/SR_1l"]  # one of the example analysis' binned regions
    members = sorted(
        (r for r in real_doc["regions"].values() if r["bin"] and r["bin"]["region"] == "SR_1l"),
        key=lambda r: r["bin"]["index"],
    )
    finite = [r for r in members if not math.isinf(r["bin"]["high"])]
    assert [(b[0], b[1]) for b in h.bins()] == [(r["bin"]["low"], r["bin"]["high"]) for r in finite]
    assert [b[2] for b in h.bins()] == pytest.approx([r["yield"] for r in finite], rel=1e-14)
    assert h.flow("Overflow")[0] == pytest.approx(members[-1]["yield"], rel=1e-14)
    assert math.isinf(members[-1]["bin"]["high"])
    assert h.annotations["XLabel"] == "pth_reco"
    assert "/RAW/ATLAS_ttHbb/SR_1l" in objs


def test_yoda_prefix_can_be_chosen(real_doc: dict[str, Any]) -> None:
    objs = read_yoda(to_yoda(real_doc, prefix="/ATLAS_2024_I0000000/"))
    assert "/ATLAS_2024_I0000000/yield_single_lepton" in objs


def test_yoda_words_that_open_or_close_blocks_are_defused(synth_doc: dict[str, Any]) -> None:
    doc = json.loads(json.dumps(synth_doc))
    doc["regions"]["dilepton"]["description"] = "BEGIN here, END there"
    read_yoda(to_yoda(doc))  # ReaderYODA would end the block at the title


def test_yoda_needs_the_exact_sums(synth_doc: dict[str, Any]) -> None:
    doc = {k: v for k, v in synth_doc.items() if k != "exact"}
    with pytest.raises(HepreintError, match="exact sums"):
        to_yoda(doc)


# --- MadAnalysis 5 --------------------------------------------------------------------------------


def test_saf_cutflows_read_back(doc: dict[str, Any]) -> None:
    n = doc["normalisation"]
    for name, reg in doc["regions"].items():
        saf = read_saf(cutflow_saf(reg, doc, name))
        steps = reg["cutflow"]
        assert saf.initial.name == "Initial number of events"
        assert saf.initial.total_sumw == steps[0]["sumw"] == n["sumw_all"]
        assert [c.name for c in saf.counters] == [s["step"] for s in steps[1:]]
        for c, s in zip(saf.counters, steps[1:], strict=True):
            assert c.total_sumw == s["sumw"]
            assert sum(c.sumw2) == s["sumw2"] and sum(c.nentries) == s["raw"]
            assert (c.sumw[1] < 0) == (s["sumw"] < 0)  # MA5 keeps negative sums signed
        if n["normalised"]:  # what MA5's recast module computes from the file
            nf, n0 = saf.counters[-1].total_sumw, saf.initial.total_sumw
            assert n["xsec_pb"] * n["luminosity_fb"] * 1000 * nf / n0 == pytest.approx(reg["yield"])


def test_saf_layout_matches_ma5_counters(real_doc: dict[str, Any]) -> None:
    text = cutflow_saf(real_doc["regions"]["single_lepton"], real_doc, "single_lepton")
    lines = text.splitlines()
    assert lines[:4] == ["<SAFheader>", "</SAFheader>", "", "<InitialCounter>"]
    assert lines[4] == '"Initial number of events"      #'
    assert re.fullmatch(r"130 {13}0 {15}# nentries", lines[5])
    assert lines[-2:] == ["<SAFfooter>", "</SAFfooter>"]
    assert re.search(r'^"one_lepton" +# 1st cut$', text, re.M)
    assert re.search(r'^"ge5_jets" +# 2st cut$', text, re.M)  # MA5 writes "st" every time


def test_saf_reader_reads_ma5_style_file() -> None:
    text = """<SAFheader>
</SAFheader>

<InitialCounter>
"Initial number of events"      #
1000            10              # nentries
5.000000e+01    -2.000000e+00   # sum of weights
2.500000e+00    1.000000e-01    # sum of weights^2
</InitialCounter>

<Counter>
"$E_T^{miss} > 200$ [GeV]"      # 1st cut
100             1               # nentries
4.000000e+00    -1.000000e-01   # sum of weights
1.600000e-01    1.000000e-02    # sum of weights^2
</Counter>

<SAFfooter>
</SAFfooter>
"""
    saf = read_saf(text)
    assert saf.initial.nentries == (1000, 10) and saf.initial.total_sumw == 48.0
    assert saf.counters[0].name == "$E_T^{miss} > 200$ [GeV]"
    assert saf.counters[0].total_sumw == pytest.approx(3.9)
    with pytest.raises(HepreintError):
        read_saf("<Counter>\nno name\n</Counter>")


def test_cls_summary_reads_back(real_doc: dict[str, Any]) -> None:
    # counts=None: the layout without a likelihood, numbers only from the given limits
    text = cls_summary(real_doc, LIMITS, counts=None)
    rows = {r["region"]: r for r in read_cls_summary(text)}
    assert set(rows) == set(real_doc["regions"])
    n = real_doc["normalisation"]
    for name, row in rows.items():
        reg = real_doc["regions"][name]
        eff = reg["cutflow"][-1]["sumw"] / reg["cutflow"][0]["sumw"]
        assert row["dataset"] == "ttH_pruned" and row["analysis"] == "ttHbb"
        assert row["efficiency"] == pytest.approx(eff, abs=1e-7) and row["syst"] == [0.0]
        for key in ("s95_exp", "s95_obs"):
            s95 = LIMITS.get(name, {}).get(key)
            want = -1 if s95 is None else s95 / (n["luminosity_fb"] * 1000 * eff)
            assert row[key.replace("s95", "sig95")] == pytest.approx(want, abs=1e-7)
    assert rows["single_lepton"]["one_minus_cls"] == pytest.approx(0.8)
    assert rows["dilepton"]["one_minus_cls"] == -1
    # best = largest expected r = s / s95_exp
    r_exp = {k: real_doc["regions"][k]["yield"] / v["s95_exp"] for k, v in LIMITS.items()}
    assert [r for r, v in rows.items() if v["best"]] == [max(r_exp, key=r_exp.__getitem__)]
    # the σ95 is the cross-section excluding the region: σ·s95/S
    sl = real_doc["regions"]["single_lepton"]
    assert rows["single_lepton"]["sig95_exp"] == pytest.approx(
        n["xsec_pb"] * 2500 / sl["yield"], abs=1e-7
    )


def test_saf_files_are_laid_out_like_ma5_output(tmp_path: Path, real_doc: dict[str, Any]) -> None:
    export(real_doc, "saf", tmp_path, LIMITS, dataset="my_sample")
    assert (tmp_path / "CLs_output_summary.dat").is_file()
    assert (tmp_path / "my_sample" / "CLs_output.dat").is_file()
    safs = sorted((tmp_path / "my_sample" / "ttHbb" / "Cutflows").glob("*.saf"))
    assert {p.stem for p in safs} == set(real_doc["regions"])


# --- CheckMATE ------------------------------------------------------------------------------------


def test_checkmate_table_reads_back(doc: dict[str, Any]) -> None:
    rows = result_rows(doc, LIMITS, counts=None)  # no likelihood: o, b, db unknown
    text = format_table(rows)
    assert text.splitlines()[0].split() == list(COLUMNS)
    back = {r["sr"]: r for r in read_table(text)}
    for name, reg in doc["regions"].items():
        r = back[name]
        assert r["analysis"] == "atlas_2407_10904"
        assert r["s"] == reg["yield"] and r["ds"] == signal_error(doc, reg)
        assert r["o"] == r["b"] == r["db"] == -1
    sl, dl = back["single_lepton"], back["dilepton"]
    s, ds = doc["regions"]["single_lepton"]["yield"], doc["regions"]["single_lepton"]["yield_stat"]
    assert sl["robs"] == pytest.approx(max(s / 3000, 0)) and sl["rexp"] == pytest.approx(
        max(s / 2500, 0)
    )
    assert sl["robscons"] == pytest.approx(max((s - 1.64 * ds) / 3000, 0))
    assert sl["clsobs"] == 0.2 and sl["clsexp"] == 0.3
    assert dl["robs"] == 0.4 and dl["s95obs"] == -1 and dl["robscons"] == -1
    assert back["SR_1l_bin0"]["rexp"] == -1


def test_checkmate_files(tmp_path: Path, real_doc: dict[str, Any]) -> None:
    paths = export(real_doc, "checkmate", tmp_path)
    names = {p.relative_to(tmp_path).as_posix() for p in paths}
    assert names == {
        "evaluation/total_results.txt",
        "evaluation/best_signal_regions.txt",
        "result.txt",
        "README.txt",
        "analysis_info/atlas_2407_10904_ref.dat",
    }
    rows = read_table((tmp_path / "evaluation" / "total_results.txt").read_text())
    best = read_table((tmp_path / "evaluation" / "best_signal_regions.txt").read_text())
    assert best == [min(rows, key=lambda r: r["clsexp"])]  # smallest expected CLs
    verdict = (tmp_path / "result.txt").read_text()
    excluded = best[0]["clsobs"] < 0.05
    assert f"Result: {'Excluded' if excluded else 'Allowed'}" in verdict
    assert f"SR: {best[0]['sr']}" in verdict
    # given limits replace the computed ones (single_lepton: CLs 0.2, allowed)
    given = {"SR_1l_all": LIMITS["single_lepton"], "SR_2l_all": {"cls_obs": 0.6, "cls_exp": 0.7}}
    export(real_doc, "checkmate", tmp_path / "lim", given)
    verdict = (tmp_path / "lim" / "result.txt").read_text()
    assert "Result: Allowed" in verdict and "Result for CLs: 0.2" in verdict


# --- HEPData --------------------------------------------------------------------------------------


def test_hepdata_submission_reads_back(tmp_path: Path, doc: dict[str, Any]) -> None:
    export(doc, "hepdata", tmp_path)
    text = "".join(p.read_text() for p in tmp_path.glob("*.yaml"))
    assert "&id" not in text  # no YAML anchors, as hepdata_lib writes
    tables = {t.name: t for t in read_submission(tmp_path)}
    sqrt_s = str(float(doc["analysis"]["sqrt_s_TeV"]) * 1000)
    for name, reg in doc["regions"].items():
        t = tables[f"Cutflow {name}"]
        assert t.x_header == "Cut"
        assert [x.value for x in t.x_values] == [s["step"] for s in reg["cutflow"]]
        y = t.column("Yield")
        assert y.values == [s["yield"] for s in reg["cutflow"]]
        # zero errors are left out (hepdata-validator refuses them)
        assert [e[0].plus if e else 0.0 for e in y.errors] == [
            s["yield_stat"] for s in reg["cutflow"]
        ]
        assert all(e[0].label == "stat" and e[0].symmetric for e in y.errors if e)
        assert y.qualifier("SQRT(S)") == sqrt_s and y.qualifier("REGION") == name
        assert y.qualifier("LUMINOSITY") == str(doc["normalisation"]["luminosity_fb"])
        eff = t.column("Cumulative efficiency")
        assert eff.values == [s["efficiency"] for s in reg["cutflow"]]
        rel = t.column("Relative efficiency")
        assert rel.values[0] == "-" and rel.errors[0] == []
        assert t.column("Raw MC events").values == [s["raw"] for s in reg["cutflow"]]
    yt = tables["Region yields"]
    assert [x.value for x in yt.x_values] == list(doc["regions"])
    for w in doc["weight_names"][1:]:
        col = yt.column(f"Yield ({w})")
        assert col.values == [r["variations"][w] for r in doc["regions"].values()]
        assert col.qualifier("WEIGHT") == w
    sub = list(yaml.safe_load_all((tmp_path / "submission.yaml").read_text()))
    assert "comment" in sub[0] and all("data_file" in d for d in sub[1:])


HEPDATA_LIKE = """
independent_variables:
- header: {name: '$E_{T}^{miss}$', units: GeV}
  values:
  - {low: 200, high: 250}
  - {low: 250, high: 300, value: 275}
  - {value: '>300'}
dependent_variables:
- header: {name: Events}
  qualifiers:
  - {name: SQRT(S), units: GeV, value: 13000}
  - {name: SQRT(S), units: GeV, value: '13000.0'}
  - {name: LUMINOSITY, units: 'fb$^{-1}$', value: 139}
  values:
  - value: 120
    errors:
    - {symerror: 11, label: stat}
    - {asymerror: {minus: -4.0, plus: 5.0}, label: sys}
  - value: '-'
  - value: 30
    errors:
    - {symerror: 10%, label: lumi}
- header: {name: Data}
  values: [{value: 118}, {value: 7}, {value: 31.0}]
"""


def test_hepdata_reader_is_robust_to_published_tables(tmp_path: Path) -> None:
    p = tmp_path / "Table 3.yaml"
    p.write_text(HEPDATA_LIKE)
    t = read_hd(p)
    assert t.name == "Table 3" and t.x_header == "$E_{T}^{miss}$" and t.x_units == "GeV"
    assert (t.x_values[0].low, t.x_values[0].high, t.x_values[0].value) == (200.0, 250.0, None)
    assert t.x_values[1].value == 275.0 and t.x_values[2].value == ">300"
    ev = t.column("Events")
    assert ev.values == [120.0, "-", 30.0]
    assert ev.qualifier("LUMINOSITY") == "139" and len(ev.qualifiers) == 3
    assert ev.errors[1] == [] and ev.errors[2][0].plus == pytest.approx(3.0)
    down, up = ev.total_errors()[0]
    assert down == pytest.approx(math.hypot(11, 4)) and up == pytest.approx(math.hypot(11, 5))
    assert t.column("Data").errors == [[], [], []]
    # the same table as JSON, as hepdata.net also serves it
    pj = tmp_path / "t.json"
    pj.write_text(json.dumps(yaml.safe_load(HEPDATA_LIKE)))
    assert read_hd(pj).column("Events").values == ev.values
    with pytest.raises(HepreintError, match="not a HEPData table"):
        parse_table({"independent_variables": []}, "x")
    bad = tmp_path / "bad.yaml"
    bad.write_text("a: [\n")
    with pytest.raises(HepreintError, match="bad.yaml"):
        read_hd(bad)


def test_saf_negative_net_weight_goes_to_the_negative_column(real_doc: dict[str, Any]) -> None:
    reg = json.loads(json.dumps(real_doc["regions"]["single_lepton"]))
    reg["cutflow"][-1].update(sumw=-2.5, sumw2=7.0, raw=4)
    c = read_saf(cutflow_saf(reg, {**real_doc, "exact": {}})).counters[-1]  # sign unknown
    assert c.sumw == (0.0, -2.5) and c.nentries == (0, 4) and c.sumw2 == (0.0, 7.0)


def test_limits_file_of_the_stats_layer_is_accepted() -> None:
    stats_doc = {
        "schema": "whatever/1",
        "cls_obs": 0.3,
        "regions": [
            {"region": "single_lepton", "channel": "c", "bin": 0, "signal": 1.0, "s95_obs": 5.0},
            {"region": "dilepton", "s95_exp": 7.0, "r_exp": None},
        ],
    }
    assert check_limits(stats_doc) == {
        "single_lepton": {"s95_obs": 5.0},
        "dilepton": {"s95_exp": 7.0},
    }
    with pytest.raises(HepreintError, match="region"):
        check_limits({"regions": [{"s95_obs": 1.0}]})
