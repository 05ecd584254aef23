"""Our cut-flow against the published one, step by step: ours, published, ratio, pull, verdict.

Like is compared with like: a published efficiency with our cumulative efficiency (Σw after the
step over Σw of all events read) and its weighted-binomial error from results.json, a published
yield with our normalised yield. A row passes when |ours/published − 1| ≤ the analysis'
``validation.relative_tolerance``; the pull (MC statistical and published errors in quadrature,
the published error taken on the side of our value) is reported so that a failure can be read
as "statistics" or "physics", but it does not decide the verdict.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

from hepreint.validation.errors import ValidationError
from hepreint.validation.reference import RefEntry, References

PASS, FAIL, NO_REF = "pass", "fail", "no reference"


@dataclass(frozen=True)
class Row:
    region: str
    step: str
    quantity: str
    ours: float | None
    ours_err: float | None
    published: float | None = None
    published_up: float | None = None
    published_down: float | None = None
    ratio: float | None = None
    pull: float | None = None
    status: str = NO_REF
    label: str | None = None  # the published row label
    file: str | None = None
    source: str | None = None
    trust: str | None = None


@dataclass
class Comparison:
    analysis: str
    tolerance: float | None
    rows: list[Row]
    references: list[dict[str, Any]]
    warnings: list[str]
    binned: list[str] = field(default_factory=list)  # regions that are one bin of a parent
    #: each bin region's ``bin`` of results.json (region, variable, index, low, high)
    bins: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: unit of a binning variable where it has one (for axis labels), by variable name
    units: dict[str, str] = field(default_factory=dict)
    luminosity_fb: float | None = None
    #: the calibrated likelihood's cross-checks (likelihood_checks.py): reported, no verdict
    likelihood_crosschecks: dict[str, Any] | None = None

    @property
    def binned_parents(self) -> list[str]:
        """The binned regions (each drawn as one distribution), in results order."""
        return list(dict.fromkeys(b["region"] for b in self.bins.values()))

    @property
    def compared(self) -> list[Row]:
        return [r for r in self.rows if r.status != NO_REF]

    @property
    def status(self) -> str:
        if not self.compared:
            return "nothing to compare"
        return FAIL if any(r.status == FAIL for r in self.rows) else PASS

    @property
    def exit_code(self) -> int:
        return 1 if self.status == FAIL else 0

    def to_dict(self) -> dict[str, Any]:
        counts = {s: sum(r.status == s for r in self.rows) for s in (PASS, FAIL, NO_REF)}
        return {
            "schema": "hepreint-validation/1",
            "analysis": self.analysis,
            "status": self.status,
            "relative_tolerance": self.tolerance,
            "summary": {
                "compared": len(self.compared),
                "passed": counts[PASS],
                "failed": counts[FAIL],
                "no_reference": counts[NO_REF],
            },
            "references": self.references,
            "warnings": self.warnings,
            "rows": [asdict(r) for r in self.rows],
            **({"likelihood_crosschecks": self.likelihood_crosschecks}
               if self.likelihood_crosschecks is not None else {}),
        }  # fmt: skip


def compare(results: dict[str, Any], refs: References, tolerance: float | None) -> Comparison:
    """One row per shown cut-flow step of every region of ``results`` (a results.json dict)."""
    if refs.entries and tolerance is None:
        raise ValidationError(
            f"{refs.directory / 'analysis.yaml'}: validation.tables is set but "
            "validation.relative_tolerance is not; add e.g. 'relative_tolerance: 0.2'"
        )
    normalised = bool(results["normalisation"]["normalised"])
    rows = []
    for region, rd in results["regions"].items():
        steps = rd["cutflow"]
        for i, step in enumerate(steps):
            ref = refs.get(region, step["step"])
            if ref is None and _duplicate(rd, i):
                continue
            rows.append(_row(region, steps, i, ref, tolerance, normalised))
    warnings = list(refs.notes)
    if not refs.entries:
        warnings.insert(0, no_cutflow_message(refs))
    files = [
        {
            "file": str(f.path),
            "kind": f.kind,
            "numbers": len(f.doc.data.get("numbers") or []) if f.kind != "hepdata" else 0,
            "tables": len(f.tables) if f.kind != "hepdata" else 1,
        }
        for f in refs.files
    ]
    bins = {name: rd["bin"] for name, rd in results["regions"].items() if rd.get("bin")}
    return Comparison(
        results["analysis"]["name"], tolerance, rows, files, warnings, list(bins), bins,
        luminosity_fb=results["normalisation"].get("luminosity_fb"),
    )  # fmt: skip


def no_cutflow_message(refs: References) -> str:
    """Why nothing was compared, naming the files read and what their authors list as missing."""
    if not refs.files:
        return (
            f"no published cut-flow for this analysis: {refs.directory / 'reference'} holds "
            "no reference files; add a HEPData table and map it in validation.tables"
        )
    parts = []
    for f in refs.files:
        n = len(f.doc.data.get("numbers") or []) if f.kind != "hepdata" else 0
        parts.append(f"{f.path.name} has {n} numbers and {len(f.tables)} cut-flow tables")
    missing = [
        m["what"]
        for f in refs.files
        if f.kind != "hepdata"
        for m in f.doc.data.get("missing") or []
        if "cut-flow" in str(m.get("what", "")).lower() or "cutflow" in str(m.get("what", ""))
    ]
    tail = f"; listed as missing: {'; '.join(missing)}" if missing else ""
    return (
        f"no published cut-flow for this analysis: {', '.join(parts)}, and analysis.yaml "
        f"maps none in validation.tables{tail}"
    )


def _duplicate(region: dict[str, Any], i: int) -> bool:
    """Bins after the first repeat their parent's steps; show only their own bin step."""
    b = region.get("bin") or {}
    return b.get("index", 0) > 0 and i < len(region["cutflow"]) - 1


