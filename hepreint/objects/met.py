"""Truth missing transverse momentum.

ATLAS truth MET ("MET_Truth NonInt") is the vector sum of the transverse momenta of the
non-interacting final-state particles (ATL-PHYS-PUB-2015-023); the truth view's ``invisible``
flag defines them (neutrinos, neutral SUSY, analysis-declared BSM codes).
"""

from __future__ import annotations

import awkward as ak
import numpy as np

from hepreint.objects._columnar import event_index, flat, offsets_of


def met(truth: ak.Array) -> ak.Array:
    """Per-event vector ``Momentum2D`` record (px, py) of the invisible final particles."""
    offsets = offsets_of(truth)
    n_events = len(offsets) - 1
    invisible = flat(truth, "invisible").astype(bool)
    evt = event_index(offsets)[invisible]
    px = np.bincount(evt, weights=flat(truth, "px", np.float64)[invisible], minlength=n_events)
    py = np.bincount(evt, weights=flat(truth, "py", np.float64)[invisible], minlength=n_events)
    record = ak.contents.RecordArray(
        [ak.contents.NumpyArray(px), ak.contents.NumpyArray(py)],
        ["px", "py"],
        length=n_events,
        parameters={"__record__": "Momentum2D"},
    )
    return ak.Array(record)
