"""Scans over signal points (``hepreint scan``): a grid of parameter values, each point
generated (or given as files), run and put through the limits, resumable, in parallel on the
run executors; the efficiency and limit maps as JSON (``hepreint-scan/1``), HEPData and plots.

Modules, one concept each: :mod:`.grid` (the points), :mod:`.plan` (seeds, digests, resume),
:mod:`.run` (one point), :mod:`.parallel` (points on the executors), :mod:`.maps` (the scan
document), :mod:`.hepdata` (the HEPData tables), :mod:`.plots`, :mod:`.driver` (all of it).
"""

from __future__ import annotations

from hepreint.scan.driver import ScanReport, run_scan
from hepreint.scan.grid import Grid, GridPoint, ScanError, grid_from_axes, grid_from_file
from hepreint.scan.parallel import ScanInterrupted

__all__ = [
    "Grid",
    "GridPoint",
    "ScanError",
    "ScanInterrupted",
    "ScanReport",
    "grid_from_axes",
    "grid_from_file",
    "run_scan",
]
