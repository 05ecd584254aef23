"""ΔR-based overlap removal between object collections.

The analyses' overlap-removal chains (e.g. ATLAS ttH(bb) arXiv:2111.06712: jets within
ΔR < 0.2 of an electron removed, then leptons within 0.4 of a jet) are sequences of this one
step with analysis-chosen ΔR.
"""

from __future__ import annotations

import awkward as ak

from hepreint.objects._columnar import delta_r_nested


def overlap_remove(
    target: ak.Array, reference: ak.Array, *, dR: float, use_rapidity: bool = False
) -> ak.Array:
    """Drop ``target`` objects within ΔR < ``dR`` of any ``reference`` object (same event).

    ``use_rapidity``: ΔR from rapidity and φ, as ATLAS's overlap-removal tools do for Run 2
    (ATL-PHYS-PUB-2015-026 recommendations); otherwise from pseudorapidity.
    """
    if use_rapidity:
        pairs = ak.cartesian([target, reference], axis=1, nested=True)
        dr = pairs["0"].deltaRapidityPhi(pairs["1"])
    else:
        dr = delta_r_nested(target, reference)
    close = ak.any(dr < dR, axis=2)
    return target[~ak.fill_none(close, False)]
