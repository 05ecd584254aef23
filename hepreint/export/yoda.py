"""Cut-flows and region yields as a YODA text file, so Rivet users can plot and compare them.

Target: the YODA 1.x text format, block version 2 (``BEGIN YODA_HISTO1D_V2`` ...), which YODA
1.7-1.9 write and read and YODA 2 still reads; YODA 2's native ``_V3`` blocks (Estimate, string
axes) would shut out the Rivet 3 installations most reinterpretation set-ups still use. Columns
follow YODA's ``WriterYODA``; annotations are a YAML block ending in ``---`` and are written as
quoted YAML strings because titles contain ``:``.

What is written (``P`` = ``/<experiment>_<analysis>``, e.g. ``/ATLAS_ttHbb``):

* ``P/cutflow_<region>`` Histo1D, one unit-wide bin per cut step (bin i = [i, i+1)): sumw =
  yield, sumw2 = stat², numEntries = raw events; step names in ``XCustomMajorTicks`` so
  make-plots/rivet-mkhtml label the axis.
* ``P/yield_<region>`` Counter of the region's final yield; ``P/yield_<region>[<weight>]`` per
  weight variation, Rivet's multi-weight naming (nominal without brackets).
* ``P/<binned region>`` Histo1D over the binning variable for regions with ``bins:``; an
  open-ended last (first) bin becomes the overflow (underflow). Inside a bin sumwx is taken at
  the bin centre: results carry no per-event means.
* ``/_EVTCOUNT`` and, when normalised, ``/_XSEC`` (pb) as Rivet writes them.

Yields are expected events at the analysis luminosity (Σw when not normalised); the unit is in
each object's ``YieldUnit`` annotation.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from hepreint.engine.exact import to_float
from hepreint.export._common import comment_partial, fnum, safe_name
from hepreint.results.output import write_text


def prefix_of(doc: dict[str, Any]) -> str:
    a = doc["analysis"]
    return "/" + safe_name(f"{a.get('experiment', 'ATLAS')}_{a['name']}")


def _yaml_value(key: str, value: str) -> str:
    """Plain when YAML reads it back unchanged, else double-quoted: YODA parses the block as
    YAML and refuses the file on an error (titles hold ': '), while simpler readers take the
    text after ': ' literally, so quotes are used only where they are needed."""
    try:
        if value and yaml.safe_load(f"{key}: {value}") == {key: value}:
            return value
    except yaml.YAMLError:
        pass
    return json.dumps(value, ensure_ascii=False)


def _annotations(path: str, type_: str, extra: dict[str, str]) -> list[str]:
    items = {"Path": path, "Type": type_, **extra}
    return [*(f"{k}: {_yaml_value(k, v)}" for k, v in items.items()), "---"]


def _counter(path: str, sumw: float, sumw2: float, n: float, ann: dict[str, str]) -> str:
    lines = [f"BEGIN YODA_COUNTER_V2 {path}", *_annotations(path, "Counter", ann)]
    lines += ["# sumW\t sumW2\t numEntries", f"{fnum(sumw)}\t{fnum(sumw2)}\t{fnum(n)}"]
    return "\n".join([*lines, "END YODA_COUNTER_V2"])


@dataclass
class _Bin:
    low: float
    high: float
    sumw: float
    sumw2: float
    n: float

    def row(self, x: float) -> list[float]:
        # x: where the bin's entries sit; exact for unit cut-flow bins, the centre otherwise
        return [self.sumw, self.sumw2, x * self.sumw, x * x * self.sumw, self.n]


def _histo(path: str, bins: list[_Bin], under: _Bin | None, over: _Bin | None, ann: dict) -> str:
    def fmt(vals: list[float]) -> str:
        return "\t".join(fnum(v) for v in vals)

    zero = [0.0] * 5
    rows = [b.row(0.5 * (b.low + b.high)) for b in bins]
    urow = under.row(bins[0].low) if under else zero
    orow = over.row(bins[-1].high) if over else zero
    total = [sum(col) for col in zip(*rows, urow, orow, strict=True)]
    lines = [f"BEGIN YODA_HISTO1D_V2 {path}", *_annotations(path, "Histo1D", ann)]
    if total[0]:
        lines.append(f"# Mean: {fnum(total[2] / total[0])}")
    lines.append(f"# Area: {fnum(total[0])}")
    lines.append("# ID\t ID\t sumw\t sumw2\t sumwx\t sumwx2\t numEntries")
    lines.append(f"Total   \tTotal   \t{fmt(total)}")
    lines.append(f"Underflow\tUnderflow\t{fmt(urow)}")
    lines.append(f"Overflow\tOverflow\t{fmt(orow)}")
    lines.append("# xlow\t xhigh\t sumw\t sumw2\t sumwx\t sumwx2\t numEntries")
    lines += [f"{fnum(b.low)}\t{fnum(b.high)}\t{fmt(r)}" for b, r in zip(bins, rows, strict=True)]
    return "\n".join([*lines, "END YODA_HISTO1D_V2"])


def _scatter1d(path: str, x: float, err: float, ann: dict[str, str]) -> str:
    lines = [f"BEGIN YODA_SCATTER1D_V2 {path}", *_annotations(path, "Scatter1D", ann)]
    lines += ["# xval\t xerr-\t xerr+", f"{fnum(x)}\t{fnum(err)}\t{fnum(err)}"]
    return "\n".join([*lines, "END YODA_SCATTER1D_V2"])


def _variation_sumw2(doc: dict[str, Any], region: str, k: int) -> float | None:
    """Σw² of weight column k at the region's last step, from the exact sums (if present)."""
    try:
        row = doc["exact"]["regions"][region]["sumw2"][-1]
        return to_float(int(row[k], 16))
    except (KeyError, IndexError, TypeError, ValueError):
        return None


