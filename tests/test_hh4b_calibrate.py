"""Calibration on an expected-limit target (``target_kind: expected_limit``), built for the
HH→4b likelihood and generic for any calibrated analysis.

What can fail here, and why each tolerance:
- the solved model's median expected limit, recomputed by ``compute_limits`` from the written
  workspace (an independent code path: hepreint's limit scan, not the solver's root), equals
  the target to 1e-3 (the scan's rtol); this is a solver consistency check, not a validation;
- with δ = 0 and large yields the expected limit on μ is the Gaussian one, μ95 ≈ 1.96·√b / s
  (CLs, Asimov, q̃μ: the 5 % level of Φ(−μ s/√b)/0.5 sits at μ s/√b ≈ 1.64 for CLs+b and
  ≈ 1.96 for CLs), so the solved S/B must equal 1.96²/(μ95²·s) to 2 %;
- a smaller target needs a larger S/B (monotonic);
- the default (no target_kind) still solves on the significance, unchanged;
- the κλ-like interval cross-check is the closed-form root of the quadratic;
- bad recipes are one-line LikelihoodErrors naming the recipe key.
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pytest
import yaml
from test_stats import make_analysis, results_doc

from hepreint.analysis.schemas import validate
from hepreint.analysis.spec import load_analysis
from hepreint.errors import LikelihoodError
from hepreint.stats import CALIBRATED_LABEL, calibrate, compute_limits

REFERENCE = {
    "numbers": [
        {"id": "mu_exp", "value": 8.1, "unit": "x SM", "source": "test", "trust": "A"},
        {"id": "mu_exp_small", "value": 3.0, "unit": "x SM", "source": "test", "trust": "A"},
        {"id": "z_exp", "value": 3.0, "unit": "sigma", "source": "test", "trust": "A"},
        {"id": "k_interval", "value": [-5.4, 11.4], "unit": "1", "source": "test", "trust": "A"},
    ]
}
#: σ(k) ∝ 70.3874 − 50.4111 k + 11.0595 k² (the HH4b recipe's parametrisation)
QUAD = [70.3874, -50.4111, 11.0595]


def recipe(**extra: Any) -> dict[str, Any]:
    return {
        "kind": "calibrated",
        "workspace": "likelihood/workspace.json",
        "channels": {"A": {"regions": ["SRA"]}, "B": {"regions": ["SRB"]}},
        "calibration": {
            "target": "mu_exp",
            "target_kind": "expected_limit",
            "reference": "reference/published.yaml",
            "background_rel_uncertainty": 0.05,
            "signal_xsec_fb": 50.0,
            **extra,
        },
    }


def make(tmp_path: Any, lh: dict[str, Any]) -> Any:
    d = make_analysis(tmp_path, lh, {"reference/published.yaml": yaml.safe_dump(REFERENCE)})
    return d, load_analysis(d)


DOC = results_doc({"SRA": (30.0, 2.0, 400), "SRB": (10.0, 1.0, 200)}, xsec_pb=0.1)


def test_expected_limit_calibration_solves_and_limits_agree(tmp_path: Any) -> None:
    lh = recipe(
        interval_crosschecks=[
            {"id": "k_interval", "parameter": "kappa", "xsec_quadratic": QUAD,
             "source": "test", "trust": "C"}
        ]
    )  # fmt: skip
    d, ana = make(tmp_path, lh)
    cal = calibrate(DOC, ana)
    assert cal.target_value == 8.1
    assert cal.achieved == pytest.approx(8.1, rel=1e-3)
    c = cal.built.metadata["calibration"]
    assert c["choices"]["target_kind"] == "expected_limit"
    assert "expected 95% CL CLs upper limit" in c["choices"]["significance"]
    b = c["solved"]["background"]
    assert 15.0 / b["A"][0] == pytest.approx(5.0 / b["B"][0])  # equal S/B
    # the interval cross-check: the roots of σ(k)/σ(1) = μ95, acceptance flat in k
    (x,) = c["crosschecks"]
    a_, b_, c_ = QUAD
    n = sum(QUAD)
    disc = b_**2 - 4 * c_ * (a_ - cal.achieved * n)
    lo, hi = (-b_ - math.sqrt(disc)) / (2 * c_), (-b_ + math.sqrt(disc)) / (2 * c_)
    assert x["predicted_interval"] == pytest.approx([lo, hi])
    assert x["published_interval"] == [-5.4, 11.4]
    assert -3.0 < lo < -2.0 and 6.5 < hi < 7.5  # narrower than published: acceptance not flat
    # write, recompute with the limit code, and the output is labelled calibrated
    _, meta_path = cal.built.write(d / "likelihood/workspace.json")
    assert validate(json.loads(meta_path.read_text()), "likelihood-meta") == []
    res = compute_limits(DOC, load_analysis(d), per_region=False)
    assert res.label == CALIBRATED_LABEL
    assert res.mu_limit_exp is not None
    # the results are at 100 fb, the calibration's SM at 50 fb: σ95 = 8.1 × 50 fb; signal stat
    # errors (added as staterror by compute_limits, not by the calibration) loosen it slightly
    assert res.mu_limit_exp["median"] == pytest.approx(8.1 / 2, rel=0.03)
    assert res.xsec_limit_exp_fb is not None
    assert res.xsec_limit_exp_fb["median"] == pytest.approx(8.1 * 50.0, rel=0.03)


def test_gaussian_regime_matches_closed_form(tmp_path: Any) -> None:
    """δ = 0, s tiny against b: μ95 = 1.96 √b / s, so S/B = s/b = 1.96² / (μ95² s)."""
    lh = recipe(background_rel_uncertainty=0.0)
    lh["calibration"].pop("signal_xsec_fb")
    lh["channels"] = {"A": {"regions": ["SRA"]}}
    _, ana = make(tmp_path, lh)
    doc = results_doc({"SRA": (400.0, 2.0, 4000)}, xsec_pb=0.1)
    cal = calibrate(doc, ana)
    s = 400.0
    expected = 1.96**2 / (8.1**2 * s)
    assert cal.s_over_b == pytest.approx(expected, rel=0.02)


def test_smaller_target_needs_larger_s_over_b(tmp_path: Any) -> None:
    _, ana = make(tmp_path / "a", recipe())
    _, ana2 = make(tmp_path / "b", recipe(target="mu_exp_small"))
    assert calibrate(DOC, ana2).s_over_b > 2 * calibrate(DOC, ana).s_over_b


def test_default_kind_is_still_significance(tmp_path: Any) -> None:
    lh = recipe(target="z_exp")
    lh["calibration"].pop("target_kind")
    _, ana = make(tmp_path, lh)
    cal = calibrate(DOC, ana)
    assert cal.achieved == pytest.approx(3.0, abs=1e-6)
    choices = cal.built.metadata["calibration"]["choices"]
    assert "target_kind" not in choices  # the default's metadata is as before
    assert choices["significance"].startswith("Asimov (mu=1) median discovery significance")


@pytest.mark.parametrize(
    ("extra", "match"),
    [
        ({"target_kind": "limit"}, r"calibration.target_kind: 'limit' unknown"),
        ({"interval_crosschecks": [{"id": "k_interval", "xsec_quadratic": [1, 2, 3],
                                    "source": "t", "trust": "C"}],
          "target_kind": "significance", "target": "z_exp"},
         r"interval_crosschecks: needs target_kind: expected_limit"),
    ],
)  # fmt: skip
def test_bad_recipes_are_one_line(tmp_path: Any, extra: dict[str, Any], match: str) -> None:
    d = make_analysis(
        tmp_path, recipe(**extra), {"reference/published.yaml": yaml.safe_dump(REFERENCE)}
    )
    if extra.get("target_kind") == "limit":  # the schema refuses it at load already
        with pytest.raises(Exception, match="target_kind"):
            calibrate(DOC, load_analysis(d))
        return
    with pytest.raises(LikelihoodError, match=match) as exc:
        calibrate(DOC, load_analysis(d))
    assert "\n" not in str(exc.value)


def test_cli_prints_the_interval_crosscheck(tmp_path: Any) -> None:
    import json as json_

    from click.testing import CliRunner
    from test_stats import schema_valid

    from hepreint.cli.stats import calibrate as calibrate_cmd

    lh = recipe(
        interval_crosschecks=[{"id": "k_interval", "xsec_quadratic": QUAD, "source": "t",
                               "trust": "C"}]
    )  # fmt: skip
    d, _ = make(tmp_path, lh)
    res = tmp_path / "results.json"
    res.write_text(json_.dumps(schema_valid(DOC)))
    r = CliRunner().invoke(calibrate_cmd, [str(d), str(res), "--dry-run"])
    assert r.exit_code == 0, r.output
    assert "target mu_exp = 8.1" in r.output
    assert "cross-check k_interval: predicted [-2.3" in r.output and "[-5.4, 11.4]" in r.output
    assert "(flat acceptance)" in r.output


def test_shipped_hh4b_likelihood_is_calibrated_on_the_expected_limit() -> None:
    """The shipped sidecar: target 8.1 (expected_limit), and the κλ cross-check recorded."""
    from pathlib import Path

    from hepreint.stats import likelihood_spec, load_likelihood

    root = Path(__file__).resolve().parents[1]
    lh = load_likelihood(likelihood_spec(load_analysis(root / "analyses" / "HH4b")))
    c = lh.metadata["calibration"]
    assert lh.kind == "calibrated" and c["choices"]["target_kind"] == "expected_limit"
    assert c["target"] == {**c["target"], "id": "nonres.mu_HH_limit_exp", "value": 8.1}
    assert c["achieved"]["value"] == pytest.approx(8.1, rel=1e-3)
    (x,) = c["crosschecks"]
    assert x["id"] == "nonres.kappa_lambda_exp" and x["published_interval"] == [-5.4, 11.4]
    lo, hi = x["predicted_interval"]
    assert lo < 0 < 1 < hi  # SM inside; narrower than published (acceptance flat in κλ)
    assert len(c["signal"]["yields"]) == 6  # the six ggF categories


def _doc_with_basis(basis: dict[str, tuple[float, float, float]]) -> dict[str, Any]:
    doc = results_doc({"SRA": (30.0, 2.0, 400), "SRB": (10.0, 1.0, 200)}, xsec_pb=0.1)
    for region, (v0, v1, v2) in basis.items():
        doc["regions"][region]["variations"] = {"KL_C0": v0, "KL_C1": v1, "KL_C2": v2}
    return doc


def _interval_recipe(**item: Any) -> dict[str, Any]:
    return recipe(
        interval_crosschecks=[{"id": "k_interval", "parameter": "kappa", "xsec_quadratic": QUAD,
                               "source": "test", "trust": "C", **item}]
    )  # fmt: skip


def test_basis_interval_reproduces_the_flat_one_for_flat_acceptance(tmp_path: Any) -> None:
    """Basis ∝ σ(k) in every channel (flat acceptance): the reweighted-signal interval must be
    the closed-form one (both put the boundary where σ(k)/σ(1) equals the expected limit)."""
    n = sum(QUAD)
    basis = {r: tuple(y * a / n for a in QUAD) for r, y in (("SRA", 30.0), ("SRB", 10.0))}
    _, flat = make(tmp_path / "flat", _interval_recipe())
    names = ["KL_C0", "KL_C1", "KL_C2"]
    _, ana = make(tmp_path / "basis", _interval_recipe(basis_variations=names))
    doc = _doc_with_basis(basis)  # type: ignore[arg-type]
    (x_flat,) = calibrate(doc, flat).crosschecks
    (x,) = calibrate(doc, ana).crosschecks
    assert "reweighted to k" in x["compared"] and "independent of k" in x_flat["compared"]
    assert x["predicted_interval"] == pytest.approx(x_flat["predicted_interval"], rel=3e-3)


def test_basis_interval_follows_the_acceptance(tmp_path: Any) -> None:
    """A channel k dependence other than σ(k)'s moves the interval to its own closed form
    (1 ± sqrt((8.1 − 1)/0.25)); basis_total_quadratic renormalises what the weights integrate
    to (here T = q / q(1), so q/T cancels)."""
    n = sum(QUAD)
    # r(k) = (1 + (k-1)^2 / 4) relative to SM shape: grows slower than sigma(k) ~ k^2
    soft = (1.25, -0.5, 0.25)
    basis = {r: tuple(y * a for a in soft) for r, y in (("SRA", 30.0), ("SRB", 10.0))}
    item = {"basis_variations": ["KL_C0", "KL_C1", "KL_C2"],
            "basis_total_quadratic": [a / n for a in QUAD]}  # fmt: skip
    _, ana = make(tmp_path, _interval_recipe(**item))
    (x,) = calibrate(_doc_with_basis(basis), ana).crosschecks  # type: ignore[arg-type]
    lo, hi = x["predicted_interval"]
    assert lo < -3.0  # the soft acceptance widens the low side of the flat [-2.4, 6.9]
    # closed form: excluded where s(k)/s(1) = soft(k) / soft(1) = 8.1 (q/T cancel: T = q/n)
    roots = sorted(np.roots([0.25, -0.5, 1.25 - 8.1 * 1.0]).real)
    assert [lo, hi] == pytest.approx(roots, rel=3e-3)


def test_basis_needs_the_variations(tmp_path: Any) -> None:
    _, ana = make(tmp_path, _interval_recipe(basis_variations=["KL_C0", "KL_C1", "KL_C2"]))
    with pytest.raises(LikelihoodError, match="no weight variation KL_C0, KL_C1, KL_C2"):
        calibrate(DOC, ana)
