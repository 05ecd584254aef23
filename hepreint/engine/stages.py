"""The stages of a run, in their fixed order, each with one contract: ``stage(ctx, plan, state)``.

read → objects → detector → overlap removal → derived collections → networks → variables →
selection → yields. Reading happens
before (:mod:`hepreint.io`: a batch is the stages' input); each later stage reads the context
(batch, seed, shared cache) and the analysis' plan and fills in the analysis' state. Stages are
pure in the batch: the same batch, seed and analysis give the same state, which is what lets any
executor run them anywhere.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import awkward as ak
import numpy as np

from hepreint.analysis.expr import Compiled, Scope
from hepreint.detector import Requirement, perfect_tags, respond
from hepreint.detector.event import rebuild_met, trigger_decisions
from hepreint.detector.response import TRUTH_WORKING_POINTS
from hepreint.detector.truth_tagging import draw_passing_tags
from hepreint.engine.context import AnalysisState, Context, Inputs
from hepreint.engine.plan import AnalysisPlan, builder_params, loosened
from hepreint.errors import SpecError
from hepreint.networks import run_network
from hepreint.objects import count_inside, kind, overlap_remove

Stage = Callable[[Context, AnalysisPlan, AnalysisState], None]


def objects(ctx: Context, plan: AnalysisPlan, state: AnalysisState) -> None:
    """Base collections from the batch by their registered kinds (shared by definition).

    With a detector card, the kinds build *candidates* (truth objects below the analysis'
    thresholds, :data:`~hepreint.engine.plan.LOOSEN`) that the detector stage turns into the
    collections; objects already reconstructed in the file (Delphes) are taken as they are."""
    inputs = Inputs(ctx, plan.invisible, plan.lepton_key)
    if ctx.batch.reco is not None:
        from hepreint.objects.reco import reco_collection  # Delphes input only

        for o, key in plan.base:
            if kind(o.kind).truth_only:
                state.collections[o.name] = ctx.shared(key, partial(_truth, o, inputs, state))
                continue

            def reco(o: Any = o) -> ak.Array:
                p = {k: v for k, v in o.params.items() if k != "count_inside"}
                coll = reco_collection(o.kind, p, ctx.batch, name=o.name)
                return coll if o.where is None else _select(coll, o.where, state.parameters)

            state.collections[o.name] = ctx.shared("reco" + key, reco)
        return
    if plan.card is not None:
        for (o, key), ckey in zip(plan.base, plan.candidates, strict=True):
            if not ckey:
                state.collections[o.name] = ctx.shared(key, partial(_truth, o, inputs, state))
                continue

            def candidates(o: Any = o) -> ak.Array:
                return kind(o.kind).build(loosened(builder_params(o)), inputs)

            state.candidates[o.name] = ctx.shared(ckey, candidates)
        return
    for o, key in plan.base:
        state.collections[o.name] = ctx.shared(key, partial(_truth, o, inputs, state))


def _truth(o: Any, inputs: Inputs, state: AnalysisState) -> ak.Array:
    """A collection as the generator made it (truth level, or a truth-only kind)."""
    coll = kind(o.kind).build(builder_params(o), inputs)
    if o.kind in TRUTH_WORKING_POINTS:
        coll = perfect_tags(o.kind, coll)
    return coll if o.where is None else _select(coll, o.where, state.parameters)


def detector(ctx: Context, plan: AnalysisPlan, state: AnalysisState) -> None:
    """The card's response folded into the candidates: efficiencies drawn, momenta smeared,
    jets tagged, then the analysis' own thresholds and ``where``; MET rebuilt; triggers
    decided. At truth level (or on reconstructed input) triggers always fire."""
    card, n = plan.card, len(ctx.batch)
    if card is None or ctx.batch.reco is not None:
        state.extra.update({t: np.ones(n, dtype=bool) for t in plan.analysis.triggers})
        return
    shifted: dict[str, ak.Array] = {}
    for (o, key), ckey in zip(plan.base, plan.candidates, strict=True):
        if o.kind == "met" or not ckey:
            continue

        def responded(o: Any = o, ckey: str = ckey) -> ak.Array:
            def u(purpose: str, counts: np.ndarray) -> ak.Array:
                return ctx.uniforms(f"{card.name}/{purpose}/{ckey}", counts)

            wp = o.params.get("working_point")
            return respond(card, o.kind, state.candidates[o.name], u, working_point=wp)

        everything = ctx.shared("responded" + ckey + card.digest, responded)
        shifted.setdefault(o.kind, everything)

        def cut(o: Any = o, everything: ak.Array = everything) -> ak.Array:
            coll = _thresholds(everything, o.params)
            return coll if o.where is None else _select(coll, o.where, state.parameters)

        state.collections[o.name] = ctx.shared(key, cut)
    met = None
    for (o, key), ckey in zip(plan.base, plan.candidates, strict=True):
        if o.kind != "met":
            continue

        def rebuilt(o: Any = o, ckey: str = ckey) -> ak.Array:
            def u(purpose: str, counts: np.ndarray) -> ak.Array:
                return ctx.uniforms(f"{card.name}/{purpose}/{ckey}", counts)

            return rebuild_met(card, state.candidates[o.name], shifted, u)

        state.collections[o.name] = ctx.shared(key, rebuilt)
        met = met if met is not None else state.collections[o.name]
    if plan.analysis.triggers:
        leading: dict[str, ak.Array] = {}
        for o, _ in plan.base:
            leading.setdefault(o.kind, state.collections[o.name])

        def u(purpose: str, counts: np.ndarray) -> ak.Array:
            return ctx.uniforms(f"{card.name}/{purpose}", counts)

        state.extra.update(
            trigger_decisions(card, list(plan.analysis.triggers), leading, met, u, n)
        )


def _thresholds(coll: ak.Array, params: dict[str, Any]) -> ak.Array:
    keep = coll.pt >= float(params.get("pt_min", 0.0))
    if "abs_eta_max" in params:
        keep = keep & (abs(coll.eta) < float(params["abs_eta_max"]))
    return coll[keep]


def truth_tag_view(
    ctx: Context, plan: AnalysisPlan, state: AnalysisState, cut: str
) -> AnalysisState:
    """The state whose tag requirement ``cut`` holds with its exact probability and whose jets
    carry tags drawn among the configurations that pass (:mod:`hepreint.detector.truth_tagging`)."""
    req = dict(plan.requirements)[cut]
    view = state.for_view(cut)
    jets = view.collections[req.collection]
    prefix = _tag_prefix(jets, req, cut)
    effs = {wp: jets[f"{prefix}eff{wp}"] for wp in req.working_points}
    counts = np.asarray(ak.num(jets, axis=1), dtype=np.int64)
    u = ctx.uniforms(f"{plan.card.name if plan.card else ''}/truth_tag/{cut}", 2 * counts + 1)
    p, jet_u = draw_passing_tags(effs, req, u)
    u_j = ak.unflatten(jet_u, counts)
    n_bin = 0
    for f in jets.fields:
        if f.startswith(prefix) and f[len(prefix):].isdigit():
            passed = u_j < jets[f"{prefix}eff{f[len(prefix):]}"]
            jets = ak.with_field(jets, passed, f)
            n_bin = n_bin + ak.values_astype(passed, np.int64)
    view.collections[req.collection] = ak.with_field(jets, n_bin, "tag_bin")
    view.tag_probability = p
    return view


def _tag_prefix(coll: ak.Array, req: Requirement, cut: str) -> str:
    for prefix in ("btag", "xbb"):
        if all(f"{prefix}{wp}" in coll.fields for wp in req.working_points):
            return prefix
    have = sorted(f for f in coll.fields if f.startswith(("btag", "xbb")) and f[-1].isdigit())
    raise SpecError(
        f"cut {cut}: collection {req.collection!r} has no tag at working point(s) "
        f"{list(req.working_points)} (it has {', '.join(have) or 'no tags'}); use the working "
        "points of the detector card's flavour_tagging"
    )


def overlap(ctx: Context, plan: AnalysisPlan, state: AnalysisState) -> None:
    """Overlap removal in the listed order, then objects counted inside large-R jets."""
    cols = state.collections
    for rule, key in plan.overlap:

        def removed(a: ak.Array = cols[rule.remove], b: ak.Array = cols[rule.near],
                    r: Any = rule) -> ak.Array:  # fmt: skip
            return overlap_remove(a, b, dR=r.dR, use_rapidity=r.use_rapidity)

        cols[rule.remove] = ctx.shared(key, removed)
    for ins, key in plan.inside:

        def with_count(ins: Any = ins) -> ak.Array:
            inner = cols[ins.collection]
            if ins.where is not None:
                inner = _select(inner, ins.where, state.parameters)
            counts = count_inside(cols[ins.name], inner, dR=ins.dR)
            return ak.with_field(cols[ins.name], counts, ins.field)

        cols[ins.name] = ctx.shared(key, with_count)


def derived(ctx: Context, plan: AnalysisPlan, state: AnalysisState) -> None:
    """The derived collections (selections and unions) of the final objects, per tag view."""
    cols = state.collections
    for o, key in plan.derived:

        def make(o: Any = o) -> ak.Array:
            if o.kind == "select":
                return _select(cols[o.sources[0]], o.where, state.parameters)
            return _merge([cols[s] for s in o.sources])

        cols[o.name] = ctx.shared(key + state.view, make)


def networks(ctx: Context, plan: AnalysisPlan, state: AnalysisState) -> None:
    """Each network once on the whole batch (per tag view: tag bins are inputs), its outputs
    put where the variables read them by the network's name."""
    if not plan.networks:
        return
    values: dict[str, Any] = dict(state.parameters)
    values.update(state.extra)
    values.update(state.collections)
    for name, net in plan.networks:
        state.extra[name] = run_network(net, values, ctx.batch.event_numbers)


