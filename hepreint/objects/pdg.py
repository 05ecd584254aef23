"""PDG-code properties for a whole column, evaluated once per distinct code.

Properties come from ``particle.pdgid`` (the PDG Monte Carlo numbering scheme, RPP chapter 45)
rather than a hand-made table; they are computed on ``np.unique(pid)`` (a few hundred codes per
batch) and mapped back with the inverse index, so the cost does not grow with the batch size.
Unknown or generator-specific codes (Pythia strings 92, clusters 91, 0, ...) never raise: they
count as neutral non-hadrons.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from particle import pdgid


@dataclass(frozen=True)
class PdgProperties:
    """Per-particle flat arrays derived from the PDG code."""

    charge: np.ndarray  # float, units of e
    is_hadron: np.ndarray
    has_bottom: np.ndarray
    has_charm: np.ndarray
    is_susy: np.ndarray


def _safe(func, code: int) -> bool:
    try:
        return bool(func(code))
    except Exception:  # particle raises on malformed codes; treat as "no"
        return False


def _charge(code: int) -> float:
    try:
        three = pdgid.three_charge(code)
    except Exception:
        three = None
    return 0.0 if three is None else three / 3.0


def pdg_properties(pid: np.ndarray) -> PdgProperties:
    """Evaluate the PDG properties the object builders need for every entry of ``pid``."""
    codes, inverse = np.unique(np.asarray(pid, dtype=np.int64), return_inverse=True)
    ints = [int(c) for c in codes]
    # A "hadron" must be a valid, non-generator-specific code (particle flags e.g. 999999 as a
    # well-formed meson number, but 81-100 generator codes are never hadrons).
    hadron = np.array(
        [
            _safe(pdgid.is_valid, c)
            and _safe(pdgid.is_hadron, c)
            and not _safe(pdgid.is_generator_specific, c)
            for c in ints
        ],
        dtype=bool,
    )
    bottom = np.array([_safe(pdgid.has_bottom, c) for c in ints], dtype=bool) & hadron
    charm = np.array([_safe(pdgid.has_charm, c) for c in ints], dtype=bool) & hadron
    susy = np.array([_safe(pdgid.is_SUSY, c) for c in ints], dtype=bool)
    charge = np.array([_charge(c) for c in ints], dtype=np.float64)
    inverse = inverse.reshape(-1)
    return PdgProperties(
        charge=charge[inverse],
        is_hadron=hadron[inverse],
        has_bottom=bottom[inverse],
        has_charm=charm[inverse],
        is_susy=susy[inverse],
    )
