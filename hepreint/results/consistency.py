"""A results file must not lie: the float fields every reader uses agree with the exact sums.

The schema checks types; this checks that the numbers tell one story. ``limits`` and ``export``
read the float yields, ``merge`` adds the exact hex sums: a file edited (or damaged) in one place
but not the other would give limits of one result and merge into another. So every reader
(:func:`hepreint.results.load.load_results`) refuses, in one line naming the JSON path:
non-finite numbers, exact sums that are not hex integers (or absurdly long), raw counts that are
not the cut-flow's, negative Σw², cut-flows whose counts grow, Σw and yields that are not the
exact sums (times the normalisation factor).
"""

from __future__ import annotations

import math
import re
from typing import Any

from hepreint.engine.exact import to_float
from hepreint.errors import HepreintError

_HEX = re.compile(r"-?0x[0-9a-f]+")
#: hex digits of the largest sum we accept: 2**2400 units of 2**-1126 is far beyond any double
MAX_HEX_DIGITS = 600
_FIX = "the file was edited or damaged: rerun 'hepreint run ... -o DIR' to write it again"


def json_path(parts: tuple[Any, ...]) -> str:
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or "(top level)"


def first_non_finite(doc: Any, at: tuple[Any, ...] = ()) -> tuple[tuple[Any, ...], float] | None:
    """The first NaN/Infinity (JSON has neither; Python's json reads them, and 1e999 as inf)."""
    if isinstance(doc, float) and not math.isfinite(doc):
        return at, doc
    if not isinstance(doc, dict | list):
        return None
    items: Any = doc.items() if isinstance(doc, dict) else enumerate(doc)
    for k, v in items:
        found = first_non_finite(v, (*at, k))
        if found is not None:
            return found
    return None


def _bins(doc: Any) -> list[dict[str, Any]]:
    regions = doc.get("regions") if isinstance(doc, dict) else None
    if not isinstance(regions, dict):
        return []
    return [
        r["bin"] for r in regions.values() if isinstance(r, dict) and isinstance(r.get("bin"), dict)
    ]


def edges_to_json(doc: dict[str, Any]) -> dict[str, Any]:
    """A copy of a results document with open bin edges (±inf in memory) as null on disk."""
    if not _bins(doc):
        return doc
    out = {**doc, "regions": {k: dict(r) for k, r in doc["regions"].items()}}
    for r in out["regions"].values():
        if isinstance(r.get("bin"), dict):
            r["bin"] = {k: None if k in ("low", "high") and isinstance(v, float)
                        and math.isinf(v) else v for k, v in r["bin"].items()}  # fmt: skip
    return out


def edges_from_json(doc: dict[str, Any]) -> None:
    """Open bin edges back to -inf/+inf in memory (null on disk), as the analysis gives them."""
    for b in _bins(doc):
        if "low" in b and b["low"] is None:
            b["low"] = -math.inf
        if "high" in b and b["high"] is None:
            b["high"] = math.inf


def check_finite(doc: Any, name: str) -> None:
    """Refuse NaN/Infinity anywhere but at an open bin edge (±inf: in memory, and in files
    written before JSON got null there)."""
    edges = [(b, k, b[k]) for b in _bins(doc) for k in ("low", "high")
             if isinstance(b.get(k), float) and math.isinf(b[k])]  # fmt: skip
    for b, k, _ in edges:
        b[k] = None
    try:
        found = first_non_finite(doc)
    finally:
        for b, k, v in edges:
            b[k] = v
    if found is not None:
        where, value = found
        raise HepreintError(
            f"{name}: at {json_path(where)}: {value} is not a finite number (JSON has no "
            f"NaN/Infinity); {_FIX}"
        )


