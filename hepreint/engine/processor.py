"""Apply one or several compiled analyses to one batch: the stages, then the yields.

Stateless and pure (coffea's processor model): the output depends only on the batch, the
analyses and the seed, so any executor may run it anywhere and add the results. Several analyses
in one pass share the batch's context, so every collection with the same definition is built
once (:mod:`.plan`); each analysis gets exactly the numbers it would get alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from hepreint.analysis.spec import Analysis
from hepreint.engine.context import AnalysisState, Context
from hepreint.engine.plan import AnalysisPlan, make_plan
from hepreint.engine.stages import STAGES, truth_tag_view
from hepreint.engine.yields import Yields
from hepreint.errors import SpecError
from hepreint.events.batch import EventBatch


@dataclass(frozen=True)
class Processor:
    """``seed`` feeds every random draw through :meth:`Context.uniforms`, which ties draws to
    events (not batches), so results do not depend on batching, workers or companions."""

    analyses: tuple[Analysis, ...]
    seed: int = 0
    plans: tuple[AnalysisPlan, ...] = field(init=False, repr=False, compare=False)

    def __init__(self, analyses: Analysis | Sequence[Analysis], seed: int = 0) -> None:
        items = (analyses,) if isinstance(analyses, Analysis) else tuple(analyses)
        names = [a.key for a in items]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise SpecError(
                f"analysis {', '.join(dupes)} given more than once in one run; "
                "run each analysis once (use separate runs for other parameters)"
            )
        object.__setattr__(self, "analyses", items)
        object.__setattr__(self, "seed", seed)
        object.__setattr__(self, "plans", tuple(make_plan(a) for a in items))

    def __reduce__(self) -> tuple[Any, ...]:
        # plans hold compiled closures; a worker rebuilds them from the analyses (which reload)
        return (Processor, (self.analyses, self.seed))

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(a.key for a in self.analyses)

    def process(self, batch: EventBatch) -> dict[str, Yields]:
        """The yields of every analysis on ``batch``, by analysis name."""
        ctx = Context(batch, self.seed)
        return {p.analysis.key: self._one(ctx, p) for p in self.plans}

    def evaluate(
        self, batch: EventBatch, name: str | None = None, until: str = "variables"
    ) -> dict[str, Any]:
        """Collections, parameters, triggers, network outputs and variables of one analysis on
        ``batch``, by name, after stage ``until`` (``derived``: what network inputs read)."""
        plan = self.plans[0] if name is None else self.plans[self.names.index(name)]
        state = self._state(Context(batch, self.seed), plan, until=until)
        if until == "variables":
            return state.values
        return {**state.parameters, **state.extra, **state.collections}

    def zeros(self, weight_names: tuple[str, ...]) -> dict[str, Yields]:
        return {a.key: Yields.zeros(a.layout, weight_names) for a in self.analyses}

    def _state(self, ctx: Context, plan: AnalysisPlan, until: str = "") -> AnalysisState:
        state = AnalysisState(dict(plan.analysis.parameters))
        views = plan.truth_tagging and not until and ctx.batch.reco is None
        for name, stage in STAGES:
            if views and name == "derived":
                return self._views(ctx, plan, state)
            with ctx.timed(name):
                stage(ctx, plan, state)
            if name == until:
                break
        return state

    def _views(self, ctx: Context, plan: AnalysisPlan, state: AnalysisState) -> AnalysisState:
        """Truth tagging: the remaining stages once per tag requirement, each region taking
        the masks and factors of its own requirement's view (direct tags for the others)."""
        later = [(n, s) for n, s in STAGES if n in ("derived", "networks", "variables",
                                                     "selection")]  # fmt: skip
        out: dict[str, AnalysisState] = {"": state.for_view("")}
        with ctx.timed("truth_tagging"):
            for cut, _ in plan.requirements:
                out[cut] = truth_tag_view(ctx, plan, state, cut)
        for view in out.values():
            for name, stage in later:
                with ctx.timed(name):
                    stage(ctx, plan, view)
        final = out[""]
        for region, cut in plan.region_views:
            if cut:
                final.masks[region] = out[cut].masks[region]
                if region in out[cut].factors:
                    final.factors[region] = out[cut].factors[region]
        return final

    def _one(self, ctx: Context, plan: AnalysisPlan) -> Yields:
        state = self._state(ctx, plan)
        assert state.weights is not None
        b = ctx.batch
        with ctx.timed("yields"):
            return Yields.from_masks(
                plan.analysis.layout, state.masks, state.weights, b.weight_names, b.weights,
                state.factors,
            )  # fmt: skip
