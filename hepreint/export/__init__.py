"""Results in the formats other reinterpretation tools read: YODA, MA5 SAF, CheckMATE, HEPData,
and the signal as a pyhf patch/patchset for the analysis' likelihood (``pyhf``).

Every exporter works from the results JSON dict alone, so a result converts without a rerun and
without its events; ``export`` checks the document (and the optional limits) once, up front.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hepreint.export._common import check_limits, check_results, load_limits, load_results
from hepreint.export.checkmate import write_checkmate
from hepreint.export.hepdata import write_hepdata
from hepreint.export.hepdata_table import HEPDataTable, read_submission, read_table
from hepreint.export.saf import write_saf
from hepreint.export.yoda import write_yoda

#: format name -> sub-directory used by ``all``
FORMATS = {
    "yoda": "yoda",
    "saf": "ma5",
    "checkmate": "checkmate",
    "hepdata": "hepdata",
    "pyhf": "pyhf",
}


def export(
    doc: dict[str, Any],
    fmt: str,
    outdir: str | Path,
    limits: dict[str, Any] | None = None,
    *,
    dataset: str | None = None,
    yoda_prefix: str | None = None,
    notes: list[str] | None = None,
) -> list[Path]:
    """Write ``doc`` as ``fmt`` into ``outdir`` (``all``: one sub-directory per format).

    ``notes`` collects what was skipped or approximated (``all`` skips ``pyhf`` for an analysis
    without a likelihood); the CLI prints them as warnings.
    """
    check_results(doc)
    lim = check_limits(limits)
    out = Path(outdir)
    if fmt == "all":
        written: list[Path] = []
        for name, sub in FORMATS.items():
            if name == "pyhf":
                written += _pyhf(doc, out / sub, notes, optional=True)
                continue
            written += export(doc, name, out / sub, lim, dataset=dataset, yoda_prefix=yoda_prefix)
        return written
    if fmt == "yoda":
        return write_yoda(doc, out, yoda_prefix)
    if fmt == "saf":
        return write_saf(doc, out, lim, dataset)
    if fmt == "checkmate":
        return write_checkmate(doc, out, lim)
    if fmt == "hepdata":
        return write_hepdata(doc, out)
    if fmt == "pyhf":
        return _pyhf(doc, out, notes)
    raise ValueError(f"unknown format {fmt!r}; known: {', '.join(FORMATS)}, all")


def _pyhf(
    doc: dict[str, Any], out: Path, notes: list[str] | None, *, optional: bool = False
) -> list[Path]:
    from hepreint.export.pyhf import write_pyhf  # pyhf is imported only when asked for

    return write_pyhf(doc, out, notes, optional=optional)


__all__ = [
    "FORMATS",
    "HEPDataTable",
    "export",
    "load_limits",
    "load_results",
    "read_submission",
    "read_table",
]
