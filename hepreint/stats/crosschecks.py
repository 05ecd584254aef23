"""Cross-checks of a calibrated likelihood: published numbers the calibration did not use,
re-predicted from the calibrated model (hepreint.stats.calibrate). Also the two pyhf helpers the
solver shares with them (Asimov parameters, the q0 discovery significance).
"""

from __future__ import annotations

import math
import warnings as pywarnings
from collections.abc import Callable, Sequence
from typing import Any

import pyhf
from scipy.optimize import brentq
from scipy.stats import norm

from hepreint.errors import LikelihoodError
from hepreint.stats.fit import build_model
from hepreint.stats.signal import with_signal

#: the calibration recipe (hepreint.stats.calibrate.Recipe; not imported: it imports us)
Recipe = Any


def number(refs: dict[str, dict[str, Any]], key: str, where: str) -> dict[str, Any]:
    if key not in refs:
        raise LikelihoodError(f"{where}: no number with id {key!r} in the reference file")
    return refs[key]


def pars_at(model: pyhf.pdf.Model, mu: float) -> Any:
    pars = model.config.suggested_init()
    pars[model.config.poi_index] = mu
    return pyhf.tensorlib.astensor(pars)


def z_discovery(data: Any, model: pyhf.pdf.Model) -> float:
    with pywarnings.catch_warnings():
        pywarnings.simplefilter("ignore", RuntimeWarning)
        bounds = [tuple(b) for b in model.config.suggested_bounds()]
        bounds[model.config.poi_index] = (0.0, 100.0)
        p0 = pyhf.infer.hypotest(
            0.0, data, model, test_stat="q0", calctype="asymptotics", par_bounds=bounds
        )
    return float(norm.isf(float(p0)))