def variables(ctx: Context, plan: AnalysisPlan, state: AnalysisState) -> None:
    """Parameters, collections and the analysis' variables (in dependency order), by name."""
    values: dict[str, Any] = dict(state.parameters)
    values.update(state.extra)
    values.update(state.collections)
    for name, expr in plan.analysis.variables.items():
        with np.errstate(all="ignore"):  # non-finite results are refused below, with a place
            value = expr(Scope(values))
        values[name] = _finite(value, expr, ctx)
    state.values = values


def _finite(x: Any, expr: Compiled, ctx: Context) -> Any:
    """A variable's value, refused when arithmetic made it inf or NaN (a division by zero, log
    of 0): such a value would pass or fail cuts arbitrarily and give wrong yields quietly.
    Absent values (an object an event does not have) are None, not NaN, and stay allowed."""
    try:
        flat = ak.flatten(x, axis=None) if isinstance(x, ak.Array) else x
        arr = np.asarray(flat)
    except (TypeError, ValueError):  # records or objects: not a number
        return x
    if arr.dtype.kind != "f":
        return x
    bad = ~np.isfinite(arr)
    if bad.any():
        i = _first_bad_event(x, bad)
        i = min(i, len(ctx.batch) - 1)
        raise SpecError(
            f"{expr.describe()}: gives {arr[bad][0]} in event "
            f"{int(ctx.batch.event_numbers[i])} of {ctx.batch.source} (a division by zero or "
            "a log of 0?); guard the expression, e.g. where(x > 0, y / x, -1)"
        )
    return x


