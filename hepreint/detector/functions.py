"""The named functions of a detector card: efficiencies and resolutions as data.

A function maps object properties (flat numpy columns: ``pt``, ``abs_eta``, ``E``, ...) to one
number per object. Few closed forms cover every parametrisation the card's sources publish:
binned tables in one or two variables (Rivet's ``binIndex`` tables, ATLAS performance plots),
piecewise-linear curves (Rivet's electron reconstruction efficiency), error-function trigger
turn-ons, the calorimeter resolution ``sigma/x = N/x (+) S/sqrt(x) (+) C`` and products of these.
Keeping them as data, not code, is what lets each number carry its source and lets a card
override one function of another.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

Columns = Mapping[str, np.ndarray]
Evaluator = Callable[[Columns], np.ndarray]


def _variable(columns: Columns, name: str) -> np.ndarray:
    return np.asarray(columns[name], dtype=np.float64)


def _binned(spec: Mapping[str, Any]) -> Evaluator:
    axes = spec["axes"]
    values = np.asarray(spec["values"], dtype=np.float64)

    def index(x: np.ndarray, axis: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray]:
        edges = np.asarray(axis["edges"], dtype=np.float64)
        i = np.searchsorted(edges, x, side="right") - 1
        inside = i >= 0
        if axis.get("overflow", True):
            i = np.minimum(i, len(edges) - 2)
        else:
            inside &= i <= len(edges) - 2
        return np.clip(i, 0, len(edges) - 2), inside

    def evaluate(columns: Columns) -> np.ndarray:
        idx, ok = [], None
        for axis in axes:
            i, inside = index(_variable(columns, axis["variable"]), axis)
            idx.append(i)
            ok = inside if ok is None else ok & inside
        assert ok is not None
        return np.where(ok, values[tuple(idx)], 0.0)

    return evaluate


def _piecewise(spec: Mapping[str, Any]) -> Evaluator:
    x = np.asarray(spec["x"], dtype=np.float64)
    y = np.asarray(spec["y"], dtype=np.float64)
    return lambda c: np.interp(_variable(c, spec["variable"]), x, y)


def _turn_on(spec: Mapping[str, Any]) -> Evaluator:
    plateau, x50, width = float(spec["plateau"]), float(spec["x50"]), float(spec["width"])
    erf = np.vectorize(math.erf, otypes=[np.float64])

    def evaluate(c: Columns) -> np.ndarray:
        z = (_variable(c, spec["variable"]) - x50) / (math.sqrt(2.0) * width)
        return plateau * 0.5 * (1.0 + erf(z))

    return evaluate


def _calorimeter(spec: Mapping[str, Any]) -> Evaluator:
    n, s, k = float(spec["noise"]), float(spec["stochastic"]), float(spec["constant"])

    def evaluate(c: Columns) -> np.ndarray:
        x = np.maximum(_variable(c, spec["variable"]), 1e-3)
        return np.sqrt((n / x) ** 2 + s**2 / x + k**2)

    return evaluate


def compile_function(name: str, spec: Mapping[str, Any], table: Mapping[str, Any]) -> Evaluator:
    """The evaluator of function ``name``; ``table`` holds the card's other functions' specs
    (for products). Shapes and references were checked by :func:`check_function`."""
    form = spec["form"]
    if form == "constant":
        value = float(spec["value"])
        base: Evaluator = lambda c: np.full(len(next(iter(c.values()))), value)  # noqa: E731
    elif form == "binned":
        base = _binned(spec)
    elif form == "piecewise_linear":
        base = _piecewise(spec)
    elif form == "turn_on":
        base = _turn_on(spec)
    elif form == "calorimeter":
        base = _calorimeter(spec)
    else:  # product
        parts = [compile_function(p, table[p], table) for p in spec["of"]]

        def base(c: Columns) -> np.ndarray:
            out = parts[0](c)
            for p in parts[1:]:
                out = out * p(c)
            return out

    scale = float(spec.get("scale", 1.0))
    if scale == 1.0:
        return base
    return lambda c: scale * base(c)


def check_function(name: str, spec: Mapping[str, Any], table: Mapping[str, Any]) -> list[str]:
    """Problems the schema cannot see: table shapes, unsorted edges, unknown or circular parts."""
    problems: list[str] = []
    form = spec.get("form")
    if form == "binned":
        shape = []
        for i, axis in enumerate(spec["axes"]):
            edges = list(axis["edges"])
            if any(b <= a for a, b in zip(edges, edges[1:], strict=False)):
                problems.append(f"axes.{i}.edges: bin edges must increase strictly ({edges})")
            shape.append(len(edges) - 1)
        try:
            values = np.asarray(spec["values"], dtype=np.float64)
        except (TypeError, ValueError):
            problems.append("values: must be a (nested) list of numbers, one per bin")
        else:
            if values.shape != tuple(shape):
                problems.append(
                    f"values: shape {values.shape} but the axes have {tuple(shape)} bins "
                    "(one row per bin of the first axis, one value per bin of the second)"
                )
    elif form == "piecewise_linear":
        x, y = list(spec["x"]), list(spec["y"])
        if len(x) != len(y):
            problems.append(f"x and y: {len(x)} and {len(y)} points; give one y per x")
        if any(b <= a for a, b in zip(x, x[1:], strict=False)):
            problems.append(f"x: must increase strictly ({x})")
    elif form == "product":
        for p in spec["of"]:
            if p not in table:
                problems.append(f"of: unknown function {p!r}")
        if not problems and _circular(name, table):
            problems.append("of: the product refers back to itself")
    return problems


def _circular(name: str, table: Mapping[str, Any], seen: tuple[str, ...] = ()) -> bool:
    if name in seen:
        return True
    spec = table.get(name) or {}
    if spec.get("form") != "product":
        return False
    return any(_circular(p, table, seen + (name,)) for p in spec.get("of", []) if p in table)


def value_range(
    name: str, spec: Mapping[str, Any], table: Mapping[str, Any]
) -> tuple[float, float]:
    """Bounds of what the function can return (for refusing an efficiency above 1)."""
    form, scale = spec["form"], float(spec.get("scale", 1.0))
    if form == "constant":
        lo = hi = float(spec["value"])
    elif form == "binned":
        v = np.asarray(spec["values"], dtype=np.float64)
        lo, hi = float(v.min()), float(v.max())
        lo = min(lo, 0.0)  # outside the axes the value is 0
    elif form == "piecewise_linear":
        lo, hi = float(min(spec["y"])), float(max(spec["y"]))
    elif form == "turn_on":
        lo, hi = min(0.0, float(spec["plateau"])), max(0.0, float(spec["plateau"]))
    elif form == "calorimeter":
        return 0.0, math.inf
    else:
        lo, hi = 1.0, 1.0
        for p in spec["of"]:
            a, b = value_range(p, table[p], table)
            cands = [lo * a, lo * b, hi * a, hi * b]
            lo, hi = min(cands), max(cands)
    cands = [lo * scale, hi * scale]
    return min(cands), max(cands)
