"""CheckMATE 2 evaluation tables: ``evaluation/total_results.txt`` and what goes with it.

Written so that CheckMATE 2's own readers take them (its public source, commit 548ce71):
``tools/python/multibin_limit.py`` ``data_from_CMresults`` skips the first line of
``evaluation/total_results.txt`` and reads columns 2-7 of every other non-empty line as
``sr o b db s ds`` (whitespace-split, so *no comment lines* in that file); the column names are
those of ``Evaluator.line_from_data`` (``tools/python/evaluator.py``), the default
``TotalEvaluationFileColumns`` (``tools/python/info.py``) followed by the extras it knows::

    analysis  sr  o  b  db  s  ds  s95obs  s95exp  robscons  rexpcons  robs  rexp  clsobs  clsexp

- ``analysis``: CheckMATE's name, ``<experiment>_<arXiv id with _>`` (``atlas_2407_10904``);
- rows: the regions the analysis' likelihood maps (CheckMATE evaluates only signal regions
  with reference data), sorted by name as CheckMATE sorts them;
- ``o``, ``b``, ``db``: observed count, background and its uncertainty from the likelihood
  (:mod:`hepreint.export.counting`; for a calibrated likelihood ``o`` is the background-only
  expectation, said in ``README.txt``, ``best_signal_regions.txt`` and ``result.txt``);
- ``s``, ``ds``: signal events and CheckMATE's ``signal_err_tot`` = √(stat² + sys²)
  (``resultcollector.py`` ``add_and_average``): stat is the MC statistical error
  σ·L·√Σw²/Σw_all, for an empty region the error of one MC event (σ·L/Σw_all, CheckMATE's
  rule); sys is 0 (hepreint carries no signal systematic; weight variations are not in ``ds``);
- ``s95obs``/``s95exp``: given limits, else the model-independent limits computed from o, b, db;
  r values as ``Evaluator.calc_r_values``: ``r = s/S95``, ``rcons = (s − 1.64·ds)/S95``, ≥ 0;
- ``clsobs``/``clsexp``: given limits, else CLs at μ = 1 of the region's counting model.
  ``-1`` (CheckMATE's "not evaluated") only where no number exists (no likelihood).

``analysis_info/<name>_ref.dat`` is the reference table CheckMATE's AnalysisManager writes
(``add_analysis_reference``: ``SR obs bkg bkg_err S95_obs S95_exp``) for adding the analysis.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from hepreint.errors import HepreintError
from hepreint.export._common import check_limits, comment_partial, limit, safe_name
from hepreint.export.counting import Counting, counting, region_cls, region_s95
from hepreint.results.output import write_text

COLUMNS = (
    "analysis",
    "sr",
    "o",
    "b",
    "db",
    "s",
    "ds",
    "s95obs",
    "s95exp",
    "robscons",
    "rexpcons",
    "robs",
    "rexp",
    "clsobs",
    "clsexp",
)
REF_COLUMNS = ("SR", "obs", "bkg", "bkg_err", "S95_obs", "S95_exp")
REF_KEYS = ("sr", "o", "b", "db", "s95obs", "s95exp")  # the same numbers in the results table
_AUTO = object()  # result_rows: look the counting numbers up in the analysis' likelihood


def analysis_name(doc: dict[str, Any]) -> str:
    """CheckMATE's analysis name: ``atlas_2407_10904`` (experiment, arXiv id), else ours."""
    a = doc["analysis"]
    exp = str(a.get("experiment") or "").lower()
    arxiv = str(a.get("arxiv") or "").strip()
    if exp and arxiv:
        return safe_name(f"{exp}_{arxiv}").replace(".", "_").replace("-", "_").lower()
    return safe_name(a["name"])


def _r(s: float, ds: float, s95: float | None, given: float | None) -> tuple[float, float]:
    """(r, r_cons) as CheckMATE computes them; -1 without a limit."""
    if s95 is None or s95 <= 0:
        return (given if given is not None else -1.0), -1.0
    r = given if given is not None else max(s / s95, 0.0)
    return r, max((s - 1.64 * ds) / s95, 0.0)


