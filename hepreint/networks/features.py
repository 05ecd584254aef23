"""Network inputs built from a batch's collections: the one feature code of training and serving.

The recipes (``models/``) call :func:`build_inputs` on the same collections the runner hands the
networks, so the tensors a network was trained on and the tensors it sees in a run cannot
differ (no train/serve skew). Objects are taken in their collection's order (pT-ordered) up to
``max_objects``; missing slots are padded and masked. Scaling is ``(x - offset) / scale`` with
the constants the recipe fitted and wrote into the card.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import awkward as ak
import numpy as np

from hepreint.analysis.expr import Scope
from hepreint.errors import NetworkError
from hepreint.networks.card import Feature, Input, NetworkCard


def build_inputs(
    card: NetworkCard, values: Mapping[str, Any], n: int, *, scaled: bool = True
) -> dict[str, np.ndarray]:
    """float32 tensors by graph input name (object inputs with their masks) for ``n`` events.

    ``values`` holds the analysis' collections and parameters by name. ``scaled=False`` gives
    the raw features in float64, from which a recipe fits the scaling constants."""
    out: dict[str, np.ndarray] = {}
    for inp in card.inputs:
        if inp.kind == "objects":
            x, mask = _objects(card, inp, values, n, scaled)
            out[inp.name], out[inp.mask] = x, mask
        else:
            out[inp.name] = _event(card, inp, values, n, scaled)
    return out


def _objects(
    card: NetworkCard, inp: Input, values: Mapping[str, Any], n: int, scaled: bool
) -> tuple[np.ndarray, np.ndarray]:
    coll = values[inp.collection]
    counts = np.minimum(np.asarray(ak.num(coll, axis=1)), inp.max_objects)
    mask = np.arange(inp.max_objects)[None, :] < counts[:, None]
    x = np.full((n, inp.max_objects, len(inp.features)), inp.pad, dtype=np.float64)
    scope = Scope(values, obj=coll)
    for j, f in enumerate(inp.features):
        col = f.expr(scope)
        if not isinstance(col, ak.Array):  # a constant feature
            col = ak.ones_like(coll.pt) * col
        col = ak.pad_none(col[:, : inp.max_objects], inp.max_objects, axis=1, clip=True)
        vals = np.asarray(ak.to_numpy(ak.fill_none(col, np.nan)), dtype=np.float64)
        vals = _finite(card, inp, f, vals, mask, values)
        if scaled:
            vals = (vals - f.offset) / f.scale
        x[..., j] = np.where(mask, vals, inp.pad)
    return (x.astype(np.float32) if scaled else x), mask.astype(np.float32)


def _event(
    card: NetworkCard, inp: Input, values: Mapping[str, Any], n: int, scaled: bool
) -> np.ndarray:
    x = np.empty((n, len(inp.features)), dtype=np.float64)
    scope = Scope(values)
    for j, f in enumerate(inp.features):
        v = f.expr(scope)
        if isinstance(v, ak.Array):
            if v.ndim != 1:
                raise NetworkError(
                    f"{card.path}: input {inp.name} feature {f.name} ({f.expr.source!r}) gives a "
                    "list per event; event inputs need one number (index it: jets[0].pt)"
                )
            v = ak.to_numpy(ak.fill_none(v, np.nan if f.default is None else f.default))
        col = np.broadcast_to(np.asarray(v, dtype=np.float64), (n,)).copy()
        col = _finite(card, inp, f, col, np.ones(n, dtype=bool), values)
        x[:, j] = (col - f.offset) / f.scale if scaled else col
    return x.astype(np.float32) if scaled else x


def _finite(
    card: NetworkCard, inp: Input, f: Feature, vals: np.ndarray, real: np.ndarray,
    values: Mapping[str, Any],
) -> np.ndarray:  # fmt: skip
    """A feature refused where it is not a finite number for a real object or an event."""
    bad = ~np.isfinite(vals) & real
    if bad.any():
        what = "no value (an absent object: give the feature a default)" if np.isnan(
            vals[bad][0]
        ) else f"{vals[bad][0]}"
        raise NetworkError(
            f"{card.path}: input {inp.name} feature {f.name} ({f.expr.source!r}) is {what} "
            f"in event {int(np.argmax(bad.reshape(len(vals), -1).any(axis=1)))} of the batch; "
            "guard the expression (e.g. log(max(pt, 1)))"
        )
    return vals
