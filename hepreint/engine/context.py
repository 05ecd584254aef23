"""What the stages of one batch share: the batch, the run's seed, and a cache by definition.

One :class:`Context` serves every analysis of a pass over the batch. Anything costly that does
not depend on *which* analysis asks (the truth view with a given set of invisible particles, the
lepton mask, a jet collection) is made once and kept under its definition key
(:mod:`.plan`), so several analyses read and cluster each event once. Per-analysis results of the
stages (collections by the analysis' own names, variables, masks, weights) live in an
:class:`AnalysisState`, one per analysis, so analyses never see each other's names.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

import awkward as ak
import numpy as np

from hepreint.engine.plan import definition_key
from hepreint.events.batch import EventBatch
from hepreint.events.random import event_uniforms
from hepreint.objects import lepton_particle_mask, truth_view

T = TypeVar("T")


@dataclass
class Context:
    batch: EventBatch
    seed: int
    cache: dict[str, Any] = field(default_factory=dict)
    #: seconds spent per stage name, summed over analyses (for benchmarks; never in results)
    seconds: dict[str, float] = field(default_factory=dict)

    def shared(self, key: str, make: Callable[[], T]) -> T:
        """The value cached under ``key``, made by ``make()`` the first time it is asked for."""
        if key not in self.cache:
            self.cache[key] = make()
        value: T = self.cache[key]
        return value

    def uniforms(self, stage: str, counts: np.ndarray) -> ak.Array:
        """Per-event uniforms of ``stage``: the same for an event in any batch, worker or pass."""
        return event_uniforms(self.seed, stage, self.batch, counts)

    @contextmanager
    def timed(self, stage: str) -> Iterator[None]:
        t0 = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[stage] = self.seconds.get(stage, 0.0) + time.perf_counter() - t0


@dataclass
class AnalysisState:
    """One analysis' view of a batch as the stages fill it in."""

    parameters: dict[str, float]
    collections: dict[str, ak.Array] = field(default_factory=dict)
    values: dict[str, Any] = field(default_factory=dict)
    weights: np.ndarray | None = None
    masks: dict[str, np.ndarray] = field(default_factory=dict)
    factors: dict[str, list[np.ndarray | None]] = field(default_factory=dict)
    #: truth objects before the detector response (loosened thresholds), by object name
    candidates: dict[str, ak.Array] = field(default_factory=dict)
    #: per-event values the detector gives besides collections (trigger decisions)
    extra: dict[str, Any] = field(default_factory=dict)
    #: truth tagging: the tag cut whose drawn tags this state's jets carry ("": direct)
    view: str = ""
    #: truth tagging: P(requirement) per event of this view's tag cut
    tag_probability: np.ndarray | None = None

    def for_view(self, view: str) -> AnalysisState:
        """A copy sharing everything up to overlap removal, for one truth-tagging view."""
        return AnalysisState(
            dict(self.parameters), dict(self.collections),
            candidates=self.candidates, extra=dict(self.extra), view=view,
        )  # fmt: skip


class Inputs:
    """The :class:`hepreint.objects.BuildInputs` of one analysis, cached in the context."""

    def __init__(
        self, ctx: Context, invisible: tuple[int, ...], lepton_key: tuple[Any, ...]
    ) -> None:
        self.ctx = ctx
        self.invisible = invisible
        self.lepton_key = lepton_key

    @property
    def batch(self) -> EventBatch:
        return self.ctx.batch

    @property
    def truth(self) -> ak.Array:
        return self.ctx.shared(
            f"truth{self.invisible}",
            lambda: truth_view(self.ctx.batch, extra_invisible_pids=self.invisible),
        )

    def lepton_mask(self) -> ak.Array:
        """Particles of the analysis' electrons and muons (with their dressing photons): they
        are leptons, so they are not also clustered into jets. Each flavour is masked with its
        own dressing cone and τ-decay choice; a flavour the analysis does not select uses the
        defaults (prompt, ΔR < 0.1), as ATLAS truth jets exclude prompt leptons of both."""

        def make() -> ak.Array:
            (e_dr, e_tau), (m_dr, m_tau) = self.lepton_key
            truth = self.truth
            e = lepton_particle_mask(truth, flavours=(11,), dress_dR=e_dr, accept_tau_decays=e_tau)
            m = lepton_particle_mask(truth, flavours=(13,), dress_dR=m_dr, accept_tau_decays=m_tau)
            return e | m

        return self.ctx.shared(f"lepton_mask{self.invisible}{self.lepton_key}", make)

    def uniforms(self, stage: str, counts: np.ndarray) -> ak.Array:
        return self.ctx.uniforms(stage, counts)

    def shared(self, parts: tuple[Any, ...], make: Callable[[], T]) -> T:
        key = definition_key("intermediate", self.invisible, self.lepton_key, parts)
        return self.ctx.shared(key, make)
