"""The ``jet`` and ``large_r_jet`` kinds: truth jets with their truth flavour labels.

Clustering (:mod:`.jets`, :mod:`.large_r`) and labelling (:mod:`.labelling`) are separate
functions; a kind puts them together the way ATLAS truth jets are defined: prompt leptons and
their dressing photons are not jet inputs (AntiKt4TruthWZJets), and labels are assigned before
the analysis' own jet cuts.
"""

from __future__ import annotations

from typing import Any

import awkward as ak
import numpy as np

from hepreint.objects.jets import jet_inputs, jets
from hepreint.objects.labelling import count_inside, flavour_label, n_b_hadrons
from hepreint.objects.large_r import large_r_jets
from hepreint.objects.quiet import silence_fastjet_banner
from hepreint.objects.registry import BuildInputs, object_kind

#: lowest pT (GeV) of the jets among which hadrons are shared out for flavour labelling
LABEL_PT_MIN = 10.0

__all__ = ["LABEL_PT_MIN", "count_inside"]


def _inputs(params: dict[str, Any], inputs: BuildInputs) -> ak.Array:
    silence_fastjet_banner()
    exclude = inputs.lepton_mask() if params.pop("exclude_prompt_leptons", True) else None
    return jet_inputs(inputs.truth, exclude=exclude)


@object_kind("jet", uses=("lepton_mask",))
def _jet_kind(params: dict[str, Any], inputs: BuildInputs) -> ak.Array:
    p = dict(params)
    flavour_dR = float(p.pop("flavour_dR", 0.3))  # ATLAS cone labelling, dR < 0.3
    # Exclusive labelling gives each hadron to its closest jet of the whole container, before
    # analysis cuts (ATLAS HadronConeExclTruthLabelID, arXiv:1907.05120 Sec. 2): label jets down
    # to LABEL_PT_MIN (our choice), then apply the analysis' cuts. The labelled container does
    # not depend on the cuts, so analyses that differ only in them share one clustering.
    pt_min = float(p.pop("pt_min", 20.0))
    eta_max = float(p.pop("abs_eta_max", np.inf))
    label_pt = min(pt_min, LABEL_PT_MIN)

    def labelled() -> ak.Array:
        q = dict(p)
        particles = _inputs(q, inputs)
        coll = jets(particles, pt_min=label_pt, **q)
        return ak.with_field(coll, flavour_label(coll, inputs.truth, dR=flavour_dR), "flavour")

    coll = inputs.shared(("labelled jets", sorted(p.items()), flavour_dR, label_pt), labelled)
    return coll[(coll.pt >= pt_min) & (abs(coll.eta) < eta_max)]


@object_kind("large_r_jet", uses=("lepton_mask",))
def _large_r_kind(params: dict[str, Any], inputs: BuildInputs) -> ak.Array:
    p = dict(params)
    p.pop("count_inside", None)  # filled by the engine after overlap removal
    flavour_dR = float(p.pop("flavour_dR", p["R"]))  # hadrons anywhere inside the jet
    particles = _inputs(p, inputs)
    coll = large_r_jets(particles, **p)
    truth = inputs.truth
    coll = ak.with_field(
        coll, flavour_label(coll, truth, dR=flavour_dR, exclusive=False), "flavour"
    )
    return ak.with_field(coll, n_b_hadrons(coll, truth, dR=flavour_dR), "n_b_hadrons")
