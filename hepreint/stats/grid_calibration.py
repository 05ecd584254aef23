"""Make a calibrated background grid: our own MC background at every mass point, scaled once so
that a published limit comes out, and checked on a published number the scale did not use.

Why a scale and nothing more: the background MC a reinterpretation can generate (Pythia 8
diphoton continuum and SM H -> yy) has the right dependence on the hypothesis through the
network and the mass windows, but not the right normalisation (no matrix-element yy+jets, no
fakes, no data-driven estimate). One published number fixes one factor k, common to every bin
and point; the per-point shape comes from the MC. Everything made from the grid is labelled
"calibrated approximation".
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from hepreint.errors import LikelihoodError
from hepreint.stats.background_grid import FLOOR, GRID_SCHEMA
from hepreint.stats.fit import build_model, upper_limit
from hepreint.stats.mapping import CALIBRATED_LABEL, LikelihoodSpec
from hepreint.stats.sidecar import META_SCHEMA
from hepreint.stats.signal import signal_yields, with_signal
from hepreint.stats.simplified import BuiltWorkspace, background_workspace
from hepreint.stats.template_model import solve_log_scale


@dataclass
class GridPoint:
    params: dict[str, float]
    #: one normalised results document per background sample, all at ``params``
    backgrounds: Sequence[dict[str, Any]]


def grid_document(
    spec: LikelihoodSpec,
    analysis: str,
    points: Sequence[GridPoint],
    *,
    relative_uncertainty: float,
    source: str,
    samples: list[dict[str, Any]] | None = None,
    choices: list[str] | None = None,
) -> dict[str, Any]:
    """The unscaled grid: per point and channel bin, the summed background yield, its MC
    statistical error in quadrature with ``relative_uncertainty`` x yield, the raw MC count."""
    if not points:
        raise LikelihoodError("background grid: no points given")
    names = sorted(points[0].params)
    out_points = []
    for p in points:
        bkg: dict[str, list[float]] = {}
        unc: dict[str, list[float]] = {}
        raw: dict[str, list[float]] = {}
        for cm in spec.channels:
            b, u, n = [], [], []
            for region in cm.regions:
                y = s2 = r = 0.0
                for doc in p.backgrounds:
                    if not (doc.get("normalisation") or {}).get("normalised"):
                        raise LikelihoodError(
                            "background grid: a background results file is not normalised "
                            "(give its cross-section: the generator's, or --xsec)"
                        )
                    reg = doc["regions"][region]
                    y += float(reg["yield"])
                    s2 += float(reg["yield_stat"]) ** 2
                    r += float(reg["raw"])
                y = max(y, 0.0)
                b.append(y)
                u.append(math.sqrt(s2 + (relative_uncertainty * y) ** 2))
                n.append(r)
            bkg[cm.channel], unc[cm.channel], raw[cm.channel] = b, u, n
        out_points.append({"params": {k: float(p.params[k]) for k in names},
                           "background": bkg, "uncertainty": unc, "mc_raw": raw})  # fmt: skip
    return {
        "schema": GRID_SCHEMA,
        "analysis": analysis,
        "kind": "calibrated",
        "label": CALIBRATED_LABEL,
        "source": source,
        "parameters": names,
        "channels": {cm.channel: {"bins": len(cm.regions), "regions": list(cm.regions)}
                     for cm in spec.channels},  # fmt: skip
        "points": out_points,
        "scale": 1.0,
        "relative_uncertainty": relative_uncertainty,
        "samples": samples or [],
        "choices": choices or [],
    }


def scaled(grid: dict[str, Any], k: float) -> dict[str, Any]:
    """The grid with every background and uncertainty multiplied by ``k`` (on top of its
    current scale)."""
    out = {**grid, "scale": grid.get("scale", 1.0) * k}
    out["points"] = [
        {**p, "background": {ch: [v * k for v in vs] for ch, vs in p["background"].items()},
         "uncertainty": {ch: [v * k for v in vs] for ch, vs in p["uncertainty"].items()}}
        for p in grid["points"]
    ]  # fmt: skip
    return out


def template_workspace(grid: dict[str, Any], where: str) -> BuiltWorkspace:
    """A background-only workspace with the grid's channels (background of its first point);
    the limits replace the background by the hypothesis' own (background_grid.py)."""
    first = grid["points"][0]
    chans = {
        ch: {"background": [max(v, FLOOR) for v in first["background"][ch]],
             "background_uncertainty": first["uncertainty"][ch],
             "observed": [max(v, FLOOR) for v in first["background"][ch]]}
        for ch in grid["channels"]
    }  # fmt: skip
    meta = {
        "schema": META_SCHEMA,
        "kind": "calibrated",
        "label": CALIBRATED_LABEL,
        "source": grid["source"],
        "observations": "background-only expectation at each mass point (no observed counts "
        "are published for these regions): observed limits equal the expected median",
        "model": f"one Poisson per bin, background per mass point from {where} (interpolated), "
        "its uncertainty as uncorrelated shapesys",
        "calibration": {
            "background_grid": where,
            "scale": float(grid.get("scale", 1.0)),
            **{k: v for k, v in (grid.get("calibration") or {}).items()
               if k in ("target", "crosschecks", "achieved", "command")},
        },
    }
    meta["calibration"].setdefault("target", {})
    meta["calibration"].setdefault("crosschecks", [])
    return BuiltWorkspace(background_workspace(chans), meta)


def expected_limit_fb(
    grid: dict[str, Any], spec: LikelihoodSpec, signal_doc: dict[str, Any], k: float = 1.0
) -> float:
    """The median expected 95 % CL limit on sigma (fb) at the signal's own mass point, with the
    grid's background there scaled by ``k``."""
    from hepreint.stats.background_grid import BackgroundGrid, background_at, with_background

    params = dict((signal_doc.get("analysis") or {}).get("parameters") or {})
    g = BackgroundGrid(spec.background_grid or spec.directory, list(grid["parameters"]),
                       {c: int(v["bins"]) for c, v in grid["channels"].items()},
                       grid["points"], grid)  # fmt: skip
    bkg, unc, _ = background_at(g, params)
    bkg = {c: [max(v * k, FLOOR) for v in vs] for c, vs in bkg.items()}
    unc = {c: [v * k for v in vs] for c, vs in unc.items()}
    built = template_workspace(grid, "grid")
    ws = with_background(built.workspace, bkg, unc, "background", "grid")
    sig = signal_yields(signal_doc, spec, "signal")
    if sig.xsec_fb is None:
        raise LikelihoodError("signal results are not normalised: run with --xsec")
    data: dict[str, list[float]] = {}
    stat: dict[str, list[float]] = {}
    for r in sig.regions:
        data.setdefault(r.channel, []).append(max(r.yield_, 0.0))
        stat.setdefault(r.channel, []).append(r.stat)
    # the observations are the background itself: expected = observed (background-only Asimov)
    model, obs = build_model(with_signal(ws, "signal", "mu", data, stat, "grid"), "meas", "mu")
    lim = upper_limit(obs, model, guess=1.0)
    return float(lim.expected[2]) * sig.xsec_fb


def solve_scale(
    grid: dict[str, Any],
    spec: LikelihoodSpec,
    signal_doc: dict[str, Any],
    target_fb: float,
    bracket: tuple[float, float] = (1e-4, 1e4),
) -> float:
    """The k for which the expected limit at the signal's point equals ``target_fb``."""
    return solve_log_scale(
        lambda k: expected_limit_fb(grid, spec, signal_doc, k),
        target_fb,
        bracket,
        "the expected limit",
        " fb",
    )
