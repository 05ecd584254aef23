"""Results as scikit-hep objects: ``hist`` histograms and a tidy table (pandas when installed).

Why here and not in the exports: these are for a user's own Python session (plotting with
``mplhep``, fitting, comparing runs), so they keep every number the results hold and follow
scikit-hep's conventions rather than another tool's file format:

* a cut-flow is a ``Hist`` with a ``StrCategory`` axis of the step names;
* a binned region is ONE ``Hist`` on a ``Variable`` axis with the region's edges (an open last
  bin, ``overflow: true``, is the axis' overflow bin), not ``_bin0 … _binN`` names;
* the storage is ``Weight``: value = f·Σw and variance = f²·Σw², f the normalisation factor
  (σ·L/Σw(all), 1 when unnormalised). Those are the sums hist itself would fill, so hists of
  split runs add correctly; the binomial ``yield_stat`` of the results (zero at "all events",
  since σ is taken as known) is a different error and stays in the table.
"""

from __future__ import annotations

import math
from typing import Any

import hist
import numpy as np

from hepreint.errors import HepreintError

#: a :class:`hepreint.results.document.Results` (not imported: it imports this module)
Results = Any


def weight_index(res: Results, weight: str | int) -> int:
    """The column of ``weight`` (a name of the file's weights, or its position)."""
    names = list(res.yields.weight_names)
    if isinstance(weight, int) and not isinstance(weight, bool):
        if not -len(names) <= weight < len(names):
            raise HepreintError(
                f"weight {weight} out of range: the results hold {len(names)} weight(s); "
                "give a position below that or a name from results.yields.weight_names"
            )
        return weight % len(names)
    if weight not in names:
        shown = ", ".join(repr(n) for n in names[:8]) + (" ..." if len(names) > 8 else "")
        raise HepreintError(f"no weight named {weight!r} in the results; the names are {shown}")
    return names.index(weight)


def _label(res: Results) -> str:
    return f"events at {res.lumi_fb:g} fb⁻¹" if res.normalised else "Σw (unnormalised)"


def _fill(h: hist.Hist, values: np.ndarray, variances: np.ndarray, flow: bool) -> hist.Hist:
    view: Any = h.view(flow=flow)  # a WeightedSumView (numpy's stubs do not know its fields)
    view.value = values
    view.variance = variances
    return h


def cutflow_hist(res: Results, region: str, weight: int) -> hist.Hist:
    """The cut-flow of ``region`` (a binned region: its steps before the bin condition)."""
    first = f"{region}_bin0"
    ry = res.yields.regions[first if first in res.yields.regions else region]
    n_steps = len(ry.steps) - (first in res.yields.regions)
    f = res.factor
    sw = ry.sumw_float()[:n_steps, weight]
    sw2 = ry.sumw2_float()[:n_steps, weight]
    h = hist.Hist(
        hist.axis.StrCategory(
            list(ry.steps[:n_steps]), name="step", label="cut step", overflow=False
        ),
        storage=hist.storage.Weight(),
        label=_label(res),
        name=f"cutflow_{region}",
    )
    return _fill(h, sw * f, sw2 * f * f, False)


def binned_hist(res: Results, region: str, weight: int) -> hist.Hist:
    """The yields of a binned region's last step on one ``Variable`` axis of its edges."""
    bins = sorted(
        (r.bin for r in res.analysis.regions if r.bin and r.bin["region"] == region),
        key=lambda b: b["index"],
    )
    if not bins:
        raise HepreintError(f"region {region!r} has no bins (not a binned region)")
    # an open last bin (overflow: true) is the axis' overflow bin, as hist users expect it;
    # only a region whose one bin is open keeps an infinite edge
    open_end = math.isinf(bins[-1]["high"]) and len(bins) > 1
    closed = bins[:-1] if open_end else bins
    edges = [b["low"] for b in closed] + [closed[-1]["high"]]
    variable = bins[0]["variable"]
    f = res.factor
    sw, sw2 = [], []
    for b in bins:
        ry = res.yields.regions[f"{region}_bin{b['index']}"]
        sw.append(ry.sumw_float()[-1, weight])
        sw2.append(ry.sumw2_float()[-1, weight])
    h = hist.Hist(
        hist.axis.Variable(edges, name=variable, label=variable, underflow=False,
                           overflow=open_end),
        storage=hist.storage.Weight(),
        label=_label(res),
        name=region,
    )  # fmt: skip
    return _fill(h, np.asarray(sw) * f, np.asarray(sw2) * f * f, open_end)


def to_hist(res: Results, weight: str | int = 0) -> dict[str, hist.Hist]:
    """``cutflow_<region>`` for every region and ``<region>`` for every binned one."""
    k = weight_index(res, weight)
    out: dict[str, hist.Hist] = {}
    binned: list[str] = []
    for r in res.analysis.regions:
        if r.bin is None:
            out[f"cutflow_{r.name}"] = cutflow_hist(res, r.name, k)
        elif r.bin["index"] == 0:
            binned.append(r.bin["region"])
            out[f"cutflow_{r.bin['region']}"] = cutflow_hist(res, r.bin["region"], k)
    for region in binned:
        out[region] = binned_hist(res, region, k)
    return out


def to_table(res: Results, variations: bool = False) -> list[dict[str, Any]]:
    """One row per region, cut step (and weight, with ``variations``): a tidy table.

    A binned region's bins are the rows of its last step, with ``bin_low``/``bin_high`` set
    and ``region`` the binned region's name (not ``<region>_bin<i>``).
    """
    names = list(res.yields.weight_names)
    columns = range(len(names)) if variations else range(1)
    f = res.factor
    rows: list[dict[str, Any]] = []
    for r in res.analysis.regions:
        ry = res.yields.regions[r.name]
        sw, sw2 = ry.sumw_float(), ry.sumw2_float()
        region = r.bin["region"] if r.bin else r.name
        for i, step in enumerate(ry.steps):
            in_bin = r.bin is not None and i == len(ry.steps) - 1
            if r.bin is not None and not in_bin and r.bin["index"] > 0:
                continue  # the shared steps are listed once, with bin 0
            for k in columns:
                rows.append(
                    {
                        "region": region,
                        "step_index": i,
                        "step": step,
                        "bin_low": r.bin["low"] if in_bin and r.bin else None,
                        "bin_high": r.bin["high"] if in_bin and r.bin else None,
                        "weight": names[k],
                        "raw": ry.n[i],
                        "sumw": float(sw[i, k]),
                        "sumw2": float(sw2[i, k]),
                        "yield": float(sw[i, k] * f),
                        "yield_stat": res.yield_stat(float(sw[i, k]), float(sw2[i, k])),
                        "efficiency": float(sw[i, k] / res.sumw_all) if res.sumw_all else None,
                    }
                )
    return rows


def to_pandas(res: Results, variations: bool = False) -> Any:
    """:func:`to_table` as a ``pandas.DataFrame`` (pandas is not a dependency of hepreint)."""
    try:
        import pandas as pd
    except ImportError:
        raise HepreintError(
            "Results.to_pandas needs pandas, which hepreint does not install: "
            "pip install pandas (or use Results.to_table(), a list of rows)"
        ) from None
    return pd.DataFrame(to_table(res, variations))
