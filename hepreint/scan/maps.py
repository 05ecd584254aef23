"""The scan document (``scan.json``, schema ``hepreint-scan/1``): the efficiency map and the
limit map over the points, built from each point's results.json and limits.json.

A×ε of a region is its selected weight over the total generated weight, Σw_sel / Σw_all
(independent of any cross-section); its MC statistical error is the weighted-binomial one,
var = (Σw²_sel (1 − 2ε) + ε² Σw²_all) / Σw_all², as in the results' cut-flows. The limit map
holds what limits.json holds: σ×BR limits in fb (observed, expected −2σ … +2σ) and μ limits.
What the per-point documents warn about travels with the maps: every point keeps its warnings,
the warnings shared by all points are listed once at the top, and ``approximations`` says in
flags whether a calibrated likelihood or surrogate networks were used.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hepreint.analysis.schemas import validate
from hepreint.errors import HepreintError
from hepreint.results.output import write_json

SCHEMA_ID = "hepreint-scan/1"
BANDS = ("-2sigma", "-1sigma", "median", "+1sigma", "+2sigma")
#: the label every output made from a calibrated likelihood carries (hepreint.stats.mapping)
CALIBRATED = "calibrated approximation"


@dataclass
class PointRecord:
    """One point as the maps see it: its status and, when complete, its documents."""

    name: str
    parameters: dict[str, float]
    seed: int
    status: str  # complete, skipped, failed, pending
    directory: str = ""
    reason: str = ""
    results: dict[str, Any] | None = None
    limits: dict[str, Any] | None = None
    reused: bool = False
    extra_warnings: list[str] = field(default_factory=list)


def efficiency(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """A×ε per region of a results document, with its MC statistical error and the sums."""
    out = {}
    for region, reg in (doc.get("regions") or {}).items():
        steps = reg["cutflow"]
        first, last = steps[0], steps[-1]
        total, total2 = float(first["sumw"]), float(first["sumw2"])
        sw, sw2 = float(last["sumw"]), float(last["sumw2"])
        eff = sw / total if total else None
        stat = None
        if eff is not None:
            stat = math.sqrt(max((sw2 * (1 - 2 * eff) + eff * eff * total2) / total**2, 0.0))
        out[region] = {
            "value": eff,
            "stat": stat,
            "sumw": sw,
            "sumw2": sw2,
            "raw": int(last["raw"]),
            "sumw_all": total,
            "sumw2_all": total2,
            "raw_all": int(first["raw"]),
        }
    return out


def _limit_entry(lim: dict[str, Any]) -> dict[str, Any]:
    return {
        "xsec_limit_obs_fb": lim.get("xsec_limit_obs_fb"),
        "xsec_limit_exp_fb": lim.get("xsec_limit_exp_fb"),
        "mu_limit_obs": lim.get("mu_limit_obs"),
        "mu_limit_exp": lim.get("mu_limit_exp"),
        "cls_obs": lim.get("cls_obs"),
        "excluded_at_95cl": lim.get("excluded_at_95cl"),
        "signal_xsec_fb": lim.get("signal_xsec_fb"),
        "best_expected_region": lim.get("best_expected_region"),
    }


def _warnings_of(rec: PointRecord) -> list[str]:
    ws = list((rec.results or {}).get("warnings") or [])
    ws += [w for w in (rec.limits or {}).get("warnings") or [] if w not in ws]
    return ws + [w for w in rec.extra_warnings if w not in ws]


def approximations(records: list[PointRecord]) -> dict[str, Any]:
    """Flags of what is approximate in every map: calibrated likelihood, surrogate networks,
    an analysis preserved with approximations (its ``approximations`` list)."""
    surrogates: set[str] = set()
    notes: list[str] = []
    labels: set[str] = set()
    for r in records:
        if r.results is not None:
            nets = (r.results.get("provenance") or {}).get("networks") or {}
            surrogates |= {n for n, d in nets.items() if isinstance(d, dict) and d.get("surrogate")}
            for a in (r.results.get("analysis") or {}).get("approximations") or []:
                if a not in notes:
                    notes.append(a)
        if r.limits is not None:
            labels.add(str(r.limits.get("label", "")))
    return {
        "calibrated_likelihood": CALIBRATED in labels,
        "surrogate_networks": sorted(surrogates),
        "approximate_preservation": bool(notes),
        "notes": notes,
    }


def scan_document(
    analysis: dict[str, Any],
    parameters: list[dict[str, str]],
    records: list[PointRecord],
    config: dict[str, Any],
    *,
    partial: bool = False,
    limits_skipped: str | None = None,
) -> dict[str, Any]:
    """The whole scan as one document (efficiency map, limit map, point statuses, warnings)."""
    complete = [r for r in records if r.status == "complete" and r.results is not None]
    per_point = {r.name: _warnings_of(r) for r in complete}
    common = [w for w in (per_point[complete[0].name] if complete else [])
              if all(w in ws for ws in per_point.values())]  # fmt: skip
    regions: list[str] = []
    for r in complete:
        assert r.results is not None
        regions += [g for g in r.results.get("regions") or {} if g not in regions]
    label = kind = None
    source = ""
    for r in complete:
        if r.limits is not None:
            label, kind = r.limits.get("label"), r.limits.get("likelihood_kind")
            source = str((r.limits.get("likelihood") or {}).get("source", ""))
            break
    lim = {"label": label, "likelihood_kind": kind, "source": source, "unit": "fb"}
    top = list(common)
    if limits_skipped:
        top.append(limits_skipped)
    approx = approximations(complete)
    if approx["calibrated_likelihood"] and CALIBRATED not in " ".join(top):
        top.append(f"limits from a {CALIBRATED} of the likelihood: not the experiment's model")
    if approx["surrogate_networks"]:
        nets = ", ".join(approx["surrogate_networks"])
        top.append(f"surrogate networks {nets}: trained by hepreint, not the experiment's")
    points = []
    for r in records:
        p: dict[str, Any] = {
            "name": r.name,
            "parameters": r.parameters,
            "seed": r.seed,
            "status": r.status,
            "directory": r.directory,
            "reused": r.reused,
        }
        if r.reason:
            p["reason"] = r.reason
        if r.name in per_point:
            p["warnings"] = [w for w in per_point[r.name] if w not in common]
            assert r.results is not None
            p["efficiency"] = efficiency(r.results)
            p["limits"] = _limit_entry(r.limits) if r.limits is not None else None
        points.append(p)
    status = "partial" if partial or any(r.status == "pending" for r in records) else "complete"
    return {
        "schema": SCHEMA_ID,
        "status": status,
        "analysis": analysis,
        "parameters": parameters,
        "config": config,
        "regions": regions,
        "limits": None if label is None else lim,
        "approximations": approx,
        "warnings": top,
        "summary": {
            s: sum(r.status == s for r in records)
            for s in ("complete", "skipped", "failed", "pending")
        },  # fmt: skip
        "points": points,
    }


def caveats(doc: dict[str, Any]) -> str:
    """One sentence of what is approximate or incomplete, for descriptions and plots."""
    ap = doc["approximations"]
    parts = []
    if doc["status"] == "partial":
        s = doc["summary"]
        parts.append(f"PARTIAL scan ({s['complete']} of {len(doc['points'])} points done)")
    if ap["calibrated_likelihood"]:
        parts.append("limits from a calibrated approximation of the likelihood")
    elif doc.get("limits") and doc["limits"].get("label"):
        src = doc["limits"].get("source")
        more = f" ({src})" if src else ""
        parts.append(f"limits from the {doc['limits']['label']} likelihood{more}")
    if ap["surrogate_networks"]:
        parts.append(f"surrogate networks ({', '.join(ap['surrogate_networks'])})")
    if ap["approximate_preservation"]:
        parts.append("approximate preservation (see the analysis README)")
    return "; ".join(parts)


def check_scan_doc(doc: Any, name: str = "scan.json") -> dict[str, Any]:
    if not isinstance(doc, dict) or doc.get("schema") != SCHEMA_ID:
        raise HepreintError(f"{name}: not a hepreint scan document (schema {SCHEMA_ID!r})")
    problems = validate(doc, "scan")
    if problems:
        raise HepreintError(f"{name}: fails its schema: {problems[0]}; rerun 'hepreint scan'")
    return doc


def write_scan(doc: dict[str, Any], directory: str | Path) -> Path:
    problems = validate(doc, "scan")
    if problems:  # a bug of ours: say so plainly
        raise HepreintError(f"internal error: the scan document fails its schema: {problems[0]}")
    return write_json(Path(directory) / "scan.json", doc, "the scan maps")


def read_point_docs(directory: Path) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """results.json and limits.json of a point directory (None when absent)."""

    def read(name: str) -> dict[str, Any] | None:
        p = directory / name
        if not p.is_file():
            return None
        doc = json.loads(p.read_text(encoding="utf-8"))
        return doc if isinstance(doc, dict) else None

    return read("results.json"), read("limits.json")


def grid_axes(doc: dict[str, Any]) -> list[list[float]]:
    """The distinct values of each parameter over the points, sorted."""
    names = [p["name"] for p in doc["parameters"]]
    return [sorted({float(pt["parameters"][n]) for pt in doc["points"]}) for n in names]