class _Checker:
    def __init__(self, doc: dict[str, Any], name: str) -> None:
        self.doc, self.name = doc, name

    def fail(self, where: tuple[Any, ...], what: str) -> HepreintError:
        return HepreintError(f"{self.name}: at {json_path(where)}: {what}; {_FIX}")

    def exact(self, value: Any, where: tuple[Any, ...], *, square: bool = False) -> float:
        """The float of one hex sum, refusing what is not one (or cannot be a sum of squares)."""
        if not isinstance(value, str) or not _HEX.fullmatch(value):
            raise self.fail(where, f"{value!r} is not a hex integer like '0x1f'")
        if len(value) > MAX_HEX_DIGITS:
            raise self.fail(where, f"a {len(value)}-digit sum is beyond any sum of doubles")
        number = int(value, 16)
        if square and number < 0:
            raise self.fail(where, f"{value} < 0: a sum of squared weights cannot be negative")
        try:
            return to_float(number)
        except OverflowError:
            raise self.fail(where, f"{value[:20]}... is too large for a double") from None

    def close(self, ours: float, field: Any, where: tuple[Any, ...], what: str) -> None:
        if not isinstance(field, int | float) or isinstance(field, bool):
            return  # the schema names wrong types
        if not math.isclose(ours, field, rel_tol=1e-9, abs_tol=1e-300):
            raise self.fail(where, f"{what} {field!r} is not the exact sum's {ours!r}")

    def run(self) -> None:
        doc = self.doc
        ex, norm = doc["exact"], doc["normalisation"]
        n_weights = len(doc["weight_names"])
        if ex["n_events"] != norm["n_events"]:
            raise self.fail(
                ("exact", "n_events"),
                f"{ex['n_events']} events, but normalisation.n_events says {norm['n_events']}",
            )
        if not has_exact(doc):
            return  # written by hand or another tool: the floats are its only story
        for key in ("sumw_all", "sumw2_all"):
            if len(ex[key]) != n_weights:
                raise self.fail(("exact", key), f"{len(ex[key])} sums for {n_weights} weights")
        total = [self.exact(v, ("exact", "sumw_all", k)) for k, v in enumerate(ex["sumw_all"])]
        for k, v in enumerate(ex["sumw2_all"]):
            self.exact(v, ("exact", "sumw2_all", k), square=True)
        self.close(total[0], norm["sumw_all"], ("normalisation", "sumw_all"), "Σw")
        factor = 1.0
        if norm["normalised"]:
            xsec = norm["xsec_pb"]
            if xsec is None or total[0] <= 0:
                raise self.fail(("normalisation", "normalised"), "true without σ or with Σw <= 0")
            factor = xsec * 1000.0 * norm["luminosity_fb"] / total[0]
        self.close(factor, norm["factor"], ("normalisation", "factor"), "factor")
        if set(ex["regions"]) != set(doc["regions"]):
            odd = sorted(set(ex["regions"]) ^ set(doc["regions"]))
            raise self.fail(("exact", "regions"), f"regions differ from 'regions' ({odd[0]!r})")
        for region, r in ex["regions"].items():
            self.region(region, r, doc["regions"][region], n_weights, factor, ex["n_events"])

    def region(
        self, name: str, r: dict[str, Any], reg: dict[str, Any], n_w: int, f: float, n_ev: int
    ) -> None:
        at = ("exact", "regions", name)
        flow = reg["cutflow"]
        steps = [c.get("step") for c in flow]
        if list(r["steps"]) != steps:
            raise self.fail((*at, "steps"), f"steps differ from regions.{name}.cutflow")
        for key in ("n", "sumw", "sumw2"):
            if len(r[key]) != len(steps):
                raise self.fail((*at, key), f"{len(r[key])} entries for {len(steps)} steps")
        previous = n_ev
        for i, n in enumerate(r["n"]):
            if n > previous:
                was = "events read" if i == 0 else f"n[{i - 1}]"
                raise self.fail((*at, "n", i), f"{n} events after a cut, more than {was}")
            if n != flow[i]["raw"]:
                raise self.fail(
                    ("regions", name, "cutflow", i, "raw"),
                    f"{flow[i]['raw']}, but the exact count is {n}",
                )
            previous = n
            for key, square in (("sumw", False), ("sumw2", True)):
                row = r[key][i]
                if not isinstance(row, list) or len(row) != n_w:
                    raise self.fail((*at, key, i), f"expected {n_w} sums, one per weight")
                vals = [self.exact(v, (*at, key, i, k), square=square) for k, v in enumerate(row)]
                self.close(vals[0], flow[i][key], ("regions", name, "cutflow", i, key), key)
                if key == "sumw":
                    self.close(vals[0] * f, flow[i]["yield"],
                               ("regions", name, "cutflow", i, "yield"), "yield")  # fmt: skip
        end = len(steps) - 1
        last = [self.exact(v, (*at, "sumw", end, k)) for k, v in enumerate(r["sumw"][-1])]
        if reg["raw"] != r["n"][-1]:
            raise self.fail(("regions", name, "raw"), f"{reg['raw']}, exact count {r['n'][-1]}")
        self.close(last[0] * f, reg["yield"], ("regions", name, "yield"), "yield")
        for k, w in enumerate(self.doc["weight_names"]):
            if w in reg["variations"]:
                self.close(last[k] * f, reg["variations"][w], ("regions", name, "variations", w),
                           "yield")  # fmt: skip


def has_exact(doc: dict[str, Any]) -> bool:
    """Whether the document carries exact sums at all (``merge`` needs them; a results file
    made by hand or by another tool for ``limits`` may have an empty exact block)."""
    ex = doc["exact"]
    return bool(ex["sumw_all"] or ex["sumw2_all"] or ex["regions"])


def check_consistent(doc: dict[str, Any], name: str) -> None:
    """Refuse a schema-valid results document whose numbers disagree (see the module doc)."""
    _Checker(doc, name).run()
