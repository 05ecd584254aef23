"""Glue between an analysis, a results dict and the outputs; the CLI is a thin layer over it."""

from __future__ import annotations

import re
from importlib.util import find_spec
from pathlib import Path
from typing import Any

from hepreint.analysis.spec import Analysis
from hepreint.analysis.yamlfile import load_yaml
from hepreint.results.load import load_results as _load_results
from hepreint.results.output import OutputError, ensure_dir, write_text
from hepreint.validation.compare import Comparison, compare
from hepreint.validation.errors import ValidationError
from hepreint.validation.likelihood_checks import likelihood_crosschecks
from hepreint.validation.reference import References, load_references
from hepreint.validation.report import format_table, load_validation, write_json

#: a variable whose expression is a momentum, mass or energy (no ratio) is in GeV, the unit of
#: every analysis (README "Writing an analysis"): the axis of its bins says so
ENERGY_LIKE = re.compile(r"\.(pt|mass|m|E|energy|et|mt|p|px|py|pz)\b|^\s*(mass|mt|ptsum)\(")


def load_results(path: str | Path) -> dict[str, Any]:
    """A results.json, checked against its schema (see :func:`hepreint.results.load_results`)."""
    return _load_results(path)


__all__ = ["load_references_for", "load_results", "load_validation", "validate", "write_outputs"]


def load_references_for(analysis: Analysis, results: dict[str, Any]) -> References:
    """References of ``analysis``, mapped onto the regions and steps ``results`` holds."""
    name = results["analysis"]["name"]
    if name != analysis.name:
        raise ValidationError(
            f"the results are of analysis {name!r}, not {analysis.name!r}; "
            "validate them against the analysis they were run with"
        )
    assert analysis.path is not None
    doc = load_yaml(analysis.path)
    layout = {r: [s["step"] for s in rd["cutflow"]] for r, rd in results["regions"].items()}
    validation = analysis.raw.get("validation") or {}
    return load_references(analysis.directory, validation, layout, doc.where)


def validate(analysis: Analysis, results: dict[str, Any]) -> Comparison:
    refs = load_references_for(analysis, results)
    tolerance = (analysis.raw.get("validation") or {}).get("relative_tolerance")
    c = compare(results, refs, tolerance)
    c.likelihood_crosschecks = likelihood_crosschecks(analysis)
    variables = analysis.raw.get("variables") or {}
    for b in c.bins.values():
        expr = variables.get(b["variable"])
        expr = expr.get("expr") if isinstance(expr, dict) else expr
        if isinstance(expr, str) and ENERGY_LIKE.search(expr) and "/" not in expr:
            c.units[b["variable"]] = "GeV"
        net = re.fullmatch(r"\s*(\w+)\.\w+\s*", expr) if isinstance(expr, str) else None
        if net and net.group(1) in analysis.networks:  # a network's output: its card's unit
            unit = (analysis.networks[net.group(1)].data["outputs"]).get("unit")
            if unit:
                c.units[b["variable"]] = str(unit)
    return c


def write_outputs(
    c: Comparison, outdir: str | Path, results_path: str | None = None, *, plot: bool = True
) -> dict[str, Path]:
    """validation.txt, validation.json and validation.png in ``outdir``.

    The plot needs the optional ``[plots]`` extra; without it the table and JSON are still
    written and a warning says why there is no PNG (a missing plotting library is no reason to
    lose a validation).
    """
    out = ensure_dir(outdir)
    if plot and (find_spec("matplotlib") is None or find_spec("mplhep") is None):
        c.warnings.append(
            "no validation.png: matplotlib/mplhep missing; pip install 'hepreint[plots]'"
        )
        plot = False
    paths = {"table": out / "validation.txt", "json": out / "validation.json"}
    write_text(paths["table"], format_table(c, results_path) + "\n")
    write_json(c, paths["json"], results_path)
    if plot:
        from hepreint.validation.plot import plot_comparison

        try:
            paths["png"] = plot_comparison(c, out / "validation.png")
        except OSError as exc:
            raise OutputError(
                f"{out / 'validation.png'}: cannot write ({exc.strerror or exc}); validation.txt "
                "and validation.json are written: free space or pass -o a writable directory"
            ) from None
    return paths
