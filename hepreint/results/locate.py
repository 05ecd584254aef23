"""The one place that finds the analysis a results file was made with."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hepreint.analysis.spec import Analysis, load_analysis
from hepreint.errors import HepreintError


def analysis_of(
    doc: dict[str, Any],
    results_path: str | Path | None = None,
    given: str | Path | None = None,
    *,
    same_version: bool = False,
) -> Analysis:
    """``given`` (``--analysis DIR``) if any; else the directory recorded in the results (as
    written, or relative to the results file), else the shipped analysis of that name. The
    recorded parameters are applied; ``same_version`` refuses an analysis whose files changed
    since the run (its sha256 differs), for operations that add numbers up."""
    a = doc.get("analysis") or {}
    where = f"{results_path}: " if results_path is not None else "results: "
    if given is not None:
        ana = load_analysis(given)
    else:
        directory = Path(str(a.get("directory", "")))
        candidates = [directory]
        if results_path is not None and not directory.is_absolute():
            candidates.append(Path(results_path).parent / directory)
        found = [
            c for c in candidates if str(c) not in ("", ".") and (c / "analysis.yaml").is_file()
        ]
        if found:
            ana = load_analysis(found[0])
        elif a.get("name"):
            try:
                ana = load_analysis(str(a["name"]))
            except HepreintError:
                raise HepreintError(
                    f"{where}the analysis directory recorded in it ({directory}) is gone and "
                    f"no analysis is shipped as {a['name']!r}; pass --analysis DIR"
                ) from None
        else:
            raise HepreintError(f"{where}cannot tell which analysis made it; pass --analysis DIR")
    params = {k: v for k, v in (a.get("parameters") or {}).items() if k in ana.parameters}
    if params:
        ana = ana.with_parameters(params)
    if same_version and a.get("sha256") and ana.digest() != a["sha256"]:
        raise HepreintError(
            f"{where}{ana.directory}: the analysis changed since these results were made "
            "(sha256 differs); rerun them"
        )
    return ana
