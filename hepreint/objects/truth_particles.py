"""The ``truth_particle`` kind: generator particles of given PDG codes, as four-vectors.

Why: some analyses bin or label events by a generator quantity that no detector measures, e.g.
the STXS truth pT(H) of ttH (``higgs: {type: truth_particle, pid: 25}`` → ``higgs[0].pt``).
Generators write a particle several times as it recoils in the shower (Pythia: one copy per
step); ``last_copy`` (default) keeps the copy with no child of the same code, the one whose
momentum went into the decay, which is the convention of truth pT(H) (the Higgs boson "after
FSR").
"""

from __future__ import annotations

from typing import Any

import awkward as ak
import numpy as np

from hepreint.errors import SpecError
from hepreint.objects._columnar import P4_FIELDS, flat, jagged, offsets_of, selected_offsets
from hepreint.objects.ancestry import global_parent
from hepreint.objects.registry import BuildInputs, object_kind


def _pids(value: Any) -> list[int]:
    values = value if isinstance(value, list | tuple) else [value]
    if not values or any(isinstance(v, bool) or not isinstance(v, int) for v in values):
        raise SpecError(f"truth_particle: pid must be an integer or a list of them, got {value!r}")
    return [abs(v) for v in values]


def truth_particles(truth: ak.Array, pids: list[int], *, last_copy: bool = True) -> ak.Array:
    """Particles of ``truth`` with |pid| in ``pids`` (Momentum4D + ``pid``, ``charge``), in
    decreasing pT; with ``last_copy`` only those without a child of the same (signed) code."""
    offsets = offsets_of(truth)
    pid = flat(truth, "pid", np.int64)
    select = np.isin(np.abs(pid), np.asarray(pids, dtype=np.int64))
    if last_copy:
        gparent = global_parent(flat(truth, "parent"), offsets)
        same = (gparent >= 0) & (pid[np.maximum(gparent, 0)] == pid)
        has_copy = np.zeros(len(pid), dtype=bool)
        has_copy[gparent[same]] = True
        select &= ~has_copy
    cols: dict[str, np.ndarray] = {f: flat(truth, f, np.float64)[select] for f in P4_FIELDS}
    cols["pid"] = pid[select]
    cols["charge"] = flat(truth, "charge", np.float64)[select]
    out = jagged(cols, selected_offsets(select, offsets), with_name="Momentum4D")
    return out[ak.argsort(out.pt, axis=1, ascending=False, stable=True)]


@object_kind("truth_particle", truth_only=True)
def _truth_particle_kind(params: dict[str, Any], inputs: BuildInputs) -> ak.Array:
    p = dict(params)
    if "pid" not in p:
        raise SpecError("truth_particle: give pid (a PDG code or a list of them)")
    pids = _pids(p.pop("pid"))
    last_copy = p.pop("last_copy", True)
    if not isinstance(last_copy, bool):
        raise SpecError(f"truth_particle: last_copy must be true or false, got {last_copy!r}")
    if p:
        raise SpecError(f"truth_particle: unknown parameter(s) {', '.join(sorted(p))}")
    return truth_particles(inputs.truth, pids, last_copy=last_copy)
