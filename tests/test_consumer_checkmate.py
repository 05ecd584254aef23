"""The CheckMATE export read the way CheckMATE 2 reads it, and fitted the way it fits.

The readers below follow CheckMATE 2's public source (github.com/CheckMATE2/checkmate2, commit
548ce71), written from its description, not copied:

- ``tools/python/multibin_limit.py`` ``data_from_CMresults``: ``evaluation/total_results.txt``,
  first line skipped, every other non-empty line whitespace-split, fields 2-7 = sr o b db s ds;
  ``select_MBsr``: o rounded to an integer, s clipped at 0, ds clipped into [1e-4, s];
  ``create_workspace``: one channel, signal (normfactor mu, staterror ds, lumi), background
  with a histosys b ± db, observations o; ``hypotest`` at mu = 1 with q.
- ``tools/python/analysismanager_core.py`` ``add_analysis_reference``: ``<analysis>_ref.dat``,
  a header ``SR obs bkg bkg_err S95_obs S95_exp`` and one row per SR; lines starting with
  ``# `` are left alone by ``AdvPrint.format_columnated_file`` (``tools/python/advprint.py``).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pyhf
import pytest
from consumer_docs import WORKSPACE, real_doc, synthetic_doc, workspace_counts

from hepreint.export import export
from hepreint.export.checkmate import result_rows

NAME = "atlas_2407_10904"
CHANNEL = {"SR_1l_all": "SR_1l", "SR_2l_all": "SR_2l"}


def data_from_cm_results(path: Path) -> list[dict[str, Any]]:
    text = (path / "evaluation" / "total_results.txt").read_text()
    out = []
    for line in text.split("\n")[1:]:
        if line != "":
            f = line.split()
            out.append(
                {
                    "SR": f[1],
                    "o": float(f[2]),
                    "b": float(f[3]),
                    "db": float(f[4]),
                    "s": float(f[5]),
                    "ds": float(f[6]),
                }
            )
    return out


def select_mb_sr(names: list[str], srs: list[dict[str, Any]]) -> tuple[list[Any], ...]:
    o, b, db, s, ds = [], [], [], [], []
    for name in names:
        sr = next(x for x in srs if x["SR"] == name)
        o.append(round(sr["o"]))
        b.append(sr["b"])
        db.append(sr["db"])
        s.append(max(sr["s"], 0.0))
        ds.append(max(min(sr["s"], sr["ds"]), 1e-4))
    return o, b, db, s, ds


def multibin_workspace(o: list[Any], b: list[Any], db: list[Any], s: list[Any], ds: list[Any]):
    lumi = 0.017  # calc_point's default
    signal = {
        "name": "signal",
        "data": s,
        "modifiers": [
            {"name": "mu", "type": "normfactor", "data": None},
            {"name": "staterror_signal", "type": "staterror", "data": ds},
            {"name": "lumi", "type": "lumi", "data": None},
        ],
    }
    background = {
        "name": "background",
        "data": b,
        "modifiers": [
            {
                "name": "uncorr_bkguncrt",
                "type": "histosys",
                "data": {
                    "hi_data": [x + y for x, y in zip(b, db, strict=True)],
                    "lo_data": [x - y for x, y in zip(b, db, strict=True)],
                },
            }
        ],
    }
    params = [
        {
            "name": "lumi",
            "auxdata": [1.0],
            "inits": [1.0],
            "sigmas": [lumi],
            "bounds": [[0.915, 1.085]],
        },
    ]
    return pyhf.Workspace(
        {
            "channels": [{"name": "multibin-fit", "samples": [signal, background]}],
            "observations": [{"name": "multibin-fit", "data": o}],
            "measurements": [{"name": "M", "config": {"poi": "mu", "parameters": params}}],
            "version": "1.0.0",
        }
    )


def read_ref_dat(path: Path) -> list[dict[str, str]]:
    lines = [ln for ln in path.read_text().splitlines() if ln.strip() and ln[:2] != "# "]
    header = lines[0].split()
    return [dict(zip(header, ln.split(), strict=True)) for ln in lines[1:]]


@pytest.fixture(scope="module")
def exported(example_sample: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    tmp = tmp_path_factory.mktemp("cm")
    doc = real_doc(example_sample, tmp / "run")
    export(doc, "checkmate", tmp / "out")
    return {"doc": doc, "out": tmp / "out"}


def test_total_results_read_as_checkmate_reads_them(exported: dict[str, Any]) -> None:
    doc, out = exported["doc"], exported["out"]
    srs = {x["SR"]: x for x in data_from_cm_results(out)}
    assert set(srs) == {"SR_1l_all", "SR_2l_all"}  # the regions the likelihood maps
    header = (out / "evaluation" / "total_results.txt").read_text().splitlines()[0].split()
    assert header[:7] == ["analysis", "sr", "o", "b", "db", "s", "ds"]
    ws = workspace_counts()
    for name, sr in srs.items():
        o, b, db = ws[CHANNEL[name]]
        assert (sr["o"], sr["b"], sr["db"]) == (o, b, db)  # no -1 placeholders
        assert sr["s"] == doc["regions"][name]["yield"]
        reg = doc["regions"][name]
        want = reg["yield_stat"] if reg["raw"] else doc["normalisation"]["factor"]
        assert sr["ds"] == want  # MC statistical error; one MC event's error when empty
    lines = (out / "evaluation" / "total_results.txt").read_text().splitlines()
    assert all(ln.split()[0] == NAME for ln in lines[1:])
    assert not any(ln.startswith("#") for ln in lines)  # data_from_CMresults would choke


def test_checkmate_models_give_sensible_cls(exported: dict[str, Any]) -> None:
    srs = data_from_cm_results(exported["out"])
    rows = {r["sr"]: r for r in result_rows(exported["doc"])}
    for sr in srs:
        # the per-SR counting model (CheckMATE's, and MadAnalysis5's)
        model = pyhf.simplemodels.uncorrelated_background([sr["s"]], [sr["b"]], [sr["db"]])
        data = [sr["o"], *model.config.auxdata]
        cls = float(pyhf.infer.hypotest(1.0, data, model, test_stat="qtilde"))
        assert math.isfinite(cls) and 0 < cls <= 1
        assert rows[sr["SR"]]["clsobs"] == pytest.approx(cls, rel=1e-4)
        # S95 is the model-independent limit: CLs(s = S95) = 0.05
        m95 = pyhf.simplemodels.uncorrelated_background(
            [rows[sr["SR"]]["s95obs"]], [sr["b"]], [sr["db"]]
        )
        cls95 = float(pyhf.infer.hypotest(1.0, [sr["o"], *m95.config.auxdata], m95))
        assert cls95 == pytest.approx(0.05, abs=2e-3)
    # the multibin fit CheckMATE runs over these SRs (it failed to minimise on -1 placeholders)
    o, b, db, s, ds = select_mb_sr([x["SR"] for x in srs], srs)
    ws = multibin_workspace(o, b, db, s, ds)
    model = ws.model()
    cls_obs, cls_exp = pyhf.infer.hypotest(
        1.0, ws.data(model), model, return_expected_set=True, test_stat="q"
    )
    assert math.isfinite(float(cls_obs)) and 0 < float(cls_obs) <= 1
    assert all(math.isfinite(float(c)) and 0 <= float(c) <= 1 for c in cls_exp)


def test_counts_carry_the_analysis_likelihood(exported: dict[str, Any]) -> None:
    """o, b, db are faithful: the per-SR model gives the CLs of the analysis' own workspace with
    the signal in that bin alone (both are a Poisson with a Barlow-Beeston shapesys)."""
    from hepreint.stats.fit import build_model, hypotest
    from hepreint.stats.signal import with_signal

    ws_spec = pyhf.Workspace(json.loads(WORKSPACE.read_text()))
    for sr in data_from_cm_results(exported["out"]):
        spec = with_signal(dict(ws_spec), "signal", "mu", {CHANNEL[sr["SR"]]: [sr["s"]]}, None, "t")
        model, data = build_model(spec, "meas", "mu")
        ours = hypotest(1.0, data, model).cls_obs
        simple = pyhf.simplemodels.uncorrelated_background([sr["s"]], [sr["b"]], [sr["db"]])
        theirs = hypotest(1.0, [sr["o"], *simple.config.auxdata], simple).cls_obs
        assert theirs == pytest.approx(ours, rel=1e-3)


def test_ref_dat_and_notes(exported: dict[str, Any]) -> None:
    out = exported["out"]
    ref = read_ref_dat(out / "analysis_info" / f"{NAME}_ref.dat")
    assert [r["SR"] for r in ref] == ["SR_1l_all", "SR_2l_all"]
    assert list(ref[0]) == ["SR", "obs", "bkg", "bkg_err", "S95_obs", "S95_exp"]
    rows = {r["sr"]: r for r in result_rows(exported["doc"])}
    for r in ref:
        assert float(r["S95_obs"]) == rows[r["SR"]]["s95obs"] > 0
        assert float(r["bkg"]) == rows[r["SR"]]["b"]
    for f in ("README.txt", "evaluation/best_signal_regions.txt", "result.txt"):
        text = (out / f).read_text()
        assert "background-only expectation, NOT observed data" in text, f
        assert "MC statistical" in text, f


def test_without_likelihood_or_normalisation(tmp_path: Path) -> None:
    doc = synthetic_doc(tmp_path / "u", normalised=False)
    rows = result_rows(doc)
    assert all(r["o"] > 0 and r["clsobs"] == -1 for r in rows)  # s in Σw: no CLs from it
    rows = result_rows(doc, counts=None)  # an analysis without likelihood
    assert len(rows) == len(doc["regions"]) and all(r["o"] == r["b"] == -1 for r in rows)
