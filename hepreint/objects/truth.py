"""The truth view: the batch's particles plus every per-particle flag the object builders use.

Flags are computed once per batch on flat arrays (PDG properties per distinct code, ancestry by
pointer jumping) so that electrons, photons, jets and labels all agree on what "prompt" or
"weakly decaying" means.
"""

from __future__ import annotations

from collections.abc import Sequence

import awkward as ak
import numpy as np

from hepreint.events.batch import PARTICLE_FIELDS, EventBatch
from hepreint.objects._columnar import P4_FIELDS, flat, jagged, offsets_of
from hepreint.objects.ancestry import any_ancestor, any_child, global_parent, max_steps
from hepreint.objects.pdg import pdg_properties

#: HepMC status codes (HepMC3 convention, also Pythia's statusHepMC): 1 final state, 4 beam
#: (a hadron without a mother is treated as a beam too, whatever its status: see truth_view)
STATUS_FINAL = 1
STATUS_BEAM = 4
#: Standard-model neutrinos: the invisible particles of ATLAS truth MET (ATL-PHYS-PUB-2015-023)
NEUTRINOS = (12, 14, 16)
TAU = 15

#: fields added to the particle record by :func:`truth_view`
DERIVED_FIELDS: tuple[str, ...] = (
    "index",
    "abspid",
    "charge",
    "final",
    "invisible",
    "visible",
    "is_hadron",
    "from_hadron",
    "from_tau",
    "prompt",
    "is_b_hadron",
    "is_c_hadron",
    "weak_b",
    "weak_c",
    "tau_last",
)


def truth_view(batch: EventBatch, *, extra_invisible_pids: Sequence[int] = ()) -> ak.Array:
    """Particles of ``batch`` with derived flags (see :data:`DERIVED_FIELDS`) and ``p4``.

    ``p4`` is a vector ``Momentum4D`` sub-record sharing the px, py, pz, E buffers: the
    particle record itself cannot be a Momentum4D because it also carries ``m`` (vector refuses
    records that give both E and m).  ``index`` is the position within the event.

    ``extra_invisible_pids`` are matched on |pid| (a BSM invisible and its antiparticle both
    escape).

    Ancestry flags follow the first-mother chain: ``from_hadron`` means some ancestor is a
    hadron that is not a beam (status 4, or no mother), ``from_tau`` that some ancestor is a
    τ, and ``prompt`` is neither (ATLAS truth "prompt"; the lepton builders can instead accept
    τ-decay products, see :func:`hepreint.objects.electrons`).
    """
    particles = batch.particles
    offsets = offsets_of(particles)
    cols = {f: flat(particles, f) for f in PARTICLE_FIELDS}
    for f in (*P4_FIELDS, "m"):
        cols[f] = cols[f].astype(np.float64, copy=False)
    pid = cols["pid"].astype(np.int64, copy=False)
    status = cols["status"]
    abspid = np.abs(pid)
    props = pdg_properties(pid)
    gparent = global_parent(cols["parent"], offsets)
    steps = max_steps(offsets)

    final = status == STATUS_FINAL
    # Invisible = SM neutrinos and neutral SUSY/BSM particles (e.g. the LSP 1000022), as in
    # ATLAS truth MET definitions; analysts add model-specific ones via extra_invisible_pids.
    extra = np.abs(np.asarray(list(extra_invisible_pids), dtype=np.int64))
    invisible = final & (
        np.isin(abspid, NEUTRINOS)
        | (props.is_susy & (props.charge == 0.0))
        | np.isin(abspid, extra)
    )
    # Beam protons are hadrons and the root of every generator chain; an ancestor hadron only
    # means "from a hadron decay" when it is not a beam particle.  Beams are recognised by
    # HepMC status 4 *or* by having no mother: older generators (Pythia 6, HERWIG 6 via
    # HEPEVT) write the beams with status 2 or 3, and a beam is the only hadron without a
    # production vertex in a generator record (hand-made records must give a decaying hadron a
    # mother, e.g. the beam, for its decay products to count as non-prompt).
    is_beam = (status == STATUS_BEAM) | (gparent < 0)
    decaying_hadron = props.is_hadron & ~is_beam
    from_hadron = any_ancestor(decaying_hadron, gparent, steps)
    is_tau = abspid == TAU
    from_tau = any_ancestor(is_tau, gparent, steps)
    is_b = props.has_bottom
    is_c = props.has_charm & ~props.has_bottom
    # Weakly decaying = last of its chain: no child of the same heavy flavour (ATLAS truth
    # labelling uses the weakly decaying b/c hadrons, arXiv:1907.05120 Sec. 2).
    weak_b = is_b & ~any_child(is_b, gparent)
    weak_c = is_c & ~any_child(is_c, gparent)
    tau_last = is_tau & ~any_child(is_tau, gparent)

    counts = np.diff(offsets)
    index = np.arange(int(offsets[-1]), dtype=np.int64) - np.repeat(offsets[:-1], counts)
    derived = {
        "index": index,
        "abspid": abspid,
        "charge": props.charge,
        "final": final,
        "invisible": invisible,
        "visible": final & ~invisible,
        "is_hadron": props.is_hadron,
        "from_hadron": from_hadron,
        "from_tau": from_tau,
        "prompt": ~from_hadron & ~from_tau,
        "is_b_hadron": is_b,
        "is_c_hadron": is_c,
        "weak_b": weak_b,
        "weak_c": weak_c,
        "tau_last": tau_last,
    }
    columns: dict[str, np.ndarray | ak.contents.Content] = {**cols, **derived}
    p4 = ak.contents.RecordArray(
        [ak.contents.NumpyArray(cols[f]) for f in P4_FIELDS],
        list(P4_FIELDS),
        length=int(offsets[-1]),
        parameters={"__record__": "Momentum4D"},
    )
    columns["p4"] = p4
    return jagged(columns, offsets)
