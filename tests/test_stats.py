"""Statistics layer: pyhf numbers checked against answers known without pyhf.

Tolerances (why):
- exact Poisson CLs helper, n = b = 0: S95 = -ln(0.05) to 1e-9 (closed form).
- pyhf toys at n = b = 0 (300 seeded toys per point): CLs(μ) within 3 binomial σ of e^{-μ};
  the interpolated S95 within 10 % of 2.996 (toy noise ~ 0.013 on CLs ≈ 0.05).
- asymptotic vs exact Poisson CLs, b = n = 100, no background uncertainty: 4 % (the asymptotic
  formulae ignore Poisson discreteness; the difference is 2.2 % here).
- the calibration reproduces its own target to 1e-6: a consistency check of the solver only,
  not a validation (the target is an input).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pyhf
import pytest
import yaml
from click.testing import CliRunner
from scipy.optimize import brentq
from scipy.stats import poisson

from hepreint.analysis.spec import load_analysis
from hepreint.errors import LikelihoodError, SpecError
from hepreint.stats import (
    CALIBRATED_LABEL,
    build_simplified,
    calibrate,
    compute_limits,
    likelihood_spec,
    limits_table,
    load_likelihood,
)
from hepreint.stats.fit import build_model, hypotest, upper_limit

# ---------------------------------------------------------------- exact references (no pyhf)


def exact_cls(s: float, b: float, n: int) -> float:
    """Frequentist CLs of a one-bin counting experiment, test statistic n (fewer = more signal
    -like is excluded): CLs = P(N <= n | s + b) / P(N <= n | b)."""
    return float(poisson.cdf(n, s + b) / poisson.cdf(n, b))


def exact_s95(b: float, n: int) -> float:
    return float(brentq(lambda s: exact_cls(s, b, n) - 0.05, 0.0, 10 * (n + b) + 20))


def one_bin(b: float, n: float, unc: float | None = None) -> dict[str, Any]:
    mods = [] if unc is None else [{"name": "u", "type": "shapesys", "data": [unc]}]
    return {
        "channels": [
            {
                "name": "c",
                "samples": [
                    {"name": "background", "data": [b], "modifiers": mods},
                    {
                        "name": "signal",
                        "data": [1.0],
                        "modifiers": [{"name": "mu", "type": "normfactor", "data": None}],
                    },
                ],
            }
        ],
        "observations": [{"name": "c", "data": [n]}],
        "measurements": [{"name": "m", "config": {"poi": "mu", "parameters": []}}],
        "version": "1.0.0",
    }


def test_exact_poisson_zero_background() -> None:
    assert exact_s95(0.0, 0) == pytest.approx(-math.log(0.05), abs=1e-9)
    assert exact_s95(0.0, 0) == pytest.approx(2.9957, abs=1e-4)


@pytest.mark.slow
def test_toys_zero_background_match_exact() -> None:
    """Asymptotics fail at b = 0: pyhf toys (seeded) must give CLs = e^{-μ} and S95 ≈ 3."""
    model, data = build_model(one_bin(1e-9, 0.0), "m", "mu")
    cls = {}
    for mu in (2.5, 3.0, 3.5):
        np.random.seed(7)
        calc = pyhf.infer.calculators.ToyCalculator(
            data, model, test_stat="qtilde", ntoys=300, track_progress=False
        )
        # pvalues() directly: pyhf 0.7.6 hypotest's expected band calls np.percentile with an
        # argument numpy 2 removed
        sb, b = calc.distributions(mu)
        cls[mu] = float(calc.pvalues(calc.teststatistic(mu), sb, b)[2])
        sigma = math.sqrt(math.exp(-mu) * (1 - math.exp(-mu)) / 300)
        assert abs(cls[mu] - exact_cls(mu, 0.0, 0)) < 3 * sigma
    mus = np.array(sorted(cls))
    s95 = float(np.interp(math.log(0.05), np.log([cls[m] for m in mus])[::-1], mus[::-1]))
    assert s95 == pytest.approx(-math.log(0.05), rel=0.10)


def test_asymptotic_matches_exact_poisson_at_large_b() -> None:
    model, data = build_model(one_bin(100.0, 100.0), "m", "mu")
    lim = upper_limit(data, model, guess=10.0)
    exact = exact_s95(100.0, 100)
    assert exact == pytest.approx(21.37, abs=0.01)
    assert lim.observed == pytest.approx(exact, rel=0.04)
    # n = b: observed equals the expected median
    assert lim.observed == pytest.approx(lim.expected[2], rel=1e-3)
    assert lim.expected[0] < lim.expected[1] < lim.expected[2] < lim.expected[3]


def test_cls_at_limit_is_five_percent() -> None:
    model, data = build_model(one_bin(50.0, 55.0, 5.0), "m", "mu")
    lim = upper_limit(data, model, guess=5.0)
    assert hypotest(lim.observed, data, model, upper=100).cls_obs == pytest.approx(0.05, abs=2e-3)


# ---------------------------------------------------------------- a toy analysis on disk

ANALYSIS = {
    "schema": "hepreint-analysis/1",
    "metadata": {
        "name": "Toy",
        "title": "toy",
        "experiment": "ATLAS",
        "arxiv": "0000.00000",
        "sqrt_s_TeV": 13,
        "luminosity_fb": 140,
        "status": "test",
    },
    "objects": {"jets": {"type": "jet", "R": 0.4, "pt_min": 25, "source": "test"}},
    "variables": {"n_jets": "count(jets)", "ht": "sum(jets.pt)"},
    "cuts": {"one": "n_jets >= 1", "two": "n_jets >= 2"},
    "regions": {
        "SRA": {"cuts": ["one"]},
        "SRB": {"cuts": ["two"]},
        "SRH": {"cuts": ["one"], "bins": {"variable": "ht", "edges": [0, 100, 200]}},
    },
}
REGIONS = ["SRA", "SRB", "SRH_bin0", "SRH_bin1"]


def make_analysis(tmp: Path, likelihood: dict[str, Any], files: dict[str, Any]) -> Path:
    d = tmp / "Toy"
    (d / "likelihood").mkdir(parents=True, exist_ok=True)
    (d / "analysis.yaml").write_text(yaml.safe_dump({**ANALYSIS, "likelihood": likelihood}))
    for name, content in files.items():
        p = d / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(content if isinstance(content, str) else json.dumps(content))
    return d


def results_doc(yields: dict[str, tuple[float, float, int]], xsec_pb: float = 0.1) -> dict:
    return {
        "status": "complete",
        "analysis": {"name": "Toy"},
        "normalisation": {"normalised": True, "xsec_pb": xsec_pb, "luminosity_fb": 140.0},
        "regions": {r: {"yield": y, "yield_stat": e, "raw": n} for r, (y, e, n) in yields.items()},
    }


def schema_valid(doc: dict) -> dict:
    """The minimal results_doc completed to what results.schema.json requires (CLI input)."""
    n = doc["normalisation"]
    full = {
        "schema": "hepreint-results/1",
        "errors": [],
        "warnings": [],
        "weight_names": ["nominal"],
        "analysis": {**doc["analysis"], "title": "t", "arxiv": "0000.00000", "status": "test",
                     "sha256": "0" * 64, "parameters": {}},
        "normalisation": {**n, "n_events": 1000, "sumw_all": 1000.0, "factor": 1.0,
                          "yield_unit": "events"},
        "exact": {"n_events": 1000, "sumw_all": [], "sumw2_all": [], "regions": {}},
        "provenance": {"hepreint_version": "0", "analysis_sha256": "0" * 64, "inputs": [],
                       "seed": 1, "command": "test", "time_utc": "2026-01-01T00:00:00"},
        "status": doc["status"],
        "regions": {},
    }  # fmt: skip
    for r, v in doc["regions"].items():
        step = {"step": "all", "raw": v["raw"], "sumw": 1.0, "sumw2": 1.0, "yield": v["yield"],
                "yield_stat": v["yield_stat"], "efficiency": 1.0}  # fmt: skip
        full["regions"][r] = {**v, "variations": {}, "cutflow": [step]}
    return full


TABLE = {
    "source": "toy table (test)",
    "channels": {
        "A": {"background": [20.0], "background_uncertainty": [3.0], "observed": [22]},
        "H": {
            "background": [40.0, 10.0],
            "background_uncertainty": [4.0, 2.0],
            "observed": [38, 12],
        },
    },
}
SIMPLIFIED = {
    "kind": "simplified",
    "table": "likelihood/yields.yaml",
    "channels": {"A": {"regions": ["SRA"]}, "H": {"regions": ["SRH"]}},
}


def test_simplified_builder_equals_pyhf_simplemodel() -> None:
    built = build_simplified(dict(TABLE))
    assert built.metadata["kind"] == "simplified" and built.metadata["source"] == "toy table (test)"
    ws = pyhf.Workspace(built.workspace)  # validates
    assert ws.channels == ["A", "H"]
    one = build_simplified({"source": "t", "channels": {"H": TABLE["channels"]["H"]}}).workspace
    from hepreint.stats.signal import with_signal

    spec = with_signal(one, "signal", "mu", {"H": [5.0, 3.0]}, None, "test")
    mine, data = build_model(spec, "meas", "mu")
    ref = pyhf.simplemodels.uncorrelated_background([5.0, 3.0], [40.0, 10.0], [4.0, 2.0])
    ref_data = [38, 12] + ref.config.auxdata
    a = pyhf.infer.hypotest(1.0, data, mine, test_stat="qtilde")
    b = pyhf.infer.hypotest(1.0, ref_data, ref, test_stat="qtilde")
    assert float(a) == pytest.approx(float(b), rel=1e-6)


def test_simplified_builder_errors() -> None:
    with pytest.raises(LikelihoodError, match="source"):
        build_simplified({"channels": TABLE["channels"]})
    bad = {
        "source": "t",
        "channels": {
            "A": {"background": [1.0, 2.0], "background_uncertainty": [1.0], "observed": [1, 2]}
        },
    }
    with pytest.raises(LikelihoodError, match="one value per bin"):
        build_simplified(bad)


@pytest.mark.slow
def test_binned_region_expands_and_limits_run(tmp_path: Path) -> None:
    d = make_analysis(tmp_path, SIMPLIFIED, {"likelihood/yields.yaml": yaml.safe_dump(TABLE)})
    ana = load_analysis(d)
    spec = likelihood_spec(ana)
    assert spec.channels[1].regions == ("SRH_bin0", "SRH_bin1")
    doc = results_doc(
        {
            "SRA": (8.0, 1.0, 100),
            "SRB": (1.0, 0.2, 50),
            "SRH_bin0": (6.0, 1.0, 80),
            "SRH_bin1": (4.0, 0.8, 60),
        }
    )
    res = compute_limits(doc, ana)
    assert res.likelihood_kind == "simplified" and res.label == "simplified"
    assert res.mu_limit_exp is not None and res.mu_limit_obs is not None
    m = res.mu_limit_exp
    assert m["-2sigma"] < m["-1sigma"] < m["median"] < m["+1sigma"] < m["+2sigma"]
    assert res.xsec_limit_obs_fb == pytest.approx(res.mu_limit_obs * 100.0)
    assert {r.region for r in res.regions} == {"SRA", "SRH_bin0", "SRH_bin1"}
    best = max(res.regions, key=lambda r: r.r_exp or 0)
    assert res.best_expected_region == best.region
    for r in res.regions:  # r = S / S95 by definition
        assert r.r_exp == pytest.approx(r.signal / r.s95_exp)
    assert not res.warnings
    assert "simplified" in limits_table(res)


@pytest.mark.slow
def test_s95_single_bin_matches_direct_fit(tmp_path: Path) -> None:
    """S95 of SRA is the limit on signal events of a one-bin model built by hand."""
    d = make_analysis(tmp_path, SIMPLIFIED, {"likelihood/yields.yaml": yaml.safe_dump(TABLE)})
    doc = results_doc(
        {"SRA": (8.0, 1.0, 100), "SRH_bin0": (6.0, 1.0, 80), "SRH_bin1": (4.0, 0.8, 60)}
    )
    res = compute_limits(doc, load_analysis(d))
    model, data = build_model(one_bin(20.0, 22.0, 3.0), "m", "mu")
    direct = upper_limit(data, model, guess=10.0)
    sra = next(r for r in res.regions if r.region == "SRA")
    assert sra.s95_obs == pytest.approx(direct.observed, rel=2e-2)


def test_unknown_region_is_one_line_error(tmp_path: Path) -> None:
    lk = {**SIMPLIFIED, "channels": {"A": {"regions": ["SRAA"]}}}
    d = make_analysis(tmp_path, lk, {"likelihood/yields.yaml": yaml.safe_dump(TABLE)})
    with pytest.raises(LikelihoodError, match="did you mean 'SRA'") as e:
        likelihood_spec(load_analysis(d))
    assert "\n" not in str(e.value)


def test_schema_rejects_bad_likelihood(tmp_path: Path) -> None:
    bad = {
        "kind": "published",
        "workspace": "w.json",
        "channels": {},
        "calibration": {"target": "x", "background_rel_uncertainty": 0.1},
    }
    d = make_analysis(tmp_path, bad, {})
    with pytest.raises(SpecError, match="likelihood"):
        load_analysis(d)


# ---------------------------------------------------------------- published shape + patchset


def published_workspace() -> dict[str, Any]:
    """A background-only workspace shaped like HEPData's BkgOnly.json (SR + CR, systematics)."""

    def bkg(data: list[float], ch: str) -> dict[str, Any]:
        return {
            "name": "ttbar",
            "data": data,
            "modifiers": [
                {"name": "lumi", "type": "lumi", "data": None},
                {"name": "ttbar_norm", "type": "normfactor", "data": None},
                {"name": "jes", "type": "normsys", "data": {"hi": 1.05, "lo": 0.94}},
                {
                    "name": "shape",
                    "type": "histosys",
                    "data": {
                        "hi_data": [d * 1.03 for d in data],
                        "lo_data": [d * 0.97 for d in data],
                    },
                },
                {"name": f"staterror_{ch}", "type": "staterror", "data": [0.1 * d for d in data]},
            ],
        }

    return {
        "channels": [
            {"name": "SR_cuts", "samples": [bkg([12.0, 6.0], "SR_cuts")]},
            {"name": "CR_cuts", "samples": [bkg([200.0], "CR_cuts")]},
        ],
        "observations": [
            {"name": "SR_cuts", "data": [13.0, 5.0]},
            {"name": "CR_cuts", "data": [205.0]},
        ],
        "measurements": [
            {
                "name": "NormalMeasurement",
                "config": {
                    "poi": "mu_SIG",
                    "parameters": [
                        {
                            "name": "lumi",
                            "auxdata": [1.0],
                            "sigmas": [0.017],
                            "bounds": [[0.9, 1.1]],
                            "inits": [1.0],
                        },
                        {"name": "mu_SIG", "bounds": [[0.0, 10.0]], "inits": [1.0]},
                    ],
                },
            }
        ],
        "version": "1.0.0",
    }


