"""Yields add exactly: any split of the events into batches gives bit-identical sums."""

from __future__ import annotations

import math

import numpy as np
import pytest

from hepreint.engine.exact import exact_sums, to_float
from hepreint.engine.yields import Yields

LAYOUT = {"A": ("all events", "c1", "c2"), "B": ("all events", "d1")}


def _masks(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    a1 = rng.random(n) < 0.6
    a2 = a1 & (rng.random(n) < 0.5)
    b1 = rng.random(n) < 0.3
    one = np.ones(n, bool)
    return {"A": np.stack([one, a1, a2]), "B": np.stack([one, b1])}


def test_exact_sum_matches_fsum() -> None:
    rng = np.random.default_rng(3)
    w = rng.normal(size=(3000, 2)) * 10.0 ** rng.integers(-8, 8, size=(3000, 2))
    m = np.ones((1, 3000), bool)
    got = [to_float(v) for v in exact_sums(w, m)[0]]
    assert got == [math.fsum(w[:, 0]), math.fsum(w[:, 1])]


@pytest.mark.parametrize("splits", [[1], [17, 500, 1111], [1, 2, 3, 4, 5]])
def test_batches_add_bit_exactly(splits: list[int]) -> None:
    rng = np.random.default_rng(7)
    n = 2000
    w = rng.normal(1.0, 3.0, size=(n, 3))
    masks = _masks(rng, n)
    names = ("nominal", "up", "down")
    whole = Yields.from_masks(LAYOUT, masks, w, names)
    edges = [0, *splits, n]
    parts = [
        Yields.from_masks(LAYOUT, {k: v[:, a:b] for k, v in masks.items()}, w[a:b], names)
        for a, b in zip(edges, edges[1:], strict=False)
    ]
    total = parts[0]
    for p in parts[1:]:
        total = total + p
    assert total == whole
    rev = parts[-1]
    for p in reversed(parts[:-1]):
        rev = rev + p
    assert rev == whole
    assert total.n_events == n
    assert total.regions["A"].n[0] == n
    np.testing.assert_allclose(total.regions["A"].sumw_float()[2], w[masks["A"][2]].sum(axis=0))


def test_incompatible_yields_refuse_to_add() -> None:
    a = Yields.zeros(LAYOUT, ("nominal",))
    with pytest.raises(ValueError, match="weight names"):
        a + Yields.zeros(LAYOUT, ("nominal", "x"))
    with pytest.raises(ValueError, match="region"):
        a + Yields.zeros({"A": LAYOUT["A"]}, ("nominal",))
