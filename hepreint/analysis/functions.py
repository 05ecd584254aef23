"""The functions an analysis expression may call: the whole vocabulary, nothing else.

Each takes and returns whole-batch awkward/numpy arrays (one entry per event, or one list per
event for collections). Missing objects (``jets[3]`` in a 3-jet event) are ``None`` and stay
``None`` through arithmetic; cuts treat ``None`` as failed. Kinematics go through ``vector``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import awkward as ak
import numpy as np
import vector

vector.register_awkward()


def count(coll: Any) -> Any:
    """Number of objects in a collection (or of ``True`` entries in a jagged mask)."""
    arr = ak.Array(coll)
    if arr.fields:
        return ak.num(arr, axis=1)
    return ak.sum(arr, axis=1)


def total(x: Any) -> Any:
    return ak.sum(x, axis=1)


def maxof(x: Any) -> Any:
    return ak.max(x, axis=1)


def minof(x: Any) -> Any:
    return ak.min(x, axis=1)


def any_(x: Any) -> Any:
    return ak.any(x, axis=1)


def all_(x: Any) -> Any:
    return ak.all(x, axis=1)


def emin(*xs: Any) -> Any:
    out = xs[0]
    for x in xs[1:]:
        out = ak.where(out < x, out, x) if _is_ak(out, x) else np.minimum(out, x)
    return out


def emax(*xs: Any) -> Any:
    out = xs[0]
    for x in xs[1:]:
        out = ak.where(out > x, out, x) if _is_ak(out, x) else np.maximum(out, x)
    return out


def _is_ak(*xs: Any) -> bool:
    return any(isinstance(x, ak.Array) for x in xs)


def where(cond: Any, a: Any, b: Any) -> Any:
    return ak.where(ak.fill_none(cond, False), a, b)


def fill(x: Any, value: float) -> Any:
    """Replace missing values (absent objects) by ``value``."""
    return ak.fill_none(x, value)


def delta_r(a: Any, b: Any) -> Any:
    return a.deltaR(b)


def delta_phi(a: Any, b: Any) -> Any:
    return a.deltaphi(b)


def delta_eta(a: Any, b: Any) -> Any:
    return a.deltaeta(b)


def p4sum(coll: Any) -> Any:
    """Four-vector sum of all objects of a collection, per event (empty → zero vector)."""
    return ak.zip(
        {c: ak.sum(getattr(coll, c), axis=1) for c in ("px", "py", "pz", "E")},
        with_name="Momentum4D",
    )


def mass(*objs: Any) -> Any:
    """Invariant mass of the sum of the given objects (each one object per event)."""
    tot = objs[0]
    for o in objs[1:]:
        tot = tot + o
    return tot.mass


def _transverse(o: Any) -> Any:
    return ak.zip({"px": o.px, "py": o.py}, with_name="Momentum2D")


def ptsum(*objs: Any) -> Any:
    """Magnitude of the transverse-momentum sum, e.g. pT(V) = ptsum(lepton, met)."""
    tot = _transverse(objs[0])
    for o in objs[1:]:
        tot = tot + _transverse(o)
    return tot.pt


def mt(a: Any, b: Any) -> Any:
    """Transverse mass of two (massless-treated) objects, e.g. m_T(W) = mt(lepton, met)."""
    return np.sqrt(2.0 * a.pt * b.pt * (1.0 - np.cos(a.deltaphi(b))))


def closest_pair(coll: Any, target: float) -> Any:
    """The pair of objects whose invariant mass is closest to ``target`` (GeV), as one 4-vector.

    Used for Z candidates (``closest_pair(leptons, 91.19)``) and H→bb candidates.
    """
    pairs = ak.combinations(coll, 2)
    p4 = pairs["0"] + pairs["1"]
    best = ak.argmin(abs(p4.mass - target), axis=1, keepdims=True)
    return ak.firsts(p4[best])


PAIRING_RULES = ("min_dr_leading", "min_mass_diff", "min_dhh")


def pair_four(coll: Any, rule: str, *, ratio: float = 117.0 / 124.0) -> Any:
    """Pair the first four objects into two candidates, returned as a 2-object collection.

    The two candidates are ordered by pT (leading first). Rules:
    ``min_dr_leading``: of the three pairings, the one where the leading-pT candidate's objects
    are closest in ΔR (ATLAS HH→4b resolved, arXiv:2202.07288 Sec. 4);
    ``min_mass_diff``: smallest |m1 − m2|;
    ``min_dhh``: smallest distance of (m1, m2) to the line m2 = ratio·m1 (arXiv:2301.03212
    Sec. 4.3, ratio 117/124 in the nonresonant analysis).
    Events with fewer than four objects give ``None`` candidates.
    """
    if rule not in PAIRING_RULES:
        raise ValueError(f"unknown pairing rule {rule!r}; known: {', '.join(PAIRING_RULES)}")
    four = ak.pad_none(coll[:, :4], 4, axis=1)
    j = [four[:, i] for i in range(4)]
    choices = [((0, 1), (2, 3)), ((0, 2), (1, 3)), ((0, 3), (1, 2))]
    cands = []
    for (a, b), (c, d) in choices:
        h1, h2 = j[a] + j[b], j[c] + j[d]
        lead_is_1 = ak.fill_none(h1.pt >= h2.pt, True)
        lead = ak.where(lead_is_1, h1, h2)
        sub = ak.where(lead_is_1, h2, h1)
        if rule == "min_dr_leading":
            score = ak.where(lead_is_1, j[a].deltaR(j[b]), j[c].deltaR(j[d]))
        elif rule == "min_mass_diff":
            score = abs(h1.mass - h2.mass)
        else:
            score = abs(lead.mass * ratio - sub.mass) / np.sqrt(1.0 + ratio**2)
        cands.append((lead, sub, score))
    scores = np.stack([ak.to_numpy(ak.fill_none(s, np.inf)) for _, _, s in cands], axis=1)
    pick = np.argmin(scores, axis=1)
    lead = cands[0][0]
    sub = cands[0][1]
    for k in (1, 2):
        sel = pick == k
        lead = ak.where(sel, cands[k][0], lead)
        sub = ak.where(sel, cands[k][1], sub)
    out = ak.concatenate([lead[:, np.newaxis], sub[:, np.newaxis]], axis=1)
    return ak.with_name(out, "Momentum4D")


def in_range(x: Any, lo: float, hi: float) -> Any:
    return (x >= lo) & (x < hi)


def argmax(x: Any) -> Any:
    """The index of the largest of a network's outputs, per event (networks only: a collection
    has no natural class order)."""
    if not hasattr(x, "argmax") or not hasattr(x, "scores"):
        raise TypeError("argmax() takes a network's name, e.g. argmax(ttH_class)")
    return x.argmax()


@dataclass(frozen=True)
class Function:
    impl: Callable[..., Any]
    min_args: int
    max_args: int | None
    #: positions of arguments that must be literal strings (rule names)
    string_args: tuple[int, ...] = ()
    doc: str = ""


FUNCTIONS: dict[str, Function] = {
    "argmax": Function(argmax, 1, 1, doc="index of a network's largest output (its class)"),
    "abs": Function(np.abs, 1, 1, doc="absolute value"),
    "sqrt": Function(np.sqrt, 1, 1, doc="square root"),
    "exp": Function(np.exp, 1, 1, doc="exponential"),
    "log": Function(np.log, 1, 1, doc="natural logarithm"),
    "cos": Function(np.cos, 1, 1, doc="cosine"),
    "sin": Function(np.sin, 1, 1, doc="sine"),
    "tanh": Function(np.tanh, 1, 1, doc="hyperbolic tangent"),
    "min": Function(emin, 2, None, doc="element-wise minimum of its arguments"),
    "max": Function(emax, 2, None, doc="element-wise maximum of its arguments"),
    "count": Function(count, 1, 1, doc="objects in a collection, or True entries of a mask"),
    "sum": Function(total, 1, 1, doc="per-event sum over a collection's values"),
    "maxof": Function(maxof, 1, 1, doc="per-event maximum over a collection's values"),
    "minof": Function(minof, 1, 1, doc="per-event minimum over a collection's values"),
    "any": Function(any_, 1, 1, doc="per-event: any object satisfies the mask"),
    "all": Function(all_, 1, 1, doc="per-event: all objects satisfy the mask"),
    "where": Function(where, 3, 3, doc="where(cond, a, b)"),
    "fill": Function(fill, 2, 2, doc="replace missing (absent object) values"),
    "in_range": Function(in_range, 3, 3, doc="lo <= x < hi"),
    "dR": Function(delta_r, 2, 2, doc="ΔR(η, φ) between objects"),
    "dphi": Function(delta_phi, 2, 2, doc="signed Δφ in [-π, π)"),
    "deta": Function(delta_eta, 2, 2, doc="Δη"),
    "mass": Function(mass, 1, None, doc="invariant mass of the objects' sum"),
    "ptsum": Function(ptsum, 1, None, doc="pT of the transverse vector sum (objects or MET)"),
    "mt": Function(mt, 2, 2, doc="transverse mass of two objects (e.g. lepton, MET)"),
    "p4sum": Function(p4sum, 1, 1, doc="four-vector sum of a whole collection"),
    "closest_pair": Function(closest_pair, 2, 2, doc="pair with mass closest to a target"),
    "pair_four": Function(pair_four, 2, 2, string_args=(1,), doc="pair 4 objects by a rule"),
}

CONSTANTS: dict[str, float] = {"pi": float(np.pi)}

# HH→4b functions live in their own module (top veto, the 2018 pairing, track-jet tags)
from hepreint.analysis.functions_hh import HH_FUNCTIONS  # noqa: E402

FUNCTIONS.update({k: Function(*v) for k, v in HH_FUNCTIONS.items()})