def patchset(ws: dict[str, Any]) -> dict[str, Any]:
    sig = {
        "name": "sig",
        "data": [3.0, 2.0],
        "modifiers": [
            {"name": "mu_SIG", "type": "normfactor", "data": None},
            {"name": "lumi", "type": "lumi", "data": None},
        ],
    }
    return {
        "metadata": {
            "references": {"hepdata": "ins1234567"},
            "description": "signal patchset (test)",
            "digests": {"sha256": pyhf.utils.digest(ws)},
            "labels": ["m"],
        },
        "patches": [
            {
                "metadata": {"name": "model_500", "values": [500]},
                "patch": [{"op": "add", "path": "/channels/0/samples/1", "value": sig}],
            }
        ],
        "version": "1.0.0",
    }


PUBLISHED = {
    "kind": "published",
    "workspace": "likelihood/BkgOnly.json",
    "patchset": "likelihood/patchset.json",
    "patch": "model_500",
    "signal_sample": "sig",
    "source": "test workspace of HEPData shape",
    "channels": {"SR_cuts": {"regions": ["SRA", "SRB"]}},
}


@pytest.mark.slow
def test_published_workspace_patchset_and_signal_patch(tmp_path: Path) -> None:
    ws = published_workspace()
    d = make_analysis(
        tmp_path,
        PUBLISHED,
        {"likelihood/BkgOnly.json": ws, "likelihood/patchset.json": patchset(ws)},
    )
    ana = load_analysis(d)
    lh = load_likelihood(likelihood_spec(ana))
    assert lh.kind == "published" and lh.metadata["patch"] == "model_500"
    sr = next(c for c in dict(lh.workspace)["channels"] if c["name"] == "SR_cuts")
    assert [s["name"] for s in sr["samples"]] == ["ttbar", "sig"]  # the patch was applied
    doc = results_doc({"SRA": (4.0, 0.5, 200), "SRB": (2.5, 0.4, 150)})
    res = compute_limits(doc, ana, per_region=False)
    assert res.poi == "mu_SIG" and res.likelihood_kind == "published"
    assert res.likelihood["patch"] == "model_500"
    assert 0 < res.mu_limit_obs < 10 and res.cls_obs is not None
    # our yields replace the patch's signal sample (same name), with their MC stat error
    from hepreint.stats.signal import with_signal

    ours = with_signal(
        dict(lh.workspace), "sig", "mu_SIG", {"SR_cuts": [4.0, 2.5]}, {"SR_cuts": [0.5, 0.4]}, "t"
    )
    sr = next(c for c in ours["channels"] if c["name"] == "SR_cuts")
    sig = [s for s in sr["samples"] if s["name"] == "sig"]
    assert len(sig) == 1 and sig[0]["data"] == [4.0, 2.5]
    assert {m["type"] for m in sig[0]["modifiers"]} == {"normfactor", "staterror"}
    cr = next(c for c in ours["channels"] if c["name"] == "CR_cuts")
    assert [s["name"] for s in cr["samples"]] == ["ttbar"]  # no signal in the control region


