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
#: numbers per data line after the bin's two leading words, per block type (ReaderYODA.cc)
_NUMBERS = {"COUNTER": 3, "HISTO1D": 5, "SCATTER1D": 3}


class YodaReadError(HepreintError):
    """What YODA's ReaderYODA would refuse (or silently misread), with the line number."""


def _strtod_all(words: list[str], where: str) -> list[float]:
    """YODA reads numbers with strtod and fails when a word does not start with one."""
    out = []
    for w in words:
        try:
            out.append(float(w))
        except ValueError:
            raise YodaReadError(f"{where}: {w!r} is not a number strtod reads") from None
    return out


def read_yoda(text: str) -> dict[str, YodaObject]:
    """Parse YODA text as YODA 1.8-1.9's ``src/ReaderYODA.cc`` does, and raise where it would
    fail or lose information. Written from that reader's rules, not from its code:

    * lines are trimmed; blank lines and whole-line ``#`` comments are skipped, except that a
      line holding ``BEGIN `` or ``END `` anywhere is never a comment;
    * outside a block only a ``BEGIN <TYPE> <path>`` line may come; the path is the third
      whitespace-separated word (a fourth word would be lost: refused here);
    * inside a block a line holding ``BEGIN `` is an error and one holding ``END `` closes it,
      also inside the annotations (checked before them); for format version 2 (the digits
      after the last ``V`` of the type) the annotations are YAML up to ``---`` and must parse;
      YODA's path is its ``Path`` annotation, so it must equal the BEGIN path;
    * Counter rows: sumW sumW2 numEntries; Histo1D rows: ``Total``/``Underflow``/``Overflow``
      or xlow xhigh, then sumw sumw2 sumwx sumwx2 numEntries; Scatter1D: x err- err+.
    Histo1D bins must not overlap (YODA's Axis1D refuses overlapping bins).
    """
    out: dict[str, YodaObject] = {}
    cur: YodaObject | None = None
    kind = ""
    ann_lines: list[str] = []
    in_anns = False
    for nline, raw in enumerate(text.splitlines(), start=1):
        where = f"line {nline}"
        s = raw if in_anns else raw.strip()
        if not in_anns:
            if not s:
                continue
            if s.startswith("#") and "BEGIN" not in s and "END" not in s:
                continue
        if cur is None:
            if "BEGIN " not in s:
                raise YodaReadError(f"{where}: {s[:40]!r} where a BEGIN line is expected")
            s = s.lstrip("#").strip()
            parts = s.split()
            if len(parts) != 3 or parts[0] != "BEGIN":
                raise YodaReadError(f"{where}: BEGIN line {s!r} is not 'BEGIN TYPE PATH'")
            kind = parts[1]
            base = re.sub(r"^YODA_|_V\d+$", "", kind)
            if base not in _NUMBERS:
                raise YodaReadError(f"{where}: block type {kind} is not one hepreint targets")
            version = kind[kind.rfind("V") + 1 :] if "V" in kind else "1"
            cur = YodaObject(base, parts[2])
            in_anns, ann_lines = version != "1", []
            continue
        if "BEGIN " in s:
            raise YodaReadError(f"{where}: BEGIN inside the block of {cur.path}")
        if "END " in s:
            if s.strip() != f"END {kind}":
                raise YodaReadError(f"{where}: {s.strip()!r} ends the block of {cur.path}")
            if in_anns:
                raise YodaReadError(f"{where}: {cur.path} ends inside its annotations")
            _close(cur, where)
            out[cur.path] = cur
            cur = None
            continue
        if in_anns:
            if s.strip() == "---":
                in_anns = False
                try:
                    cur.annotations = yaml.safe_load("\n".join(ann_lines)) or {}
                except yaml.YAMLError as exc:
                    raise YodaReadError(f"{where}: annotations of {cur.path}: {exc}") from None
                if cur.annotations.get("Path", cur.path) != cur.path:
                    raise YodaReadError(f"{where}: Path annotation differs from {cur.path}")
            else:
                ann_lines.append(s)
            continue
        words = s.split()
        lead = 2 if cur.type == "HISTO1D" else 0
        if lead and words[0] in _FLOWS and words[1] != words[0]:
            raise YodaReadError(f"{where}: {words[0]} row of {cur.path} needs its word twice")
        want = lead + _NUMBERS[cur.type]
        if len(words) < want:
            raise YodaReadError(f"{where}: {cur.path} row has {len(words)} of {want} words")
        if words[0] not in _FLOWS:
            _strtod_all(words[:lead], where)
        _strtod_all(words[lead:want], where)
        cur.rows.append(words)
    if cur is not None:
        raise YodaReadError(f"end of text inside the block of {cur.path}")
    return out


def _close(obj: YodaObject, where: str) -> None:
    if obj.type == "HISTO1D":
        edges = sorted((b[0], b[1]) for b in obj.bins())
        for (_lo, hi), (lo2, _) in zip(edges, edges[1:], strict=False):
            if lo2 < hi:
                raise YodaReadError(f"{where}: {obj.path} has overlapping bins at {lo2}")
        if any(lo >= hi for lo, hi in edges):
            raise YodaReadError(f"{where}: {obj.path} has a bin with xlow >= xhigh")
    elif len(obj.rows) != 1:
        raise YodaReadError(f"{where}: {obj.path} holds {len(obj.rows)} rows, not 1")


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
                "syst": [float(x) for x in b[2:]],  # MA5: one column per systematic, else 0
            }
        )
    return rows
