"""CheckMATE-style evaluation tables: ``evaluation/total_results.txt`` and friends.

Column names are CheckMATE 2's own (its default ``TotalEvaluationFileColumns`` followed by the
extra columns its evaluator also knows), so scripts written for CheckMATE output — which split
rows on whitespace and pick columns by position or header — read ours:

    analysis  sr  o  b  db  s  ds  s95obs  s95exp  robscons  rexpcons  robs  rexp  clsobs  clsexp

``s``/``ds`` are the region's yield and its statistical error (events at the analysis
luminosity); ``o``, ``b``, ``db`` (observed events, background and its error) are not in
results and are ``-1``, CheckMATE's placeholder, as is every limit not given. r values follow
CheckMATE: ``r = s/S95`` and the conservative ``rcons = (s − 1.64·ds)/S95``, both clipped at 0;
given ``r_obs``/``r_exp`` in the limits replace the computed r. The best region is the one with
the smallest expected CLs when every region has one, else the largest ``rexpcons``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hepreint.errors import HepreintError
from hepreint.export._common import check_limits, comment_partial, limit, safe_name
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


def _r(s: float, ds: float, s95: float | None, given: float | None) -> tuple[float, float]:
    """(r, r_cons) as CheckMATE computes them; -1 without a limit."""
    if s95 is None or s95 <= 0:
        return (given if given is not None else -1.0), -1.0
    r = given if given is not None else max(s / s95, 0.0)
    return r, max((s - 1.64 * ds) / s95, 0.0)


def result_rows(doc: dict[str, Any], limits: dict | None = None) -> list[dict[str, Any]]:
    lim = check_limits(limits)
    ana = safe_name(doc["analysis"]["name"])
    rows = []
    for name, reg in doc["regions"].items():
        s, ds = float(reg["yield"]), float(reg["yield_stat"])
        s95o, s95e = limit(lim, name, "s95_obs"), limit(lim, name, "s95_exp")
        robs, robscons = _r(s, ds, s95o, limit(lim, name, "r_obs"))
        rexp, rexpcons = _r(s, ds, s95e, limit(lim, name, "r_exp"))
        cls_o, cls_e = limit(lim, name, "cls_obs"), limit(lim, name, "cls_exp")
        rows.append(
            {
                "analysis": ana,
                "sr": safe_name(name),
                "o": -1,
                "b": -1,
                "db": -1,
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
    if all(r["clsexp"] != -1 for r in rows):
        return min(rows, key=lambda r: r["clsexp"])
    return max(rows, key=lambda r: r["rexpcons"])


def _cell(v: Any) -> str:
    if isinstance(v, int | float) and not isinstance(v, bool) and v == -1:
        return "-1"  # CheckMATE's "not evaluated"
    return repr(float(v)) if isinstance(v, int | float) and not isinstance(v, bool) else str(v)


def format_table(rows: list[dict[str, Any]]) -> str:
    """Columns separated by at least two spaces, as CheckMATE's columnated files."""
    table = [list(COLUMNS)] + [[_cell(r[c]) for c in COLUMNS] for r in rows]
    widths = [max(len(line[i]) for line in table) for i in range(len(COLUMNS))]
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


def write_checkmate(
    doc: dict[str, Any], outdir: str | Path, limits: dict | None = None
) -> list[Path]:
    out = Path(outdir)
    rows = result_rows(doc, limits)
    if not rows:
        raise HepreintError("results have no regions; nothing to write for CheckMATE")
    ev = out / "evaluation"
    written = [write_text(ev / "total_results.txt", comment_partial(doc, format_table(rows)))]
    best = best_row(rows)
    written.append(
        write_text(ev / "best_signal_regions.txt", comment_partial(doc, format_table([best])))
    )
    verdict = result_text(best)
    if verdict is not None:
        written.append(write_text(out / "result.txt", comment_partial(doc, verdict)))
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
                row[key] = float(cell) if key not in ("analysis", "sr") else cell
            except ValueError:
                row[key] = cell
        rows.append(row)
    return rows
