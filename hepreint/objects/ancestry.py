"""Columnar ancestry over the single-mother ``parent`` column of an :class:`EventBatch`.

Questions like "is any ancestor a hadron?" are answered for all particles of all events at once
by pointer jumping (Wyllie's list ranking): after step k every particle knows the OR of the flag
over its ancestors at distance 1..2^k and a pointer to its 2^k-th ancestor, so a chain of depth
d (Pythia: up to ~100) needs ceil(log2 d) numpy gathers instead of d.  Broken HepMC records can
contain mother cycles; since an event of n particles has at most n distinct ancestors per
particle, stopping after ceil(log2 n) + 1 steps is both a guard and still exact.
"""

from __future__ import annotations

import math

import numpy as np


def global_parent(parent: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Index of the mother in the flattened batch, or -1 (also for out-of-range mothers)."""
    counts = np.diff(offsets)
    evt = np.repeat(np.arange(len(counts), dtype=np.int64), counts)
    parent = np.asarray(parent, dtype=np.int64)
    ok = (parent >= 0) & (parent < counts[evt])
    return np.where(ok, parent + offsets[:-1][evt], -1)


def max_steps(offsets: np.ndarray) -> int:
    """Pointer-jumping steps that cover every possible chain (cycles included)."""
    longest = int(np.max(np.diff(offsets), initial=1))
    return int(math.ceil(math.log2(max(longest, 2)))) + 1


def any_ancestor(flag: np.ndarray, gparent: np.ndarray, steps: int) -> np.ndarray:
    """``out[i]`` is True when some ancestor of particle i (not i itself) has ``flag``."""
    flag = np.asarray(flag, dtype=bool)
    has_parent = gparent >= 0
    acc = np.zeros(len(flag), dtype=bool)
    acc[has_parent] = flag[gparent[has_parent]]
    active = np.nonzero(has_parent)[0]
    ptr = gparent.copy()
    for _ in range(steps):
        if active.size == 0:
            break
        hop = ptr[active]
        # both right-hand sides are gathered before the writes: a synchronous update
        acc[active] |= acc[hop]
        ptr[active] = ptr[hop]
        active = active[ptr[active] >= 0]
    return acc


def any_child(flag: np.ndarray, gparent: np.ndarray) -> np.ndarray:
    """``out[i]`` is True when some particle whose (first) mother is i has ``flag``."""
    out = np.zeros(len(gparent), dtype=bool)
    sel = np.asarray(flag, dtype=bool) & (gparent >= 0)
    out[gparent[sel]] = True
    return out


def sum_over_children(values: np.ndarray, select: np.ndarray, gparent: np.ndarray) -> np.ndarray:
    """Per particle, the sum of ``values`` over its children with ``select`` (bincount scatter)."""
    sel = np.asarray(select, dtype=bool) & (gparent >= 0)
    return np.bincount(gparent[sel], weights=values[sel], minlength=len(gparent))
