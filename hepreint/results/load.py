"""Reading results back: every command that reads a results.json (limits, export, validate,
merge) goes through :func:`load_results`, which refuses in one line anything not schema-valid,
holding NaN/Infinity, or whose float fields disagree with its exact sums (a file that lies)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hepreint.analysis.schemas import validate
from hepreint.engine.yields import RegionYields, Yields
from hepreint.errors import HepreintError
from hepreint.results.consistency import check_consistent, check_finite, edges_from_json
from hepreint.results.document import SCHEMA_ID


def check_results(doc: Any, name: str = "results") -> None:
    """Refuse anything that is not a schema-valid, finite, self-consistent hepreint results
    document (one line naming ``name`` and the JSON path)."""
    if not isinstance(doc, dict) or doc.get("schema") != SCHEMA_ID:
        got = doc.get("schema") if isinstance(doc, dict) else type(doc).__name__
        raise HepreintError(
            f"{name}: not a hepreint results file (schema {got!r}); pass a results.json "
            "written by 'hepreint run'"
        )
    check_finite(doc, name)  # before the schema: NaN fails "minimum" with a puzzling message
    problems = validate(doc, "results")
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise HepreintError(
            f"{name}: damaged results file: {problems[0]}{more}; rerun 'hepreint run ... -o DIR' "
            "to write it again"
        )
    check_consistent(doc, name)


def load_results(path: str | Path) -> dict[str, Any]:
    """A ``results.json`` (or the directory holding it), checked against its schema.

    Every command that reads results (limits, export, validate, merge) goes through here.
    """
    p = Path(path)
    if p.is_dir():
        p = p / "results.json"
    try:
        doc = json.loads(p.read_bytes().decode("utf-8"))
    except FileNotFoundError:
        raise HepreintError(f"{p}: no such results file; run 'hepreint run ... -o DIR'") from None
    except OSError as exc:
        raise HepreintError(f"{p}: cannot read ({exc.strerror}); pass a results.json") from None
    except UnicodeDecodeError as exc:
        raise HepreintError(
            f"{p}: not UTF-8 text (byte {exc.start}); pass a results.json written by 'hepreint run'"
        ) from None
    except json.JSONDecodeError as exc:
        raise HepreintError(
            f"{p}: not JSON (line {exc.lineno} column {exc.colno}: {exc.msg}; truncated?); pass "
            "a results.json written by 'hepreint run'"
        ) from None
    except RecursionError:
        raise HepreintError(f"{p}: nested too deeply to be a results file") from None
    if isinstance(doc, dict):
        edges_from_json(doc)
    check_results(doc, str(p))
    return doc


def yields_from_dict(doc: dict[str, Any]) -> Yields:
    """Rebuild the exact accumulator from a results JSON (``hepreint merge``)."""
    ex = doc["exact"]
    regions = {
        name: RegionYields(
            tuple(r["steps"]),
            [[int(v, 16) for v in row] for row in r["sumw"]],
            [[int(v, 16) for v in row] for row in r["sumw2"]],
            list(r["n"]),
        )
        for name, r in ex["regions"].items()
    }
    return Yields(
        tuple(doc["weight_names"]),
        regions,
        int(ex["n_events"]),
        [int(v, 16) for v in ex["sumw_all"]],
        [int(v, 16) for v in ex["sumw2_all"]],
    )
