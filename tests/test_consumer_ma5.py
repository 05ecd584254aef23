"""The MadAnalysis5 export read the way MA5 reads it, and its CLs recomputed the way MA5 does.

Readers written from MA5's public source (github.com/MadAnalysis/madanalysis5, commit 20f2114),
not copied:

- ``madanalysis/misc/run_recast.py`` ``read_cutflows``: in ``<region>.saf`` the "sum of weights"
  line (not the ``^2`` one) of ``<InitialCounter>`` gives N0 and that of the last ``<Counter>``
  gives Nf, each the sum of its two (positive, negative) columns;
- ``madanalysis/IOinterface/job_reader.py`` ``ExtractGeneral``/``ExtractSampleInfo``: in
  ``<dataset>/<dataset>.saf``, text after ``#`` dropped, the 5-word line inside
  ``<SampleGlobalInfo>`` is xsection, xsection_error, nevents (int), sum_weight+, sum_weight-;
  ``<SAFheader>``, ``<SAFfooter>`` and ``<SampleDetailedInfo>`` must be there;
- ``run_recast.py`` ``write_cls_output``: a ``CLs_output.dat`` row is analysis, region, best,
  sig95(exp), sig95(obs), 1-CLs, ``||``, efficiency, stat, then one syst column per configured
  systematic (``0.0000000`` when none); ``extract_cls`` gets ``1-CLs`` from spey's
  ``default.uncorrelated_background`` (``statistical_models.py``), which the tests run too.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from consumer_docs import real_doc, synthetic_doc, workspace_counts

from hepreint.export import export
from hepreint.export.saf import SPLIT_NOTE

CHANNEL = {"SR_1l_all": "SR_1l", "SR_2l_all": "SR_2l"}


def read_cutflow(path: Path) -> tuple[float, float]:
    initial = counter = False
    n0 = nf = -1.0
    for line in path.read_text().splitlines():
        if "<InitialCounter>" in line:
            initial = True
            continue
        if "</InitialCounter>" in line:
            initial = False
            continue
        if "<Counter>" in line:
            counter = True
            continue
        if "</Counter>" in line:
            counter = False
            continue
        if "sum of weights" in line and "^2" not in line:
            w = line.split()
            if initial:
                n0 = float(w[0]) + float(w[1])
            if counter:
                nf = float(w[0]) + float(w[1])
    return n0, nf


def read_dataset(path: Path) -> dict[str, Any]:
    tags: dict[str, int] = {}
    active: set[str] = set()
    out: dict[str, Any] = {"detail": []}
    for line in path.read_text().splitlines():
        words = line.split("#")[0].split()
        if not words:
            continue
        if len(words) == 1 and words[0].startswith("<") and words[0].endswith(">"):
            tag = words[0].lower().strip("<>")
            if tag.startswith("/"):
                active.discard(tag[1:])
            else:
                active.add(tag)
                tags[tag] = tags.get(tag, 0) + 1
            continue
        if len(words) == 5 and active & {"sampleglobalinfo", "sampledetailedinfo"}:
            info = {
                "xsection": float(words[0]),
                "xerror": float(words[1]),
                "nevents": int(words[2]),
                "sumw_positive": float(words[3]),
                "sumw_negative": float(words[4]),
            }
            if "sampleglobalinfo" in active:
                out["global"] = info
            else:
                out["detail"].append(info)
    for tag in ("safheader", "saffooter", "sampleglobalinfo", "sampledetailedinfo"):
        assert tags.get(tag) == 1 and tag not in active, f"{path}: <{tag}> block missing"
    return out


def read_info(path: Path) -> tuple[float, dict[str, dict[str, float]]]:
    """``header_info_file``: root <analysis id>, <lumi>, signal <region id> with nobs/nb/deltanb
    (any other sub-element makes MA5 refuse the file)."""
    root = ET.parse(path).getroot()
    assert root.tag == "analysis" and root.attrib["id"] == "ttHbb"
    lumi, regions = -1.0, {}
    for child in root:
        if child.tag == "lumi":
            lumi = float(child.text or "")
        if child.tag == "region" and child.attrib.get("type", "signal") == "signal":
            assert child.attrib["id"] not in regions
            data = {}
            for r in child:
                assert r.tag in ("nobs", "nb", "deltanb", "deltanb_syst", "deltanb_stat")
                data[r.tag] = float(r.text or "")
            regions[child.attrib["id"]] = data
    return lumi, regions


def read_cls_output(path: Path) -> list[dict[str, Any]]:
    rows = []
    for line in path.read_text().splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        left, right = line.split("||")
        a, b = left.split(), right.split()
        rows.append(
            {
                "analysis": a[0],
                "region": a[1],
                "best": int(a[2]),
                "sig95_exp": float(a[3]),
                "sig95_obs": float(a[4]),
                "one_minus_cls": float(a[5]),
                "efficiency": float(b[0]),
                "stat": float(b[1]),
                "syst": [float(x) for x in b[2:]],
            }
        )
    return rows


@pytest.fixture(scope="module")
def made(example_sample: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    tmp = tmp_path_factory.mktemp("ma5")
    out = {}
    for key, doc in (
        ("real", real_doc(example_sample, tmp / "real")),
        ("synth", synthetic_doc(tmp / "synth")),
        ("unnorm", synthetic_doc(tmp / "unnorm", normalised=False)),
    ):
        export(doc, "saf", tmp / f"out_{key}", dataset="sig")
        out[key] = (doc, tmp / f"out_{key}")
    return out


@pytest.mark.parametrize("which", ["real", "synth"])
def test_cutflows_give_ma5_the_yields(made: dict[str, Any], which: str) -> None:
    doc, out = made[which]
    n = doc["normalisation"]
    for name, reg in doc["regions"].items():
        n0, nf = read_cutflow(out / "sig" / "ttHbb" / "Cutflows" / f"{name}.saf")
        assert n0 == n["sumw_all"] and nf == reg["cutflow"][-1]["sumw"]
        # MA5's signal: xsection * lumi * 1000 * Nf / N0
        assert n["xsec_pb"] * n["luminosity_fb"] * 1000 * nf / n0 == pytest.approx(reg["yield"])


def test_dataset_file_carries_sample_info(made: dict[str, Any]) -> None:
    doc, out = made["real"]
    info = read_dataset(out / "sig" / "sig.saf")
    g, n = info["global"], doc["normalisation"]
    assert (g["xsection"], g["xerror"], g["nevents"]) == (n["xsec_pb"], n["xsec_err_pb"], 130)
    # all 130 weights are 1: provably no negative weight, the split is exact
    assert (g["sumw_positive"], g["sumw_negative"]) == (130.0, 0.0)
    assert info["detail"] == [g]
    text = (out / "sig" / "ttHbb" / "Cutflows" / "single_lepton.saf").read_text()
    assert SPLIT_NOTE not in text and "130             0               # nentries" in text
    # negative weights: the net sum is exact, the split is not recorded and the file says so
    doc, out = made["synth"]
    g = read_dataset(out / "sig" / "sig.saf")["global"]
    assert g["sumw_positive"] - g["sumw_negative"] == doc["normalisation"]["sumw_all"]
    assert SPLIT_NOTE in (out / "sig" / "ttHbb" / "Cutflows" / "dilepton.saf").read_text()
    # no cross-section: MA5's 0
    doc, out = made["unnorm"]
    assert read_dataset(out / "sig" / "sig.saf")["global"]["xsection"] == 0.0


def test_one_minus_cls_is_what_ma5_computes(made: dict[str, Any]) -> None:
    spey = pytest.importorskip("spey")
    doc, out = made["real"]
    n = doc["normalisation"]
    lumi, xs = n["luminosity_fb"], n["xsec_pb"]
    rows = {r["region"]: r for r in read_cls_output(out / "sig" / "CLs_output.dat")}
    assert set(rows) == set(CHANNEL)  # the regions with nobs/nb/deltanb
    lumi_info, info = read_info(out / "ttHbb.info")
    assert lumi_info == lumi and set(info) == set(rows)
    ws = workspace_counts()
    backend = spey.get_backend("default.uncorrelated_background")
    r_sr = {}
    for name, row in rows.items():
        n0, nf = read_cutflow(out / "sig" / "ttHbb" / "Cutflows" / f"{name}.saf")
        nsignal = xs * lumi * 1000.0 * nf / n0
        nobs, nb, deltanb = (info[name][k] for k in ("nobs", "nb", "deltanb"))
        assert (nobs, nb, deltanb) == ws[CHANNEL[name]]  # the likelihood's own numbers
        model = backend(
            signal_yields=[nsignal],
            background_yields=[nb],
            data=[nobs],
            absolute_uncertainties=[deltanb],
            analysis=name,
        )
        obs = spey.ExpectationType.observed
        want = model.exclusion_confidence_level(expected=obs)[0]
        assert 0 <= row["one_minus_cls"] <= 1 and row["one_minus_cls"] != -1
        assert row["one_minus_cls"] == pytest.approx(want, abs=1e-3)
        s95 = model.poi_upper_limit(expected=obs) * xs  # pb, as compute_poi_upper_limits
        assert row["sig95_obs"] == pytest.approx(s95, rel=1e-2)
        s95e = model.poi_upper_limit(expected=spey.ExpectationType.aposteriori) * xs
        assert row["sig95_exp"] == pytest.approx(s95e, rel=1e-2)
        assert row["syst"] == [0.0]  # MA5's column without configured systematics
        assert row["efficiency"] == pytest.approx(nf / n0, abs=1e-7)
        r_sr[name] = nsignal / (row["sig95_exp"] * lumi * 1000.0 * nf / n0)
    assert [r for r, v in rows.items() if v["best"]] == [max(r_sr, key=r_sr.__getitem__)]
    head = (out / "sig" / "CLs_output.dat").read_text()
    assert "background-only expectation, NOT observed data" in head


def test_summary_and_no_xsection_layout(made: dict[str, Any]) -> None:
    doc, out = made["real"]
    per = read_cls_output(out / "sig" / "CLs_output.dat")
    lines = [ln for ln in (out / "CLs_output_summary.dat").read_text().splitlines() if ln]
    assert lines[0].startswith("# dataset name".ljust(30) + "analysis name")
    assert [ln.split()[0] for ln in lines[1:]] == ["sig"] * len(per)
    _, out = made["unnorm"]
    text = (out / "sig" / "CLs_output.dat").read_text()
    head = next(ln for ln in text.splitlines() if "# analysis name" in ln)
    assert "best?" not in head and "1-CLs" not in head  # MA5's layout when xs <= 0
    for ln in text.splitlines():
        if ln and not ln.startswith("#"):
            left, right = ln.split("||")
            assert len(left.split()) == 4 and math.isfinite(float(left.split()[2]))
            assert len(right.split()) == 2
