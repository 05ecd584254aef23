"""pyhf calls with the settings hepreint trusts: asymptotic CLs with q̃_μ, a bracketed toms748
limit, and the diagnostics that tell when a number should not be believed.

The numpy backend needs tens of milliseconds per hypothesis test, so a naive grid of a hundred
points costs seconds per limit; the bracket is grown geometrically from a guess and then handed
to pyhf's toms748 root finder, which converges in a handful of tests per band.
"""

from __future__ import annotations

import math
import warnings as pywarnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyhf
from scipy.optimize import toms748

from hepreint.errors import LikelihoodError

pyhf.set_backend("numpy")

LEVEL = 0.05
#: no POI above this is searched; a limit beyond it is reported as at the scan edge
MU_MAX = 1.0e6
#: ATLAS interpolation codes (HistFactory defaults are code1/code0; ATLAS fits use 4/4p)
MODIFIER_SETTINGS = {"normsys": {"interpcode": "code4"}, "histosys": {"interpcode": "code4p"}}


class FitFailure(LikelihoodError):
    """A minimisation that did not converge; callers turn it into a warning or an error."""


@dataclass
class Hypotest:
    mu: float
    cls_obs: float
    cls_exp: list[float]  # -2σ, -1σ, median, +1σ, +2σ


@dataclass
class Limit:
    observed: float
    expected: list[float]  # -2σ, -1σ, median, +1σ, +2σ
    bracket: tuple[float, float]
    warnings: list[str] = field(default_factory=list)


def build_model(ws_spec: dict[str, Any], measurement: str, poi: str) -> tuple[pyhf.pdf.Model, Any]:
    ws = pyhf.Workspace(ws_spec)
    try:
        model = ws.model(
            measurement_name=measurement, poi_name=poi, modifier_settings=MODIFIER_SETTINGS
        )
    except pyhf.exceptions.InvalidModel as exc:
        raise LikelihoodError(f"workspace model cannot be built: {exc}") from None
    return model, ws.data(model)


def poi_bounds(model: pyhf.pdf.Model, upper: float) -> list[tuple[float, float]]:
    """The suggested bounds with the POI in [0, upper] (q̃_μ needs μ ≥ 0)."""
    bounds = [tuple(b) for b in model.config.suggested_bounds()]
    bounds[model.config.poi_index] = (0.0, max(upper, 10.0))
    return bounds


def hypotest(mu: float, data: Any, model: pyhf.pdf.Model, upper: float = 10.0) -> Hypotest:
    kw = {"par_bounds": poi_bounds(model, max(upper, 2 * mu))}
    try:
        with pywarnings.catch_warnings():
            pywarnings.simplefilter("ignore", RuntimeWarning)
            obs, exp = pyhf.infer.hypotest(
                mu,
                data,
                model,
                test_stat="qtilde",
                calctype="asymptotics",
                return_expected_set=True,
                **kw,
            )
    except pyhf.exceptions.FailedMinimization as exc:
        raise FitFailure(f"minimisation failed at mu = {mu:g}: {exc}") from None
    return Hypotest(mu, float(obs), [float(e) for e in exp])


#: names of the five expected bands, in pyhf's order
BAND_NAMES = ("expected -2σ", "expected -1σ", "expected median", "expected +1σ", "expected +2σ")


def upper_limit(data: Any, model: pyhf.pdf.Model, guess: float = 1.0, rtol: float = 1e-3) -> Limit:
    """95 % CL_s upper limits on the POI (observed and the five expected bands).

    The same bracketing and toms748 root finding as pyhf's ``toms748_scan``, but each band's
    bracket is taken from all tests done so far and kept ordered: when observed and expected
    coincide (Asimov-like data) pyhf's own scan can hand toms748 an empty interval.
    """
    notes: list[str] = []
    up = max(guess, 1e-6)
    cache: dict[float, list[float]] = {}
    upper = 2 * up

    def cls(mu: float) -> list[float]:
        if mu not in cache:
            t = hypotest(mu, data, model, upper=upper)
            cache[mu] = [t.cls_obs, *t.cls_exp]
        return cache[mu]

    def open_(mu: float, bands: tuple[int, ...]) -> bool:
        """Some band not yet below the level at mu (a NaN test counts as not excluded)."""
        return any(not cls(mu)[i] < LEVEL for i in bands)

    # observed and median decide the scan range; the ±σ bands get a few more steps (they can
    # level off above 0.05 when the signal's own MC uncertainty is large)
    extra = 0
    while (open_(up, (0, 3)) or (open_(up, tuple(range(6))) and extra < 3)) and up < MU_MAX:
        if not open_(up, (0, 3)):
            extra += 1
        up *= 4.0
        upper = max(upper, 2 * up)
    low = min(cache)
    while any(v < LEVEL for v in cls(low)):  # down to a point no band excludes (NaN-safe)
        low /= 4.0
        if low < 1e-9 * up:
            notes.append(f"limit below mu = {low:.3g}: the scan's lower edge")
            return Limit(low, [low] * 5, (low, up), notes)
    limits = []
    for i, band in enumerate(("observed", *BAND_NAMES)):
        below = [m for m, v in cache.items() if v[i] < LEVEL]
        if not below:
            notes.append(
                f"{band} limit at the scan edge: CLs stays above {LEVEL} up to mu = {up:.3g} "
                "(signal too small, or its MC statistical uncertainty too large)"
            )
            limits.append(math.inf)
            continue
        b = min(below)
        above = [m for m, v in cache.items() if v[i] >= LEVEL and m < b]
        if not above:
            limits.append(b)
            continue
        a = max(above)
        if b <= a * (1 + rtol):  # already converged (or within the fits' numerical noise)
            limits.append(0.5 * (a + b))
            continue
        try:
            limits.append(
                float(toms748(lambda m, i=i: cls(m)[i] - LEVEL, a, b, k=2, rtol=rtol, xtol=1e-12))
            )
        except (ValueError, RuntimeError):  # a NaN test inside the bracket
            notes.append(f"{band} limit: root finding failed, bracket midpoint used")
            limits.append(0.5 * (a + b))
    obs_f, exp_f = limits[0], limits[1:]
    if not all(np.isfinite(limits)):
        notes.append("limit scan returned a non-finite limit")
    return Limit(obs_f, exp_f, (low, up), notes)


def fit_diagnostics(data: Any, model: pyhf.pdf.Model) -> list[str]:
    """Warnings from one unconditional fit: failed minimisation, parameters stuck at bounds."""
    bounds = poi_bounds(model, 10.0)
    try:
        with pywarnings.catch_warnings():
            pywarnings.simplefilter("ignore", RuntimeWarning)
            best = pyhf.infer.mle.fit(data, model, par_bounds=bounds)
    except pyhf.exceptions.FailedMinimization as exc:
        return [f"unconditional fit failed: {str(exc).splitlines()[0]}"]
    notes = []
    poi = model.config.poi_index
    for i, (name, (lo, hi)) in enumerate(zip(_par_names(model), bounds, strict=True)):
        v = float(best[i])
        if i == poi:
            continue
        if hi > lo and (abs(v - lo) < 1e-6 * (hi - lo) or abs(hi - v) < 1e-6 * (hi - lo)):
            notes.append(f"nuisance parameter {name} at its bound ({v:.3g}) in the fit")
    return notes


def _par_names(model: pyhf.pdf.Model) -> list[str]:
    names = []
    for p in model.config.par_order:
        n = model.config.param_set(p).n_parameters
        names.extend([p] if n == 1 else [f"{p}[{i}]" for i in range(n)])
    return names