def test_published_bad_inputs_are_one_line(tmp_path: Path) -> None:
    ws = published_workspace()
    other = published_workspace()
    other["observations"][0]["data"] = [99.0, 99.0]
    d = make_analysis(
        tmp_path,
        PUBLISHED,
        {"likelihood/BkgOnly.json": ws, "likelihood/patchset.json": patchset(other)},
    )
    with pytest.raises(LikelihoodError, match="does not belong") as e:
        load_likelihood(likelihood_spec(load_analysis(d)))
    assert "\n" not in str(e.value)
    broken = dict(ws, channels=[{"name": "SR_cuts"}])
    d = make_analysis(tmp_path, PUBLISHED, {"likelihood/BkgOnly.json": broken})
    with pytest.raises(LikelihoodError, match="not a valid pyhf workspace"):
        load_likelihood(likelihood_spec(load_analysis(d)))
    wrong = {**PUBLISHED, "channels": {"SR_cuts": {"regions": ["SRA"]}}}
    d = make_analysis(
        tmp_path, wrong, {"likelihood/BkgOnly.json": ws, "likelihood/patchset.json": patchset(ws)}
    )
    with pytest.raises(LikelihoodError, match="2 bin"):
        compute_limits(results_doc({"SRA": (4.0, 0.5, 200)}), load_analysis(d))


