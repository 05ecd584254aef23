"""Calibrated counting likelihoods: where no background yields are published, fix one per
signal region so that hepreint's own SM signal yields reproduce a published headline number.

One number fixes one parameter. The recipe (in ``likelihood.calibration`` of analysis.yaml)
fixes the rest by choice: the relative background uncertainty δ, and an equal S/B in every bin
— the dominant backgrounds of the analyses this is meant for (tt+bb under ttH(bb)) share the
signal's decay topology, so the channels' acceptances scale alike. The solved S/B then makes the
Asimov expected discovery significance equal the target. Published numbers the calibration did
not use are re-predicted as cross-checks; the target itself is only a solver consistency check.
"""

from __future__ import annotations

import math
import warnings as pywarnings
from dataclasses import dataclass, field
from typing import Any

import pyhf
import yaml
from scipy.optimize import brentq
from scipy.stats import norm

from hepreint.analysis.spec import Analysis
from hepreint.errors import LikelihoodError
from hepreint.stats.fit import build_model
from hepreint.stats.mapping import likelihood_spec
from hepreint.stats.sidecar import META_SCHEMA
from hepreint.stats.signal import signal_yields, with_signal
from hepreint.stats.simplified import BuiltWorkspace, background_workspace

_TARGET_KEYS = ("id", "value", "unit", "what", "source", "trust")
COMMAND = "hepreint calibrate {analysis} RESULTS.json"


@dataclass
class Recipe:
    target: str
    reference: str = "reference/published.yaml"
    background_rel_uncertainty: float = 0.0
    signal_xsec_fb: float | None = None
    signal_xsec_source: str = ""
    best_fit_mu: str | None = None
    crosschecks: list[str] = field(default_factory=list)
    channel_crosschecks: dict[str, Any] | None = None
    choices: list[str] = field(default_factory=list)


@dataclass
class Calibration:
    built: BuiltWorkspace
    target_value: float
    achieved: float
    s_over_b: float
    crosschecks: list[dict[str, Any]]


def recipe(analysis: Analysis) -> Recipe:
    raw = (analysis.raw.get("likelihood") or {}).get("calibration")
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


def _number(refs: dict[str, dict[str, Any]], key: str, where: str) -> dict[str, Any]:
    if key not in refs:
        raise LikelihoodError(f"{where}: no number with id {key!r} in the reference file")
    return refs[key]


def calibrate(results_doc: dict[str, Any], analysis: Analysis, **override: Any) -> Calibration:
    """Solve S/B so the Asimov expected significance equals the recipe's target number."""
    spec = likelihood_spec(analysis)
    if spec.kind != "calibrated":
        raise LikelihoodError(f"{spec.where('kind')}: is {spec.kind!r}; calibrate needs calibrated")
    rec = recipe(analysis)
    for k, v in override.items():
        if v is not None:
            setattr(rec, k, v)
    where = spec.where("calibration")
    refs = reference_numbers(analysis, rec.reference)
    target = _number(refs, rec.target, where)
    z_target = float(target["value"])
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

    def z_exp(rho: float) -> float:
        ws = with_signal(workspace(rho), spec.signal_sample, "mu", s, None, where)
        model, _ = build_model(ws, "meas", "mu")
        asimov = model.expected_data(_pars(model, 1.0))
        return _z_discovery(asimov, model)

    lo, hi = 1e-7, 1e3
    if (z_exp(lo) - z_target) * (z_exp(hi) - z_target) > 0:
        raise LikelihoodError(
            f"{where}: target {z_target} sigma not reachable for S/B in [{lo:g}, {hi:g}] with "
            f"δ = {delta}; lower background_rel_uncertainty"
        )
    log_rho = brentq(
        lambda x: z_exp(math.exp(x)) - z_target, math.log(lo), math.log(hi), xtol=1e-10, rtol=1e-10
    )
    rho = math.exp(log_rho)
    achieved = z_exp(rho)
    bkg_ws = workspace(rho)
    checks = _crosschecks(rec, refs, where, workspace, rho, s, spec.signal_sample)
    checks += _channel_checks(rec, refs, where, workspace, rho, s, spec.signal_sample)
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
                "significance": "Asimov (mu=1) median discovery significance, asymptotic q0",
                "notes": rec.choices,
            },
            "crosschecks": checks,
            "command": COMMAND.format(analysis=analysis.directory),
        },
    }
    return Calibration(BuiltWorkspace(bkg_ws, meta), z_target, achieved, rho, checks)


def _pars(model: pyhf.pdf.Model, mu: float) -> Any:
    pars = model.config.suggested_init()
    pars[model.config.poi_index] = mu
    return pyhf.tensorlib.astensor(pars)


def _z_discovery(data: Any, model: pyhf.pdf.Model) -> float:
    with pywarnings.catch_warnings():
        pywarnings.simplefilter("ignore", RuntimeWarning)
        bounds = [tuple(b) for b in model.config.suggested_bounds()]
        bounds[model.config.poi_index] = (0.0, 100.0)
        p0 = pyhf.infer.hypotest(
            0.0, data, model, test_stat="q0", calctype="asymptotics", par_bounds=bounds
        )
    return float(norm.isf(float(p0)))


