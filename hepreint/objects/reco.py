"""Analysis collections from objects a fast simulation already reconstructed (Delphes).

A batch read from Delphes output carries its collections in ``EventBatch.reco``
(:mod:`hepreint.io.delphes`); :func:`reco_collection` turns one into what the analysis' object
kind gives for truth events, with the same fields and the same ``pt_min``/``abs_eta_max`` cuts,
so that an analysis runs unchanged on either input. What differs, and why:

* parameters that define a truth object (``dress_dR``, ``accept_tau_decays``, ``flavour_dR``,
  ``algorithm``, ``iso_dR``/``iso_et_frac``, ``trim_*``, ``invisible_pids``, ...) are accepted
  and ignored: the Delphes card made those choices (its isolation, its jet algorithm);
* jets: ``flavour`` is Delphes' ``Jet.Flavor`` (the highest-flavour parton within the card's
  ΔR, JetFlavorAssociation) mapped to 5/4/15/0 like the truth labels; ``btag60``...``btag85``
  are bits of ``Jet.BTag`` (BTagging.cc: one bit per working point of the card). Every
  working point reads bit 0 unless the object says otherwise with
  ``delphes_btag_bits: {70: 0, 85: 1}``; ``tau_tag`` is bit 0 of ``Jet.TauTag``;
* taus are the jets with ``tau_tag`` (Delphes has no separate τ collection);
* large-R jets are the ``FatJet`` branch; ``n_b_hadrons`` is not in Delphes files and is -1
  (unknown), ``n_subjets`` is ``FatJet.NSubJetsTrimmed`` (-1 when the file lacks it);
* the jet radius cannot be read from a file: a ``jet`` asking R >= :data:`LARGE_R` or a
  ``large_r_jet`` asking less is refused, as is a ``large_r_jet`` on a file without FatJet.
"""

from __future__ import annotations

from typing import Any

import awkward as ak
import numpy as np

from hepreint.errors import InputError, SpecError
from hepreint.events.batch import EventBatch
from hepreint.objects._columnar import P4_FIELDS, flat, jagged, offsets_of, sort_and_cut

#: working points (percent b-efficiency) that get a ``btag<wp>`` field on jets
WORKING_POINTS = (60, 70, 77, 85)
#: jet radius from which a jet is large-R (Delphes cards: Jet R = 0.4/0.5, FatJet R = 0.8/1.0)
LARGE_R = 0.8
#: the Delphes branch of each kind (taus are tagged jets)
BRANCH = {
    "electron": "Electron", "muon": "Muon", "photon": "Photon", "jet": "Jet", "tau": "Jet",
    "large_r_jet": "FatJet", "met": "MissingET",
}  # fmt: skip
#: the truth kinds' default cuts (:mod:`.jets`, :mod:`.large_r`; 0 / no cut otherwise)
PT_MIN = {"jet": 20.0, "large_r_jet": 200.0}
ABS_ETA_MAX = {"large_r_jet": 2.0}
#: Jet.Flavor values that are labels (others: light quarks 1-3, gluon 21, none 0 -> 0)
LABELS = (4, 5, 15)


def _label(kind: str, name: str | None) -> str:
    return f"analysis object {name!r} (type {kind})" if name else f"an object of type {kind}"


def btag_bits(params: dict[str, Any], label: str = "a jet") -> dict[int, int]:
    """Working point -> bit of ``Jet.BTag``, from ``delphes_btag_bits`` (default: all bit 0)."""
    given = params.get("delphes_btag_bits") or {}
    if not isinstance(given, dict):
        raise SpecError(
            f"{label}: delphes_btag_bits must map working points to bits, e.g. {{70: 0, 85: 1}}"
        )
    bits = dict.fromkeys(WORKING_POINTS, 0)
    for wp, bit in given.items():
        try:
            wp_i, bit_i = int(wp), int(bit)
        except (TypeError, ValueError):
            wp_i = bit_i = -1
        if wp_i not in bits or not 0 <= bit_i < 32 or isinstance(bit, bool):
            raise SpecError(
                f"{label}: delphes_btag_bits entry {wp!r}: {bit!r} is not a working point "
                f"({', '.join(map(str, WORKING_POINTS))}) mapped to a Jet.BTag bit 0-31"
            )
        bits[wp_i] = bit_i
    return bits


