"""A binned pyhf model made of hepreint's own MC samples, one sample per physics process.

Why: an analysis with several signal strengths (VH(bb): WH, ZH, VH(cc)) and control regions that
fix background normalisations cannot be a counting model with one S/B. Its calibrated
approximation keeps every process as its own sample — the SM signals with their strengths, the
backgrounds with free normalisations or priors — fed from ``hepreint run`` results of generated
samples, and solves ONE common scale of the backgrounds on one published number
(:func:`solve_background_scale`); the other published numbers are re-predicted as cross-checks.
The MC statistical error (in quadrature with a chosen per-bin modelling fraction) is a
``staterror`` per channel, which the signal patched in by ``hepreint limits`` shares.
"""

from __future__ import annotations

import copy
import math
import warnings as pywarnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pyhf
from scipy.optimize import brentq

from hepreint.errors import LikelihoodError
from hepreint.stats.crosschecks import profile_interval, z_discovery
from hepreint.stats.fit import build_model, upper_limit
from hepreint.stats.mapping import LikelihoodSpec
from hepreint.stats.signal import signal_yields

#: no bin of a channel's total is below this (events): pyhf needs a positive expectation
FLOOR = 1e-3


@dataclass
class TemplateSample:
    """One process: the summed yields of ``docs`` (normalised results documents)."""

    name: str
    docs: Sequence[dict[str, Any]]
    #: a free normalisation (normfactor name), or None
    normfactor: str | None = None
    #: a log-normal-like prior on the normalisation: (down, up) factors, e.g. (0.85, 1.15)
    normsys: tuple[float, float] | None = None
    #: multiplied by the solved background scale
    scaled: bool = True
    #: its MC statistics enter the model (per_channel: the backgrounds' shared uncertainty)
    mc_stat: bool = True
    #: each channel's yields and MC stat errors (filled by :func:`template_workspace`)
    yields: dict[str, list[float]] = field(default_factory=dict)
    stat: dict[str, list[float]] = field(default_factory=dict)


def fill(samples: Sequence[TemplateSample], spec: LikelihoodSpec) -> None:
    """Each sample's yields and MC stat errors per channel bin, from its results documents."""
    for s in samples:
        s.yields = {c.channel: [0.0] * len(c.regions) for c in spec.channels}
        s2 = {c.channel: [0.0] * len(c.regions) for c in spec.channels}
        for doc in s.docs:
            if not (doc.get("normalisation") or {}).get("normalised"):
                raise LikelihoodError(f"sample {s.name}: results are not normalised (no σ)")
            for r in signal_yields(doc, spec, f"sample {s.name}").regions:
                s.yields[r.channel][r.bin] += max(r.yield_, 0.0)
                s2[r.channel][r.bin] += r.stat**2
        s.stat = {ch: [math.sqrt(v) for v in vs] for ch, vs in s2.items()}


def template_workspace(
    samples: Sequence[TemplateSample],
    spec: LikelihoodSpec,
    measurements: list[dict[str, Any]],
    *,
    scale: float = 1.0,
    modelling: float = 0.0,
    channels: Sequence[str] | None = None,
    nominal: Mapping[str, float] | None = None,
    mc_stat: str = "per_bin",
) -> dict[str, Any]:
    """The workspace: every sample in every channel (``channels``: a subset), scaled samples
    times ``scale``; the observations are the expectation with each normfactor at ``nominal``
    (default 1).

    ``mc_stat``: ``per_bin``, a staterror per bin = MC stat (+) ``modelling`` x yield;
    ``per_channel``, one normsys per channel on the samples with ``mc_stat`` set, of relative
    size sqrt(sum of their MC stat^2 + (modelling x their yield)^2) / their yield over the
    channel's bins: a parameter per channel instead of per bin, because pyhf's numpy backend
    fits (finite-difference gradients) cost minutes with a parameter per bin of a 50-bin model.
    """
    chans, obs = [], []
    for c in spec.channels:
        if channels is not None and c.channel not in channels:
            continue
        total = [0.0] * len(c.regions)
        entries: list[dict[str, Any]] = []
        r = _channel_mc_stat(samples, c.channel, scale, modelling)  # per_channel only
        for s in samples:
            k = scale if s.scaled else 1.0
            y = [k * v for v in s.yields[c.channel]]
            err = [math.hypot(k * e, modelling * v) for e, v in zip(s.stat[c.channel], y,
                                                                     strict=True)]  # fmt: skip
            mods: list[dict[str, Any]] = []
            if mc_stat == "per_bin":
                mods.append({"name": f"staterror_{c.channel}", "type": "staterror", "data": err})
            elif s.mc_stat:
                mods.append({"name": f"mcstat_{c.channel}", "type": "normsys",
                             "data": {"hi": 1.0 + r, "lo": max(1.0 - r, 0.01)}})  # fmt: skip
            if s.normfactor:
                mods.append({"name": s.normfactor, "type": "normfactor", "data": None})
            if s.normsys:
                mods.append({"name": f"norm_{s.name}", "type": "normsys",
                             "data": {"lo": s.normsys[0], "hi": s.normsys[1]}})  # fmt: skip
            entries.append({"name": s.name, "data": y, "modifiers": mods})
            mu = (nominal or {}).get(s.normfactor or "", 1.0)
            total = [t + mu * v for t, v in zip(total, y, strict=True)]
        last = entries[-1]  # the floor goes to the last sample (a background, by convention)
        for i, t in enumerate(total):  # a positive expectation in every bin (pyhf needs it)
            if t < FLOOR:
                last["data"][i] += FLOOR
                for m in last["modifiers"]:
                    if m["type"] == "staterror":
                        m["data"][i] = max(m["data"][i], FLOOR)
                total[i] += FLOOR
        chans.append({"name": c.channel, "samples": entries})
        obs.append({"name": c.channel, "data": total})
    return {"channels": chans, "observations": obs, "measurements": measurements,
            "version": "1.0.0"}  # fmt: skip