# ---------------------------------------------------------------- warnings


@pytest.mark.slow
def test_warnings_fire_on_tiny_negative_and_few_events(tmp_path: Path) -> None:
    d = make_analysis(tmp_path, SIMPLIFIED, {"likelihood/yields.yaml": yaml.safe_dump(TABLE)})
    doc = results_doc(
        {"SRA": (1e-5, 1e-5, 2), "SRH_bin0": (-0.3, 0.3, 1), "SRH_bin1": (1e-4, 1e-4, 1)}
    )
    res = compute_limits(doc, load_analysis(d))
    text = " | ".join(res.warnings)
    assert "tiny signal yield" in text and "negative signal yield" in text
    assert "raw MC event" in text
    assert "too small to constrain" in text and res.mu_limit_obs is None
    small = results_doc(
        {"SRA": (0.5, 0.1, 3), "SRH_bin0": (0.0, 0.0, 0), "SRH_bin1": (0.0, 0.0, 0)}
    )
    res = compute_limits(small, load_analysis(d), per_region=False)
    assert res.mu_limit_obs is not None and res.mu_limit_obs > 5  # a real but weak limit
    assert any("raw MC" in w for w in res.warnings)


def test_unnormalised_results_refused(tmp_path: Path) -> None:
    d = make_analysis(tmp_path, SIMPLIFIED, {"likelihood/yields.yaml": yaml.safe_dump(TABLE)})
    doc = results_doc({"SRA": (8.0, 1.0, 100), "SRH_bin0": (6, 1, 80), "SRH_bin1": (4, 1, 60)})
    doc["normalisation"]["normalised"] = False
    with pytest.raises(LikelihoodError, match="NOT NORMALISED"):
        compute_limits(doc, load_analysis(d))


