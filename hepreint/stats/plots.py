"""The CLs scan: CLs against the signal strength μ, computed and drawn.

:func:`cls_scan` / :func:`plot_cls_scan`: observed and expected CLs(μ) with the ±1σ/±2σ bands,
the 0.05 line and the μ limits, from the same model ``hepreint limits`` fits
(:func:`hepreint.export.pyhf.signal_model`, asymptotic CLs with q̃_μ from
:func:`hepreint.stats.fit.hypotest`).  The Brazil band of limits against an analysis parameter
is :mod:`hepreint.stats.limit_points` (reading) and :mod:`hepreint.stats.bands` (drawing);
the shared style is :mod:`hepreint.stats.plotstyle`.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from hepreint.analysis.spec import Analysis
from hepreint.errors import HepreintError
from hepreint.stats.fit import LEVEL, FitFailure, hypotest, upper_limit
from hepreint.stats.model import signal_model
from hepreint.stats.plotstyle import GREEN, YELLOW, llabel, pyplot, save

#: μ points of the CLs scan (the numpy backend needs ~35 ms per point for ttHbb)
SCAN_POINTS = 25


@dataclass
class CLsScan:
    analysis: str
    kind: str
    label: str
    poi: str
    mu: list[float]
    cls_obs: list[float]
    cls_exp: list[list[float]]  # per μ: -2σ, -1σ, median, +1σ, +2σ
    mu_limit_obs: float | None
    mu_limit_exp: float | None
    signal_xsec_fb: float | None
    luminosity_fb: float
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0


def cls_scan(
    results_doc: dict[str, Any],
    analysis: Analysis,
    *,
    limits: Any = None,
    points: int = SCAN_POINTS,
    mu_max: float | None = None,
) -> CLsScan:
    """CLs(μ) on ``points`` values of μ in [0, mu_max]. The default mu_max is 1.25 times the
    largest of the observed and the +2σ expected limit, so that every curve, the +2σ edge of
    the band included, is seen crossing 0.05 (twice the median stopped short of it: +2σ is
    often 2.5 times the median). ``limits`` (a LimitResult or its ``to_dict()``) saves the
    limit computation; without it the limits are computed here."""
    t0 = time.perf_counter()
    sm = signal_model(results_doc, analysis)
    model, data = sm.model()
    notes = list(sm.notes)
    lim_obs, lim_exp, lim_2up = _mu_limits(limits)
    if lim_obs is None and lim_exp is None:
        try:
            lim = upper_limit(data, model, guess=1.0)
        except FitFailure as exc:
            raise HepreintError(f"{analysis.name}: no limit to scan around: {exc}") from None
        lim_obs, lim_exp, lim_2up = lim.observed, lim.expected[2], lim.expected[4]
        notes += lim.warnings
    limits_mu = (lim_obs, lim_exp, lim_2up)
    finite = [v for v in limits_mu if v is not None and math.isfinite(v) and v > 0]
    if mu_max is None:
        if not finite:
            raise HepreintError(
                f"{analysis.name}: the μ limit is not finite; pass mu_max to scan anyway"
            )
        mu_max = 1.25 * max(finite) if lim_2up in finite else 2.0 * max(finite)
    mus = np.linspace(0.0, mu_max, points)
    obs, exp = [], []
    for mu in mus:
        try:
            t = hypotest(float(mu), data, model, upper=mu_max)
            obs.append(t.cls_obs)
            exp.append(t.cls_exp)
        except FitFailure as exc:
            notes.append(f"CLs scan: {exc}")
            obs.append(math.nan)
            exp.append([math.nan] * 5)
    return CLsScan(
        analysis=analysis.name,
        kind=sm.likelihood.kind,
        label=sm.label,
        poi=sm.poi,
        mu=[float(m) for m in mus],
        cls_obs=obs,
        cls_exp=exp,
        mu_limit_obs=lim_obs,
        mu_limit_exp=lim_exp,
        signal_xsec_fb=sm.signal.xsec_fb,
        luminosity_fb=sm.signal.luminosity_fb,
        warnings=notes,
        seconds=time.perf_counter() - t0,
    )


def _mu_limits(limits: Any) -> tuple[float | None, float | None, float | None]:
    """Observed, median expected and +2σ expected μ limits of ``limits`` (None: absent)."""
    if limits is None:
        return None, None, None
    d = limits if isinstance(limits, dict) else limits.to_dict()
    exp = d.get("mu_limit_exp") or {}
    values = (d.get("mu_limit_obs"), exp.get("median"), exp.get("+2sigma"))
    o, m, up = (float(v) if v is not None else None for v in values)
    return o, m, up


def plot_cls_scan(scan: CLsScan, path: str | Path) -> Path:
    """Draw ``scan`` to ``path``: CLs(μ) with its bands, the 0.05 line and the μ limits."""
    plt, mplhep = pyplot(path)
    mu = np.asarray(scan.mu)
    exp = np.asarray(scan.cls_exp, dtype=float).reshape(len(mu), 5)
    fig, ax = plt.subplots(figsize=(8, 6.5))
    ax.fill_between(mu, exp[:, 0], exp[:, 4], color=YELLOW, lw=0, label=r"expected $\pm 2\sigma$")
    ax.fill_between(mu, exp[:, 1], exp[:, 3], color=GREEN, lw=0, label=r"expected $\pm 1\sigma$")
    ax.plot(mu, exp[:, 2], "k--", lw=1.5, label=r"expected CL$_s$ (median)")
    ax.plot(mu, scan.cls_obs, "k-", lw=2, label=r"observed CL$_s$")
    ax.axhline(LEVEL, color="tab:red", lw=1.5, label=r"CL$_s$ = 0.05 (95% CL)")
    for value, style, what in (
        (scan.mu_limit_obs, "-", "observed"),
        (scan.mu_limit_exp, "--", "expected"),
    ):
        if value is not None and math.isfinite(value):
            ax.plot([value, value], [0.0, 1.05], color="tab:blue", ls=style, lw=1.2)
            ax.plot(
                [value],
                [LEVEL],
                "o",
                color="tab:blue",
                ms=6,
                mfc="white" if what == "expected" else None,
            )
    ax.plot([], [], color="tab:blue", lw=1.2, label=_limit_text(scan))
    ax.set_xlim(0.0, mu[-1])
    ax.set_ylim(0.0, 1.7)
    ax.set_xlabel(rf"signal strength $\mu$ = $\sigma$ / $\sigma_{{\rm signal}}$ (POI {scan.poi})")
    ax.set_ylabel(r"CL$_s$")
    ax.legend(
        loc="upper right",
        fontsize="small",
        frameon=False,
        title=r"asymptotic CL$_s$, $\tilde{q}_\mu$",
        title_fontsize="small",
    )
    rlabel = f"{scan.analysis}, {scan.luminosity_fb:g} fb$^{{-1}}$"
    mplhep.label.exp_label(exp="hepreint", llabel=llabel(scan.label), rlabel=rlabel, ax=ax)
    if scan.signal_xsec_fb:
        ax.text(
            0.03,
            0.95,
            _xsec_text(scan),
            transform=ax.transAxes,
            fontsize="small",
            va="top",
            linespacing=1.4,
        )
    return save(fig, plt, path)


def _limit_text(scan: CLsScan) -> str:
    parts = []
    if scan.mu_limit_obs is not None and math.isfinite(scan.mu_limit_obs):
        parts.append(f"obs. {scan.mu_limit_obs:.3g}")
    if scan.mu_limit_exp is not None and math.isfinite(scan.mu_limit_exp):
        parts.append(f"exp. {scan.mu_limit_exp:.3g}")
    return r"95% CL limit on $\mu$: " + (", ".join(parts) or "none")


def _xsec_text(scan: CLsScan) -> str:
    xs = scan.signal_xsec_fb
    assert xs is not None
    lines = [rf"$\sigma_{{\rm signal}}$ = {xs:.4g} fb ($\mu$ = 1)"]
    if scan.mu_limit_obs is not None and math.isfinite(scan.mu_limit_obs):
        lines.append(rf"$\sigma$ < {scan.mu_limit_obs * xs:.3g} fb observed")
    if scan.mu_limit_exp is not None and math.isfinite(scan.mu_limit_exp):
        lines.append(rf"$\sigma$ < {scan.mu_limit_exp * xs:.3g} fb expected")
    return "\n".join(lines)
