"""hepreint: preserved LHC analyses for reinterpretation.

The Python API mirrors the CLI::

    import hepreint
    ana = hepreint.load_analysis("analyses/ttHbb")
    res = hepreint.run(ana, ["events.hepmc3.gz"], hepreint.RunOptions(seed=1))
    res.region_yield("single_lepton")      # (events, stat. error)
    res.write("out/")                      # results.json
    hepreint.limits(res)                   # CLs and upper limits (pyhf)
    hepreint.export_results(res, "all", "out/")  # YODA, SAF, CheckMATE, HEPData, pyhf
    res.to_hist()                          # scikit-hep hist objects; res.to_table(): rows
    for batch in hepreint.read_events(["events.hepmc3.gz"]):
        batch.particles.pt                 # particles with scikit-hep vector behaviour

``Results`` is data with its own methods only; statistics, exports and validation are the
functions below, which take it (the package's imports point one way: results never call up).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hepreint._version import __version__
from hepreint.analysis.spec import Analysis, load_analysis
from hepreint.engine.options import RunOptions
from hepreint.engine.processor import Processor
from hepreint.errors import HepreintError, InputError, LikelihoodError, NetworkError, SpecError
from hepreint.io.vectors import read_events
from hepreint.networks import load_section as _networks  # noqa: F401 - registers the loader
from hepreint.results import PartialResultsError, Results, run, run_many


def limits(results: Results, *, per_region: bool = True) -> Any:
    """CLs and upper limits with the analysis' likelihood (``hepreint limits``)."""
    from hepreint.stats import compute_limits

    return compute_limits(results.to_dict(), results.analysis, per_region=per_region)


def to_yoda(results: Results, prefix: str | None = None) -> str:
    """The cut-flows and yields as YODA text (``hepreint export --format yoda``)."""
    from hepreint.export.yoda import to_yoda as _to_yoda

    return _to_yoda(results.to_dict(), prefix)


def export_results(
    results: Results, fmt: str, outdir: str | Path, limits: dict[str, Any] | None = None
) -> list[Path]:
    """Write ``fmt`` (yoda, saf, checkmate, hepdata, pyhf, all) into ``outdir``."""
    from hepreint.export import export as _export

    return _export(results.to_dict(), fmt, outdir, limits)


def validate(results: Results) -> Any:
    """Compare with the analysis' published references (``hepreint validate``)."""
    from hepreint.validation import validate as _validate

    return _validate(results.analysis, results.to_dict())


__all__ = [
    "Analysis",
    "HepreintError",
    "InputError",
    "LikelihoodError",
    "NetworkError",
    "PartialResultsError",
    "Processor",
    "Results",
    "RunOptions",
    "SpecError",
    "__version__",
    "export_results",
    "limits",
    "load_analysis",
    "read_events",
    "run",
    "run_many",
    "to_yoda",
    "validate",
]