# ---------------------------------------------------------------- calibration


CALIBRATED = {
    "kind": "calibrated",
    "workspace": "likelihood/workspace.json",
    "channels": {"A": {"regions": ["SRA"]}, "B": {"regions": ["SRB"]}},
    "calibration": {
        "target": "z_exp",
        "reference": "reference/published.yaml",
        "background_rel_uncertainty": 0.05,
        "signal_xsec_fb": 50.0,
        "best_fit_mu": "mu_hat",
        "crosschecks": ["z_obs"],
    },
}
REFERENCE = {
    "numbers": [
        {"id": "z_exp", "value": 3.0, "unit": "sigma", "source": "test", "trust": "A"},
        {"id": "z_obs", "value": 2.5, "unit": "sigma", "source": "test", "trust": "A"},
        {"id": "mu_hat", "value": 0.8, "unit": "x SM", "source": "test", "trust": "A"},
    ]
}


@pytest.mark.slow
def test_calibration_reproduces_its_target_consistency_check(tmp_path: Path) -> None:
    """Consistency check of the solver (the target is an input, so this validates nothing)."""
    d = make_analysis(tmp_path, CALIBRATED, {"reference/published.yaml": yaml.safe_dump(REFERENCE)})
    ana = load_analysis(d)
    doc = results_doc({"SRA": (30.0, 2.0, 400), "SRB": (10.0, 1.0, 200)}, xsec_pb=0.1)
    cal = calibrate(doc, ana)
    assert cal.achieved == pytest.approx(3.0, abs=1e-6)
    c = cal.built.metadata["calibration"]
    assert c["signal"]["yields"] == {"A": [15.0], "B": [5.0]}  # rescaled 100 fb -> 50 fb
    b = c["solved"]["background"]
    assert 15.0 / b["A"][0] == pytest.approx(5.0 / b["B"][0])  # equal S/B by construction
    assert c["solved"]["background_uncertainty"]["A"][0] == pytest.approx(0.05 * b["A"][0])
    assert c["crosschecks"][0]["id"] == "z_obs"  # a number the calibration did not use
    assert c["achieved"]["consistency_check_only"] is True
    # write, reload, and every output says "calibrated approximation"
    cal.built.write(d / "likelihood/workspace.json")
    res = compute_limits(doc, load_analysis(d), per_region=False)
    assert res.label == CALIBRATED_LABEL and res.to_dict()["label"] == CALIBRATED_LABEL
    assert res.likelihood["calibration"]["target"]["id"] == "z_exp"
    assert CALIBRATED_LABEL in limits_table(res)
    assert res.cls_obs == pytest.approx(res.cls_exp["median"], rel=1e-3)  # observed = b


