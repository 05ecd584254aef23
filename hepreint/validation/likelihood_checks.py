"""The published numbers a calibrated likelihood re-predicts, as rows of ``hepreint validate``.

Why here: an analysis without a published cut-flow (VH(bb/cc), HH->4b, X->S(bb)H(yy)) still has
published significances, limits and intervals that its calibrated likelihood predicts without
having been solved on them (the sidecar's ``calibration.crosschecks``). They check the
statistics model, not the selection, so they are reported next to the cut-flow comparison with
that label and never decide its verdict. The calibration target itself is listed as such, not as
a check (it is reproduced by construction).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hepreint.analysis.spec import Analysis

NOTE = (
    "published numbers the calibrated likelihood predicts without having been solved on them: "
    "checks of the statistical model (background scale, uncertainties), NOT of the selection; "
    "they do not enter the verdict"
)


def likelihood_crosschecks(analysis: Analysis) -> dict[str, Any] | None:
    """``{label, note, target, rows}`` from the analysis' workspace sidecar, or None when it has
    no calibrated likelihood (or no sidecar)."""
    section = analysis.raw.get("likelihood") or {}
    if section.get("kind") != "calibrated" or not section.get("workspace"):
        return None
    ws = analysis.directory / str(section["workspace"])
    meta_file = Path(section["metadata"]) if section.get("metadata") else None
    meta_path = (analysis.directory / meta_file) if meta_file else ws.with_name(
        ws.name.removesuffix(".json") + ".meta.json")  # fmt: skip
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    cal = meta.get("calibration") or {}
    rows: list[dict[str, Any]] = []
    for c in cal.get("crosschecks") or []:
        rows.extend(_rows(c))
    target = cal.get("target") or {}
    return {
        "label": str(meta.get("label", "calibrated approximation")),
        "note": NOTE,
        "likelihood": str(meta_path.relative_to(analysis.directory)),
        "target": {
            k: target.get(k) for k in ("id", "value", "unit", "source", "trust") if k in target
        },  # fmt: skip
        "rows": rows,
    }


def _rows(c: dict[str, Any]) -> list[dict[str, Any]]:
    base = {"id": str(c.get("id")), "trust": c.get("trust"), "source": c.get("source"),
            "how": c.get("how") or c.get("compared")}  # fmt: skip
    pairs: list[tuple[str, Any, Any]] = []
    if "published" in c:
        pairs.append(("value", c["published"], c.get("predicted")))
    for key in ("uncertainty", "interval"):
        pub, pred = c.get(f"published_{key}"), c.get(f"predicted_{key}")
        if isinstance(pub, dict) and isinstance(pred, dict):
            pairs += [(f"{key} +", pub.get("plus"), pred.get("plus")),
                      (f"{key} −", pub.get("minus"), pred.get("minus"))]  # fmt: skip
        elif isinstance(pub, list) and isinstance(pred, list) and len(pub) == len(pred) == 2:
            pairs += [(f"{key} low", pub[0], pred[0]), (f"{key} high", pub[1], pred[1])]
    for key in ("_fb",):  # grid calibrations name the unit in the key
        if f"published{key}" in c:
            pairs.append((f"value ({key[1:]})", c[f"published{key}"], c.get(f"predicted{key}")))
    out = []
    for quantity, pub, pred in pairs:
        ratio = (
            pred / pub
            if isinstance(pub, int | float) and isinstance(pred, int | float) and pub
            else None
        )
        out.append({**base, "quantity": quantity, "published": pub, "predicted": pred,
                    "ratio": ratio})  # fmt: skip
    return out


def format_crosschecks(block: dict[str, Any]) -> list[str]:
    """The table's section of the cross-checks."""
    lines = ["", f"likelihood cross-checks ({block['label']}, {block['likelihood']}):",
             f"  {block['note']}"]  # fmt: skip
    t = block.get("target") or {}
    if t:
        lines.append(f"  solved on (reproduced by construction, not a check): {t.get('id')} = "
                     f"{t.get('value')} {t.get('unit') or ''}".rstrip())  # fmt: skip
    head = f"  {'published number':<44}{'quantity':<16}{'published':>11}{'ours':>11}{'ratio':>8}"
    lines += [head, "  " + "-" * (len(head) - 2)]
    for r in block["rows"]:
        lines.append(
            f"  {r['id'][:43]:<44}{r['quantity']:<16}{_n(r['published']):>11}"
            f"{_n(r['predicted']):>11}{_n(r['ratio'], '.3f'):>8}  trust {r['trust'] or '—'}"
        )
    if not block["rows"]:
        lines.append("  (the calibration records no cross-check)")
    return lines


def _n(x: Any, fmt: str = ".4g") -> str:
    return format(x, fmt) if isinstance(x, int | float) else "—"