def crosschecks(
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
    mu_ref = number(refs, rec.best_fit_mu, where)
    mu_hat = float(mu_ref["value"])
    ws = with_signal(workspace(rho, mu_obs=mu_hat), sample, "mu", s, None, where)
    model, data = build_model(ws, "meas", "mu")
    out = []
    for key in rec.crosschecks:
        ref = number(refs, key, where)
        pseudo = f"pseudo-data n = b + {mu_hat} s ({rec.best_fit_mu}, trust {mu_ref.get('trust')})"
        if ref.get("unit") == "sigma":
            pred = z_discovery(data, model)
            out.append(_check(ref, pred, pseudo))
        elif key == rec.best_fit_mu and "uncertainty" in ref:
            lo, hi = profile_interval(data, model)
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


def channel_checks(
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
    ref = number(refs, cc["id"], where)
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
        lo, hi = profile_interval(data, model)
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


def interval_checks(
    rec: Recipe,
    refs: dict[str, dict[str, Any]],
    where: str,
    mu_exp: float,
    basis: Callable[[list[str]], dict[str, list[list[float]]]] | None = None,
    cls_exp: Callable[[dict[str, list[float]]], float] | None = None,
) -> list[dict[str, Any]]:
    """Expected excluded-parameter intervals, e.g. κλ, with σ(k)/σ(1) = q(k)/q(1),
    q(k) = a + b k + c k² from a cited parametrisation (``xsec_quadratic``).

    Without ``basis_variations`` the ACCEPTANCE IS TAKEN INDEPENDENT OF k: the interval is where
    q(k)/q(1) is below the calibrated median expected μ limit (closed form).  With
    ``basis_variations`` [V0, V1, V2] (weight variations of the results whose per-event weights
    are the coefficients of the per-event dσ(k)/dσ(SM) = c0 + c1 k + c2 k², e.g. from
    :mod:`hepreint.generate.hh_reweight`) every channel's signal follows its own k dependence:
    s(k) = s(SM) × B(k)/B(1) × [q(k)/q(1)] / [T(k)/T(1)], B from the variations, T
    (``basis_total_quadratic``) what the basis integrates to over all events (default q); the
    interval ends are where the expected CLs of that signal at μ = 1 crosses 0.05."""
    out = []
    for i, item in enumerate(rec.interval_crosschecks):
        at = f"{where}.interval_crosschecks[{i}]"
        try:
            a, b, c = (float(v) for v in item["xsec_quadratic"])
            ref = number(refs, str(item["id"]), at)
            lo_pub, hi_pub = (float(v) for v in ref["value"])
            names = [str(n) for n in item.get("basis_variations") or []]
            t = [float(v) for v in item.get("basis_total_quadratic") or (a, b, c)]
        except (KeyError, TypeError, ValueError) as exc:
            raise LikelihoodError(
                f"{at}: needs id (a published [low, high] interval) and xsec_quadratic [a, b, c] "
                f"({exc})"
            ) from None
        param = item.get("parameter", "the coupling")
        how = (
            f"sigma(k) = {a:g} + {b:g} k + {c:g} k^2 ({item.get('source', 'no source')}, "
            f"trust {item.get('trust', '?')}); relative_difference: plus = high end, "
            "minus = low end"
        )
        if names:
            if basis is None or cls_exp is None or len(names) != 3 or len(t) != 3:
                raise LikelihoodError(f"{at}.basis_variations: give three weight variations")
            lo, hi = _basis_interval(names, (a, b, c), t, basis(names), cls_exp, at)
            compared = (
                f"expected 95% CL interval of {param}: the signal of every channel reweighted "
                f"to k with the weight variations {', '.join(names)} (its own acceptance), "
                "normalised to sigma(k), excluded where its expected CLs at mu = 1 < 0.05"
            )
        else:
            lo, hi = _flat_interval((a, b, c), mu_exp, at)
            compared = (
                f"expected 95% CL interval of {param} where sigma(k)/sigma(SM) < the calibrated "
                f"median expected mu limit ({mu_exp:.4g}); acceptance assumed independent of k"
            )
        out.append({
            "id": ref["id"], "compared": compared,
            "published_interval": [lo_pub, hi_pub], "predicted_interval": [lo, hi],
            "relative_difference": {"plus": (hi - hi_pub) / abs(hi_pub),
                                    "minus": (lo - lo_pub) / abs(lo_pub)},
            "trust": ref.get("trust"), "source": ref.get("source"), "how": how,
        })  # fmt: skip
    return out


def _flat_interval(q: tuple[float, float, float], mu_exp: float, at: str) -> tuple[float, float]:
    a, b, c = q
    disc = b * b - 4 * c * (a - mu_exp * (a + b + c))
    if c <= 0 or disc < 0:
        raise LikelihoodError(f"{at}: the parametrisation gives no bounded interval")
    lo, hi = sorted(((-b - math.sqrt(disc)) / (2 * c), (-b + math.sqrt(disc)) / (2 * c)))
    return lo, hi


def _basis_interval(
    names: list[str],
    q: tuple[float, float, float],
    t: list[float],
    coeffs: dict[str, list[list[float]]],
    cls_exp: Callable[[dict[str, list[float]]], float],
    at: str,
) -> tuple[float, float]:
    """The k interval around the SM where the reweighted signal is not excluded."""

    def poly(v: Sequence[float], k: float) -> float:
        return v[0] + v[1] * k + v[2] * k * k

    def signal(k: float) -> dict[str, list[float]]:
        norm = (poly(q, k) / poly(q, 1.0)) / (poly(t, k) / poly(t, 1.0))
        return {ch: [poly(v, k) / poly(v, 1.0) * v_sm * norm for v, v_sm in bins]
                for ch, bins in sig.items()}  # fmt: skip

    # per channel and bin: (c0, c1, c2) and the nominal SM signal it multiplies
    sig = {ch: [(v[:3], v[3]) for v in bins] for ch, bins in coeffs.items()}
    f = lambda k: math.log(max(cls_exp(signal(k)), 1e-300)) - math.log(0.05)  # noqa: E731
    if not f(1.0) > 0:
        raise LikelihoodError(f"{at}: the SM itself is excluded: no interval around it")
    ends = []
    for step in (-1.0, 1.0):
        k0, k1 = 1.0, 1.0 + step
        while f(k1) > 0:
            k0, k1 = k1, 1.0 + 2.0 * (k1 - 1.0)  # double the distance from the SM
            if abs(k1) > 100:
                raise LikelihoodError(f"{at}: no exclusion within |k| < 100 ({', '.join(names)})")
        ends.append(brentq(f, min(k0, k1), max(k0, k1), xtol=1e-3))
    return ends[0], ends[1]


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


def profile_interval(
    data: Any, model: pyhf.pdf.Model, reach: float = 3.0
) -> tuple[float, float]:
    """Where -2 Δln L = 1 on either side of the best fit (68 % CL, Wilks), searched within
    ``reach`` of it (a POI far below 0 can make a bin's expectation negative)."""
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
        lo = brentq(f, mu0 - reach, mu0, xtol=1e-4)
        hi = brentq(f, mu0, mu0 + reach, xtol=1e-4)
    return lo, hi
