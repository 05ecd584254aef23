"""Per-event detector quantities: missing transverse momentum rebuilt, triggers decided.

MET follows the ATLAS definition (arXiv:1802.08168 Sec. 3): minus the vector sum of the
calibrated hard objects plus a soft term. Starting from truth MET (the invisible particles), the
reconstructed MET moves by minus the shift the response gave each hard object of the card's
``from`` kinds, and a soft term with the card's per-component resolution is added. Objects lost
to an inefficiency keep their truth momentum in the balance (they are reconstructed as something
else, e.g. a jet), a simplification stated in the card's approximations.

A trigger is the OR of its legs; each leg fires with its efficiency evaluated on the analysis'
leading object of that kind after the detector response (or on MET), drawn once per event and
leg from the event's own stream.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import awkward as ak
import numpy as np

from hepreint.detector.card import DetectorCard
from hepreint.detector.response import efficiency, gaussians

Uniforms = Callable[[str, np.ndarray], ak.Array]

#: the kinds whose response moves MET, unless the card's ``met.from`` says otherwise
MET_FROM = ("electron", "muon", "jet")


def _met_record(px: np.ndarray, py: np.ndarray) -> ak.Array:
    record = ak.contents.RecordArray(
        [ak.contents.NumpyArray(px), ak.contents.NumpyArray(py)], ["px", "py"],
        length=len(px), parameters={"__record__": "Momentum2D"},
    )  # fmt: skip
    return ak.Array(record)


def rebuild_met(
    card: DetectorCard,
    truth_met: ak.Array,
    shifted: Mapping[str, ak.Array],
    uniforms: Uniforms,
) -> ak.Array:
    """Reconstructed MET from truth MET, the objects' response shifts and the soft term."""
    sec = card.section("met") or {}
    n = len(truth_met)
    px = np.asarray(truth_met.px, dtype=np.float64).copy()
    py = np.asarray(truth_met.py, dtype=np.float64).copy()
    for kind in sec.get("from", MET_FROM):
        coll = shifted.get(kind)
        if coll is None:
            continue
        px -= np.asarray(ak.sum(coll.dpx, axis=1))
        py -= np.asarray(ak.sum(coll.dpy, axis=1))
    if "soft_term" in sec:
        met_true = np.hypot(np.asarray(truth_met.px), np.asarray(truth_met.py))
        sigma = card.function(sec["soft_term"])({"met": met_true, "pt": met_true})
        z = gaussians(uniforms("met/soft_term", np.full(n, 4)))
        px += sigma * z[0::2]
        py += sigma * z[1::2]
    return _met_record(px, py)


def trigger_decisions(
    card: DetectorCard,
    names: list[str],
    leading: Mapping[str, ak.Array],
    met: ak.Array | None,
    uniforms: Uniforms,
    n_events: int,
) -> dict[str, np.ndarray]:
    """True/False per event for each named trigger of the card (the analysis checked at load
    that the card defines them). ``leading`` holds, per kind, the analysis' collection of that
    kind after the detector response."""
    out: dict[str, np.ndarray] = {}
    for name in names:
        fired = np.zeros(n_events, dtype=bool)
        for i, leg in enumerate(card.data["triggers"][name]["any_of"]):
            rank = int(leg.get("rank", 0))
            if leg["object"] == "met":
                if met is None:
                    continue
                value = np.hypot(np.asarray(met.px), np.asarray(met.py))
                kin = {"met": value, "pt": value}
                has = np.ones(n_events, dtype=bool)
            else:
                coll = leading.get(leg["object"])
                if coll is None:
                    continue
                has = np.asarray(ak.num(coll, axis=1)) > rank
                padded = ak.pad_none(coll, rank + 1, axis=1)[:, rank]
                pt = np.asarray(ak.fill_none(padded.pt, 0.0), dtype=np.float64)
                eta = np.asarray(ak.fill_none(padded.eta, 0.0), dtype=np.float64)
                kin = {"pt": pt, "abs_eta": np.abs(eta), "eta": eta}
            eff = np.where(has, efficiency(card, leg["efficiency"], kin), 0.0)
            u = np.asarray(
                ak.to_numpy(
                    ak.flatten(uniforms(f"trigger/{name}/{i}", np.ones(n_events, np.int64)))
                )
            )
            fired |= u < eff
        out[name] = fired
    return out