def _crosschecks(
    rec: Recipe,
    refs: dict[str, dict[str, Any]],
    where: str,
    workspace: Any,
    rho: float,
    s: dict[str, list[float]],
    sample: str,
) -> list[dict[str, Any]]:
    """Published numbers the calibration did not use, predicted on pseudo-data b + μ̂·s."""
    if rec.best_fit_mu is None:
        return []
    mu_ref = _number(refs, rec.best_fit_mu, where)
    mu_hat = float(mu_ref["value"])
    ws = with_signal(workspace(rho, mu_obs=mu_hat), sample, "mu", s, None, where)
    model, data = build_model(ws, "meas", "mu")
    out = []
    for key in rec.crosschecks:
        ref = _number(refs, key, where)
        pseudo = f"pseudo-data n = b + {mu_hat} s ({rec.best_fit_mu}, trust {mu_ref.get('trust')})"
        if ref.get("unit") == "sigma":
            pred = _z_discovery(data, model)
            out.append(_check(ref, pred, pseudo))
        elif key == rec.best_fit_mu and "uncertainty" in ref:
            lo, hi = _profile_interval(data, model)
            unc = ref["uncertainty"]
            plus, minus = hi - mu_hat, mu_hat - lo
            out.append(
                {
                    "id": key,
                    "compared": "68% profile-likelihood interval around mu_hat vs the published "
                    "uncertainty (mu_hat itself is an input, not a prediction)",
                    "published_uncertainty": unc,
                    "predicted_uncertainty": {"plus": plus, "minus": minus},
                    "relative_difference": {
                        "plus": (plus - unc["plus"]) / unc["plus"],
                        "minus": (minus - unc["minus"]) / unc["minus"],
                    },
                    "trust": ref.get("trust"),
                    "source": ref.get("source"),
                    "how": pseudo,
                }
            )
    return out


def _channel_checks(
    rec: Recipe,
    refs: dict[str, dict[str, Any]],
    where: str,
    workspace: Any,
    rho: float,
    s: dict[str, list[float]],
    sample: str,
) -> list[dict[str, Any]]:
    """Per-channel μ intervals, each on its channel's own pseudo-data b + μ̂_ch·s: with
    uncorrelated per-bin uncertainties the channels share no parameter, so this is exactly the
    multi-POI fit of the published per-channel signal strengths."""
    cc = rec.channel_crosschecks
    if not cc:
        return []
    ref = _number(refs, cc["id"], where)
    out = []
    for name, chans in cc["channels"].items():
        pub = (ref.get("value") or {}).get(name)
        missing = [c for c in chans if c not in s]
        if pub is None or missing:
            raise LikelihoodError(
                f"{where}: channel_crosschecks {name}: "
                + (f"no {name} in {cc['id']}" if pub is None else f"no channel {missing}")
            )
        mu_hat = float(pub["value"])
        part = {c: s[c] for c in chans}
        full = workspace(rho, mu_obs=mu_hat)
        keep = [i for i, c in enumerate(full["channels"]) if c["name"] in part]
        ws = {**full, "channels": [full["channels"][i] for i in keep],
              "observations": [o for o in full["observations"] if o["name"] in part]}  # fmt: skip
        model, data = build_model(with_signal(ws, sample, "mu", part, None, where), "meas", "mu")
        lo, hi = _profile_interval(data, model)
        plus, minus = hi - mu_hat, mu_hat - lo
        out.append({
            "id": f"{cc['id']}.{name}",
            "compared": f"68% profile-likelihood interval of mu in {', '.join(chans)} alone vs "
                        f"the published {name} uncertainty (mu_hat is an input)",
            "published_uncertainty": {"plus": pub["plus"], "minus": pub["minus"]},
            "predicted_uncertainty": {"plus": plus, "minus": minus},
            "relative_difference": {"plus": (plus - pub["plus"]) / pub["plus"],
                                    "minus": (minus - pub["minus"]) / pub["minus"]},
            "trust": ref.get("trust"), "source": ref.get("source"),
            "how": f"pseudo-data n = b + {mu_hat} s in {', '.join(chans)} "
                   f"({cc['id']}.{name}, trust {ref.get('trust')})",
        })  # fmt: skip
    return out


def _check(ref: dict[str, Any], pred: float, how: str) -> dict[str, Any]:
    v = float(ref["value"])
    return {
        "id": ref["id"],
        "published": v,
        "predicted": pred,
        "relative_difference": (pred - v) / v,
        "trust": ref.get("trust"),
        "source": ref.get("source"),
        "how": how,
    }


def _profile_interval(data: Any, model: pyhf.pdf.Model) -> tuple[float, float]:
    """Where -2 Δln L = 1 on either side of the best fit (68 % CL, Wilks)."""
    bounds = [tuple(b) for b in model.config.suggested_bounds()]
    bounds[model.config.poi_index] = (-5.0, 10.0)
    init = model.config.suggested_init()

    def twice_nll(mu: float) -> float:
        _, v = pyhf.infer.mle.fixed_poi_fit(
            mu, data, model, init_pars=init, par_bounds=bounds, return_fitted_val=True
        )
        return float(v)

    with pywarnings.catch_warnings():
        pywarnings.simplefilter("ignore", RuntimeWarning)
        best, nll0 = pyhf.infer.mle.fit(
            data, model, init_pars=init, par_bounds=bounds, return_fitted_val=True
        )
        mu0 = float(best[model.config.poi_index])
        f = lambda mu: twice_nll(mu) - float(nll0) - 1.0  # noqa: E731
        lo = brentq(f, mu0 - 3.0, mu0, xtol=1e-4)
        hi = brentq(f, mu0, mu0 + 3.0, xtol=1e-4)
    return lo, hi


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