def signal_error(doc: dict[str, Any], reg: dict[str, Any]) -> float:
    """CheckMATE's ``ds``: MC statistical error, one MC event's worth for an empty region."""
    if float(reg["cutflow"][-1]["sumw"]) <= 0:
        return float(doc["normalisation"].get("factor") or 1.0)
    return float(reg["yield_stat"])


def result_rows(
    doc: dict[str, Any], limits: dict | None = None, counts: Any = _AUTO
) -> list[dict[str, Any]]:
    """One row per CheckMATE signal region; ``counts`` None: no likelihood (o, b, db = -1)."""
    lim = check_limits(limits)
    cnt: Counting | None = counting(doc) if counts is _AUTO else counts
    ana = analysis_name(doc)
    names = sorted(cnt.regions) if cnt is not None else list(doc["regions"])
    normalised = bool(doc["normalisation"].get("normalised"))
    rows = []
    for name in names:
        reg = doc["regions"][name]
        s, ds = float(reg["yield"]), signal_error(doc, reg)
        s95o, s95e = limit(lim, name, "s95_obs"), limit(lim, name, "s95_exp")
        cls_o, cls_e = limit(lim, name, "cls_obs"), limit(lim, name, "cls_exp")
        c = cnt.regions[name] if cnt is not None else None
        if c is not None:  # S95 is in events, comparable to s only when s is in events too
            if s95o is None or s95e is None:
                co, ce = region_s95(c)
                s95o = co if s95o is None else s95o
                s95e = ce if s95e is None else s95e
            if normalised and (cls_o is None or cls_e is None):
                ko, ke = region_cls(s, c)
                cls_o = ko if cls_o is None else cls_o
                cls_e = ke if cls_e is None else cls_e
        robs, robscons = _r(s, ds, s95o, limit(lim, name, "r_obs"))
        rexp, rexpcons = _r(s, ds, s95e, limit(lim, name, "r_exp"))
        rows.append(
            {
                "analysis": ana,
                "sr": safe_name(name),
                "o": -1 if c is None else c.observed,
                "b": -1 if c is None else c.background,
                "db": -1 if c is None else c.background_err,
                "s": s,
                "ds": ds,
                "s95obs": -1 if s95o is None else s95o,
                "s95exp": -1 if s95e is None else s95e,
                "robscons": robscons,
                "rexpcons": rexpcons,
                "robs": robs,
                "rexp": rexp,
                "clsobs": -1 if cls_o is None else cls_o,
                "clsexp": -1 if cls_e is None else cls_e,
            }
        )
    return rows


