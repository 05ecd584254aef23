"""``hepreint validate``: compare a run's cut-flows with the published ones.

    refs = load_references_for(analysis, results)     # reference/*.yaml + validation.tables
    comparison = compare(results, refs, tolerance)     # rows: ours / published / ratio / pull
    write_outputs(comparison, "out/")                  # validation.txt, .json, .png

or all at once with :func:`validate`.
"""

from __future__ import annotations

from hepreint.validation.compare import Comparison, Row, compare
from hepreint.validation.errors import ValidationError
from hepreint.validation.reference import (
    RefEntry,
    References,
    load_reference_file,
    load_reference_files,
)
from hepreint.validation.run import load_references_for, load_results, validate, write_outputs

__all__ = [
    "Comparison",
    "RefEntry",
    "References",
    "Row",
    "ValidationError",
    "compare",
    "load_reference_file",
    "load_reference_files",
    "load_references_for",
    "load_results",
    "validate",
    "write_outputs",
]
