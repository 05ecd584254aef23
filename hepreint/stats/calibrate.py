"""Calibrated counting likelihoods: where no background yields are published, fix one per
signal region so that hepreint's own SM signal yields reproduce a published headline number.

One number fixes one parameter. The recipe (in ``likelihood.calibration`` of analysis.yaml)
fixes the rest by choice: the relative background uncertainty δ, and an equal S/B in every bin
— the dominant backgrounds of the analyses this is meant for (tt+bb under ttH(bb)) share the
signal's decay topology, so the channels' acceptances scale alike. The solved S/B then makes the
target true: by default (``target_kind: significance``) the Asimov expected discovery
significance, or (``target_kind: expected_limit``) the median expected 95 % CL CLs upper limit
on μ (asymptotic q̃_μ, background-only expectation), solved as CLs_exp(μ = target) = 0.05.
Published numbers the calibration did not use are re-predicted as cross-checks; the target
itself is only a solver consistency check.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pyhf
import yaml
from scipy.optimize import brentq

from hepreint.analysis.spec import Analysis
from hepreint.errors import LikelihoodError
from hepreint.stats.crosschecks import (
    channel_checks,
    crosschecks,
    interval_checks,
    number,
    pars_at,
    z_discovery,
)
from hepreint.stats.fit import LEVEL, build_model, hypotest, upper_limit
from hepreint.stats.mapping import likelihood_spec
from hepreint.stats.sidecar import META_SCHEMA
from hepreint.stats.signal import signal_yields, with_signal
from hepreint.stats.simplified import BuiltWorkspace, background_workspace

_TARGET_KEYS = ("id", "value", "unit", "what", "source", "trust")
#: what the solved S/B makes equal to the target number (recipe key ``target_kind``)
TARGET_KINDS = {
    "significance": "Asimov (mu=1) median discovery significance, asymptotic q0",
    "expected_limit": "median expected 95% CL CLs upper limit on mu, asymptotic qtilde, "
    "background-only expectation (solved as CLs_exp(mu = target) = 0.05)",
}
COMMAND = "hepreint calibrate {analysis} RESULTS.json"


@dataclass
class Recipe:
    target: str
    target_kind: str = "significance"
    reference: str = "reference/published.yaml"
    background_rel_uncertainty: float = 0.0
    signal_xsec_fb: float | None = None
    signal_xsec_source: str = ""
    best_fit_mu: str | None = None
    crosschecks: list[str] = field(default_factory=list)
    channel_crosschecks: dict[str, Any] | None = None
    #: expected_limit only: published expected intervals of a coupling whose signal cross-section
    #: is quadratic in it, re-predicted from the calibrated expected limit (see _interval_checks)
    interval_crosschecks: list[dict[str, Any]] = field(default_factory=list)
    choices: list[str] = field(default_factory=list)


@dataclass
class Calibration:
    built: BuiltWorkspace
    target_value: float
    achieved: float
    s_over_b: float
    crosschecks: list[dict[str, Any]]


def recipe(analysis: Analysis) -> Recipe:
    section = analysis.raw.get("likelihood") or {}
    raw = section.get("calibration")
    if not raw and section.get("background_grid"):
        raise LikelihoodError(
            f"{analysis.path}: this likelihood's background is a per-mass-point grid "
            f"({section['background_grid']}), calibrated by its own recipe, not by "
            "'hepreint calibrate': see likelihood/README.md in the analysis directory"
        )
    if not raw and section.get("recipe"):
        raise LikelihoodError(
            f"{analysis.path}: this likelihood is built and calibrated by its own recipe, "
            f"not by 'hepreint calibrate': run 'python {section['recipe']}' (see "
            "likelihood/README.md in the analysis directory)"
        )
    if not raw:
        raise LikelihoodError(
            f"{analysis.path}: likelihood.calibration missing; give target, "
            "background_rel_uncertainty, signal_xsec_fb"
        )
    return Recipe(**raw)


def reference_numbers(analysis: Analysis, rel: str) -> dict[str, dict[str, Any]]:
    path = analysis.directory / rel
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise LikelihoodError(
            f"{path}: reference numbers missing; fix calibration.reference"
        ) from None
    return {n["id"]: n for n in doc.get("numbers", [])}


def calibrate(results_doc: dict[str, Any], analysis: Analysis, **override: Any) -> Calibration:
    """Solve S/B so the recipe's target number holds: the Asimov expected significance
    (``target_kind: significance``, the default) or the median expected 95 % CL upper limit
    on μ (``target_kind: expected_limit``)."""
    spec = likelihood_spec(analysis)
    if spec.kind != "calibrated":
        raise LikelihoodError(f"{spec.where('kind')}: is {spec.kind!r}; calibrate needs calibrated")
    rec = recipe(analysis)
    for k, v in override.items():
        if v is not None:
            setattr(rec, k, v)
    where = spec.where("calibration")
    if rec.target_kind not in TARGET_KINDS:
        raise LikelihoodError(
            f"{where}.target_kind: {rec.target_kind!r} unknown; use one of {sorted(TARGET_KINDS)}"
        )
    limit_kind = rec.target_kind == "expected_limit"
    refs = reference_numbers(analysis, rec.reference)
    target = number(refs, rec.target, where)
    z_target = float(target["value"])
    if limit_kind and not z_target > 0:
        raise LikelihoodError(f"{where}.target: expected limit {z_target} must be > 0")
    sig = signal_yields(results_doc, spec, str(spec.yaml_path))
    if sig.xsec_fb is None or not sig.normalised:
        raise LikelihoodError("results are not normalised; rerun 'hepreint run' with --xsec")
    scale = rec.signal_xsec_fb / sig.xsec_fb if rec.signal_xsec_fb else 1.0
    sig = sig.scaled(scale)
    s: dict[str, list[float]] = {}
    for r in sig.regions:
        if not r.yield_ > 0:
            raise LikelihoodError(
                f"{where}: region {r.region} has no signal ({r.yield_:g}); calibration needs a "
                "signal in every mapped bin: use a larger sample"
            )
        s.setdefault(r.channel, []).append(r.yield_)
    delta = float(rec.background_rel_uncertainty)

    def workspace(rho: float, mu_obs: float = 0.0) -> dict[str, Any]:
        chans = {
            ch: {
                "background": [v / rho for v in vals],
                "background_uncertainty": [delta * v / rho for v in vals],
                "observed": [v / rho + mu_obs * v for v in vals],
            }
            for ch, vals in s.items()
        }
        return background_workspace(chans)

    def model_with(bkg: dict[str, Any], sig_: dict[str, list[float]]) -> tuple[Any, Any]:
        return build_model(
            with_signal(bkg, spec.signal_sample, "mu", sig_, None, where), "meas", "mu"
        )

    def model_at(rho: float) -> tuple[pyhf.pdf.Model, Any]:
        return model_with(workspace(rho), s)

    def z_exp(rho: float) -> float:
        model, _ = model_at(rho)
        asimov = model.expected_data(pars_at(model, 1.0))
        return z_discovery(asimov, model)

    def objective(rho: float) -> float:
        if not limit_kind:
            return z_exp(rho) - z_target
        model, data = model_at(rho)  # observed = b: the expected bands of the b-only fit
        # CLs falls with S/B at fixed mu; log makes the root well-conditioned
        cls_med = hypotest(z_target, data, model, upper=2 * z_target).cls_exp[2]
        return math.log(max(cls_med, 1e-300)) - math.log(LEVEL)

    lo, hi = 1e-7, 1e3
    if objective(lo) * objective(hi) > 0:
        what = "expected limit" if limit_kind else "sigma"
        raise LikelihoodError(
            f"{where}: target {z_target} {what} not reachable for S/B in [{lo:g}, {hi:g}] with "
            f"δ = {delta}; lower background_rel_uncertainty"
        )
    tol = 1e-7 if limit_kind else 1e-10
    log_rho = brentq(
        lambda x: objective(math.exp(x)), math.log(lo), math.log(hi), xtol=tol, rtol=tol
    )
    rho = math.exp(log_rho)
    if limit_kind:
        model, data = model_at(rho)
        achieved = upper_limit(data, model, guess=z_target, rtol=1e-5).expected[2]
    else:
        achieved = z_exp(rho)
    bkg_ws = workspace(rho)
    checks = crosschecks(rec, refs, where, workspace, rho, s, spec.signal_sample)
    if limit_kind:

        def cls_exp_at_1(sig_k: dict[str, list[float]]) -> float:
            """Median expected CLs at mu = 1 of signal ``sig_k`` on the solved background."""
            model, data = model_with(workspace(rho), sig_k)
            return hypotest(1.0, data, model).cls_exp[2]

        basis = _basis_reader(results_doc, sig, scale, where)
        checks += interval_checks(rec, refs, where, achieved, basis, cls_exp_at_1)
    elif rec.interval_crosschecks:
        raise LikelihoodError(f"{where}.interval_crosschecks: needs target_kind: expected_limit")
    checks += channel_checks(rec, refs, where, workspace, rho, s, spec.signal_sample)
    meta = {
        "schema": META_SCHEMA,
        "kind": "calibrated",
        "label": "calibrated approximation",
        "source": f"calibrated to {rec.target} = {z_target} {target.get('unit', '')} "
        f"({target.get('source', '')}, trust {target.get('trust', '?')})",
        "observations": "background-only expectation (no observed counts are published for "
        "these regions): observed limits equal the expected median",
        "calibration": {
            "target": {
                k: target.get(k) for k in ("id", "value", "unit", "what", "source", "trust")
            },
            "solved": {
                "s_over_b": rho,
                "background": {ch: [v / rho for v in vals] for ch, vals in s.items()},
                "background_uncertainty": {
                    ch: [delta * v / rho for v in vals] for ch, vals in s.items()
                },
            },
            "achieved": {"value": achieved, "consistency_check_only": True},
            "signal": {
                "yields": s,
                "raw": {r.region: r.raw for r in sig.regions},
                "xsec_fb": sig.xsec_fb,
                "xsec_source": rec.signal_xsec_source or "the results' normalisation",
                "rescaled_from_results_by": scale,
                "luminosity_fb": sig.luminosity_fb,
                "sample": _sample(results_doc),
                "mc_stat_in_calibration": False,
            },
            "choices": {
                "background_rel_uncertainty": delta,
                "equal_s_over_b_in_every_bin": True,
                "background_uncertainty_model": "uncorrelated shapesys per bin",
                "significance": TARGET_KINDS[rec.target_kind],
                **({"target_kind": rec.target_kind} if limit_kind else {}),
                "notes": rec.choices,
            },
            "crosschecks": checks,
            "command": COMMAND.format(analysis=analysis.directory),
        },
    }
    return Calibration(BuiltWorkspace(bkg_ws, meta), z_target, achieved, rho, checks)


def _basis_reader(
    doc: dict[str, Any], sig: Any, scale: float, where: str
) -> Callable[[list[str]], dict[str, list[list[float]]]]:
    """Weight variations ``names`` of every mapped region, rescaled like the signal, with the
    nominal signal last: channel -> [[v0, v1, v2, s], ...] in bin order."""

    def read(names: list[str]) -> dict[str, list[list[float]]]:
        out: dict[str, list[list[float]]] = {}
        for r in sig.regions:
            var = (doc.get("regions", {}).get(r.region) or {}).get("variations") or {}
            missing = [n for n in names if n not in var]
            if missing:
                raise LikelihoodError(
                    f"{where}.interval_crosschecks: region {r.region} has no weight variation "
                    f"{', '.join(missing)}; run on a sample with these weights "
                    "(python -m hepreint.generate.hh_reweight)"
                )
            out.setdefault(r.channel, []).append(
                [float(var[n]) * scale for n in names] + [r.yield_]
            )
        return out

    return read


def _sample(doc: dict[str, Any]) -> dict[str, Any]:
    prov = doc.get("provenance") or {}
    norm_ = doc.get("normalisation") or {}
    return {
        "inputs": prov.get("inputs") or prov.get("input_files"),
        "n_events": norm_.get("n_events"),
        "xsec_pb_in_results": norm_.get("xsec_pb"),
        "analysis_sha256": (doc.get("analysis") or {}).get("sha256"),
        "hepreint_version": prov.get("hepreint_version") or prov.get("version"),
    }