def best_row(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """As ``find_strongest_evaluators``: smallest clsexp if every row has one, else largest
    rexpcons."""
    if all(r["clsexp"] != -1 for r in rows):
        return min(rows, key=lambda r: r["clsexp"])
    return max(rows, key=lambda r: r["rexpcons"])


def _cell(v: Any) -> str:
    if isinstance(v, bool) or not isinstance(v, int | float):
        return str(v)
    if v == -1:
        return "-1"  # CheckMATE's "not evaluated"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return repr(float(v))


def format_table(rows: list[dict[str, Any]], columns: tuple[str, ...] = COLUMNS) -> str:
    """Columns separated by at least two spaces, as CheckMATE's ``format_columnated_file``."""
    table = [list(columns)] + [[_cell(r[c]) for c in columns] for r in rows]
    widths = [max(len(line[i]) for line in table) for i in range(len(columns))]
    return (
        "\n".join(
            "  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip()
            for line in table
        )
        + "\n"
    )


def result_text(best: dict[str, Any]) -> str | None:
    """CheckMATE's ``result.txt`` verdict for the best region (None without any limit)."""
    if best["clsobs"] != -1:
        test = "Calculation of CLs(S, dS, B, dB, O) using profile likelihood"
        allowed, value = best["clsobs"] > 0.05, f"Result for CLs: {_cell(best['clsobs'])}"
    elif best["s95obs"] != -1:
        test = "Calculation of r = signal/(95%CL limit on signal)"
        allowed, value = best["robscons"] < 1, f"Result for r: {_cell(best['robscons'])}"
    else:
        return None
    return (
        f"Test: {test}\nResult: {'Allowed' if allowed else 'Excluded'}\n{value}\n"
        f"Analysis: {best['analysis']}\nSR: {best['sr']}\n"
    )


def _notes(doc: dict[str, Any], cnt: Counting | None, why: str | None) -> list[str]:
    out = []
    if cnt is not None:
        out.append(cnt.note)
        out += cnt.notes
        left = sorted(set(doc["regions"]) - set(cnt.regions))
        if left:
            out.append(
                "regions not in the likelihood, hence not CheckMATE signal regions: "
                + ", ".join(left)
            )
    else:
        out.append(f"o, b, db are -1 (CheckMATE's 'not evaluated'): {why}")
    out.append(
        "ds = MC statistical error of s (one MC event's error for an empty region); no signal "
        "systematic, weight variations not included"
    )
    if not doc["normalisation"].get("normalised"):
        out.append("results NOT NORMALISED: s is a sum of weights, not events; no CLs computed")
    out.append(
        "s95/cls not given in --limits: computed from o, b, db with pyhf's "
        "uncorrelated_background (asymptotic CLs, q~mu), no signal uncertainty"
    )
    return out


def write_checkmate(
    doc: dict[str, Any], outdir: str | Path, limits: dict | None = None
) -> list[Path]:
    out = Path(outdir)
    if not doc["regions"]:
        raise HepreintError("results have no regions; nothing to write for CheckMATE")
    try:
        cnt, why = counting(doc), "the analysis has no likelihood: no background numbers"
    except HepreintError as exc:  # an analysis that cannot be found still exports its signal
        cnt, why = None, f"the analysis likelihood could not be read ({exc})"
    rows = result_rows(doc, limits, cnt)
    notes = _notes(doc, cnt, why)
    header = "".join(f"# {n}\n" for n in notes)
    ev = out / "evaluation"
    # no comment lines here (data_from_CMresults parses every line after the first); partial
    # results get one all the same, so that CheckMATE refuses them instead of using them
    written = [write_text(ev / "total_results.txt", comment_partial(doc, format_table(rows)))]
    best = best_row(rows)
    text = header + format_table([best])
    written.append(write_text(ev / "best_signal_regions.txt", comment_partial(doc, text)))
    verdict = result_text(best)
    if verdict is not None:
        written.append(write_text(out / "result.txt", comment_partial(doc, header + verdict)))
    if cnt is not None:
        ref = [
            dict(zip(REF_COLUMNS, [r[k] for k in REF_KEYS], strict=True))
            for r in sorted(rows, key=lambda r: r["sr"])
        ]
        name = f"{rows[0]['analysis']}_ref.dat"
        text = header + format_table(ref, REF_COLUMNS)
        written.append(write_text(out / "analysis_info" / name, comment_partial(doc, text)))
    readme = (
        f"hepreint export for CheckMATE 2, analysis {rows[0]['analysis']}.\n"
        f"Columns of evaluation/total_results.txt: {' '.join(COLUMNS)}\n" + header
    )
    written.append(write_text(out / "README.txt", comment_partial(doc, readme)))
    return written


def read_table(text: str) -> list[dict[str, Any]]:
    """Rows of a CheckMATE evaluation table, keyed by its header (numbers as floats)."""
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.startswith("# ")]
    if not lines:
        raise HepreintError("empty CheckMATE table")
    header = lines[0].split()
    rows = []
    for n, ln in enumerate(lines[1:], start=2):
        cells = ln.split()
        if len(cells) != len(header):
            raise HepreintError(
                f"CheckMATE table line {n}: {len(cells)} cells, header has {len(header)}"
            )
        row: dict[str, Any] = {}
        for key, cell in zip(header, cells, strict=True):
            try:
                row[key] = float(cell) if key not in ("analysis", "sr", "SR") else cell
            except ValueError:
                row[key] = cell
        rows.append(row)
    return rows
