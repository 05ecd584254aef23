"""Order-independent exact sums of float64 weights.

Floating-point addition is not associative: summing the same weights in batches of 1000 or of
3000, or over two workers, changes the last digits. Splitting a run must give *exactly* the
one-pass result, so sums are kept as Python integers in units of 2**-SHIFT (every finite double
is an integer multiple of 2**-1074), accumulated with numpy integer arithmetic per exponent
group, and rounded to float64 once, at the end.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

#: 2**-SHIFT is the unit of the integer sums; covers doubles down to 2**-1074 (and their squares
#: are clipped to that range by float64 itself).
SHIFT = 1126
_HALF = 26


def exact_sums(values: np.ndarray, masks: np.ndarray) -> list[list[int]]:
    """Exact ``sum(values[:, k] over events where masks[s])`` for every step ``s`` and column ``k``.

    ``values`` is ``(n_events, n_cols)`` float64, ``masks`` is ``(n_steps, n_events)`` bool.
    Returns ``n_steps`` lists of ``n_cols`` Python ints (units of 2**-SHIFT).
    """
    n_steps = masks.shape[0]
    n_cols = values.shape[1]
    out = [[0] * n_cols for _ in range(n_steps)]
    if values.shape[0] == 0 or n_steps == 0:
        return out
    if not np.all(np.isfinite(values)):
        raise ValueError("non-finite weight")
    mant, expo = np.frexp(values)  # values = mant * 2**expo, |mant| in [0.5, 1)
    ints = (mant * 2.0**53).astype(np.int64)  # exact: 53-bit signed mantissa
    sign = np.sign(ints)
    mag = np.abs(ints)
    hi = sign * (mag >> _HALF)
    lo = sign * (mag & ((1 << _HALF) - 1))
    m = masks.astype(np.int64)
    for e in np.unique(expo[ints != 0]):
        g = expo == e
        s_hi = m @ np.where(g, hi, 0)  # (n_steps, n_cols), |entries| < 2**27 * n_events
        s_lo = m @ np.where(g, lo, 0)
        shift = int(e) - 53 + SHIFT
        if shift < 0:
            raise ValueError("weight too small to sum exactly")
        for s in range(n_steps):
            row = out[s]
            for k in range(n_cols):
                a, b = int(s_hi[s, k]), int(s_lo[s, k])
                if a or b:
                    row[k] += ((a << _HALF) + b) << shift
    return out


def to_float(total: int) -> float:
    """The correctly rounded float64 of an exact sum."""
    return float(Fraction(total, 1 << SHIFT))
