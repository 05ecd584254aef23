"""Merge results files of one analysis run on separate inputs (files, halves, grid jobs).

The exact accumulators in each file add bit-exactly; the cross-section of the merged sample is
the Σw-weighted mean of the inputs' (identical inputs give it unchanged).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hepreint.errors import HepreintError
from hepreint.results.consistency import has_exact
from hepreint.results.document import Results
from hepreint.results.load import load_results, yields_from_dict
from hepreint.results.locate import analysis_of


def merge_files(
    paths: list[Path], outdir: Path, analysis: Path | None = None, notes: list[str] | None = None
) -> Path:
    """``analysis`` overrides the directory recorded in the results (moved checkouts); what
    the user must know about the write (see :meth:`Results.write`) goes to ``notes``."""
    _refuse_twice(paths)
    docs = [load_results(p) for p in paths]
    for p, d in zip(paths, docs, strict=True):
        if not has_exact(d):
            raise HepreintError(
                f"{p}: holds no exact sums (an empty 'exact' block); only results written by "
                "'hepreint run' can be merged"
            )
    names = {tuple(d["weight_names"]) for d in docs}
    if len(names) > 1:
        counts = ", ".join(
            f"{p}: {len(d['weight_names'])}" for p, d in zip(paths, docs, strict=True)
        )
        raise HepreintError(
            f"the results have different event weights ({counts}); only runs on samples "
            "with the same weights can be added"
        )
    if len({d["analysis"]["sha256"] for d in docs}) > 1:
        raise HepreintError(
            f"{', '.join(map(str, paths))}: made with different versions of the analysis "
            "(sha256 differs); rerun them with one version"
        )
    if len({json.dumps(d["analysis"]["parameters"], sort_keys=True) for d in docs}) > 1:
        raise HepreintError("results were made with different analysis parameters; merge per point")
    _refuse_same_inputs(paths, docs)
    a = analysis_of(docs[0], paths[0], analysis, same_version=True)
    yields = yields_from_dict(docs[0])
    for d in docs[1:]:
        yields = yields + yields_from_dict(d)
    norms = [d["normalisation"] for d in docs]
    xs = [(n["xsec_pb"], n["sumw_all"]) for n in norms if n["xsec_pb"] is not None]
    xsec = None
    warnings = sorted({w for d in docs for w in d["warnings"]})
    if len(xs) == len(norms) and sum(w for _, w in xs) > 0:
        xsec = sum(x * w for x, w in xs) / sum(w for _, w in xs)
        if len({x for x, _ in xs}) > 1:
            warnings.append(
                "the parts state different cross-sections (running generator estimates?); "
                f"their Σw-weighted mean {xsec:.6g} pb is used: run the parts with the same "
                "--xsec for yields identical to one run"
            )
    prov = dict(docs[0]["provenance"])
    prov["inputs"] = [i for d in docs for i in d["provenance"]["inputs"]]
    prov["merged_from"] = [str(p) for p in paths]
    res = Results(
        analysis=a,
        yields=yields,
        xsec_pb=xsec,
        xsec_err_pb=None,
        xsec_source="Σw-weighted mean of merged inputs" if xsec is not None else None,
        lumi_fb=norms[0]["luminosity_fb"],
        lumi_source=norms[0].get("luminosity_source", ""),
        provenance=prov,
        status="partial" if any(d["status"] == "partial" for d in docs) else "complete",
        errors=[e for d in docs for e in d["errors"]],
        warnings=warnings,
    )
    return res.write(outdir, notes)


def _refuse_twice(paths: list[Path]) -> None:
    seen: dict[Path, Path] = {}
    for p in paths:
        key = p.resolve()
        if key in seen:
            raise HepreintError(
                f"{p}: given twice (as {seen[key]} and {p}); its events would count twice: "
                "pass each results file once"
            )
        seen[key] = p


def _refuse_same_inputs(paths: list[Path], docs: list[dict[str, Any]]) -> None:
    """Two results of the same events (a copy, a rerun) must not add up: the same input files
    (path, size, events read) with the same --skip/--max-events are the same events."""
    seen: dict[str, Path] = {}
    for p, d in zip(paths, docs, strict=True):
        prov = d["provenance"]
        key = json.dumps([prov["inputs"], prov.get("skip"), prov.get("max_events")], sort_keys=True)
        if key in seen:
            raise HepreintError(
                f"{p}: made from the same events as {seen[key]} (identical inputs, --skip and "
                "--max-events in provenance); merging would count them twice: merge results "
                "of separate inputs only"
            )
        seen[key] = p