def selection(ctx: Context, plan: AnalysisPlan, state: AnalysisState) -> None:
    """Event weights, cut masks, and per region the cumulative masks and weight factors."""
    a, batch, n = plan.analysis, ctx.batch, len(ctx.batch)
    scope = Scope(state.values)
    w = np.asarray(batch.weights, dtype=np.float64)
    for expr in a.event_weights:
        w = w * _factor(expr, scope, ctx, "event weight")[:, None]
    state.weights = w
    cut_masks = {
        name: _per_event(c(scope), n, c.describe(), fill=False).astype(bool)
        for name, c in a.cuts.items()
    }
    cut_factors = {n: _factor(c, scope, ctx, "cut weight") for n, c in a.cut_weights.items()}
    for cname, req in plan.requirements:
        if cname == state.view and state.tag_probability is not None:
            f = state.tag_probability
            cut_factors[cname] = f if cname not in cut_factors else cut_factors[cname] * f
            cut_masks[cname] = cut_masks.get(cname, np.ones(n, dtype=bool)) & (f > 0)
            continue
        coll = state.collections[req.collection]
        prefix = _tag_prefix(coll, req, cname)
        counts = {
            wp: np.asarray(ak.sum(coll[f"{prefix}{wp}"], axis=1)) for wp in req.working_points
        }
        passed = req.passes(counts)
        cut_masks[cname] = cut_masks[cname] & passed if cname in cut_masks else passed
    for region in a.regions:
        rows, factors = [], []
        current = np.ones(n, dtype=bool)
        factor: np.ndarray | None = None
        for step in region.steps:
            if step.cut is not None:
                if step.cut in cut_masks:
                    current = current & cut_masks[step.cut]
                if step.cut in cut_factors:
                    f = cut_factors[step.cut]
                    factor = f if factor is None else factor * f
            elif step.bin is not None:
                var, lo, hi = step.bin
                x = _per_event(state.values[var], n, a.variables[var].describe(), fill=np.nan)
                current = current & (x >= lo) & (x < hi)
            rows.append(current)
            factors.append(factor)
        state.masks[region.name] = np.stack(rows)
        if any(f is not None for f in factors):
            state.factors[region.name] = factors


