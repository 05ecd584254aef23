"""MadAnalysis 5 cut-flow files (``<region>.saf``) and a ``CLs_output_summary.dat``.

Layout mirrors MA5's ``Output/SAF/``, so MA5 tools (its recast module, ``ma5_expert``) and
scripts written for them read our directory as an MA5 run of one dataset::

    <out>/CLs_output_summary.dat
    <out>/<dataset>/CLs_output.dat
    <out>/<dataset>/<analysis>/Cutflows/<region>.saf

Counters hold *raw* sums of weights, as MA5 writes them: MA5 normalises a region itself with
``σ·L·Σw(last cut)/Σw(initial)``. MA5 splits every counter into positive- and negative-weight
columns; results keep only the net sums, so the net value goes to the column of its sign and
the other column is 0 (totals, which is what MA5 adds up, are exact).

The summary's ``sig95`` columns are cross-sections in pb, as in MA5: a limit on signal events
``s95`` becomes ``s95 / (L · 1000 · ε)`` with ε = Σw(region)/Σw(all). ``1-CLs`` is MA5's
exclusion column (1 − observed CLs); ``best?`` marks the region with the largest expected r
(MA5's choice). Missing limits are written ``-1``, MA5's own placeholder. ``stat`` is the
statistical error of ε from results (weighted binomial), not MA5's approximation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hepreint.export._common import (
    check_limits,
    fnum,
    limit,
    partial_note,
    safe_name,
    sample_name,
)
from hepreint.results.output import write_text

_ALL_EVENTS = "all events"


@dataclass
class SAFCounter:
    name: str
    nentries: tuple[int, int]
    sumw: tuple[float, float]
    sumw2: tuple[float, float]

    @property
    def total_sumw(self) -> float:
        return self.sumw[0] + self.sumw[1]


@dataclass
class SAFCutflow:
    initial: SAFCounter
    counters: list[SAFCounter]


def _split(raw: int, sumw: float, sumw2: float) -> SAFCounter:
    if sumw < 0:
        return SAFCounter("", (0, raw), (0.0, sumw), (0.0, sumw2))
    return SAFCounter("", (raw, 0), (sumw, 0.0), (sumw2, 0.0))


def _numbers(c: SAFCounter) -> list[str]:
    def pair(a: Any, b: Any, what: str) -> str:
        fa = str(a) if isinstance(a, int) else fnum(a)
        fb = str(b) if isinstance(b, int) else fnum(b)
        return f"{fa:<15} {fb:<15} # {what}"

    return [
        pair(*c.nentries, "nentries"),
        pair(*c.sumw, "sum of weights"),
        pair(*c.sumw2, "sum of weights^2"),
    ]


def cutflow_saf(region: dict[str, Any], norm: dict[str, Any]) -> str:
    """One region's cut-flow in MA5's text format."""
    steps = list(region["cutflow"])
    if steps and steps[0]["step"] == _ALL_EVENTS:
        first = steps.pop(0)
        initial = _split(first["raw"], first["sumw"], first["sumw2"])
    else:  # a cut-flow without its "all events" row: the run's totals are the same thing
        initial = _split(norm["n_events"], norm["sumw_all"], math.nan)
    lines = ["<SAFheader>", "</SAFheader>", "", "<InitialCounter>"]
    lines += ['"Initial number of events"      #', *_numbers(initial), "</InitialCounter>", ""]
    for i, s in enumerate(steps, start=1):
        name = '"' + s["step"].replace('"', "'") + '"'
        lines += ["<Counter>", f"{name:<32}# {_ordinal(i)} cut"]
        lines += [*_numbers(_split(s["raw"], s["sumw"], s["sumw2"])), "</Counter>", ""]
    lines += ["<SAFfooter>", "</SAFfooter>"]
    return "\n".join(lines) + "\n"


_HEADER = (
    "analysis name".ljust(28)
    + "signal region".ljust(60)
    + "best?".ljust(10)
    + "sig95(exp)".ljust(20)
    + "sig95(obs)".ljust(20)
    + "1-CLs".ljust(10)
    + "     ||    "
    + "efficiency".ljust(15)
    + "stat".ljust(15)
)


def _rows(doc: dict[str, Any], lim: dict[str, dict[str, float]]) -> list[str]:
    ana = safe_name(doc["analysis"]["name"])
    lumi = float(doc["normalisation"]["luminosity_fb"])
    info = []
    for name, reg in doc["regions"].items():
        first, last = reg["cutflow"][0], reg["cutflow"][-1]
        n0 = first["sumw"] if first["step"] == _ALL_EVENTS else doc["normalisation"]["sumw_all"]
        eff = last["sumw"] / n0 if n0 else 0.0
        r_exp = limit(lim, name, "r_exp")
        s95e = limit(lim, name, "s95_exp")
        if r_exp is None and s95e and s95e > 0:
            r_exp = reg["yield"] / s95e
        info.append((name, reg, eff, r_exp))
    ranked = [r for r in info if r[3] is not None]
    best = max(ranked, key=lambda r: r[3])[0] if ranked else None  # type: ignore[arg-type,return-value]
    rows = []
    for name, reg, eff, _ in info:

        def sig95(key: str, eff: float = eff, name: str = name) -> str:
            s95 = limit(lim, name, key)
            if s95 is None or s95 < 0 or eff <= 0 or lumi <= 0:
                return "-1"
            return f"{s95 / (lumi * 1000.0 * eff):.7f}"

        cls = limit(lim, name, "cls_obs")
        stat = reg["cutflow"][-1].get("efficiency_stat") or 0.0
        rows.append(
            ana.ljust(30)
            + safe_name(name).ljust(60)
            + ("1" if name == best else "0").ljust(10)
            + sig95("s95_exp").ljust(20)
            + sig95("s95_obs").ljust(20)
            + ("-1" if cls is None else f"{1.0 - cls:.10f}").ljust(10)
            + "   ||    "
            + f"{max(eff, 0.0):.7f}".ljust(15)
            + f"{stat:.7f}".ljust(15)
        )
    return rows


def cls_output(doc: dict[str, Any], limits: dict | None = None) -> str:
    """MA5's per-dataset ``CLs_output.dat``."""
    lim = check_limits(limits)
    return "\n".join(["# " + _HEADER, *_rows(doc, lim)]) + "\n"


