"""Statistics on top of hepreint yields: pyhf likelihoods (published, simplified, calibrated),
signal patches, CLs, upper limits and CheckMATE-style r-values.

Kept out of the event-processing path: nothing here is imported by ``hepreint run``.
"""

from __future__ import annotations

from hepreint.stats.calibrate import Calibration, calibrate
from hepreint.stats.limits import LimitResult, RegionLimit, compute_limits
from hepreint.stats.mapping import CALIBRATED_LABEL, ChannelMap, LikelihoodSpec, likelihood_spec
from hepreint.stats.simplified import BuiltWorkspace, build_simplified
from hepreint.stats.table import limits_table
from hepreint.stats.workspace import Likelihood, load_likelihood

__all__ = [
    "CALIBRATED_LABEL",
    "BuiltWorkspace",
    "Calibration",
    "ChannelMap",
    "LikelihoodSpec",
    "LimitResult",
    "Likelihood",
    "RegionLimit",
    "build_simplified",
    "calibrate",
    "compute_limits",
    "likelihood_spec",
    "limits_table",
    "load_likelihood",
]
