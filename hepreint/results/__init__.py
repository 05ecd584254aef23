"""Results: the normalised document of a run, its table, reading it back, merging runs."""

from __future__ import annotations

from hepreint.results.document import Results
from hepreint.results.load import check_results, load_results, yields_from_dict
from hepreint.results.run import PartialResultsError, run, run_many

__all__ = [
    "PartialResultsError",
    "Results",
    "check_results",
    "load_results",
    "run",
    "run_many",
    "yields_from_dict",
]