def to_yoda(doc: dict[str, Any], prefix: str | None = None) -> str:
    """The whole results document as YODA text (objects in a stable order)."""
    pre = (prefix or prefix_of(doc)).rstrip("/")
    norm = doc["normalisation"]
    unit = (
        f"events at {norm['luminosity_fb']:g} fb^-1"
        if norm["normalised"]
        else "sum of weights (unnormalised)"
    )
    f = float(norm["factor"])
    weights = list(doc["weight_names"])
    blocks: list[str] = []
    binned: dict[str, list[tuple[dict, dict]]] = {}
    for name, reg in doc["regions"].items():
        steps = reg["cutflow"]
        labels = [s["step"] for s in steps]
        ticks = "\t".join(f"{i + 0.5:g}\t{label}" for i, label in enumerate(labels))
        ann = {
            "Title": reg.get("description") or name,
            "XLabel": "cut step",
            "YLabel": unit,
            "YieldUnit": unit,
            "XCustomMajorTicks": ticks,
        }
        bins = [
            _Bin(i, i + 1, s["yield"], s["yield_stat"] ** 2, s["raw"]) for i, s in enumerate(steps)
        ]
        blocks.append(_histo(f"{pre}/cutflow_{safe_name(name)}", bins, None, None, ann))
        yann = {"Title": reg.get("description") or name, "YieldUnit": unit}
        ypath = f"{pre}/yield_{safe_name(name)}"
        blocks.append(_counter(ypath, reg["yield"], reg["yield_stat"] ** 2, reg["raw"], yann))
        for k, wname in enumerate(weights[1:], start=1):
            if wname not in reg["variations"]:
                continue
            s2 = _variation_sumw2(doc, name, k)
            s2 = s2 * f * f if s2 is not None else math.nan
            vann = {**yann, "WeightName": wname}
            path = f"{ypath}[{safe_name(wname)}]"
            blocks.append(_counter(path, reg["variations"][wname], s2, reg["raw"], vann))
        if reg.get("bin"):
            binned.setdefault(reg["bin"]["region"], []).append((reg["bin"], reg))
    for group, members in binned.items():
        members.sort(key=lambda m: m[0]["index"])
        inner, under, over = [], None, None
        for b, reg in members:
            low = -math.inf if b.get("low") is None else b["low"]  # null: an open edge
            high = math.inf if b.get("high") is None else b["high"]
            bb = _Bin(low, high, reg["yield"], reg["yield_stat"] ** 2, reg["raw"])
            if math.isinf(high):
                over = bb
            elif math.isinf(low):
                under = bb
            else:
                inner.append(bb)
        if not inner:
            continue
        var = members[0][0].get("variable", "x")
        ann = {"Title": group, "XLabel": var, "YLabel": unit, "YieldUnit": unit}
        blocks.append(_histo(f"{pre}/{safe_name(group)}", inner, under, over, ann))
    ex = doc.get("exact", {})
    sumw2_all = to_float(int(ex["sumw2_all"][0], 16)) if ex.get("sumw2_all") else math.nan
    blocks.append(
        _counter("/_EVTCOUNT", norm["sumw_all"], sumw2_all, norm["n_events"], {"Title": ""})
    )
    if norm["normalised"] and norm.get("xsec_pb") is not None:
        err = norm.get("xsec_err_pb") or 0.0
        blocks.append(_scatter1d("/_XSEC", norm["xsec_pb"], err, {"Title": ""}))
    return "\n\n".join(blocks) + "\n"


def write_yoda(doc: dict[str, Any], outdir: str | Path, prefix: str | None = None) -> list[Path]:
    path = Path(outdir) / f"{safe_name(doc['analysis']['name'])}.yoda"
    return [write_text(path, comment_partial(doc, to_yoda(doc, prefix)))]


# --- reading back -------------------------------------------------------------------------------
