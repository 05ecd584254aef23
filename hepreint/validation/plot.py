"""The cut-flow plot: ours against the published one, with a ratio panel and the tolerance band.

ATLAS-like style (mplhep) but labelled "hepreint": these are not ATLAS results. Regions with a
reference are drawn; without any reference our own cumulative efficiencies are drawn and the
plot says so, so that the output looks the same whether or not there was anything to compare.
Every binned region gets a panel of its own on its variable's axis (its bins, not a cut-flow),
and every panel of a figure has the same y scale: log as soon as one panel spans more than a
factor 20 (a linear panel beside a log one reads as a different kind of number).
matplotlib is imported here only (the optional ``[plots]`` extra).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from hepreint.validation.compare import NO_REF, Comparison, Row
from hepreint.validation.errors import ValidationError

MAX_CUTFLOWS = 4
MAX_BINNED = 2
#: above this ratio of the largest to the smallest positive value, every panel is log
LOG_RANGE = 20.0


def plot_comparison(c: Comparison, path: Path) -> Path:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        import mplhep
    except ImportError as exc:
        raise ValidationError(
            f"cannot write {path}: {exc.name} is not installed; pip install 'hepreint[plots]'"
        ) from None
    panels = _panels(c)
    values = [v for _, rows in panels for r in rows for v in (r.ours, r.published) if v]
    positive = [v for v in values if v > 0]
    log = bool(positive) and max(positive) / min(positive) > LOG_RANGE
    ylim = (min(positive) / 3, max(positive) * 8) if log else (0.0, max(values, default=1) * 1.4)
    plt.style.use(mplhep.style.ATLAS)
    fig, axes = plt.subplots(
        2,
        len(panels),
        figsize=(6.5 * len(panels), 6.5),
        squeeze=False,
        gridspec_kw={"height_ratios": [3, 1], "hspace": 0.05},
    )
    any_ref = bool(c.compared)
    for k, (title, rows) in enumerate(panels):
        ax, rax = axes[0][k], axes[1][k]
        if title in c.binned_parents:
            x, xerr, xlabel = _bin_axis(c, rows)
            _draw(ax, rax, rows, x, xerr, c, any_ref, log)
            rax.set_xlim(x[0] - xerr[0], x[-1] + xerr[-1])
            rax.set_xlabel(xlabel)
        else:
            x = [float(i) for i in range(len(rows))]
            _draw(ax, rax, rows, x, [0.0] * len(rows), c, any_ref, log)
            rax.set_xlim(-0.5, len(rows) - 0.5)
            rax.set_xticks(x)
            rax.set_xticklabels([r.step for r in rows], rotation=45, ha="right", fontsize="small")
        ax.set_xlim(rax.get_xlim())
        ax.set_ylim(*ylim)  # the same scale and range in every panel
        ax.tick_params(labelbottom=False)
        mplhep.label.exp_label(exp="hepreint", llabel="validation", rlabel=title, ax=ax)
    fig.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(fig)
    return path


def _panels(c: Comparison) -> list[tuple[str, list[Row]]]:
    """(title, rows) per panel: cut-flows of the regions with references (or, without any,
    of the regions that are not bins), then one panel per binned region with its bins' rows."""
    compared = [r.region for r in c.compared if r.region not in c.bins]
    seen = list(dict.fromkeys(r.region for r in c.rows if r.region not in c.bins))
    cutflows = list(dict.fromkeys(compared)) or seen
    out = [(name, [r for r in c.rows if r.region == name]) for name in cutflows[:MAX_CUTFLOWS]]
    for parent in c.binned_parents[:MAX_BINNED]:
        names = sorted((n for n, b in c.bins.items() if b["region"] == parent),
                       key=lambda n: c.bins[n]["index"])  # fmt: skip
        rows = [_last_row(c, n) for n in names]
        out.append((parent, [r for r in rows if r is not None]))
    return [(t, rows) for t, rows in out if rows] or [(c.rows[0].region, c.rows[:1])]


def _last_row(c: Comparison, region: str) -> Row | None:
    rows = [r for r in c.rows if r.region == region]
    return rows[-1] if rows else None


def _bin_axis(c: Comparison, rows: list[Row]) -> tuple[list[float], list[float], str]:
    """Bin centres and half-widths; an open last bin is drawn as wide as the one before."""
    bins = [c.bins[r.region] for r in rows]
    x, half = [], []
    for i, b in enumerate(bins):
        lo, hi = float(b["low"]), float(b["high"])
        if math.isinf(hi):
            width = (lo - float(bins[i - 1]["low"])) if i else max(abs(lo), 1.0)
            hi = lo + width
        x.append((lo + hi) / 2)
        half.append((hi - lo) / 2)
    var = bins[0]["variable"]
    unit = c.units.get(var)
    open_end = " (last bin: overflow)" if math.isinf(float(bins[-1]["high"])) else ""
    return x, half, f"{var} [{unit}]{open_end}" if unit else f"{var}{open_end}"


def _ylabel(c: Comparison, rows: list[Row]) -> str:
    quantity = {r.quantity for r in rows if r.status != NO_REF} or {rows[0].quantity}
    names = {
        "efficiency": "cumulative efficiency",
        "relative_efficiency": "efficiency w.r.t. previous step",
        "events": f"events at {c.luminosity_fb:g} fb$^{{-1}}$" if c.luminosity_fb else "events",
    }
    return " / ".join(names.get(q, q) for q in sorted(quantity))


def _draw(  # noqa: PLR0913
    ax: Any, rax: Any, rows: list[Row], x: list[float], xerr: list[float], c: Comparison,
    any_ref: bool, log: bool,
) -> None:  # fmt: skip
    ours = [r.ours if r.ours is not None else float("nan") for r in rows]
    ax.errorbar(x, ours, yerr=[r.ours_err or 0.0 for r in rows], xerr=xerr, fmt="o",
                color="black", label="hepreint (MC stat.)")  # fmt: skip
    ref = [(i, r) for i, r in enumerate(rows) if r.published is not None]
    if ref:
        ax.errorbar(
            [x[i] for i, _ in ref],
            [r.published for _, r in ref],
            yerr=[[r.published_down or 0 for _, r in ref], [r.published_up or 0 for _, r in ref]],
            fmt="s",
            mfc="none",
            color="tab:red",
            capsize=3,
            label="published",
        )
    else:
        ax.text(0.04, 0.9, "no published cut-flow" if not any_ref else "no reference here",
                transform=ax.transAxes, ha="left", color="tab:red")  # fmt: skip
    if log:
        ax.set_yscale("log")
    ax.set_ylabel(_ylabel(c, rows))
    ax.legend(loc="upper right", fontsize="small")
    if c.tolerance is not None:
        rax.axhspan(1 - c.tolerance, 1 + c.tolerance, color="tab:green", alpha=0.2)
    rax.axhline(1.0, color="grey", lw=1)
    rr = [(i, r) for i, r in ref if r.ratio is not None]
    if rr:
        err = [(r.ours_err or 0) / r.published if r.published else 0 for _, r in rr]
        rax.errorbar([x[i] for i, _ in rr], [r.ratio for _, r in rr], yerr=err, fmt="o",
                     color="black")  # fmt: skip
    ratios = [r.ratio for _, r in rr if r.ratio is not None]
    rax.set_ylim(min([0.5, *ratios]) * 0.95, min(max([1.5, *ratios]) * 1.05, 5.0))
    rax.set_ylabel("ours / pub.")
