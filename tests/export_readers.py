"""Readers of the YODA and MA5 SAF files hepreint writes, for the export tests only (they are
not part of the package: a user reads these files with YODA or MadAnalysis5 themselves)."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from hepreint.errors import HepreintError
from hepreint.export.saf import SAFCounter, SAFCutflow

_BLOCK = re.compile(r"^BEGIN (YODA_[A-Z0-9_]+) (\S+)[ \t]*$(.*?)^END \1[ \t]*$", re.M | re.S)


@dataclass
class YodaObject:
    """One YODA block: its type (``HISTO1D``), path, annotations and numeric rows."""

    type: str
    path: str
    annotations: dict[str, Any] = field(default_factory=dict)
    rows: list[list[str]] = field(default_factory=list)

    def values(self) -> list[float]:
        """Counter: sumW, sumW2, numEntries. Scatter1D: x, err-, err+."""
        return [float(v) for v in self.rows[0]]

    def bins(self) -> list[list[float]]:
        """Histo1D: xlow, xhigh, sumw, sumw2, sumwx, sumwx2, numEntries per in-range bin."""
        return [[float(v) for v in r] for r in self.rows if r[0] not in _FLOWS]

    def step_names(self) -> list[str]:
        """Cut-flow Histo1D: the step names kept in ``XCustomMajorTicks``."""
        return str(self.annotations.get("XCustomMajorTicks", "")).split("\t")[1::2]

    def flow(self, which: str) -> list[float]:
        """Histo1D ``Total``, ``Underflow`` or ``Overflow``: sumw, sumw2, sumwx, sumwx2, n."""
        for r in self.rows:
            if r[0] == which:
                return [float(v) for v in r[2:]]
        raise KeyError(which)


_FLOWS = ("Total", "Underflow", "Overflow")


def read_yoda(text: str) -> dict[str, YodaObject]:
    """Parse YODA V2 text (our own objects and Rivet's) into objects keyed by path."""
    out: dict[str, YodaObject] = {}
    for m in _BLOCK.finditer(text):
        kind, path, body = m.group(1), m.group(2), m.group(3)
        base = re.sub(r"^YODA_|_V\d+$", "", kind)
        lines = body.strip("\n").splitlines()
        ann: dict[str, Any] = {}
        if "---" in (ln.strip() for ln in lines):
            cut = [ln.strip() for ln in lines].index("---")
            try:
                ann = yaml.safe_load("\n".join(lines[:cut])) or {}
            except yaml.YAMLError as exc:
                raise HepreintError(f"YODA object {path}: bad annotations ({exc})") from None
            lines = lines[cut + 1 :]
        rows = [ln.split() for ln in lines if ln.strip() and not ln.lstrip().startswith("#")]
        out[path] = YodaObject(base, path, ann, rows)
    return out


_SAF_BLOCK = re.compile(r"<(InitialCounter|Counter)>\s*\n(.*?)\n\s*</\1>", re.S)


def _saf_counter(body: str, where: str) -> SAFCounter:
    lines = [ln for ln in body.splitlines() if ln.strip()]
    m = re.match(r'\s*"(.*)"', lines[0]) if lines else None
    if m is None or len(lines) < 4:
        raise HepreintError(f"{where}: counter without a quoted name and three number lines")
    try:
        nums = [ln.split("#")[0].split() for ln in lines[1:4]]
        return SAFCounter(
            m.group(1),
            (int(float(nums[0][0])), int(float(nums[0][1]))),
            (float(nums[1][0]), float(nums[1][1])),
            (float(nums[2][0]), float(nums[2][1])),
        )
    except (ValueError, IndexError):
        raise HepreintError(
            f"{where}: counter {m.group(1)!r}: expected two numbers per line"
        ) from None


def read_saf(text: str, where: str = "SAF") -> SAFCutflow:
    """Parse an MA5 cut-flow ``.saf`` (ours or MA5's)."""
    initial, counters = None, []
    for kind, body in _SAF_BLOCK.findall(text):
        c = _saf_counter(body, where)
        if kind == "InitialCounter":
            initial = c
        else:
            counters.append(c)
    if initial is None:
        raise HepreintError(f"{where}: no <InitialCounter> block; not an MA5 cut-flow file")
    return SAFCutflow(initial, counters)


def read_cls_summary(text: str) -> list[dict[str, Any]]:
    """Rows of a ``CLs_output_summary.dat`` (the ``best?`` layout) as dicts."""
    rows = []
    for ln in text.splitlines():
        if not ln.strip() or ln.lstrip().startswith("#"):
            continue
        left, _, right = ln.partition("||")
        a, b = left.split(), right.split()
        if len(a) < 7:
            continue  # MA5's indented error-band lines
        rows.append(
            {
                "dataset": a[0],
                "analysis": a[1],
                "region": a[2],
                "best": int(a[3]),
                "sig95_exp": float(a[4]),
                "sig95_obs": float(a[5]),
                "one_minus_cls": float(a[6]),
                "efficiency": float(b[0]) if b else math.nan,
                "stat": float(b[1]) if len(b) > 1 else math.nan,
            }
        )
    return rows
