"""The Brazil-band plot: upper limits against an analysis parameter, with the ±1σ/±2σ bands.

Draws what :func:`hepreint.stats.limit_points.read_limit_points` read, with the signal
hypothesis (μ = 1) or a theory curve over it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from hepreint.stats.limit_points import LimitScan
from hepreint.stats.plotstyle import GREEN, YELLOW, llabel, pyplot, save


def plot_limit_bands(
    scan: LimitScan,
    path: str | Path,
    theory: tuple[list[float], list[float], str] | None = None,
    note: str | None = None,
) -> Path:
    """Draw the Brazil band of ``scan`` (with ``theory``: x, σ in fb, label) to ``path``;
    ``note``: a footnote under the plot (e.g. a scan's caveats)."""
    plt, mplhep = pyplot(path)
    x = np.array([pt.x for pt in scan.points])
    e = np.array([pt.expected for pt in scan.points])
    fig, ax = plt.subplots(figsize=(8, 6.5))
    ax.fill_between(x, e[:, 0], e[:, 4], color=YELLOW, lw=0, label=r"expected $\pm 2\sigma$")
    ax.fill_between(x, e[:, 1], e[:, 3], color=GREEN, lw=0, label=r"expected $\pm 1\sigma$")
    ax.plot(x, e[:, 2], "k--", lw=1.5, marker="" if len(x) > 1 else "o", label="expected (median)")
    obs = [(pt.x, pt.observed) for pt in scan.points if pt.observed is not None]
    if obs:
        ax.plot(*zip(*obs, strict=True), "k-", lw=2, marker="o", ms=5, label="observed")
    values = [*e.ravel(), *(v for _, v in obs)]
    if scan.mu:
        ax.axhline(1.0, color="tab:red", lw=1.5, label=r"signal hypothesis ($\mu$ = 1)")
        values.append(1.0)
    elif theory is not None:
        tx, ts, tlabel = theory
        ax.plot(tx, ts, color="tab:red", lw=2, label=tlabel)
        values += ts
    positive = [v for v in values if v > 0]
    if positive and max(positive) / min(positive) > 20:
        ax.set_yscale("log")
        ax.set_ylim(min(positive) / 3, max(positive) * 30)
    else:
        ax.set_ylim(0, max(values) * 1.6)
    unit = f" [{scan.unit}]" if scan.unit else ""
    ax.set_xlabel(f"{scan.param}{unit}")
    ax.set_ylabel(
        r"95% CL upper limit on $\mu$" if scan.mu else r"95% CL upper limit on $\sigma$ [fb]"
    )
    if len(x) > 1:
        ax.set_xlim(x[0], x[-1])
    ax.legend(loc="upper right", fontsize="small", frameon=False)
    lumi = f", {scan.luminosity_fb:g} fb$^{{-1}}$" if scan.luminosity_fb else ""
    mplhep.label.exp_label(
        exp="hepreint", llabel=llabel(scan.label), rlabel=f"{scan.analysis}{lumi}", ax=ax
    )
    if note:
        fig.text(0.01, -0.02, note, fontsize=8, ha="left", va="top", wrap=True)
    return save(fig, plt, path)
