"""The ``ttbar_hf`` kind: the ATLAS heavy-flavour class of a tt+jets event, one record per event.

Why: the ttH(H→bb) analyses split their dominant background by the flavour of the jets that do
not come from the top-quark decays, and the ttH(bb) transformer is trained with these classes as
targets.  The definition (ATLAS, arXiv:1712.08895 Sec. 5 and arXiv:2111.06712 Sec. 5; trust C:
recalled, the stored copies of both papers give their abstracts only, not Sec. 5):

* particle-level anti-kt R = 0.4 jets with pT > 15 GeV and |eta| < 2.5 (``jet_pt_min``,
  ``jet_abs_eta_max``), clustered exactly like the ``jet`` kind (prompt leptons are not inputs);
* weakly decaying b- and c-hadrons (the last of their chains, :mod:`.truth`) with pT > 5 GeV
  (``hadron_pt_min``) that do not come from the top decays: the b from t → Wb, and (for
  c-hadrons) the quarks of the W from a top; c-hadrons from b-hadron decays are not counted
  (they sit inside the b-hadron's jet, which would otherwise become a c-jet);
* each hadron is given to its closest jet within ΔR < 0.4 (``dR``).  ATLAS ghost-matches the
  hadrons to the jets; a cone to the closest jet is our approximation of that;
* a jet holding ≥ 1 such b-hadron is an additional b-jet; one with none but ≥ 1 c-hadron an
  additional c-jet.

Classes (:data:`HF_CLASSES`, the integer is the index; 1..5 are the nodes of the ttH(bb)
transformer, node 0 being ttH): 1 tt+≥2b (≥ 2 additional b-jets), 2 tt+B (exactly one, holding
≥ 2 b-hadrons), 3 tt+1b (exactly one, with one b-hadron), 4 tt+≥1c (no additional b-jet, ≥ 1
additional c-jet), 5 tt+light.  0 is given to events that are not tt+jets: no top *and* antitop
in the record, or a Higgs boson present (a ttH event; its H→bb hadrons would otherwise make it
tt+≥2b).

"From the top decay" needs the hadron's quark, and a string hadron has *all* partons of its
string as mothers, while the events keep one (the first) mother per particle: that mother is
whichever parton starts the string, often not the b (checked on Pythia 8.317 tt̄ events).  So
the hadron is tied to its quark in momentum space instead: every heavy quark from a top or a
top's W (the last copy of its line in the record, which is the shower's last b in a full record
and the t → Wb daughter in a pruned one) claims the closest weakly decaying hadron of its flavour
that carries the same quark (not antiquark) content, judged on the first hadron of the decay
chain so that B0 mixing does not flip it; claimed hadrons are not additional.  Parton lines
(``b → b g``, ``t → t g``) do follow the first mother, so which quarks come from the top decay
is exact; a b from ``g → b b̄`` off the top's b is additional, as in ATLAS.
"""

from __future__ import annotations

from typing import Any

import awkward as ak
import numpy as np

from hepreint.errors import SpecError
from hepreint.objects._columnar import (
    P4_FIELDS,
    delta_r_pairs,
    event_index,
    flat,
    jagged,
    offsets_of,
    selected_offsets,
    transverse_momentum,
)
from hepreint.objects.ancestry import any_ancestor, global_parent, max_steps
from hepreint.objects.registry import BuildInputs, kind, object_kind

#: class names, indexed by the integer ``hf_class`` (1..5: ttH(bb) transformer nodes 1..5)
HF_CLASSES: tuple[str, ...] = (
    "not tt+jets (ttH)",
    "tt+>=2b",
    "tt+B",
    "tt+1b",
    "tt+>=1c",
    "tt+light",
)
#: defaults of the classification (ATLAS, arXiv:1712.08895 Sec. 5, arXiv:2111.06712 Sec. 5; C)
JET_PT_MIN = 15.0
JET_ABS_ETA_MAX = 2.5
HADRON_PT_MIN = 5.0
MATCH_DR = 0.4

TOP, W_BOSON, HIGGS = 6, 24, 25
BOTTOM, CHARM = 5, 4
FIELDS = ("hf_class", "n_add_b", "n_add_c")


