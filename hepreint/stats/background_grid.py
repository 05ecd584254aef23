"""A background that depends on the signal hypothesis: one background per mass point, read from
a grid and interpolated between its points.

Why: in an analysis with a parametrised network (X -> S(bb)H(yy)) the fitted regions are bins of
a score computed *for the hypothesis* (mX, mS), so the background in them changes from point to
point; one fixed background workspace would give the right limit at one point only. The grid
(``likelihood.background_grid`` in analysis.yaml, schema ``hepreint-background-grid/1``) holds
the background of every channel bin at the points it was made on; :func:`background_at` gives it
at any point: exactly at a grid point, linearly interpolated in (log p1, log p2, ...) of
log(background) inside the grid's hull (backgrounds fall roughly exponentially with the masses),
and the nearest grid point outside it, with a warning. The workspace keeps its channels and
modifiers; only the background sample's yields, its uncertainty and the (Asimov) observations
are replaced.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from hepreint.analysis.schemas import validate
from hepreint.errors import LikelihoodError
from hepreint.stats.sidecar import read_json

GRID_SCHEMA = "hepreint-background-grid/1"
#: below this background a bin is floored (log interpolation and pyhf need b > 0)
FLOOR = 1e-3


@dataclass
class BackgroundGrid:
    path: Path
    parameters: list[str]
    channels: dict[str, int]
    points: list[dict[str, Any]]
    doc: dict[str, Any] = field(default_factory=dict)

    def coordinates(self) -> np.ndarray:
        return np.array(
            [[math.log(p["params"][k]) for k in self.parameters] for p in self.points]
        )


def load_grid(path: Path) -> BackgroundGrid:
    """Read and check a background grid: schema, and one value per channel bin at every point."""
    doc = read_json(path, "background grid")
    if not isinstance(doc, dict) or doc.get("schema") != GRID_SCHEMA:
        got = doc.get("schema") if isinstance(doc, dict) else type(doc).__name__
        raise LikelihoodError(
            f"{path}: not a background grid (schema {got!r}, expected {GRID_SCHEMA!r}); "
            "rebuild it with the analysis' likelihood recipe (likelihood/README.md)"
        )
    problems = validate(doc, "background-grid")
    if problems:
        raise LikelihoodError(f"{path}: damaged background grid: {problems[0]}")
    params = list(doc["parameters"])
    channels = {ch: int(c["bins"]) for ch, c in doc["channels"].items()}
    for i, p in enumerate(doc["points"]):
        missing = [k for k in params if k not in p["params"]]
        if missing:
            raise LikelihoodError(f"{path}: points[{i}].params: missing {', '.join(missing)}")
        for ch, n in channels.items():
            for key in ("background", "uncertainty"):
                vals = p[key].get(ch)
                if vals is None or len(vals) != n:
                    raise LikelihoodError(
                        f"{path}: points[{i}].{key}.{ch}: need {n} values (one per bin)"
                    )
    return BackgroundGrid(path, params, channels, list(doc["points"]), doc)


def background_at(
    grid: BackgroundGrid, params: dict[str, float]
) -> tuple[dict[str, list[float]], dict[str, list[float]], list[str]]:
    """(background, uncertainty, warnings) per channel at the hypothesis ``params``."""
    missing = [k for k in grid.parameters if k not in params]
    if missing:
        raise LikelihoodError(
            f"{grid.path}: the background depends on {', '.join(grid.parameters)}; the results "
            f"have no value for {', '.join(missing)} (run with --param {missing[0]}=...)"
        )
    x = np.array([math.log(float(params[k])) for k in grid.parameters])
    coords = grid.coordinates()
    dist = np.linalg.norm(coords - x, axis=1)
    notes: list[str] = []
    here = ", ".join(f"{k}={params[k]:g}" for k in grid.parameters)
    if dist.min() < 1e-9:
        weights = {int(np.argmin(dist)): 1.0}
    else:
        simplex = _simplex_weights(coords, x)
        if simplex is None:
            near = int(np.argmin(dist))
            weights = {near: 1.0}
            at = ", ".join(f"{k}={grid.points[near]['params'][k]:g}" for k in grid.parameters)
            notes.append(
                f"background at {here} is outside the background grid ({grid.path.name}): "
                f"the nearest grid point's ({at}) is used"
            )
        else:
            weights = simplex
            notes.append(f"background at {here} interpolated between background-grid points")
    bkg: dict[str, list[float]] = {}
    unc: dict[str, list[float]] = {}
    for ch, n in grid.channels.items():
        b_log = np.zeros(n)
        rel2 = np.zeros(n)
        for i, w in weights.items():
            b = np.maximum(np.asarray(grid.points[i]["background"][ch], dtype=float), FLOOR)
            u = np.asarray(grid.points[i]["uncertainty"][ch], dtype=float)
            b_log += w * np.log(b)
            rel2 += w * (u / b) ** 2
        b_here = np.exp(b_log)
        bkg[ch] = [float(v) for v in b_here]
        unc[ch] = [float(v) for v in b_here * np.sqrt(rel2)]
    return bkg, unc, notes


def _simplex_weights(coords: np.ndarray, x: np.ndarray) -> dict[int, float] | None:
    """Barycentric weights of ``x`` in the Delaunay simplex of the grid that holds it."""
    from scipy.spatial import Delaunay, QhullError

    try:
        tri = Delaunay(coords)
    except (QhullError, ValueError):  # fewer points than dimensions + 1, or all collinear
        return None
    s = int(tri.find_simplex(x))
    if s < 0:
        return None
    t = tri.transform[s]
    d = coords.shape[1]
    bary = t[:d].dot(x - t[d])
    w = np.append(bary, 1.0 - bary.sum())
    return {int(v): float(wi) for v, wi in zip(tri.simplices[s], w, strict=True) if wi > 1e-12}


def with_background(
    ws_spec: dict[str, Any],
    bkg: dict[str, list[float]],
    unc: dict[str, list[float]],
    sample: str,
    where: str,
) -> dict[str, Any]:
    """A copy of ``ws_spec`` whose background sample (and its shapesys and the Asimov
    observations) carries ``bkg``/``unc`` in every channel the grid has."""
    out = copy.deepcopy(ws_spec)
    for c in out["channels"]:
        ch = c["name"]
        if ch not in bkg:
            continue
        found = [s for s in c["samples"] if s["name"] == sample]
        if not found or len(found[0]["data"]) != len(bkg[ch]):
            raise LikelihoodError(
                f"{where}: workspace channel {ch} has no {sample!r} sample with "
                f"{len(bkg[ch])} bins; rebuild workspace and grid together"
            )
        found[0]["data"] = list(bkg[ch])
        for m in found[0]["modifiers"]:
            if m["type"] == "shapesys":
                m["data"] = list(unc[ch])
    for o in out["observations"]:
        if o["name"] in bkg:
            o["data"] = list(bkg[o["name"]])
    return out
