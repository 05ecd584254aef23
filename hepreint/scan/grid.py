"""The points of a scan: ``--grid NAME=START:STOP:STEP`` (or ``NAME=V1,V2,...``) axes, crossed,
or a YAML file of points, each optionally with its own event files instead of generation.

Everything is checked against the analysis' declared ``parameters:``, so a typo fails here in
one line naming the option or file, before any event is generated.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import product
from pathlib import Path
from typing import Any

import yaml

from hepreint.errors import HepreintError

#: more points than this in one scan is almost surely a mistyped step
MAX_POINTS = 10_000


class ScanError(HepreintError):
    """A scan that cannot be planned or run: bad grid, bad points file, unknown parameter."""


@dataclass(frozen=True)
class GridPoint:
    """One signal hypothesis: parameter values, and event files when given (no generation)."""

    params: tuple[tuple[str, float], ...]
    files: tuple[str, ...] = ()

    @property
    def values(self) -> dict[str, float]:
        return dict(self.params)

    @property
    def name(self) -> str:
        """The point's directory name, e.g. ``mX250_mS50``."""
        return "_".join(f"{k}{_fmt(v)}" for k, v in self.params)

    def label(self) -> str:
        return ", ".join(f"{k}={_fmt(v)}" for k, v in self.params)


@dataclass
class Grid:
    parameters: tuple[str, ...]
    points: list[GridPoint]
    source: str = "--grid"
    notes: list[str] = field(default_factory=list)


def _fmt(v: float) -> str:
    return f"{v:g}"


def _number(text: str, where: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise ScanError(f"{where}: {text!r} is not a number") from None
    if not math.isfinite(v):
        raise ScanError(f"{where}: {text!r} must be a finite number")
    return v


def parse_axis(text: str) -> tuple[str, list[float]]:
    """``mX=250:1000:250`` (start:stop:step, stop included) or ``mX=250,500,900``."""
    where = f"--grid {text!r}"
    name, sep, spec = text.partition("=")
    name = name.strip()
    if not sep or not name or not spec.strip():
        raise ScanError(
            f"{where}: expected NAME=START:STOP:STEP or NAME=V1,V2,..., e.g. mX=250:1000:250"
        )
    if ":" in spec:
        parts = spec.split(":")
        if len(parts) != 3:
            raise ScanError(
                f"{where}: a range is START:STOP:STEP (three numbers), e.g. 250:1000:250"
            )
        start, stop, step = (_number(p.strip(), where) for p in parts)
        if step <= 0:
            raise ScanError(f"{where}: STEP must be > 0")
        if stop < start:
            raise ScanError(f"{where}: STOP {stop:g} is below START {start:g}")
        n = math.floor((stop - start) / step + 1e-9) + 1
        if n > MAX_POINTS:
            raise ScanError(f"{where}: {n} values; use a larger STEP")
        values = [round(start + i * step, 10) for i in range(n)]
    else:
        values = [_number(v.strip(), where) for v in spec.split(",") if v.strip()]
        if not values:
            raise ScanError(f"{where}: no values; give e.g. {name}=250,500")
    if len(set(values)) != len(values):
        raise ScanError(f"{where}: a value is given twice")
    return name, values


def _check_names(names: Sequence[str], declared: Mapping[str, Any], where: str) -> None:
    unknown = [n for n in names if n not in declared]
    if unknown:
        known = ", ".join(declared) or "none"
        raise ScanError(
            f"{where}: unknown parameter(s) {', '.join(unknown)}; the analysis declares: {known}"
        )


def grid_from_axes(axes: Sequence[str], declared: Mapping[str, Any]) -> Grid:
    """The cross product of the ``--grid`` axes, in the order given (first axis outermost)."""
    if not axes:
        raise ScanError("no points: give --grid NAME=START:STOP:STEP (repeatable) or --points FILE")
    parsed = [parse_axis(a) for a in axes]
    names = [n for n, _ in parsed]
    if len(set(names)) != len(names):
        raise ScanError(
            f"--grid: parameter {_first_dup(names)} given twice; one --grid per parameter"
        )
    _check_names(names, declared, "--grid")
    total = math.prod(len(v) for _, v in parsed)
    if total > MAX_POINTS:
        raise ScanError(f"--grid: {total} points (> {MAX_POINTS}); use larger steps")
    points = [
        GridPoint(tuple(zip(names, combo, strict=True)))
        for combo in product(*(v for _, v in parsed))
    ]
    return Grid(tuple(names), points)


def _first_dup(names: Sequence[str]) -> str:
    return next(n for n in names if names.count(n) > 1)


def grid_from_file(path: str | Path, declared: Mapping[str, Any]) -> Grid:
    """A YAML file of points: a list (or ``points:`` list) of mappings of parameter values, each
    optionally with ``files:`` (event files, relative to the points file) instead of generation.

    .. code-block:: yaml

        points:
          - {mX: 500, mS: 200}
          - {mX: 750, mS: 200, files: [xsh_750_200.hepmc3.gz]}
    """
    p = Path(path)
    try:
        doc = yaml.safe_load(p.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ScanError(
            f"--points {p}: cannot read ({exc.strerror}); give a readable YAML file"
        ) from None
    except yaml.YAMLError as exc:
        raise ScanError(f"--points {p}: not YAML ({str(exc).splitlines()[0]})") from None
    items = doc.get("points") if isinstance(doc, dict) else doc
    if not isinstance(items, list) or not items:
        raise ScanError(f"--points {p}: expected a non-empty list of points (or 'points:' list)")
    points: list[GridPoint] = []
    names: tuple[str, ...] | None = None
    for i, item in enumerate(items):
        where = f"--points {p}: points[{i}]"
        if not isinstance(item, dict):
            raise ScanError(f"{where}: expected a mapping such as {{mX: 500, mS: 200}}")
        files = item.get("files", [])
        if isinstance(files, str):
            files = [files]
        if not isinstance(files, list) or not all(isinstance(f, str) for f in files):
            raise ScanError(f"{where}.files: expected a list of event file paths")
        values = {str(k): v for k, v in item.items() if k != "files"}
        if not values:
            raise ScanError(f"{where}: no parameter values")
        _check_names(list(values), declared, where)
        for k, v in values.items():
            if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
                raise ScanError(f"{where}.{k}: {v!r} is not a finite number")
        these = tuple(sorted(values))
        if names is None:
            names = these
        elif these != names:
            raise ScanError(
                f"{where}: parameters {', '.join(these)} differ from the first point's "
                f"({', '.join(names)}); every point sets the same parameters"
            )
        resolved = []
        for f in files:
            fp = Path(f) if Path(f).is_absolute() else p.parent / f
            if not fp.is_file():
                raise ScanError(f"{where}.files: {f} not found (paths are relative to {p.parent})")
            resolved.append(str(fp.resolve()))
        order = [n for n in declared if n in values]
        points.append(GridPoint(tuple((n, float(values[n])) for n in order), tuple(resolved)))
    dup = [pt.label() for pt in points if [q.params for q in points].count(pt.params) > 1]
    if dup:
        raise ScanError(f"--points {p}: point {dup[0]} is listed twice")
    assert names is not None
    return Grid(tuple(n for n in declared if n in names), points, source=str(p))
