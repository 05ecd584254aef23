"""The validation table and ``validation.json``: what a reader checks first, written together.

``validation.json`` follows ``schemas/validation.schema.json`` (id "hepreint-validation/1"),
checked when written and by :func:`load_validation`: ``schema``, ``analysis``, ``status``
("pass", "fail" or "nothing to compare"), ``relative_tolerance``,
``summary`` (compared/passed/failed/no_reference counts), ``references`` (every file read:
file, kind, numbers, tables), ``warnings`` (e.g. why nothing was compared), ``results`` (the
results.json compared) and ``rows``: one per cut-flow step with region, step, quantity
(events / efficiency / relative_efficiency), ours, ours_err (MC stat.), published,
published_up/down, ratio (ours/published), pull, status ("pass", "fail", "no reference"),
label (the published row), file, source and trust of the reference.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from hepreint.analysis.schemas import validate
from hepreint.errors import HepreintError
from hepreint.results.output import write_json as write_json_file
from hepreint.validation.compare import NO_REF, Comparison, Row
from hepreint.validation.likelihood_checks import format_crosschecks

SCHEMA_ID = "hepreint-validation/1"


def format_table(c: Comparison, results_path: str | None = None) -> str:
    tol = f"±{c.tolerance * 100:g} %" if c.tolerance is not None else "not set"
    lines = [f"hepreint validate: {c.analysis}   relative tolerance {tol}   status: {c.status}"]
    if results_path:
        lines.append(f"results: {results_path}")
    head = (
        f"{'region':<24}{'step':<22}{'quantity':<12}{'ours':>11}{'± stat':>10}"
        f"{'published':>11}{'± err':>10}{'ratio':>8}{'pull':>7}  status"
    )
    lines += ["", head, "-" * len(head)]
    for r in c.rows:
        lines.append(_line(r))
    n_fail = sum(r.status == "fail" for r in c.rows)
    lines.append("")
    lines.append(
        f"{len(c.compared)} steps compared, {n_fail} outside tolerance, "
        f"{sum(r.status == NO_REF for r in c.rows)} without reference"
    )
    if c.likelihood_crosschecks is not None:
        lines += format_crosschecks(c.likelihood_crosschecks)
    for w in c.warnings:
        lines.append(f"warning: {w}")
    return "\n".join(lines)


def _line(r: Row) -> str:
    pub_err = None
    if r.published_up is not None and r.published_down is not None:
        pub_err = r.published_up if r.published_up == r.published_down else None
    err = (
        _num(pub_err, 10)
        if pub_err is not None or r.published_up is None
        else (f"{'+' + _g(r.published_up) + '/-' + _g(r.published_down or 0.0):>10}")
    )
    return (
        f"{r.region[:23]:<24}{r.step[:21]:<22}{_short(r.quantity):<12}{_num(r.ours, 11)}"
        f"{_num(r.ours_err, 10)}{_num(r.published, 11)}{err}{_num(r.ratio, 8, '.3f')}"
        f"{_num(r.pull, 7, '+.2f')}  {r.status}"
    )


def _short(q: str) -> str:
    return {"relative_efficiency": "rel. eff.", "efficiency": "efficiency"}.get(q, q)


def _g(x: float) -> str:
    return f"{x:.3g}"


def _num(x: float | None, width: int, fmt: str = ".4g") -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return f"{'—':>{width}}"
    return format(x, fmt).rjust(width)


def write_json(c: Comparison, path: Path, results_path: str | None = None) -> Path:
    doc = c.to_dict()
    doc["results"] = results_path
    problems = validate(doc, "validation")
    if problems:  # a bug of ours, not of the user: say so plainly
        raise HepreintError(f"internal error: validation report fails its schema: {problems[0]}")
    return write_json_file(path, doc, "the validation report")


def check_validation(doc: Any, name: str = "validation") -> dict[str, Any]:
    """Refuse anything that is not a schema-valid validation report (one line: file, path, fix)."""
    if not isinstance(doc, dict) or doc.get("schema") != SCHEMA_ID:
        got = doc.get("schema") if isinstance(doc, dict) else type(doc).__name__
        raise HepreintError(
            f"{name}: not a hepreint validation report (schema {got!r}, expected "
            f"{SCHEMA_ID!r}); pass a validation.json written by 'hepreint validate'"
        )
    problems = validate(doc, "validation")
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise HepreintError(
            f"{name}: damaged validation report: {problems[0]}{more}; rerun 'hepreint "
            "validate ANALYSIS --results RESULTS' to write it again"
        )
    return doc


def load_validation(path: str | Path) -> dict[str, Any]:
    """A ``validation.json`` (or the directory holding it), checked against its schema, so that
    whatever reads a report (a CI gate, a summary page) gets its fields or a one-line error."""
    p = Path(path)
    if p.is_dir():
        p = p / "validation.json"
    try:
        doc = json.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise HepreintError(f"{p}: no such validation report; run 'hepreint validate'") from None
    except OSError as exc:
        raise HepreintError(f"{p}: cannot read ({exc.strerror}); pass a validation.json") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise HepreintError(f"{p}: not JSON ({exc}); pass a validation.json") from None
    return check_validation(doc, str(p))
