"""Cut-flows and region yields as a YODA text file laid out as Rivet 3 writes its own output.

Target: YODA 1.x text, block version 2 (``BEGIN YODA_HISTO1D_V2``, ``YODA_COUNTER_V2``,
``YODA_SCATTER1D_V2``), which YODA 1.7-1.9 (Rivet 3) write and read and YODA 2 still reads;
YODA 2's own ``_V3`` blocks would shut out the Rivet 3 installations most reinterpretation
set-ups still use. Columns follow YODA's ``WriterYODA``; annotations are a YAML block ending in
``---``. What the reader accepts follows YODA's ``src/ReaderYODA.cc``: the path is the third
whitespace-separated word of the ``BEGIN`` line (so a path has no blank), and a line holding
``BEGIN `` or ``END `` anywhere, even inside the annotations, opens or closes a block.

Layout, as Rivet 3.1's ``AnalysisHandler::getYodaAOs`` (``src/Core/AnalysisHandler.cc``) and its
multi-weight wrapper (``src/Tools/RivetYODA.cc``) write it, ``P`` = ``/<experiment>_<analysis>``:

* every object once per weight: the nominal without a suffix, each variation as
  ``path[<name>]`` with the generator's weight name as it is (Rivet strips nothing; only
  blanks and brackets, which the BEGIN line and Rivet's path parser cannot carry, become
  ``_``, the name itself is then in the ``WeightName`` annotation); nominal first;
* first the *finalized* objects (yields: Σw·σ·L/Σw(all events), expected events at the analysis
  luminosity), then the same objects unscaled under ``/RAW/`` (Σw and Σw² of the event weights);
* ``/_EVTCOUNT[w]`` (Counter: Σw, Σw², events read, before any cut) and ``/_XSEC[w]``
  (Scatter1D: σ ± δσ in pb), both also under ``/RAW/``. Without a cross-section nothing is
  normalised: the finalized objects equal the raw ones and no ``/_XSEC`` is written (Rivet would
  write a made-up 0 or 1e-10 pb).

Objects: ``P/cutflow_<region>`` Histo1D, one unit-wide bin per cut step (bin i = [i, i+1),
step names in ``XCustomMajorTicks`` for make-plots), ``P/yield_<region>`` Counter of the last
step, ``P/<region>`` Histo1D for regions with ``bins:`` (an open last/first bin becomes the
overflow/underflow; inside a bin sumwx is taken at the bin centre: results carry no per-event
means).

Merging. The finalized objects carry ``ScaledBy`` (the factor σ·L/Σw(all), as YODA's
``scaleW`` records it), which is what ``yodamerge`` reads: it un-scales, adds and re-scales by
1/Σ(1/ScaledBy), which is right for statistically independent runs of one process with one σ.
Different processes are stacked with ``yodamerge --add`` (finalized yields add). Raw objects
add as they are. Weight variations are normalised with the nominal Σw(all) and σ, as in
results.json (a variation that changes the total rate shows in its yields); ``/_XSEC[w]``
therefore repeats the nominal σ. The finalized Σw² is the raw Σw² times ScaledBy², as
``scaleW`` makes it; hepreint's own tables quote the binomial error of σ·L·ε instead.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from hepreint.engine.exact import to_float
from hepreint.errors import HepreintError
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


def _annotation_text(value: str) -> str:
    """YODA ends a block at any line holding ``END `` and refuses one holding ``BEGIN ``
    (ReaderYODA looks for them anywhere in the line), so such words in titles lose the blank."""
    return re.sub(r"\b(BEGIN|END) ", r"\1_", value)


def _annotations(path: str, type_: str, extra: dict[str, Any]) -> list[str]:
    """Numbers (``ScaledBy``) plain, so that YODA's ``annotation<double>`` reads them."""
    items = {"Path": path, "Type": type_, **extra}
    return [
        f"{k}: {fnum(v) if isinstance(v, float) else _yaml_value(k, _annotation_text(v))}"
        for k, v in items.items()
    ] + ["---"]