def cls_summary(doc: dict[str, Any], limits: dict | None = None, dataset: str | None = None) -> str:
    """MA5's ``CLs_output_summary.dat``: the per-dataset lines prefixed with the dataset name."""
    lim = check_limits(limits)
    ds = dataset or sample_name(doc)
    lines = ["# dataset name".ljust(30) + _HEADER]
    lines += [ds.ljust(30) + row for row in _rows(doc, lim)]
    return "\n".join(lines) + "\n\n"


def write_saf(
    doc: dict[str, Any], outdir: str | Path, limits: dict | None = None, dataset: str | None = None
) -> list[Path]:
    out = Path(outdir)
    ds = dataset or sample_name(doc)
    cut_dir = out / ds / safe_name(doc["analysis"]["name"]) / "Cutflows"
    note = partial_note(doc)
    head = f"# hepreint: {note}\n" if note else ""
    written = []
    for name, reg in doc["regions"].items():
        text = cutflow_saf(reg, doc["normalisation"])
        if note:  # inside the header block, where MA5 keeps its own remarks
            text = text.replace("<SAFheader>\n", f"<SAFheader>\n{head}", 1)
        written.append(write_text(cut_dir / f"{safe_name(name)}.saf", text))
    written.append(write_text(out / ds / "CLs_output.dat", head + cls_output(doc, limits)))
    summary = head + cls_summary(doc, limits, ds)
    written.append(write_text(out / "CLs_output_summary.dat", summary))
    return written


# --- reading back -------------------------------------------------------------------------------


def _ordinal(i: int) -> str:
    """1st, 2nd, 3rd, 4th, ..., 11th, 12th, 13th, 21st (MadAnalysis5 writes English ordinals)."""
    suffix = "th" if 10 <= i % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(i % 10, "th")
    return f"{i}{suffix}"
