"""Truth missing transverse momentum.

ATLAS truth MET ("MET_Truth NonInt") is the vector sum of the transverse momenta of the
non-interacting final-state particles (ATL-PHYS-PUB-2015-023); the truth view's ``invisible``
flag defines them (neutrinos, neutral SUSY, analysis-declared BSM codes).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import awkward as ak
import numpy as np

from hepreint.objects._columnar import event_index, flat, offsets_of
from hepreint.objects.registry import BuildInputs, object_kind


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


def _declared_invisible(params: Mapping[str, Any]) -> list[int]:
    return [int(p) for p in params.get("invisible_pids", [])]


@object_kind("met", invisible=_declared_invisible)
def _met_kind(params: dict[str, Any], inputs: BuildInputs) -> ak.Array:
    # invisible_pids act on the truth view itself (see the engine), not on this builder
    return met(inputs.truth)
