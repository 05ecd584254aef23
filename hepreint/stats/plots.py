"""Limit plots: CLs against the signal strength, and the Brazil band of a parameter scan.

- :func:`cls_scan` / :func:`plot_cls_scan`: observed and expected CLs(μ) with the ±1σ/±2σ bands,
  the 0.05 line and the μ limits, from the same model ``hepreint limits`` fits
  (:func:`hepreint.export.pyhf.signal_model`, asymptotic CLs with q̃_μ from
  :func:`hepreint.stats.fit.hypotest`);
- :func:`read_limit_points` / :func:`plot_limit_bands`: upper limits on σ (or μ) against an
  analysis parameter (``mX`` ...) from several ``limits.json``, one per parameter point.

Same style as the validation plot: mplhep's ATLAS style labelled "hepreint" (these are not ATLAS
results), and "calibrated approximation" on everything made from a calibrated likelihood.
matplotlib and mplhep are imported only when a plot is drawn (the ``[plots]`` extra).
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from hepreint.analysis.spec import Analysis
from hepreint.errors import HepreintError
from hepreint.stats.fit import LEVEL, FitFailure, hypotest, upper_limit
from hepreint.stats.limits import BANDS, check_limits_doc
from hepreint.stats.mapping import CALIBRATED_LABEL
from hepreint.stats.model import signal_model

#: μ points of the CLs scan (the numpy backend needs ~35 ms per point for ttHbb)
SCAN_POINTS = 25
GREEN, YELLOW = "#00cc00", "#ffcc00"  # the colours of ATLAS/CMS Brazil bands


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
    """CLs(μ) on ``points`` values of μ in [0, mu_max] (default: twice the larger of the
    observed and the median expected limit). ``limits`` (a LimitResult or its ``to_dict()``)
    saves the limit computation; without it the limits are computed here."""
    t0 = time.perf_counter()
    sm = signal_model(results_doc, analysis)
    model, data = sm.model()
    notes = list(sm.notes)
    lim_obs, lim_exp = _mu_limits(limits)
    if lim_obs is None and lim_exp is None:
        try:
            lim = upper_limit(data, model, guess=1.0)
        except FitFailure as exc:
            raise HepreintError(f"{analysis.name}: no limit to scan around: {exc}") from None
        lim_obs, lim_exp = lim.observed, lim.expected[2]
        notes += lim.warnings
    finite = [v for v in (lim_obs, lim_exp) if v is not None and math.isfinite(v) and v > 0]
    if mu_max is None:
        if not finite:
            raise HepreintError(
                f"{analysis.name}: the μ limit is not finite; pass mu_max to scan anyway"
            )
        mu_max = 2.0 * max(finite)
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


def _mu_limits(limits: Any) -> tuple[float | None, float | None]:
    if limits is None:
        return None, None
    d = limits if isinstance(limits, dict) else limits.to_dict()
    exp = d.get("mu_limit_exp") or {}
    o, m = d.get("mu_limit_obs"), exp.get("median")
    return (float(o) if o is not None else None, float(m) if m is not None else None)


def plot_cls_scan(scan: CLsScan, path: str | Path) -> Path:
    plt, mplhep = _pyplot(path)
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
    mplhep.label.exp_label(exp="hepreint", llabel=_llabel(scan.label), rlabel=rlabel, ax=ax)
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
    return _save(fig, plt, path)


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


def _llabel(label: str) -> str:
    return CALIBRATED_LABEL if label == CALIBRATED_LABEL else f"{label} likelihood"


# ------------------------------------------------------------------ limits vs a parameter


@dataclass
class LimitPoint:
    x: float
    observed: float | None
    expected: list[float]  # -2σ, -1σ, median, +1σ, +2σ
    source: str


@dataclass
class LimitScan:
    analysis: str
    param: str
    unit: str
    mu: bool
    label: str
    luminosity_fb: float | None
    points: list[LimitPoint]
    warnings: list[str] = field(default_factory=list)


#: what plot-limits reads of a limits.json; the rest (regions, fit details) may be absent.
#: ``parameters`` may be too: then they come from the results.json next to the file.
PLOT_NEEDS = (
    "schema", "analysis", "likelihood_kind", "label", "luminosity_fb",
    "mu_limit_obs", "mu_limit_exp", "xsec_limit_obs_fb", "xsec_limit_exp_fb",
)  # fmt: skip


def read_limit_points(
    paths: list[str | Path], param: str | None = None, *, mu: bool = False
) -> LimitScan:
    """One point per limits.json; the parameter value comes from the limits file's
    ``parameters`` if it has them, else from the results.json next to it."""
    if not paths:
        raise HepreintError("plot-limits: no limits.json given")
    docs = [(Path(p), _read_json(Path(p), "limits")) for p in paths]
    names = {}
    for p, d in docs:
        check_limits_doc(d, str(p), needs=PLOT_NEEDS)
        names[p] = d.get("analysis")
    if len(set(names.values())) > 1:
        listed = ", ".join(f"{p}: {a}" for p, a in names.items())
        raise HepreintError(f"plot-limits: the files are for different analyses ({listed})")
    kinds = {d.get("likelihood_kind") for _, d in docs}
    if len(kinds) > 1:
        raise HepreintError(
            f"plot-limits: the files use different likelihood kinds ({', '.join(map(str, kinds))})"
        )
    params = [(p, d, _parameters(p, d)) for p, d in docs]
    if param is None:
        common = set.intersection(*(set(ps) for _, _, ps in params))
        if len(common) != 1:
            raise HepreintError(
                f"plot-limits: say which parameter to plot against with --param (the files have "
                f"{', '.join(sorted(common)) or 'no common parameter'})"
            )
        param = common.pop()
    notes: list[str] = []
    points: list[LimitPoint] = []
    for p, d, ps in params:
        if param not in ps:
            have = ", ".join(sorted(ps)) or "none"
            raise HepreintError(f"{p}: no analysis parameter {param!r} recorded (it has {have})")
        key_obs, key_exp = (
            ("mu_limit_obs", "mu_limit_exp")
            if mu
            else (
                "xsec_limit_obs_fb",
                "xsec_limit_exp_fb",
            )
        )
        exp = d.get(key_exp) or {}
        if any(exp.get(b) is None for b in BANDS):
            if not mu and d.get("mu_limit_exp"):
                raise HepreintError(
                    f"{p}: no cross-section limit (results not normalised to a σ); use --mu"
                )
            notes.append(f"{p}: no expected limit ({param} = {ps[param]:g}): point left out")
            continue
        obs = d.get(key_obs)
        points.append(
            LimitPoint(
                float(ps[param]),
                float(obs) if obs is not None else None,
                [float(exp[b]) for b in BANDS],
                str(p),
            )
        )
    points.sort(key=lambda pt: pt.x)
    xs = [pt.x for pt in points]
    dup = sorted({x for x in xs if xs.count(x) > 1})
    if dup:
        raise HepreintError(
            f"plot-limits: two files at {param} = {', '.join(f'{x:g}' for x in dup)}; "
            "pass one limits.json per parameter point"
        )
    if not points:
        raise HepreintError("plot-limits: no file has a finite expected limit")
    first = docs[0][1]
    return LimitScan(
        analysis=str(names[docs[0][0]]),
        param=param,
        unit=_unit(docs[0][0], param),
        mu=mu,
        label=str(first.get("label", "")),
        luminosity_fb=first.get("luminosity_fb"),
        points=points,
        warnings=notes,
    )


def read_theory(path: str | Path) -> tuple[list[float], list[float], str]:
    """``x`` and ``sigma_fb`` lists (and an optional ``label``) from a YAML file."""
    import yaml

    p = Path(path)
    try:
        doc = yaml.safe_load(p.read_text(encoding="utf-8"))
    except OSError as exc:
        raise HepreintError(f"{p}: cannot read the theory curve ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        raise HepreintError(f"{p}: not YAML ({str(exc).splitlines()[0]})") from None
    if not isinstance(doc, dict) or "x" not in doc or "sigma_fb" not in doc:
        raise HepreintError(f"{p}: a theory curve needs 'x' and 'sigma_fb' lists")
    x, s = doc["x"], doc["sigma_fb"]
    ok = isinstance(x, list) and isinstance(s, list) and len(x) == len(s) and len(x) >= 1
    if not ok or not all(_number(v) for v in [*x, *s]):
        raise HepreintError(f"{p}: 'x' and 'sigma_fb' must be number lists of the same length")
    return [float(v) for v in x], [float(v) for v in s], str(doc.get("label", "theory"))


def plot_limit_bands(
    scan: LimitScan,
    path: str | Path,
    theory: tuple[list[float], list[float], str] | None = None,
) -> Path:
    plt, mplhep = _pyplot(path)
    x = np.array([pt.x for pt in scan.points])
    e = np.array([pt.expected for pt in scan.points])
    fig, ax = plt.subplots(figsize=(8, 6.5))
    ax.fill_between(x, e[:, 0], e[:, 4], color=YELLOW, lw=0, label=r"expected $\pm 2\sigma$")
    ax.fill_between(x, e[:, 1], e[:, 3], color=GREEN, lw=0, label=r"expected $\pm 1\sigma$")
    ax.plot(x, e[:, 2], "k--", lw=1.5, marker="" if len(x) > 1 else "o", label="expected (median)")
    obs = [(pt.x, pt.observed) for pt in scan.points if pt.observed is not None]
    if obs:
        ax.plot(*zip(*obs, strict=True), "k-", lw=2, marker="o", ms=5, label="observed")
    values = [*e.ravel(), *(v for _, v in obs)]
    if scan.mu:
        ax.axhline(1.0, color="tab:red", lw=1.5, label=r"signal hypothesis ($\mu$ = 1)")
        values.append(1.0)
    elif theory is not None:
        tx, ts, tlabel = theory
        ax.plot(tx, ts, color="tab:red", lw=2, label=tlabel)
        values += ts
    positive = [v for v in values if v > 0]
    if positive and max(positive) / min(positive) > 20:
        ax.set_yscale("log")
        ax.set_ylim(min(positive) / 3, max(positive) * 30)
    else:
        ax.set_ylim(0, max(values) * 1.6)
    unit = f" [{scan.unit}]" if scan.unit else ""
    ax.set_xlabel(f"{scan.param}{unit}")
    ax.set_ylabel(
        r"95% CL upper limit on $\mu$" if scan.mu else r"95% CL upper limit on $\sigma$ [fb]"
    )
    if len(x) > 1:
        ax.set_xlim(x[0], x[-1])
    ax.legend(loc="upper right", fontsize="small", frameon=False)
    lumi = f", {scan.luminosity_fb:g} fb$^{{-1}}$" if scan.luminosity_fb else ""
    mplhep.label.exp_label(
        exp="hepreint", llabel=_llabel(scan.label), rlabel=f"{scan.analysis}{lumi}", ax=ax
    )
    return _save(fig, plt, path)


# ------------------------------------------------------------------ helpers


def _pyplot(path: str | Path) -> tuple[Any, Any]:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        import mplhep
    except ImportError as exc:
        raise HepreintError(
            f"cannot write {path}: {exc.name} is not installed; pip install 'hepreint[plots]'"
        ) from None
    plt.style.use(mplhep.style.ATLAS)
    return plt, mplhep


def _save(fig: Any, plt: Any, path: str | Path) -> Path:
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(p, dpi=100, bbox_inches="tight")
    plt.close(fig)
    return p


def _read_json(p: Path, what: str) -> dict[str, Any]:
    try:
        doc = json.loads(p.read_text(encoding="utf-8"))
    except OSError as exc:
        raise HepreintError(f"{p}: cannot read {what} ({exc.strerror})") from None
    except json.JSONDecodeError as exc:
        raise HepreintError(f"{p}: line {exc.lineno}: not JSON ({exc.msg})") from None
    if not isinstance(doc, dict):
        raise HepreintError(f"{p}: not a hepreint {what} file")
    return doc


def _parameters(p: Path, d: dict[str, Any]) -> dict[str, float]:
    """The analysis parameters of a limits file: its own, else its results.json's."""
    if isinstance(d.get("parameters"), dict):
        return {str(k): float(v) for k, v in d["parameters"].items()}
    res = p.with_name("results.json")
    if not res.is_file():
        raise HepreintError(
            f"{p}: records no analysis parameters and there is no results.json next to it; "
            "keep limits.json next to the results it was made from"
        )
    r = _read_json(res, "results")
    a = r.get("analysis") or {}
    if a.get("name") != d.get("analysis"):
        raise HepreintError(
            f"{res}: results for {a.get('name')!r}, but {p.name} is for {d.get('analysis')!r}"
        )
    return {str(k): float(v) for k, v in (a.get("parameters") or {}).items()}


def _unit(p: Path, param: str) -> str:
    """The parameter's unit from analysis.yaml (via the results' analysis directory), if found."""
    res = p.with_name("results.json")
    try:
        a = json.loads(res.read_text(encoding="utf-8")).get("analysis") or {}
        import yaml

        raw = yaml.safe_load((Path(a["directory"]) / "analysis.yaml").read_text(encoding="utf-8"))
        return str(raw["parameters"][param].get("unit", ""))
    except Exception:  # the unit is decoration; no unit is fine
        return ""


def _number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