def weight_suffixes(names: list[str]) -> list[str]:
    """Rivet's path suffix per weight: none for the nominal (column 0), ``[name]`` otherwise.

    The name is kept as the generator wrote it; blanks (the BEGIN line is split at them) and
    ``[``/``]`` (Rivet's AOPath takes the text after the last ``[``) become ``_``; two names
    that then collide get ``#<column>`` so that no object is silently overwritten.
    """
    out, seen = [""], {""}
    for k, name in enumerate(names[1:], start=1):
        tag = re.sub(r"[\s\[\]]", "_", name) or f"w{k}"
        if tag in seen:
            tag = f"{tag}#{k}"
        seen.add(tag)
        out.append(f"[{tag}]")
    return out


@dataclass
class _Sums:
    """Σw, Σw² and entries of one bin, one weight, before any scaling."""

    sumw: float
    sumw2: float
    n: float

    def scaled(self, f: float) -> _Sums:
        return _Sums(self.sumw * f, self.sumw2 * f * f, self.n)


@dataclass
class _Bin:
    low: float
    high: float
    sums: _Sums

    def row(self, x: float, f: float) -> list[float]:
        # x: where the bin's entries sit; exact for unit cut-flow bins, the centre otherwise
        s = self.sums.scaled(f)
        return [s.sumw, s.sumw2, x * s.sumw, x * x * s.sumw, s.n]


def _counter(path: str, s: _Sums, ann: dict[str, str]) -> str:
    lines = [f"BEGIN YODA_COUNTER_V2 {path}", *_annotations(path, "Counter", ann)]
    lines += ["# sumW\t sumW2\t numEntries", f"{fnum(s.sumw)}\t{fnum(s.sumw2)}\t{fnum(s.n)}"]
    return "\n".join([*lines, "END YODA_COUNTER_V2"])


def _histo(
    path: str, bins: list[_Bin], under: _Bin | None, over: _Bin | None, f: float, ann: dict
) -> str:
    def fmt(vals: list[float]) -> str:
        return "\t".join(fnum(v) for v in vals)

    zero = [0.0] * 5
    rows = [b.row(0.5 * (b.low + b.high), f) for b in bins]
    urow = under.row(bins[0].low, f) if under else zero
    orow = over.row(bins[-1].high, f) if over else zero
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


class _Exact:
    """The exact per-step, per-weight sums of a results document (``doc["exact"]``)."""

    def __init__(self, doc: dict[str, Any]) -> None:
        ex = doc.get("exact")
        if not ex or "regions" not in ex:
            raise HepreintError(
                "the results have no exact sums ('exact'); rerun hepreint run to export YODA"
            )
        self.ex = ex

    def step(self, region: str, step: int, k: int) -> _Sums:
        r = self.ex["regions"][region]
        return _Sums(
            to_float(int(r["sumw"][step][k], 16)),
            to_float(int(r["sumw2"][step][k], 16)),
            float(r["n"][step]),
        )

    def all_events(self, k: int) -> _Sums:
        return _Sums(
            to_float(int(self.ex["sumw_all"][k], 16)),
            to_float(int(self.ex["sumw2_all"][k], 16)),
            float(self.ex["n_events"]),
        )


#: one object of the analysis for one weight: (path without suffix, writer(path, k, f, ann))
_Object = tuple[str, Callable[[str, int, float, dict[str, str]], str]]