def _channel_mc_stat(
    samples: Sequence[TemplateSample], channel: str, scale: float, modelling: float
) -> float:
    y = e2 = 0.0
    for s in samples:
        if not s.mc_stat:
            continue
        k = scale if s.scaled else 1.0
        for v, e in zip(s.yields[channel], s.stat[channel], strict=True):
            y += k * v
            e2 += (k * e) ** 2
    return math.sqrt(e2 + (modelling * y) ** 2) / y if y > 0 else 0.0


def measurement(
    name: str,
    poi: str,
    fixed: Mapping[str, float] | None = None,
    bounds: Mapping[str, tuple[float, float]] | None = None,
) -> dict[str, Any]:
    """A pyhf measurement: ``poi``, parameters ``fixed`` at a value, others within ``bounds``."""
    fixed, bounds = dict(fixed or {}), dict(bounds or {})
    pars: list[dict[str, Any]] = [
        {"name": p, "fixed": True, "inits": [v]} for p, v in fixed.items()
    ]
    pars += [{"name": p, "bounds": [list(b)]} for p, b in bounds.items() if p not in fixed]
    return {"name": name, "config": {"poi": poi, "parameters": pars}}


def with_measurement(ws: dict[str, Any], m: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(ws)
    out["measurements"] = [m]
    return out


def expected_significance(ws: dict[str, Any], m: dict[str, Any]) -> float:
    """Median discovery significance of ``m``'s POI on the workspace's observations (an
    Asimov expectation: observed = expected), asymptotic q0."""
    model, data = build_model(with_measurement(ws, m), m["name"], m["config"]["poi"])
    return z_discovery(data, model)


def expected_upper_limit(ws: dict[str, Any], m: dict[str, Any]) -> float:
    """Median expected 95 % CL CLs upper limit on ``m``'s POI: the limit on the Asimov data of
    the POI at 0 and every other parameter at its initial value."""
    model, _ = build_model(with_measurement(ws, m), m["name"], m["config"]["poi"])
    pars = model.config.suggested_init()
    pars[model.config.poi_index] = 0.0
    data = model.expected_data(pyhf.tensorlib.astensor(pars))
    return float(upper_limit(data, model, guess=5.0).observed)


def expected_interval(
    ws: dict[str, Any], m: dict[str, Any], reach: float = 1.0
) -> tuple[float, float]:
    """The 68 % CL profile-likelihood interval of ``m``'s POI on the observations, searched
    within ``reach`` of the best fit."""
    model, data = build_model(with_measurement(ws, m), m["name"], m["config"]["poi"])
    return profile_interval(data, model, reach)


def solve_background_scale(
    make: Callable[[float], dict[str, Any]],
    value: Callable[[dict[str, Any]], float],
    target: float,
    bracket: tuple[float, float] = (0.01, 100.0),
) -> float:
    """The scale k of the backgrounds with ``value(make(k)) == target``."""
    return solve_log_scale(lambda k: value(make(k)), target, bracket, "the calibrated number")


def solve_log_scale(
    fn: Callable[[float], float],
    target: float,
    bracket: tuple[float, float],
    what: str,
    unit: str = "",
) -> float:
    """The k with ``fn(k) == target`` (both positive), root of log(fn/target) in log k: the one
    solver of hepreint's calibrations (a background scale against a significance or a limit)."""

    def f(log_k: float) -> float:
        with pywarnings.catch_warnings():
            pywarnings.simplefilter("ignore", RuntimeWarning)
            return math.log(fn(math.exp(log_k)) / target)

    lo, hi = (math.log(b) for b in bracket)
    f_lo, f_hi = f(lo), f(hi)
    if f_lo * f_hi > 0:
        raise LikelihoodError(
            f"calibration: {what} stays on one side of {target:g}{unit} for background scales "
            f"{bracket[0]:g}-{bracket[1]:g} ({target * math.exp(f_lo):.3g}-"
            f"{target * math.exp(f_hi):.3g}{unit}): this target cannot be reached by scaling "
            "the background"
        )
    return math.exp(brentq(f, lo, hi, xtol=1e-3))