def _check_radius(kind: str, params: dict[str, Any], label: str) -> None:
    radius = float(params.get("R", 1.0 if kind == "large_r_jet" else 0.4))
    if kind == "jet" and radius >= LARGE_R:
        raise SpecError(
            f"{label}: asks R = {radius:g} but Delphes' Jet branch holds small-R jets; "
            "use type large_r_jet (the FatJet branch) for R >= 0.8"
        )
    if kind == "large_r_jet" and radius < LARGE_R:
        raise SpecError(
            f"{label}: asks R = {radius:g} but Delphes' FatJet branch holds large-R jets; "
            "use type jet (the Jet branch) for small-R jets"
        )


def _source(kind: str, batch: EventBatch, label: str) -> ak.Array:
    reco = batch.reco or {}
    key = "jet" if kind == "tau" else kind
    if key in reco:
        return reco[key]
    branch = BRANCH[kind]
    if kind == "large_r_jet":
        raise SpecError(
            f"{label}: {batch.source} has no FatJet branch, so no large-R jets; add FatJet to "
            "the Delphes card's TreeWriter, or run on HepMC events (jets clustered here)"
        )
    raise InputError(
        f"{batch.source}: the Delphes tree has no {branch} branch ({branch}.PT ...), which "
        f"{label} needs; add {branch} to the Delphes card's TreeWriter, or drop the object"
    )


def _jets(coll: ak.Array, params: dict[str, Any], label: str, *, large: bool) -> ak.Array:
    off = offsets_of(coll)
    cols: dict[str, np.ndarray] = {f: flat(coll, f, np.float64) for f in P4_FIELDS}
    flavor = flat(coll, "flavor", np.int64)
    flavour = np.where(np.isin(flavor, LABELS), flavor, 0)
    if large:
        cols["n_subjets"] = flat(coll, "n_subjets", np.int64)
        cols["flavour"] = flavour
        cols["n_b_hadrons"] = np.full(len(flavour), -1, dtype=np.int64)
        return jagged(cols, off, with_name="Momentum4D")
    cols["n_constituents"] = flat(coll, "n_constituents", np.int64)
    cols["flavour"] = flavour
    tag = flat(coll, "btag_bits", np.int64)
    n_passed = np.zeros(len(tag), dtype=np.int64)
    for wp, bit in btag_bits(params, label).items():
        cols[f"btag{wp}"] = (tag >> bit) & 1 == 1
        n_passed += cols[f"btag{wp}"]
    # the pseudo-continuous bin (working points passed), as the detector card's jets carry it
    cols["tag_bin"] = n_passed
    cols["tau_tag"] = flat(coll, "tau_bits", np.int64) & 1 == 1
    return jagged(cols, off, with_name="Momentum4D")


def _taus(jets: ak.Array) -> ak.Array:
    tagged = jets[(jets.tau_bits & 1) == 1]
    cols: dict[str, np.ndarray] = {f: flat(tagged, f, np.float64) for f in P4_FIELDS}
    charge = flat(tagged, "charge", np.float64)
    cols["charge"] = charge
    cols["pid"] = np.where(charge > 0, -15, 15).astype(np.int64)  # τ- is +15
    return jagged(cols, offsets_of(tagged), with_name="Momentum4D")


def reco_collection(
    kind: str, params: dict[str, Any], batch: EventBatch, *, name: str | None = None
) -> ak.Array:
    """The collection of analysis object kind ``kind`` (its parameters ``params``; ``name``
    for messages) from ``batch.reco``, pT-ordered and cut as the truth kind cuts it."""
    if batch.reco is None:
        raise ValueError("reco_collection needs a batch of reconstructed objects (batch.reco)")
    label = _label(kind, name)
    if kind not in BRANCH:
        raise SpecError(
            f"{label}: no Delphes collection gives this type; Delphes files give "
            f"{', '.join(sorted(BRANCH))}"
        )
    if kind in ("jet", "large_r_jet"):
        _check_radius(kind, params, label)
    coll = _source(kind, batch, label)
    if kind == "met":
        return coll
    if kind in ("jet", "large_r_jet"):
        coll = _jets(coll, params, label, large=kind == "large_r_jet")
    elif kind == "tau":
        coll = _taus(coll)
    pt_min = float(params.get("pt_min", PT_MIN.get(kind, 0.0)))
    eta_max = float(params.get("abs_eta_max", ABS_ETA_MAX.get(kind, np.inf)))
    return sort_and_cut(coll, pt_min, eta_max)
