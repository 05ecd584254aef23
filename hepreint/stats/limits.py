"""CLs and upper limits for a signal given as hepreint yields, on an analysis' likelihood.

Two views, as reinterpretation tools report them: the combined fit over all mapped regions
(CLs at μ = 1, limits on μ and on σ), and CheckMATE-style single-region numbers, r = S/S95 with
S95 the model-independent 95 % CL limit on signal events in that region alone; the region with
the best *expected* r is the one a CheckMATE user would quote, chosen before looking at data.
"""

from __future__ import annotations

import math
import time
from collections.abc import Collection
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from hepreint.analysis.schemas import validate
from hepreint.analysis.spec import Analysis
from hepreint.errors import HepreintError, LikelihoodError
from hepreint.results.output import write_json
from hepreint.stats.fit import (
    FitFailure,
    Limit,
    build_model,
    fit_diagnostics,
    hypotest,
    upper_limit,
)
from hepreint.stats.mapping import likelihood_spec
from hepreint.stats.signal import MIN_RAW_EVENTS, SignalYields, poi_name, signal_yields, with_signal
from hepreint.stats.workspace import Likelihood, load_likelihood

SCHEMA_ID = "hepreint-limits/1"
BANDS = ("-2sigma", "-1sigma", "median", "+1sigma", "+2sigma")
#: a region (or total) signal below this many events cannot be constrained meaningfully
TINY_YIELD = 1e-3


@dataclass
class RegionLimit:
    region: str
    channel: str
    bin: int
    signal: float
    signal_stat: float
    raw: int
    s95_obs: float | None = None
    s95_exp: float | None = None
    r_obs: float | None = None
    r_exp: float | None = None


@dataclass
class LimitResult:
    analysis: str
    likelihood_kind: str
    label: str
    likelihood: dict[str, Any]
    poi: str
    signal_xsec_fb: float | None
    luminosity_fb: float
    cls_obs: float | None
    cls_exp: dict[str, float] | None
    mu_limit_obs: float | None
    mu_limit_exp: dict[str, float] | None
    xsec_limit_obs_fb: float | None
    xsec_limit_exp_fb: dict[str, float] | None
    regions: list[RegionLimit]
    best_expected_region: str | None
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0
    #: the analysis parameters of the signal hypothesis (e.g. mX), for limit-vs-parameter plots
    parameters: dict[str, float] = field(default_factory=dict)

    @property
    def excluded(self) -> bool | None:
        return None if self.cls_obs is None else self.cls_obs < 0.05

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d = {"schema": SCHEMA_ID, **d, "excluded_at_95cl": self.excluded}
        return _finite(d)

    def write(self, directory: str | Path) -> Path:
        path = Path(directory) / "limits.json"
        doc = self.to_dict()
        problems = validate(doc, "limits")
        if problems:  # a bug of ours, not of the user: say so plainly
            raise HepreintError(f"internal error: limits fail their schema: {problems[0]}")
        return write_json(path, doc, "the limits")


def check_limits_doc(
    doc: Any, name: str = "limits", *, needs: Collection[str] | None = None
) -> dict[str, Any]:
    """Refuse anything that is not a schema-valid ``limits.json`` (one line naming file and path).

    Every reader of limits.json (export, plot-limits) goes through here, so a damaged file fails
    where it is read and not as a KeyError deep in a plot. ``needs``: a reader that uses only
    some top-level fields (plot-limits) names them, and a file lacking *other* fields (cut down
    by hand, or written before the schema) still passes; every field present is still checked.
    """
    if not isinstance(doc, dict) or doc.get("schema") != SCHEMA_ID:
        got = doc.get("schema") if isinstance(doc, dict) else type(doc).__name__
        raise HepreintError(
            f"{name}: not a hepreint limits file (schema {got!r}, expected {SCHEMA_ID!r}); pass "
            "a limits.json written by 'hepreint limits'"
        )
    problems = validate(doc, "limits", required=needs)
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise HepreintError(
            f"{name}: damaged limits file: {problems[0]}{more}; rerun 'hepreint limits "
            "RESULTS' to write it again"
        )
    return doc


