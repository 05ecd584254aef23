"""MadAnalysis 5 output: cut-flow ``.saf`` files, the dataset file and ``CLs_output.dat``.

Layout mirrors MA5's ``Output/SAF/``, so MA5 tools (its recast module, ``ma5_expert``) and
scripts written for them read our directory as an MA5 run of one dataset::

    <out>/CLs_output_summary.dat
    <out>/<dataset>/<dataset>.saf                   (σ, events, Σw⁺/Σw⁻: hepreint.export.ma5_sample)
    <out>/<dataset>/CLs_output.dat
    <out>/<dataset>/<analysis>/Cutflows/<region>.saf
    <out>/<analysis>.info                           (nobs, nb, deltanb: MA5's PAD info file)

Cut-flows follow ``CounterManager::Write_TextFormat`` (``tools/SampleAnalyzer/Process/Counter/
CounterManager.cpp``), counters hold *raw* sums of weights split into positive- and negative-
weight columns (how exactly: :mod:`hepreint.export.ma5_sample`), and MA5's recast module
(``madanalysis/misc/run_recast.py`` ``read_cutflows``) takes N0 from ``<InitialCounter>`` and
Nf from the last ``<Counter>``, each the sum of both columns.

``CLs_output.dat`` follows ``write_cls_header``/``write_cls_output`` of ``run_recast.py``:
``sig95(exp)``/``sig95(obs)`` are cross-sections in pb, ``s95 / (L · 1000 · ε)`` with
ε = Nf/N0, s95 from ``--limits`` or else the model-independent limit of the region's counting
model (:mod:`hepreint.export.counting`, the ``nobs``/``nb``/``deltanb`` MA5 reads from its info
file); ``1-CLs`` is MA5's exclusion level ``1 − CLs_obs`` at the sample's σ in that counting
model (what ``extract_cls`` gets from spey's ``uncorrelated_background``; 0 for no signal);
``best?`` marks the region with the largest ``s / s95_exp``; the trailing column is MA5's
systematics column, ``0.0000000`` as MA5 writes it when no signal systematics are configured
(hepreint has none). Results without a cross-section get MA5's no-σ layout (no ``best?`` and
``1-CLs``). ``stat`` is the statistical error of ε from results (weighted binomial), not MA5's
``√(ε(1−ε)/(N0·L))``. Regions the likelihood does not map are left out of the CLs files (MA5
evaluates only regions of its info file); without a likelihood every region is listed with
``-1``, MA5's placeholder, where no number exists.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from hepreint.errors import HepreintError
from hepreint.export._common import check_limits, fnum, limit, partial_note, safe_name, sample_name
from hepreint.export.counting import Counting, counting, region_cls, region_s95
from hepreint.export.ma5_sample import (
    SAFCounter,
    SAFCutflow,
    dataset_saf,
    initial_counter,
    split,
    step_sign,
)
from hepreint.results.output import write_text

__all__ = ["SAFCounter", "SAFCutflow", "cls_output", "cls_summary", "cutflow_saf", "write_saf"]

_ALL_EVENTS = "all events"
_AUTO = object()
SPLIT_NOTE = (
    "the weights' positive/negative split is not recorded in the results: the net sums are in "
    "the column of their sign"
)


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


def cutflow_saf(
    region: dict[str, Any], doc: dict[str, Any], name: str = "", note: str | None = None
) -> str:
    """One region's cut-flow in MA5's text format (``name``: the region, for the exact sums)."""
    steps = list(region["cutflow"])
    exact = True
    if steps and steps[0]["step"] == _ALL_EVENTS:
        first = steps.pop(0)
        initial, exact = split(first["raw"], first["sumw"], first["sumw2"], step_sign(doc, name, 0))
        offset = 1
    else:  # a cut-flow without its "all events" row: the run's totals are the same thing
        initial, exact = initial_counter(doc)
        offset = 0
    body = ["<InitialCounter>", '"Initial number of events"      #', *_numbers(initial)]
    body += ["</InitialCounter>", ""]
    for i, s in enumerate(steps, start=1):
        c, ok = split(s["raw"], s["sumw"], s["sumw2"], step_sign(doc, name, i - 1 + offset))
        exact = exact and ok
        label = '"' + s["step"].replace('"', "'") + '"'
        # MA5 writes "st" after every number (CounterManager.cpp: i+1 << "st cut")
        body += ["<Counter>", f"{label:<32}# {i}st cut", *_numbers(c), "</Counter>", ""]
    head = ["<SAFheader>"]
    if note:
        head.append(f"# hepreint: {note}")
    if not exact:
        head.append(f"# hepreint: {SPLIT_NOTE}")
    lines = [*head, "</SAFheader>", "", *body, "<SAFfooter>", "</SAFfooter>"]
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
#: MA5's header when the dataset has no cross-section (``write_cls_header``, ``xs <= 0``)
_HEADER_NOXS = (
    "analysis name".ljust(28)
    + "signal region".ljust(60)
    + "sig95(exp)".ljust(15)
    + "sig95(obs)".ljust(10)
    + "        ||    "
    + "efficiency".ljust(15)
    + "stat".ljust(15)
)
_NO_SYST = f"{0:.7f}"  # MA5's syst column without configured systematics


def _efficiency(doc: dict[str, Any], reg: dict[str, Any]) -> float:
    first, last = reg["cutflow"][0], reg["cutflow"][-1]
    n0 = first["sumw"] if first["step"] == _ALL_EVENTS else doc["normalisation"]["sumw_all"]
    return last["sumw"] / n0 if n0 else 0.0


def _rows(doc: dict[str, Any], lim: dict[str, dict[str, float]], cnt: Counting | None) -> list[str]:
    ana = safe_name(doc["analysis"]["name"])
    norm = doc["normalisation"]
    lumi = float(norm["luminosity_fb"])
    with_xs = bool(norm.get("normalised"))
    names = [r for r in doc["regions"] if cnt is None or r in cnt.regions]
    info = []
    for name in names:
        reg = doc["regions"][name]
        eff = _efficiency(doc, reg)
        s95o, s95e = limit(lim, name, "s95_obs"), limit(lim, name, "s95_exp")
        c = cnt.regions[name] if cnt is not None else None
        if c is not None and (s95o is None or s95e is None):
            co, ce = region_s95(c)
            s95o = co if s95o is None else s95o
            s95e = ce if s95e is None else s95e
        s = float(reg["yield"])
        r_exp = limit(lim, name, "r_exp")
        if r_exp is None and s95e and s95e > 0:
            r_exp = s / s95e if s > 0 else -1.0  # MA5: rSR = -1 without signal
        cls = limit(lim, name, "cls_obs")
        if cls is None and c is not None and with_xs:
            cls = region_cls(s, c)[0] if s > 0 else 1.0  # 1 - CLs = 0, as MA5 writes it
        info.append((name, reg, eff, s95o, s95e, r_exp, cls))
    ranked = [r for r in info if r[5] is not None]
    best = max(ranked, key=lambda r: r[5])[0] if ranked else None  # type: ignore[arg-type,return-value]
    rows = []
    for name, reg, eff, s95o, s95e, _, cls in info:

        def sig95(s95: float | None, eff: float = eff) -> str:
            if s95 is None or s95 < 0 or eff <= 0 or lumi <= 0 or not math.isfinite(s95):
                return "-1"
            # MA5 formats "%20.7f" and then pads to 20, which glues a wide number to the next
            # column; a trailing space keeps every column whitespace-separated
            return f"{s95 / (lumi * 1000.0 * eff):.7f}".ljust(19) + " "

        stat = reg["cutflow"][-1].get("efficiency_stat") or 0.0
        tail = f"{max(eff, 0.0):.7f}".ljust(15) + f"{stat:.7f}".ljust(15)
        if not with_xs:
            rows.append(
                ana.ljust(30)
                + safe_name(name).ljust(60)
                + sig95(s95e).ljust(20)
                + sig95(s95o).ljust(20)
                + " ||    "
                + tail
            )
            continue
        rows.append(
            ana.ljust(30)
            + safe_name(name).ljust(60)
            + ("1" if name == best else "0").ljust(10)
            + sig95(s95e).ljust(20)
            + sig95(s95o).ljust(20)
            + ("-1" if cls is None else f"{1.0 - cls:.10f}").ljust(10)
            + "   ||    "
            + tail
            + _NO_SYST.ljust(15)
        )
    return rows


def _counts(doc: dict[str, Any], counts: Any) -> Counting | None:
    if counts is not _AUTO:
        return counts
    try:
        return counting(doc)
    except HepreintError:
        return None


def _comments(doc: dict[str, Any], cnt: Counting | None) -> list[str]:
    out = []
    if cnt is not None:
        out.append(f"# hepreint: {cnt.note}")
        left = sorted(set(doc["regions"]) - set(cnt.regions))
        if left:
            out.append(f"# hepreint: regions not in the likelihood, not listed: {', '.join(left)}")
    else:
        out.append(
            "# hepreint: no nobs/nb/deltanb (no analysis likelihood): sig95 and 1-CLs only "
            "from --limits, -1 otherwise"
        )
    return out


def _texts(doc: dict[str, Any], rows: list[str], cnt: Counting | None, ds: str) -> tuple[str, str]:
    head = _HEADER if doc["normalisation"].get("normalised") else _HEADER_NOXS
    per_dataset = "\n".join([*_comments(doc, cnt), "# " + head, *rows]) + "\n"
    summary = ["# dataset name".ljust(30) + head, *(ds.ljust(30) + row for row in rows)]
    return per_dataset, "\n".join(summary) + "\n\n"


def cls_output(doc: dict[str, Any], limits: dict | None = None, counts: Any = _AUTO) -> str:
    """MA5's per-dataset ``CLs_output.dat``."""
    cnt = _counts(doc, counts)
    return _texts(doc, _rows(doc, check_limits(limits), cnt), cnt, "")[0]


