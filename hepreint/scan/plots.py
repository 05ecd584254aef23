"""Plots of the scan maps (the ``[plots]`` extra): the limit map over a 2D grid with the excluded
contour where a theory σ is given, the A×ε map of one region, and for a one-parameter scan the
Brazil band of :mod:`hepreint.stats.bands`. Style, labels and saving are those of the other
limit plots (:mod:`hepreint.stats.plotstyle`); every plot carries the maps' caveats
(calibrated likelihood, surrogate networks, partial scan) as a footnote.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from hepreint.errors import HepreintError
from hepreint.scan.maps import caveats, grid_axes
from hepreint.stats.limit_points import LimitPoint, LimitScan
from hepreint.stats.plotstyle import llabel, pyplot, save

BANDS = ("-2sigma", "-1sigma", "median", "+1sigma", "+2sigma")


def read_theory_map(path: str | Path, names: list[str]) -> dict[tuple[float, ...], float]:
    """A theory σ (fb) per point. One parameter: the ``x``/``sigma_fb`` lists of plot-limits'
    ``--theory``; any: ``points: [{mX: 500, mS: 200, sigma_fb: 3.1}, ...]``."""
    import yaml

    p = Path(path)
    try:
        doc = yaml.safe_load(p.read_text(encoding="utf-8"))
    except OSError as exc:
        raise HepreintError(f"--theory {p}: cannot read ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        raise HepreintError(f"--theory {p}: not YAML ({str(exc).splitlines()[0]})") from None
    if isinstance(doc, dict) and "x" in doc and len(names) == 1:
        from hepreint.stats.limit_points import read_theory

        xs, ss, _ = read_theory(p)
        return {(x,): s for x, s in zip(xs, ss, strict=True)}
    items = doc.get("points") if isinstance(doc, dict) else None
    if not isinstance(items, list) or not items:
        raise HepreintError(
            f"--theory {p}: expected 'points:' [{{{', '.join(f'{n}: ...' for n in names)}, "
            "sigma_fb: ...}]" + (" or 'x' and 'sigma_fb' lists" if len(names) == 1 else "")
        )
    out = {}
    for i, it in enumerate(items):
        try:
            key = tuple(float(it[n]) for n in names)
            out[key] = float(it["sigma_fb"])
        except (KeyError, TypeError, ValueError):
            raise HepreintError(
                f"--theory {p}: points[{i}]: needs numbers {', '.join(names)} and sigma_fb"
            ) from None
    return out


def _footnote(fig: Any, doc: dict[str, Any]) -> None:
    note = caveats(doc)
    if note:
        fig.text(0.01, -0.02, f"hepreint: {note}", fontsize=8, ha="left", va="top", wrap=True)


def _edges(v: list[float]) -> np.ndarray:
    a = np.asarray(v, dtype=float)
    if len(a) == 1:
        return np.array(
            [a[0] - 0.5 * max(abs(a[0]), 1.0) * 0.2, a[0] + 0.5 * max(abs(a[0]), 1.0) * 0.2]
        )
    mid = 0.5 * (a[1:] + a[:-1])
    return np.concatenate([[a[0] - (mid[0] - a[0])], mid, [a[-1] + (a[-1] - mid[-1])]])


def _grid(doc: dict[str, Any], value: Any) -> tuple[list[float], list[float], np.ndarray]:
    xs, ys = grid_axes(doc)
    z = np.full((len(ys), len(xs)), np.nan)
    nx, ny = (p["name"] for p in doc["parameters"])
    for pt in doc["points"]:
        v = value(pt)
        if v is not None and math.isfinite(v):
            z[ys.index(float(pt["parameters"][ny])), xs.index(float(pt["parameters"][nx]))] = v
    return xs, ys, z


def _axis_label(p: dict[str, Any]) -> str:
    return f"{p['name']} [{p['unit']}]" if p.get("unit") else str(p["name"])


def _map(
    doc: dict[str, Any],
    z: np.ndarray,
    xs: list[float],
    ys: list[float],
    path: str | Path,
    zlabel: str,
    log: bool,
    title: str,
    contour: np.ndarray | None = None,
) -> Path:
    plt, mplhep = pyplot(path)
    from matplotlib.colors import LogNorm

    fig, ax = plt.subplots(figsize=(8.5, 6.5))
    masked = np.ma.masked_invalid(z)
    positive = z[np.isfinite(z) & (z > 0)]
    norm = LogNorm(positive.min(), positive.max()) if log and positive.size else None
    mesh = ax.pcolormesh(_edges(xs), _edges(ys), masked, norm=norm, cmap="viridis")
    fig.colorbar(mesh, ax=ax, label=zlabel)
    for j, y in enumerate(ys):
        for i, x in enumerate(xs):
            if np.isfinite(z[j, i]):
                ax.text(x, y, f"{z[j, i]:.3g}", ha="center", va="center", fontsize=7, color="w")
    if contour is not None and np.isfinite(contour).sum() >= 3 and len(xs) > 1 and len(ys) > 1:
        cs = ax.contour(xs, ys, np.ma.masked_invalid(contour), levels=[1.0], colors="tab:red",
                        linewidths=2)  # fmt: skip
        if cs.allsegs and any(len(s) for s in cs.allsegs[0]):
            ax.plot([], [], color="tab:red", lw=2, label="excluded (limit = theory)")
            ax.legend(loc="upper left", fontsize="small", frameon=False)
    px, py = doc["parameters"]
    ax.set_xlabel(_axis_label(px))
    ax.set_ylabel(_axis_label(py))
    label = (doc.get("limits") or {}).get("label") or ""
    left = llabel(label) if log and label else "simulation"  # log: a limit map
    mplhep.label.exp_label(exp="hepreint", llabel=left,
                           rlabel=f"{doc['analysis']['name']}: {title}", ax=ax)  # fmt: skip
    _footnote(fig, doc)
    return save(fig, plt, path)


def plot_limit_map(doc: dict[str, Any], path: str | Path, *, observed: bool = False,
                   theory: dict[tuple[float, ...], float] | None = None) -> Path:  # fmt: skip
    """The expected (median) or observed σ×BR limit over a 2D grid; with ``theory`` the contour
    where the limit equals the theory σ (inside it, limit < theory: excluded)."""
    if len(doc["parameters"]) != 2:
        raise HepreintError("a limit map needs a two-parameter grid; 1D scans get a Brazil band")

    def lim(pt: dict[str, Any]) -> float | None:
        lm = pt.get("limits") or {}
        v = (
            lm.get("xsec_limit_obs_fb")
            if observed
            else (lm.get("xsec_limit_exp_fb") or {}).get("median")
        )
        return None if v is None else float(v)

    xs, ys, z = _grid(doc, lim)
    ratio = None
    if theory is not None:
        names = [p["name"] for p in doc["parameters"]]

        def r(pt: dict[str, Any]) -> float | None:
            s = theory.get(tuple(float(pt["parameters"][n]) for n in names))
            v = lim(pt)
            return None if v is None or not s else v / s

        ratio = _grid(doc, r)[2]
    what = "observed" if observed else "expected"
    return _map(doc, z, xs, ys, path, f"{what} 95% CL limit on σ×BR [fb]", True, f"{what} limit",
                ratio)  # fmt: skip


def plot_efficiency_map(doc: dict[str, Any], region: str, path: str | Path) -> Path:
    """A×ε of ``region`` over the grid: a 2D map, or A×ε with its error vs the parameter."""
    if region not in doc["regions"]:
        raise HepreintError(
            f"--region {region}: not a region of the scan; it has {', '.join(doc['regions'])}"
        )

    def eff(pt: dict[str, Any]) -> float | None:
        e = (pt.get("efficiency") or {}).get(region)
        return None if not e or e["value"] is None else float(e["value"])

    if len(doc["parameters"]) == 2:
        xs, ys, z = _grid(doc, eff)
        return _map(doc, z, xs, ys, path, f"A×ε ({region})", False, f"A×ε {region}")
    plt, mplhep = pyplot(path)
    name = doc["parameters"][0]["name"]
    pts = sorted((float(p["parameters"][name]), p["efficiency"][region]) for p in doc["points"]
                 if (p.get("efficiency") or {}).get(region))  # fmt: skip
    fig, ax = plt.subplots(figsize=(8, 6))
    ax.errorbar([x for x, _ in pts], [e["value"] or 0 for _, e in pts],
                yerr=[e["stat"] or 0 for _, e in pts], fmt="o-", color="k")  # fmt: skip
    ax.set_xlabel(_axis_label(doc["parameters"][0]))
    ax.set_ylabel(f"A×ε ({region})")
    mplhep.label.exp_label(exp="hepreint", llabel="simulation", rlabel=doc["analysis"]["name"],
                           ax=ax)  # fmt: skip
    _footnote(fig, doc)
    return save(fig, plt, path)


def limit_scan(doc: dict[str, Any], *, mu: bool = False) -> LimitScan:
    """A one-parameter scan as the :class:`LimitScan` the Brazil-band plot draws."""
    p = doc["parameters"][0]
    key_o, key_e = ("mu_limit_obs", "mu_limit_exp") if mu else ("xsec_limit_obs_fb",
                                                                "xsec_limit_exp_fb")  # fmt: skip
    points = []
    for pt in doc["points"]:
        lm = pt.get("limits") or {}
        exp = lm.get(key_e) or {}
        if any(exp.get(b) is None for b in BANDS):
            continue
        obs = lm.get(key_o)
        points.append(LimitPoint(float(pt["parameters"][p["name"]]),
                                 None if obs is None else float(obs),
                                 [float(exp[b]) for b in BANDS], pt["directory"]))  # fmt: skip
    if not points:
        raise HepreintError("no point of the scan has a finite expected limit: no Brazil band")
    points.sort(key=lambda q: q.x)
    lim = doc.get("limits") or {}
    return LimitScan(doc["analysis"]["name"], p["name"], p.get("unit", ""), mu,
                     str(lim.get("label", "")), doc["analysis"].get("luminosity_fb"), points,
                     list(doc["warnings"]))  # fmt: skip


def plot_brazil(doc: dict[str, Any], path: str | Path,
                theory: dict[tuple[float, ...], float] | None = None) -> Path:  # fmt: skip
    """The Brazil band of a 1D scan (:func:`hepreint.stats.bands.plot_limit_bands`), with the
    maps' caveats as a footnote."""
    from hepreint.stats.bands import plot_limit_bands

    scan = limit_scan(doc)
    curve = None
    if theory:
        xs = sorted(k[0] for k in theory)
        curve = (xs, [theory[(x,)] for x in xs], "theory")
    note = caveats(doc)
    return plot_limit_bands(scan, path, curve, note=f"hepreint: {note}" if note else None)