def compute_limits(
    results_doc: dict[str, Any], analysis: Analysis, *, per_region: bool = True
) -> LimitResult:
    """Limits from a results JSON dict and the analysis it was made with (no rerun needed)."""
    t0 = time.perf_counter()
    spec = likelihood_spec(analysis)
    lh = load_likelihood(spec)
    where = str(spec.yaml_path)
    notes = _check_results(results_doc, analysis)
    sig = signal_yields(results_doc, spec, where)
    notes += _signal_warnings(sig)
    ws_spec = dict(lh.workspace)
    params = dict(results_doc.get("analysis", {}).get("parameters", {}))
    if spec.background_grid is not None:
        ws_spec, grid_notes = _grid_background(ws_spec, spec, params)
        notes += grid_notes
    measurement, poi = poi_name(ws_spec, spec)
    regions = [
        RegionLimit(r.region, r.channel, r.bin, r.yield_, r.stat, r.raw) for r in sig.regions
    ]
    res = LimitResult(
        analysis=analysis.name,
        likelihood_kind=lh.kind,
        label=spec.label,
        likelihood=_describe(lh),
        poi=poi,
        signal_xsec_fb=sig.xsec_fb,
        luminosity_fb=sig.luminosity_fb,
        cls_obs=None,
        cls_exp=None,
        mu_limit_obs=None,
        mu_limit_exp=None,
        xsec_limit_obs_fb=None,
        xsec_limit_exp_fb=None,
        regions=regions,
        best_expected_region=None,
        warnings=notes,
        parameters=params,
    )
    if sum(max(r.yield_, 0.0) for r in sig.regions) <= TINY_YIELD:
        res.warnings.append(
            f"total signal {sum(r.yield_ for r in sig.regions):.3g} events is too small to "
            "constrain: no fit done"
        )
        res.seconds = time.perf_counter() - t0
        return res
    _combined(res, sig, ws_spec, spec.signal_sample, measurement, poi, where, spec.signal_mc_stat)
    if per_region and not spec.single_region_limits:
        res.warnings.append(
            f"single-region S95 not computed: {spec.where('single_region_limits')} is false (a "
            f"model of {len(sig.regions)} bins, where each would cost a full fit)"
        )
    elif per_region:
        _single_regions(res, sig, ws_spec, spec.signal_sample, measurement, poi, where)
    res.seconds = time.perf_counter() - t0
    return res


def _grid_background(
    ws_spec: dict[str, Any], spec: Any, params: dict[str, float]
) -> tuple[dict[str, Any], list[str]]:
    """The workspace with the background of the results' hypothesis (background_grid.py)."""
    from hepreint.stats.background_grid import background_at, load_grid, with_background

    grid = load_grid(spec.background_grid)
    bkg, unc, notes = background_at(grid, params)
    label = grid.doc.get("label", "")
    notes = [*notes, f"background per mass point from {grid.path.name} ({label})"]
    return with_background(ws_spec, bkg, unc, "background", str(spec.background_grid)), notes


def _combined(
    res: LimitResult,
    sig: SignalYields,
    ws_spec: dict[str, Any],
    sample: str,
    measurement: str,
    poi: str,
    where: str,
    mc_stat: str = "per_bin",
) -> None:
    data: dict[str, list[float]] = {}
    stat: dict[str, list[float]] = {}
    for r in sig.regions:
        data.setdefault(r.channel, []).append(max(r.yield_, 0.0))
        stat.setdefault(r.channel, []).append(r.stat)
    model, obs = build_model(
        with_signal(ws_spec, sample, poi, data, stat, where, mc_stat), measurement, poi
    )
    try:
        t = hypotest(1.0, obs, model)
        lim = upper_limit(obs, model, guess=1.0)
    except FitFailure as exc:
        res.warnings.append(f"combined fit failed, no limits: {exc}; check the signal yields")
        return
    res.warnings += fit_diagnostics(obs, model)
    res.warnings += [f"combined fit: {w}" for w in lim.warnings]
    res.cls_obs = t.cls_obs
    res.cls_exp = dict(zip(BANDS, t.cls_exp, strict=True))
    res.mu_limit_obs = lim.observed
    res.mu_limit_exp = dict(zip(BANDS, lim.expected, strict=True))
    med, hi = res.mu_limit_exp[BANDS[2]], res.mu_limit_exp[BANDS[4]]
    if math.isfinite(med) and med > 0 and not hi < 5 * med:
        res.warnings.append(
            f"the expected +2σ limit ({hi:.3g}) is more than 5× the median ({med:.3g}): the "
            "signal's own MC statistical uncertainty dominates the bands; generate more events"
        )
    if sig.xsec_fb is not None:
        res.xsec_limit_obs_fb = lim.observed * sig.xsec_fb
        res.xsec_limit_exp_fb = {b: v * sig.xsec_fb for b, v in res.mu_limit_exp.items()}