def quark_content(pid: np.ndarray, flavour: int) -> np.ndarray:
    """Net number of ``flavour`` quarks (quark +1, antiquark -1) of each hadron code.

    From the PDG numbering scheme (RPP "Monte Carlo particle numbering"): a baryon 0nq1nq2nq3nJ
    with positive code holds quarks q1 q2 q3; a meson 0nq2nq3nJ with positive code holds the
    positively charged one of q2 / anti-q3 pairings, i.e. quark q2 if q2 is up-type (D+ = c d̄)
    and antiquark q2 if down-type (B+ = u b̄).  Evaluated once per distinct code.
    """
    codes, inverse = np.unique(np.asarray(pid, dtype=np.int64), return_inverse=True)
    net = np.zeros(len(codes), dtype=np.int64)
    for i, code in enumerate(codes.tolist()):
        a = abs(code) % 10000
        q1, q2, q3 = (a // 1000) % 10, (a // 100) % 10, (a // 10) % 10
        if q1:
            n = (q1 == flavour) + (q2 == flavour) + (q3 == flavour)
        elif q2 and q3 and q2 != q3:
            role = 1 if q2 % 2 == 0 else -1
            n = role * (q2 == flavour) - role * (q3 == flavour)
        else:
            n = 0
        net[i] = n if code > 0 else -n
    return net[inverse.reshape(-1)]


def _chain_root(link: np.ndarray, steps: int) -> np.ndarray:
    """Follow ``link`` (self for a root) to its end for every element, by pointer jumping."""
    root = link.copy()
    for _ in range(steps):
        nxt = root[root]
        if np.array_equal(nxt, root):
            break
        root = nxt
    return root


def _first_of_run(key: np.ndarray, dist: np.ndarray, group_off: np.ndarray) -> np.ndarray:
    """Per group of consecutive pairs (``group_off``), the pair with the smallest finite
    ``dist`` (-1 if none): a segmented argmin without a Python loop."""
    n_groups = len(group_off) - 1
    best = np.full(n_groups, -1, dtype=np.int64)
    if len(dist) == 0:
        return best
    order = np.lexsort((dist, key))
    starts = group_off[:-1]
    filled = np.diff(group_off) > 0
    first = order[starts[filled]]
    ok = np.isfinite(dist[first])
    best[np.flatnonzero(filled)[ok]] = first[ok]
    return best


def _four_vectors(cols: dict[str, np.ndarray], select: np.ndarray, offsets: np.ndarray) -> ak.Array:
    return jagged(
        {f: cols[f][select] for f in P4_FIELDS},
        selected_offsets(select, offsets),
        with_name="Momentum4D",
    )


def _claimed(
    cols: dict[str, np.ndarray],
    offsets: np.ndarray,
    quarks: np.ndarray,
    quark_sign: np.ndarray,
    hadrons: np.ndarray,
    hadron_sign: np.ndarray,
) -> np.ndarray:
    """Flat bool: hadrons claimed by a top-decay quark (closest same-content hadron)."""
    q_idx, h_idx = np.flatnonzero(quarks), np.flatnonzero(hadrons)
    dr, ia, ib, pair_off = delta_r_pairs(
        _four_vectors(cols, quarks, offsets), _four_vectors(cols, hadrons, offsets)
    )
    dr = np.where(quark_sign[q_idx][ia] == hadron_sign[h_idx][ib], dr, np.inf)
    dr = np.where(np.isnan(dr), np.inf, dr)
    best = _first_of_run(ia, dr, pair_off)
    out = np.zeros(len(quarks), dtype=bool)
    out[h_idx[ib[best[best >= 0]]]] = True
    return out


def classify(
    truth: ak.Array,
    jets: ak.Array,
    *,
    hadron_pt_min: float = HADRON_PT_MIN,
    dR: float = MATCH_DR,
) -> dict[str, np.ndarray]:
    """Per-event ``hf_class``, ``n_add_b``, ``n_add_c`` (numpy) from a truth view and the jets
    that count (already cut); see the module docstring for the definition."""
    offsets = offsets_of(truth)
    n_events = len(offsets) - 1
    pid = flat(truth, "pid", np.int64)
    abspid = np.abs(pid)
    gparent = global_parent(flat(truth, "parent"), offsets)
    steps = max_steps(offsets)
    has_parent = gparent >= 0
    safe_parent = np.where(has_parent, gparent, 0)
    self_index = np.arange(len(pid), dtype=np.int64)

    # parton (and W/top) lines: the first mother chain of copies of the same particle
    same_as_mother = has_parent & (pid[safe_parent] == pid)
    line_root = _chain_root(np.where(same_as_mother, gparent, self_index), steps)
    origin = gparent[line_root]
    origin_pid = np.where(origin >= 0, abspid[np.maximum(origin, 0)], 0)
    has_same_child = np.zeros(len(pid), dtype=bool)
    has_same_child[gparent[same_as_mother]] = True
    last = ~has_same_child
    w_from_top = (abspid == W_BOSON) & (origin_pid == TOP)
    from_top_decay = (origin_pid == TOP) | ((origin >= 0) & w_from_top[np.maximum(origin, 0)])

    is_b = flat(truth, "is_b_hadron").astype(bool)
    cols = {f: flat(truth, f, np.float64) for f in P4_FIELDS}
    pt = transverse_momentum(cols["px"], cols["py"])
    weak_b = flat(truth, "weak_b").astype(bool)
    weak_c = flat(truth, "weak_c").astype(bool) & ~any_ancestor(is_b, gparent, steps)
    # the first hadron of a b (c) decay chain: its content is the hadronised quark's, before
    # B0 mixing turned it into its antiparticle
    is_c_chain = flat(truth, "is_c_hadron").astype(bool)
    additional = {}
    for flavour, weak, chain in ((BOTTOM, weak_b, is_b), (CHARM, weak_c, is_c_chain)):
        mother_in_chain = has_parent & chain[safe_parent]
        head = _chain_root(np.where(mother_in_chain, gparent, self_index), steps)
        content = quark_content(pid, flavour)
        sign = np.sign(np.where(content[head] != 0, content[head], content))
        quarks = (abspid == flavour) & last & from_top_decay
        claimed = _claimed(cols, offsets, quarks, np.sign(pid), weak, sign)
        additional[flavour] = weak & ~claimed & (pt > hadron_pt_min)

    jet_off = offsets_of(jets)
    per_jet = {}
    for flavour, select in additional.items():
        dr, ia, ib, pair_off = delta_r_pairs(_four_vectors(cols, select, offsets), jets)
        dr = np.where(np.isnan(dr), np.inf, dr)
        best = _first_of_run(ia, dr, pair_off)
        best = best[best >= 0]
        best = best[dr[best] < dR]
        per_jet[flavour] = np.bincount(ib[best], minlength=int(jet_off[-1]))
    jet_evt = event_index(jet_off)
    b_jet = per_jet[BOTTOM] > 0
    c_jet = ~b_jet & (per_jet[CHARM] > 0)
    n_add_b = np.bincount(jet_evt[b_jet], minlength=n_events)
    n_add_c = np.bincount(jet_evt[c_jet], minlength=n_events)
    n_big_b = np.bincount(jet_evt[per_jet[BOTTOM] >= 2], minlength=n_events)

    hf_class = np.select(
        [n_add_b >= 2, (n_add_b == 1) & (n_big_b == 1), n_add_b == 1, n_add_c >= 1],
        [1, 2, 3, 4],
        default=5,
    )
    evt = event_index(offsets)
    has_t = np.bincount(evt[pid == TOP], minlength=n_events) > 0
    has_tbar = np.bincount(evt[pid == -TOP], minlength=n_events) > 0
    has_h = np.bincount(evt[abspid == HIGGS], minlength=n_events) > 0
    hf_class = np.where(has_t & has_tbar & ~has_h, hf_class, 0)
    return {
        "hf_class": hf_class.astype(np.int64),
        "n_add_b": n_add_b.astype(np.int64),
        "n_add_c": n_add_c.astype(np.int64),
    }


def _number(params: dict[str, Any], key: str, default: float) -> float:
    value = params.pop(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise SpecError(f"ttbar_hf: {key} must be a non-negative number, got {value!r}")
    return float(value)


@object_kind("ttbar_hf", uses=("lepton_mask",), truth_only=True)
def _ttbar_hf_kind(params: dict[str, Any], inputs: BuildInputs) -> ak.Array:
    """One record per event (read it as ``hf[0].hf_class``): a jagged collection with exactly
    one entry per event, so it goes through selections and the detector stage like any other."""
    p = dict(params)
    jet_pt = _number(p, "jet_pt_min", JET_PT_MIN)
    jet_eta = _number(p, "jet_abs_eta_max", JET_ABS_ETA_MAX)
    hadron_pt = _number(p, "hadron_pt_min", HADRON_PT_MIN)
    dR = _number(p, "dR", MATCH_DR)
    if p:
        raise SpecError(f"ttbar_hf: unknown parameter(s) {', '.join(sorted(p))}")
    # the jet kind's own clustering (shared with an analysis' jets of the same definition)
    jets = kind("jet").build({"pt_min": jet_pt, "abs_eta_max": jet_eta}, inputs)
    out = classify(inputs.truth, jets, hadron_pt_min=hadron_pt, dR=dR)
    n = len(out["hf_class"])
    return jagged(out, np.arange(n + 1, dtype=np.int64))