def test_calibrated_metadata_must_match_workspace(tmp_path: Path) -> None:
    d = make_analysis(tmp_path, CALIBRATED, {"reference/published.yaml": yaml.safe_dump(REFERENCE)})
    doc = results_doc({"SRA": (30.0, 2.0, 400), "SRB": (10.0, 1.0, 200)})
    cal = calibrate(doc, load_analysis(d))
    ws, _ = cal.built.write(d / "likelihood/workspace.json")
    ws.write_text(ws.read_text().replace('"B"', '"B" '))
    with pytest.raises(LikelihoodError, match="workspace_sha256"):
        compute_limits(doc, load_analysis(d))


# ---------------------------------------------------------------- CLI


@pytest.mark.slow
def test_cli_limits_writes_limits_json(tmp_path: Path) -> None:
    from hepreint.cli.stats import limits

    d = make_analysis(tmp_path, SIMPLIFIED, {"likelihood/yields.yaml": yaml.safe_dump(TABLE)})
    out = tmp_path / "out"
    out.mkdir()
    doc = results_doc(
        {"SRA": (8.0, 1.0, 100), "SRH_bin0": (6.0, 1.0, 80), "SRH_bin1": (4.0, 0.8, 60)}
    )
    (out / "results.json").write_text(json.dumps(schema_valid(doc)))
    r = CliRunner().invoke(limits, [str(out / "results.json"), "-a", str(d), "--no-regions"])
    assert r.exit_code == 0, r.output
    doc = json.loads((out / "limits.json").read_text())
    assert doc["schema"] == "hepreint-limits/1" and doc["likelihood_kind"] == "simplified"
    assert "μ upper limit" in r.output
    r = CliRunner().invoke(limits, [str(tmp_path / "missing.json"), "-a", str(d)])
    assert r.exit_code == 2 and "no such results file" in r.output


def test_cli_limits_missing_results_is_one_line(tmp_path: Path) -> None:
    """Fast-lane part of test_cli_limits_writes_limits_json (slow: it fits)."""
    from hepreint.cli.stats import limits

    d = make_analysis(tmp_path, SIMPLIFIED, {"likelihood/yields.yaml": yaml.safe_dump(TABLE)})
    r = CliRunner().invoke(limits, [str(tmp_path / "missing.json"), "-a", str(d)])
    assert r.exit_code == 2 and "no such results file" in r.output


def test_shipped_tthbb_workspace_loads() -> None:
    root = Path(__file__).resolve().parents[1]
    lh = load_likelihood(likelihood_spec(load_analysis(root / "analyses/ttHbb")))
    assert lh.kind == "calibrated"
    cal = lh.metadata["calibration"]
    assert cal["target"]["id"] == "significance_exp" and cal["target"]["value"] == 5.4
    assert cal["achieved"]["value"] == pytest.approx(5.4, abs=1e-4)  # solver consistency
    assert lh.workspace.channels == ["SR_1l", "SR_2l"]