#: the stages after reading, in order (read is the input of the first)
STAGES: tuple[tuple[str, Stage], ...] = (
    ("objects", objects),
    ("detector", detector),
    ("overlap", overlap),
    ("derived", derived),
    ("networks", networks),
    ("variables", variables),
    ("selection", selection),
)


def _factor(expr: Compiled, scope: Scope, ctx: Context, what: str) -> np.ndarray:
    """A finite per-event weight factor, or a SpecError naming the expression and the event."""
    with np.errstate(all="ignore"):  # a non-finite factor is refused below, with its place
        value = expr(scope)
    x = _per_event(value, len(ctx.batch), expr.describe(), fill=0.0).astype(np.float64)
    bad = ~np.isfinite(x)
    if bad.any():
        i = int(np.argmax(bad))
        raise SpecError(
            f"{expr.describe()}: {what} is {x[i]} in event "
            f"{int(ctx.batch.event_numbers[i])} of {ctx.batch.source}; guard the expression "
            "(e.g. where(count(jets) > 4, ..., 1))"
        )
    return x


def _first_bad_event(x: Any, bad: np.ndarray) -> int:
    """Index of the first event holding a non-finite value (for the message)."""
    if not isinstance(x, ak.Array):
        return int(np.argmax(np.asarray(bad).reshape(-1))) if np.ndim(bad) else 0
    per_event = ~np.isfinite(ak.fill_none(x, 0.0))
    while per_event.ndim > 1:
        per_event = ak.any(per_event, axis=-1)
    return int(np.argmax(np.asarray(ak.fill_none(per_event, False))))


def _per_event(x: Any, n: int, what: str, *, fill: Any) -> np.ndarray:
    """A per-event numpy column from an expression value; jagged values are a spec error."""
    if isinstance(x, bool | int | float | np.generic):
        return np.full(n, x)
    if isinstance(x, np.ndarray):
        return x
    arr = ak.Array(x)
    if arr.ndim != 1 or arr.fields:
        raise SpecError(
            f"{what} gives a list or an object per event, not one number; "
            "reduce it with count(), sum(), maxof(), any() or index it ([0]) and take .pt etc."
        )
    return np.asarray(ak.to_numpy(ak.fill_none(arr, fill)))


def _select(coll: ak.Array, where: Compiled, parameters: dict[str, float]) -> ak.Array:
    """Objects passing a ``where`` clause; an undecidable (None) clause drops the object."""
    mask = where(Scope(parameters, obj=coll))
    if isinstance(mask, bool | np.bool_):
        return coll if mask else coll[:, :0]
    return coll[ak.fill_none(mask, False)]


def _merge(parts: list[ak.Array]) -> ak.Array:
    merged = ak.concatenate(parts, axis=1)
    return merged[ak.argsort(merged.pt, axis=1, ascending=False)]
