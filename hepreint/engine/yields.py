"""The additive accumulator: what a batch contributes, merged with ``+``.

Per region and cut step, and per weight variation of the input: Σw, Σw² (exact integer sums,
see :mod:`hepreint.engine.exact`) and the raw event count. Merging batches, files or workers in any
order gives bit-identical results; normalisation to σ·L happens once, in :mod:`hepreint.results`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from hepreint.engine.exact import exact_sums, to_float


@dataclass
class RegionYields:
    steps: tuple[str, ...]
    #: [step][weight] exact Σw and Σw² (integers in units of 2**-SHIFT)
    sumw: list[list[int]]
    sumw2: list[list[int]]
    n: list[int]

    @classmethod
    def zeros(cls, steps: tuple[str, ...], n_weights: int) -> RegionYields:
        return cls(
            steps,
            [[0] * n_weights for _ in steps],
            [[0] * n_weights for _ in steps],
            [0] * len(steps),
        )

    def __add__(self, other: RegionYields) -> RegionYields:
        if self.steps != other.steps:
            raise ValueError("cannot add yields of regions with different cut steps")
        return RegionYields(
            self.steps,
            _add2(self.sumw, other.sumw),
            _add2(self.sumw2, other.sumw2),
            [a + b for a, b in zip(self.n, other.n, strict=True)],
        )

    def sumw_float(self) -> np.ndarray:
        return np.array([[to_float(v) for v in row] for row in self.sumw])

    def sumw2_float(self) -> np.ndarray:
        return np.array([[to_float(v) for v in row] for row in self.sumw2])


def _add2(x: list[list[int]], y: list[list[int]]) -> list[list[int]]:
    return [[a + b for a, b in zip(r, s, strict=True)] for r, s in zip(x, y, strict=True)]


@dataclass
class Yields:
    weight_names: tuple[str, ...]
    regions: dict[str, RegionYields] = field(default_factory=dict)
    #: events seen (all, before any cut), and their exact Σw / Σw² per weight
    n_events: int = 0
    sumw_all: list[int] = field(default_factory=list)
    sumw2_all: list[int] = field(default_factory=list)

    @classmethod
    def zeros(cls, layout: dict[str, tuple[str, ...]], weight_names: tuple[str, ...]) -> Yields:
        nw = len(weight_names)
        return cls(
            weight_names,
            {r: RegionYields.zeros(steps, nw) for r, steps in layout.items()},
            0,
            [0] * nw,
            [0] * nw,
        )

    @classmethod
    def from_masks(
        cls,
        layout: dict[str, tuple[str, ...]],
        masks: dict[str, np.ndarray],
        weights: np.ndarray,
        weight_names: tuple[str, ...],
        generator_weights: np.ndarray | None = None,
        factors: dict[str, list[np.ndarray | None]] | None = None,
    ) -> Yields:
        """One batch's contribution; ``masks[region]`` is ``(n_steps, n_events)`` cumulative.

        ``weights`` ``(n_events, n_weights)`` fill the regions; ``generator_weights`` (the file's
        own, before any analysis factor such as an efficiency) give Σw(all events), the
        normalisation denominator, so that analysis factors change the yields instead of
        cancelling out. ``factors[region][step]`` (``(n_events,)`` or ``None`` for 1) multiply
        the weights of that region at that step only, for every weight variation: a region's
        own weight, e.g. a truth-tagging probability that differs between a ≥3-tag and a ≥4-tag
        region filled by the same events. Steps that share one factor array are summed together.
        """
        gen = weights if generator_weights is None else generator_weights
        out = cls.zeros(layout, weight_names)
        out.n_events = int(weights.shape[0])
        all_mask = np.ones((1, weights.shape[0]), dtype=bool)
        out.sumw_all = exact_sums(gen, all_mask)[0]
        out.sumw2_all = exact_sums(gen * gen, all_mask)[0]
        for name, steps in layout.items():
            m = masks[name]
            per_step = (factors or {}).get(name) or [None] * len(steps)
            sumw: list[list[int]] = []
            sumw2: list[list[int]] = []
            for lo, hi, f in _runs(per_step):
                w = weights if f is None else weights * np.asarray(f, np.float64)[:, None]
                sumw += exact_sums(w, m[lo:hi])
                sumw2 += exact_sums(w * w, m[lo:hi])
            out.regions[name] = RegionYields(steps, sumw, sumw2, [int(c) for c in m.sum(axis=1)])
        return out

    def __add__(self, other: Yields) -> Yields:
        if self.weight_names != other.weight_names:
            raise ValueError(
                "cannot add yields with different weight names "
                f"({len(self.weight_names)} vs {len(other.weight_names)} weights)"
            )
        if self.regions.keys() != other.regions.keys():
            raise ValueError("cannot add yields of different region sets")
        return Yields(
            self.weight_names,
            {r: self.regions[r] + other.regions[r] for r in self.regions},
            self.n_events + other.n_events,
            [a + b for a, b in zip(self.sumw_all, other.sumw_all, strict=True)],
            [a + b for a, b in zip(self.sumw2_all, other.sumw2_all, strict=True)],
        )


def _runs(per_step: list[np.ndarray | None]) -> list[tuple[int, int, np.ndarray | None]]:
    """Consecutive steps with the same factor (the same array object): (first, end, factor)."""
    out: list[tuple[int, int, np.ndarray | None]] = []
    for i, f in enumerate(per_step):
        if out and out[-1][2] is f:
            out[-1] = (out[-1][0], i + 1, f)
        else:
            out.append((i, i + 1, f))
    return out