def _row(
    region: str,
    steps: list[dict[str, Any]],
    i: int,
    ref: RefEntry | None,
    tolerance: float | None,
    normalised: bool,
) -> Row:
    quantity = ref.quantity if ref else "efficiency"
    if quantity == "events" and not normalised:
        raise ValidationError(
            f"{ref.file if ref else region}: the reference is in events but the results are not "
            "normalised (no cross-section); pass --xsec in pb"
        )
    ours, err = ours_value(steps, i, quantity)
    if ref is None:
        return Row(region, steps[i]["step"], quantity, ours, err)
    pub_err = ref.up if ours is not None and ours > ref.value else ref.down
    ratio = ours / ref.value if ours is not None and ref.value != 0 else None
    denom = math.hypot(err or 0.0, pub_err)
    pull = (ours - ref.value) / denom if ours is not None and denom > 0 else None
    assert tolerance is not None
    if ratio is not None:
        ok = abs(ratio - 1.0) <= tolerance + 1e-12
    else:
        ok = ours is not None and ours == ref.value
    return Row(
        region,
        steps[i]["step"],
        quantity,
        ours,
        err,
        ref.value,
        ref.up,
        ref.down,
        ratio,
        pull,
        PASS if ok else FAIL,
        ref.label,
        ref.file,
        ref.source,
        ref.trust,
    )


def ours_value(
    steps: list[dict[str, Any]], i: int, quantity: str
) -> tuple[float | None, float | None]:
    """Our number and its MC statistical error for ``quantity`` at step ``i``."""
    s = steps[i]
    if quantity == "events":
        return s["yield"], s["yield_stat"]
    if quantity == "efficiency":
        return s["efficiency"], s["efficiency_stat"]
    if i == 0:  # relative efficiency of the first step ("all events") is 1 by definition
        return 1.0, 0.0
    prev = steps[i - 1]
    if not prev["sumw"]:
        return None, None
    eff = s["sumw"] / prev["sumw"]
    # weighted binomial error, the passing events being a subset of the previous step's
    var = (s["sumw2"] * (1 - 2 * eff) + eff * eff * prev["sumw2"]) / prev["sumw"] ** 2
    return eff, math.sqrt(max(var, 0.0))
