"""Columnar truth objects: leptons, photons, taus, MET, jets and their truth labels.

Everything starts from :func:`truth_view`, which adds ancestry and PDG flags to a batch's
particles once; every builder then works on the whole batch with numpy/awkward/fastjet calls
(no per-event Python loop), so the cost per event is the same for 10 or 10^5 events.

Every module of this package is imported here, so that the object kinds it registers
(:mod:`.registry`) are known as soon as the package is: a new kind is a new module.
"""

from __future__ import annotations

import importlib
import pkgutil

from hepreint.objects.jets import jet_inputs, jets
from hepreint.objects.labelling import count_inside, flavour_label, n_b_hadrons, n_c_hadrons
from hepreint.objects.large_r import large_r_jets
from hepreint.objects.leptons import electrons, lepton_particle_mask, muons
from hepreint.objects.met import met
from hepreint.objects.overlap import overlap_remove
from hepreint.objects.photons import photons
from hepreint.objects.registry import BuildInputs, ObjectKind, kind, kinds, object_kind
from hepreint.objects.taus import taus
from hepreint.objects.truth import truth_view

for _m in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_m.name}")

__all__ = [
    "BuildInputs",
    "ObjectKind",
    "count_inside",
    "electrons",
    "flavour_label",
    "jet_inputs",
    "jets",
    "kind",
    "kinds",
    "large_r_jets",
    "lepton_particle_mask",
    "met",
    "muons",
    "n_b_hadrons",
    "n_c_hadrons",
    "object_kind",
    "overlap_remove",
    "photons",
    "taus",
    "truth_view",
]
