"""The cut-flow plot: ours against the published one, with a ratio panel and the tolerance band.

ATLAS-like style (mplhep) but labelled "hepreint": these are not ATLAS results. Regions with a
reference are drawn; without any reference our own cumulative efficiencies are drawn and the
plot says so, so that the output looks the same whether or not there was anything to compare.
matplotlib is imported here only (the optional ``[plots]`` extra).
"""

from __future__ import annotations

from pathlib import Path

from hepreint.validation.compare import NO_REF, Comparison, Row
from hepreint.validation.errors import ValidationError

MAX_PANELS = 4


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
    compared = [r.region for r in c.compared]
    regions = list(dict.fromkeys(compared)) or _own_regions(c)
    regions = regions[:MAX_PANELS]
    plt.style.use(mplhep.style.ATLAS)
    fig, axes = plt.subplots(
        2,
        len(regions),
        figsize=(6.5 * len(regions), 6.5),
        squeeze=False,
        sharex="col",
        gridspec_kw={"height_ratios": [3, 1], "hspace": 0.05},
    )
    for k, region in enumerate(regions):
        rows = [r for r in c.rows if r.region == region]
        _panel(axes[0][k], axes[1][k], rows, c.tolerance, bool(compared))
        mplhep.label.exp_label(exp="hepreint", llabel="validation", rlabel=region, ax=axes[0][k])
    fig.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(fig)
    return path


def _own_regions(c: Comparison) -> list[str]:
    """Without references: the regions that are not bins (their cut-flows say the most)."""
    seen = list(dict.fromkeys(r.region for r in c.rows))
    return [r for r in seen if r not in c.binned] or seen[:1]


def _panel(ax, rax, rows: list[Row], tolerance: float | None, any_ref: bool) -> None:  # noqa: ANN001
    x = list(range(len(rows)))
    quantity = {r.quantity for r in rows if r.status != NO_REF} or {rows[0].quantity}
    ours = [r.ours if r.ours is not None else float("nan") for r in rows]
    ax.errorbar(
        x,
        ours,
        yerr=[r.ours_err or 0.0 for r in rows],
        fmt="o",
        color="black",
        label="hepreint (MC stat.)",
    )
    ref = [(i, r) for i, r in enumerate(rows) if r.published is not None]
    if ref:
        ax.errorbar(
            [i for i, _ in ref],
            [r.published for _, r in ref],
            yerr=[[r.published_down or 0 for _, r in ref], [r.published_up or 0 for _, r in ref]],
            fmt="s",
            mfc="none",
            color="tab:red",
            capsize=3,
            label="published",
        )
    else:
        ax.text(
            0.5,
            0.5,
            "no published cut-flow" if not any_ref else "no reference here",
            transform=ax.transAxes,
            ha="center",
            color="tab:red",
        )
    low = min((v for v in ours if v and v > 0), default=1.0)
    if low < 0.05:  # cut-flows span decades; a linear axis would flatten the later steps
        ax.set_yscale("log")
    else:
        ax.set_ylim(0, None)
    ax.set_ylabel(" / ".join(sorted(quantity)))
    ax.legend(loc="upper right", fontsize="small")
    if tolerance is not None:
        rax.axhspan(1 - tolerance, 1 + tolerance, color="tab:green", alpha=0.2, label="tolerance")
    rax.axhline(1.0, color="grey", lw=1)
    rr = [(i, r) for i, r in ref if r.ratio is not None]
    if rr:
        err = [(r.ours_err or 0) / r.published if r.published else 0 for _, r in rr]
        rax.errorbar([i for i, _ in rr], [r.ratio for _, r in rr], yerr=err, fmt="o", color="black")
    ratios = [r.ratio for _, r in rr if r.ratio is not None]
    rax.set_ylim(min([0.5, *ratios]) * 0.95, min(max([1.5, *ratios]) * 1.05, 5.0))
    rax.set_xlim(-0.5, len(rows) - 0.5)
    rax.set_ylabel("ours / pub.")
    rax.set_xticks(x)
    rax.set_xticklabels([r.step for r in rows], rotation=45, ha="right", fontsize="small")