def _objects(doc: dict[str, Any], pre: str, exact: _Exact, unit: str) -> list[_Object]:
    out: list[_Object] = []
    binned: dict[str, list[tuple[dict, str, dict]]] = {}
    for name, reg in doc["regions"].items():
        steps = reg["cutflow"]
        title = reg.get("description") or name
        ticks = "\t".join(f"{i + 0.5:g}\t{s['step']}" for i, s in enumerate(steps))
        hann = {"Title": title, "XLabel": "cut step", "YLabel": unit, "YieldUnit": unit,
                "XCustomMajorTicks": ticks}  # fmt: skip

        def cutflow(path: str, k: int, f: float, ann: dict, name: str = name,
                    hann: dict = hann, n: int = len(steps)) -> str:  # fmt: skip
            bins = [_Bin(i, i + 1, exact.step(name, i, k)) for i in range(n)]
            return _histo(path, bins, None, None, f, {**hann, **ann})

        def counter(path: str, k: int, f: float, ann: dict, name: str = name,
                    title: str = title, last: int = len(steps) - 1) -> str:  # fmt: skip
            yann = {"Title": title, "YieldUnit": unit, **ann}
            return _counter(path, exact.step(name, last, k).scaled(f), yann)

        out.append((f"{pre}/cutflow_{safe_name(name)}", cutflow))
        out.append((f"{pre}/yield_{safe_name(name)}", counter))
        if reg.get("bin"):
            binned.setdefault(reg["bin"]["region"], []).append((reg["bin"], name, reg))
    for group, members in binned.items():
        members.sort(key=lambda m: m[0]["index"])
        if all(_edge(b, "low") == -math.inf or _edge(b, "high") == math.inf
               for b, _, _ in members):  # fmt: skip
            continue  # no finite bin: nothing a Histo1D can hold
        var = members[0][0].get("variable", "x")
        gann = {"Title": group, "XLabel": var, "YLabel": unit, "YieldUnit": unit}

        def histo(path: str, k: int, f: float, ann: dict, members: list = members,
                  gann: dict = gann) -> str:  # fmt: skip
            inner, under, over = [], None, None
            for b, name, reg in members:
                bb = _Bin(_edge(b, "low"), _edge(b, "high"),
                          exact.step(name, len(reg["cutflow"]) - 1, k))  # fmt: skip
                if math.isinf(bb.high):
                    over = bb
                elif math.isinf(bb.low):
                    under = bb
                else:
                    inner.append(bb)
            return _histo(path, inner, under, over, f, {**gann, **ann})

        out.append((f"{pre}/{safe_name(group)}", histo))
    return out


def _edge(b: dict[str, Any], key: str) -> float:
    """A bin edge; null (or absent) is an open edge."""
    v = b.get(key)
    if v is None:
        return -math.inf if key == "low" else math.inf
    return float(v)


def to_yoda(doc: dict[str, Any], prefix: str | None = None) -> str:
    """The whole results document as YODA text, in Rivet 3's order: finalized objects weight by
    weight (nominal first), then the raw ones."""
    pre = (prefix or prefix_of(doc)).rstrip("/")
    norm = doc["normalisation"]
    normalised = bool(norm["normalised"]) and norm.get("xsec_pb") is not None
    unit = (
        f"events at {norm['luminosity_fb']:g} fb^-1"
        if normalised
        else "sum of weights (unnormalised)"
    )
    f = float(norm["factor"]) if normalised else 1.0
    names = list(doc["weight_names"])
    suffixes = weight_suffixes(names)
    exact = _Exact(doc)
    objects = _objects(doc, pre, exact, unit)
    blocks: list[str] = []
    for raw in (False, True):
        root = "/RAW" if raw else ""
        for k, suffix in enumerate(suffixes):
            ann: dict[str, Any] = {"WeightName": names[k]} if k else {}
            scaled = {**ann, "ScaledBy": f} if normalised and not raw else ann
            for path, write in objects:
                blocks.append(write(f"{root}{path}{suffix}", k, 1.0 if raw else f, scaled))
            count = exact.all_events(k)
            blocks.append(_counter(f"{root}/_EVTCOUNT{suffix}", count, {"Title": "", **ann}))
            if normalised:
                err = norm.get("xsec_err_pb") or 0.0
                xann = {"Title": "", **ann}
                blocks.append(_scatter1d(f"{root}/_XSEC{suffix}", norm["xsec_pb"], err, xann))
    return "\n\n".join(blocks) + "\n"


def write_yoda(doc: dict[str, Any], outdir: str | Path, prefix: str | None = None) -> list[Path]:
    path = Path(outdir) / f"{safe_name(doc['analysis']['name'])}.yoda"
    return [write_text(path, comment_partial(doc, to_yoda(doc, prefix)))]