def _single_regions(
    res: LimitResult,
    sig: SignalYields,
    ws_spec: dict[str, Any],
    sample: str,
    measurement: str,
    poi: str,
    where: str,
) -> None:
    """S95 per region: a unit-free template in that bin only, no signal uncertainty."""
    nbins: dict[str, int] = {}
    for r in sig.regions:
        nbins[r.channel] = nbins.get(r.channel, 0) + 1
    best, best_r = None, -1.0
    for rl in res.regions:
        template = rl.signal if rl.signal > TINY_YIELD else 1.0
        values = [0.0] * nbins[rl.channel]
        values[rl.bin] = template
        model, obs = build_model(
            with_signal(ws_spec, sample, poi, {rl.channel: values}, None, where), measurement, poi
        )
        try:
            lim: Limit = upper_limit(obs, model, guess=1.0, rtol=1e-2)
        except FitFailure as exc:
            res.warnings.append(f"region {rl.region}: S95 fit failed ({exc})")
            continue
        res.warnings += [f"region {rl.region}: {w}" for w in lim.warnings]
        rl.s95_obs = lim.observed * template
        rl.s95_exp = lim.expected[2] * template
        signal = max(rl.signal, 0.0)
        rl.r_obs = signal / rl.s95_obs if rl.s95_obs > 0 else None
        rl.r_exp = signal / rl.s95_exp if rl.s95_exp > 0 else None
        if rl.r_exp is not None and rl.r_exp > best_r:
            best, best_r = rl.region, rl.r_exp
    res.best_expected_region = best


def _check_results(doc: dict[str, Any], analysis: Analysis) -> list[str]:
    name = (doc.get("analysis") or {}).get("name")
    if name != analysis.name:
        raise LikelihoodError(
            f"results are for analysis {name!r}, not {analysis.name!r}; pass the analysis the "
            "results were made with"
        )
    for region, reg in (doc.get("regions") or {}).items():
        for key in ("yield", "yield_stat"):
            v = (reg or {}).get(key)
            if isinstance(v, float) and not math.isfinite(v):
                raise LikelihoodError(
                    f"results: at regions.{region}.{key}: {v} is not a finite number; no fit "
                    "is possible: rerun 'hepreint run' to write the results again"
                )
    norm = doc.get("normalisation") or {}
    if not norm.get("normalised"):
        raise LikelihoodError(
            "results are NOT NORMALISED (no cross-section): yields are sums of weights, not "
            "events; rerun 'hepreint run' with --xsec PB"
        )
    notes = []
    if doc.get("status") != "complete":
        notes.append(f"results status is {doc.get('status')!r}: limits from a partial run")
    sha = (doc.get("analysis") or {}).get("sha256")
    if sha and sha != analysis.digest():
        notes.append("the analysis directory changed since the results were made (sha256)")
    return notes


def _signal_warnings(sig: SignalYields) -> list[str]:
    notes = []
    for r in sig.regions:
        if r.yield_ < 0:
            notes.append(f"region {r.region}: negative signal yield {r.yield_:.3g}, set to 0")
        elif r.yield_ < TINY_YIELD:
            notes.append(f"region {r.region}: tiny signal yield {r.yield_:.3g} events")
        if r.raw < MIN_RAW_EVENTS:
            notes.append(
                f"region {r.region}: only {r.raw} raw MC event(s) (< {MIN_RAW_EVENTS}); the "
                "yield and its stat error are unreliable: generate more events"
            )
    return notes


def _describe(lh: Likelihood) -> dict[str, Any]:
    s = lh.spec
    d: dict[str, Any] = {
        "kind": lh.kind,
        "label": s.label,
        "workspace": str(s.workspace or s.table),
        "source": s.source or lh.metadata.get("source", ""),
        "channels": {c.channel: list(c.regions) for c in s.channels},
    }
    for key in ("patch", "observations", "calibration"):
        if key in lh.metadata:
            d[key] = lh.metadata[key]
    return d


def _finite(x: Any) -> Any:
    """JSON has no inf/nan: write them as null with the reason in the warnings."""
    if isinstance(x, float) and not math.isfinite(x):
        return None
    if isinstance(x, dict):
        return {k: _finite(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_finite(v) for v in x]
    return x