def cls_summary(
    doc: dict[str, Any], limits: dict | None = None, dataset: str | None = None, counts: Any = _AUTO
) -> str:
    """MA5's ``CLs_output_summary.dat`` (``collect_outputs``): the dataset's rows prefixed with
    its name, comment lines dropped, a blank line after each dataset."""
    cnt = _counts(doc, counts)
    ds = dataset or sample_name(doc)
    return _texts(doc, _rows(doc, check_limits(limits), cnt), cnt, ds)[1]


def info_xml(doc: dict[str, Any], cnt: Counting, note: str | None = None) -> str:
    """MA5's PAD info file ``<analysis>.info`` (read by ``run_recast.py`` ``header_info_file``):
    ``<analysis id>``, ``<lumi>`` in fb⁻¹ and per signal region ``nobs``, ``nb``, ``deltanb``.
    Our remarks are XML comments *before* the root: MA5 refuses any unknown element inside."""
    ana = safe_name(doc["analysis"]["name"])
    remarks = [note, cnt.note] if note else [cnt.note]
    lines = [f"<!-- hepreint: {r.replace('--', '-')} -->" for r in remarks]
    lines += [
        f'<analysis id="{ana}">',
        f"  <lumi>{fnum(doc['normalisation']['luminosity_fb'])}</lumi>",
    ]
    for name in (r for r in doc["regions"] if r in cnt.regions):
        c = cnt.regions[name]
        lines += [
            f'  <region type="signal" id="{safe_name(name)}">',
            f"    <nobs>{fnum(c.observed)}</nobs>",
            f"    <nb>{fnum(c.background)}</nb>",
            f"    <deltanb>{fnum(c.background_err)}</deltanb>",
            "  </region>",
        ]
    return "\n".join([*lines, "</analysis>"]) + "\n"


def write_saf(
    doc: dict[str, Any], outdir: str | Path, limits: dict | None = None, dataset: str | None = None
) -> list[Path]:
    out = Path(outdir)
    ds = dataset or sample_name(doc)
    cnt = _counts(doc, _AUTO)
    cut_dir = out / ds / safe_name(doc["analysis"]["name"]) / "Cutflows"
    note = partial_note(doc)
    head = f"# hepreint: {note}\n" if note else ""
    written = [write_text(out / ds / f"{ds}.saf", dataset_saf(doc, note))]
    for name, reg in doc["regions"].items():
        text = cutflow_saf(reg, doc, name, note)
        written.append(write_text(cut_dir / f"{safe_name(name)}.saf", text))
    if cnt is not None:
        ana = safe_name(doc["analysis"]["name"])
        written.append(write_text(out / f"{ana}.info", info_xml(doc, cnt, note)))
    per_dataset, summary = _texts(doc, _rows(doc, check_limits(limits), cnt), cnt, ds)
    written.append(write_text(out / ds / "CLs_output.dat", head + per_dataset))
    written.append(write_text(out / "CLs_output_summary.dat", head + summary))
    return written
