"""MadAnalysis5's positive/negative weight split, and its dataset file ``<dataset>/<dataset>.saf``.

MA5 keeps every counter as two columns, events with positive and with negative weight
(``tools/SampleAnalyzer/Process/Counter/Counter.h`` ``Increment``: ``nentries``, ``sumweight``,
``sumweight2`` each a (positive, negative) pair, the negative ``sumweight`` signed), and the
dataset's ``sum_weight+``/``sum_weight-`` (``MCSampleFormat::addWeightedEvents``: the negative
sum as a magnitude). hepreint's results keep only net sums (Σw, Σw², N per step), so the split
is *exact* only where it can be proven from them: by Cauchy-Schwarz ``N·Σw² ≥ (Σw)²`` with
equality only when all N weights are equal, so equality (checked on the exact integer sums of
``doc["exact"]``) proves every weight has the sign of Σw; a sample of equal weights makes every
counter exact. Otherwise the net sum goes to the column of its sign (totals, which are what MA5
adds up, stay exact) and the files say so. Keeping Σw⁺/Σw⁻ per step would need the engine to
record them.

The dataset file follows ``SAFWriter::WriteHeader(const SampleFormat&)`` and ``WriteFiles``
(``tools/SampleAnalyzer/Process/Writer/SAFWriter.cpp``): ``<SampleGlobalInfo>`` with
``xsection xsection_error nevents sum_weight+ sum_weight-`` (σ in pb), ``<FileInfo>`` and
``<SampleDetailedInfo>`` (one line per input file), the blocks MA5's ``job_reader.py``
``ExtractGeneral`` reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hepreint.engine.exact import SHIFT, to_float
from hepreint.export._common import fnum


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


def equal_weights(n: int, sumw: int, sumw2: int) -> bool:
    """All ``n`` weights provably equal, from the exact sums (units of 2**-SHIFT)."""
    return n > 0 and n * sumw2 << SHIFT == sumw * sumw


def _hex(x: Any) -> int:
    return int(x, 16) if isinstance(x, str) else int(x)


def sample_sign(doc: dict[str, Any]) -> int:
    """+1 / -1 when every weight of the sample provably has that sign, 0 when unknown."""
    ex = doc.get("exact") or {}
    try:
        n, sw, sw2 = int(ex["n_events"]), _hex(ex["sumw_all"][0]), _hex(ex["sumw2_all"][0])
    except (KeyError, IndexError, TypeError, ValueError):
        return 0
    if not equal_weights(n, sw, sw2):
        return 0
    return 1 if sw > 0 else -1


def split(raw: int, sumw: float, sumw2: float, sign: int) -> tuple[SAFCounter, bool]:
    """MA5's (positive, negative) columns and whether the split is exact (``sign``: the sign
    every weight provably has, 0 when unknown: then the net sum goes to its sign's column)."""
    neg = sign < 0 if sign else sumw < 0
    if neg:
        return SAFCounter("", (0, raw), (0.0, sumw), (0.0, sumw2)), bool(sign)
    return SAFCounter("", (raw, 0), (sumw, 0.0), (sumw2, 0.0)), bool(sign)


def step_sign(doc: dict[str, Any], region: str, i: int) -> int:
    """The provable sign of the weights passing step ``i`` of ``region`` (0: unknown)."""
    whole = sample_sign(doc)
    if whole:
        return whole
    try:
        r = doc["exact"]["regions"][region]
        n, sw, sw2 = int(r["n"][i]), _hex(r["sumw"][i][0]), _hex(r["sumw2"][i][0])
    except (KeyError, IndexError, TypeError, ValueError):
        return 0
    if sw == 0 and n == 0:
        return 1  # nothing passed: both columns 0, exactly
    return (1 if sw > 0 else -1) if equal_weights(n, sw, sw2) else 0


def sumw_split(doc: dict[str, Any]) -> tuple[float, float, bool]:
    """(sum_weight+, sum_weight- as a magnitude, exact?) of the whole sample."""
    total = float(doc["normalisation"]["sumw_all"])
    sign = sample_sign(doc)
    if sign > 0 or (not sign and total >= 0):
        return total, 0.0, bool(sign)
    return 0.0, -total, bool(sign)


_TITLE = "".join(
    w.ljust(15)
    for w in ("# xsection ", "xsection_error ", "nevents ", "sum_weight+ ", "sum_weight- ")
)


def _line(xs: float, xs_err: float, n: int, pos: float | None, neg: float | None) -> str:
    cells = [fnum(xs), fnum(xs_err), str(n), fnum(pos), fnum(neg)]
    # MA5 pads to 15; exact numbers can be longer, so a space always follows
    return "".join(c.ljust(14) + " " for c in cells).rstrip()


def dataset_saf(doc: dict[str, Any], note: str | None = None) -> str:
    """``<dataset>/<dataset>.saf``: the sample's σ, events and Σw⁺/Σw⁻ as MA5 writes them."""
    norm = doc["normalisation"]
    xs = float(norm.get("xsec_pb") or 0.0) if norm.get("normalised") else 0.0
    xs_err = float(norm.get("xsec_err_pb") or 0.0) if norm.get("normalised") else 0.0
    n = int(norm["n_events"])
    pos, neg, exact = sumw_split(doc)
    head = ["<SAFheader>"]
    if note:
        head.append(f"# hepreint: {note}")
    if not norm.get("normalised"):
        head.append("# hepreint: NOT NORMALISED (no cross-section): xsection written as 0")
    if not exact:
        head.append(
            "# hepreint: the weights' positive/negative split is not recorded in the results: "
            "the net sum of weights is in the column of its sign"
        )
    inputs = (doc.get("provenance") or {}).get("inputs") or [{"path": "sample", "events_read": n}]
    if len(inputs) > 1:
        head.append("# hepreint: per-file sums of weights are not recorded (nan)")
    lines = [*head, "</SAFheader>", "", "<SampleGlobalInfo>", _TITLE.rstrip()]
    lines += [_line(xs, xs_err, n, pos, neg), "</SampleGlobalInfo>", "", "<FileInfo>"]
    for i, inp in enumerate(inputs, start=1):
        lines.append(f'"{inp.get("path", "sample")}"'.ljust(40) + f" # file {i} / {len(inputs)}")
    lines += ["</FileInfo>", "", "<SampleDetailedInfo>", _TITLE.rstrip()]
    for i, inp in enumerate(inputs, start=1):
        events = int(inp.get("events_read", n)) if len(inputs) > 1 else n
        p, q = (pos, neg) if len(inputs) == 1 else (None, None)
        lines.append(_line(xs, xs_err, events, p, q) + f" # file {i} / {len(inputs)}")
    lines += ["</SampleDetailedInfo>", "", "<SAFfooter>", "</SAFfooter>"]
    return "\n".join(lines) + "\n"


def initial_counter(doc: dict[str, Any]) -> tuple[SAFCounter, bool]:
    """MA5's ``<InitialCounter>`` when a cut-flow has no "all events" row: the run's totals."""
    norm = doc["normalisation"]
    ex = doc.get("exact") or {}
    sumw2 = to_float(_hex(ex["sumw2_all"][0])) if ex.get("sumw2_all") else float("nan")
    return split(int(norm["n_events"]), float(norm["sumw_all"]), sumw2, sample_sign(doc))
