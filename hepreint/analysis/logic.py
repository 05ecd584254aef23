"""Three-valued (Kleene) logic on batches: an absent object (``None``) is "unknown", not False.

Kept apart from the compiler because it is about values, not syntax: the compiled ``and``/
``or``/``not`` closures call these on whole awkward arrays.
"""

from __future__ import annotations

from typing import Any

import awkward as ak
import numpy as np


def known(x: Any) -> Any:
    """True where x has a value (not an absent object)."""
    return ~ak.is_none(x, axis=-1) if isinstance(x, ak.Array) else True


def and_(a: Any, b: Any) -> Any:
    """Three-valued (Kleene) and: an absent object gives None unless the other side is False.

    Cuts treat None as failed at the very end, so ``not (jets[3].pt > 30)`` fails for a
    three-jet event instead of passing, exactly like ``jets[3].pt <= 30``.
    """
    if not (isinstance(a, ak.Array) or isinstance(b, ak.Array)):
        return a & b
    value = fill(a, False) & fill(b, False)
    has = (known(a) & known(b)) | ~fill(a, True) | ~fill(b, True)
    return ak.mask(value, has)


def or_(a: Any, b: Any) -> Any:
    if not (isinstance(a, ak.Array) or isinstance(b, ak.Array)):
        return a | b
    value = fill(a, False) | fill(b, False)
    has = (known(a) & known(b)) | value
    return ak.mask(value, has)


def fill(x: Any, v: bool) -> Any:
    return ak.fill_none(x, v, axis=-1) if isinstance(x, ak.Array) else x


def not_(x: Any) -> Any:
    if isinstance(x, ak.Array | np.ndarray):
        return ~x  # None stays None: not(absent) is still absent
    return not x
