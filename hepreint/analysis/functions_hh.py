"""Expression functions of the ATLAS HH→4b analyses (registered into ``functions.FUNCTIONS``).

* ``x_wt(jets, bjets)``: the top-veto discriminant, the smallest
  X_Wt = sqrt(((m_W − 80.4)/(0.1 m_W))² + ((m_t − 172.5)/(0.1 m_t))²) over all top candidates
  made of one of the four Higgs-candidate b-jets (the first four of ``bjets``) and a W candidate
  of two other jets of ``jets`` (arXiv:1804.06174 Sec. 5, arXiv:2301.03212 Sec. 4; mW, mt and the
  candidate rule as in github.com/ruelasvh/hh hh/shared/selection.py, trust B). Events without
  a top candidate get NO_TOP = 1000 (the veto does not apply; the engine refuses inf).
* ``pair_dhh_2018(bjets)``: the 36 fb⁻¹ resolved pairing (arXiv:1804.06174): of the three
  pairings of the first four objects, those whose two candidates satisfy the m4j-dependent ΔR
  windows, the one closest to the line m_sub = (110/120)·m_lead (smallest
  D_HH = |m_lead − (120/110)·m_sub| / sqrt(1 + (120/110)²)); ``None`` candidates when no pairing
  passes. Windows from github.com/chiara-rizzi/hh4b_pheno check_eff.py (trust B).
* ``vbf_pair(coll, hc)``: of the objects of ``coll`` that are not among the first four of ``hc``
  (the Higgs-candidate jets), the pair with the largest invariant mass, as a 2-object
  collection (leading-pT first); ``None`` where fewer than two remain (the VBF-jet choice of
  arXiv:2301.03212 as recalled, trust C).
* ``ntag_near(obj, coll, dR, n, field)``: of the objects of ``coll`` within ΔR < dR of ``obj``
  (one object per event), the leading ``n`` (pT order), how many have the boolean attribute
  ``field`` (b-tagged track-jet proxies inside a large-R jet).

Each takes and returns whole-batch awkward arrays; no per-event Python loop.
"""

from __future__ import annotations

from typing import Any

import awkward as ak
import numpy as np

M_W = 80.4
M_TOP = 172.5
#: X_Wt of an event without a top candidate: far above any veto threshold
NO_TOP = 1000.0
#: same-object test for a jet found in two collections (bjets ⊂ jets): ΔR below this
_SAME = 1e-6


def x_wt(jets: Any, bjets: Any, m_w: float = M_W, m_top: float = M_TOP) -> Any:
    """Smallest X_Wt per event over (HC b-jet) × (pair of other jets); NO_TOP without one."""
    b4 = bjets[:, :4]
    pairs = ak.combinations(jets, 2, fields=["j1", "j2"])
    combo = ak.cartesian({"b": b4, "w": pairs}, axis=1)
    b, j1, j2 = combo.b, combo.w.j1, combo.w.j2
    distinct = (b.deltaR(j1) > _SAME) & (b.deltaR(j2) > _SAME)
    w = j1 + j2
    mw = w.mass
    mt = (w + b).mass
    x = np.sqrt(((mw - m_w) / (0.1 * mw)) ** 2 + ((mt - m_top) / (0.1 * mt)) ** 2)
    best = ak.min(x[distinct], axis=1)
    return ak.fill_none(best, NO_TOP)


_PAIRINGS = (((0, 1), (2, 3)), ((0, 2), (1, 3)), ((0, 3), (1, 2)))


def _passes_dr_windows(dr_lead: Any, dr_sub: Any, m4j: Any) -> Any:
    """arXiv:1804.06174 ΔR(jj) requirements on the leading/subleading candidate vs m4j."""
    low = m4j < 1250.0
    lead_ok = ak.where(
        low, (360.0 / m4j - 0.5 < dr_lead) & (dr_lead < 653.0 / m4j + 0.475), dr_lead < 1.0
    )
    sub_ok = ak.where(low, (235.0 / m4j < dr_sub) & (dr_sub < 875.0 / m4j + 0.35), dr_sub < 1.0)
    return lead_ok & sub_ok


def pair_dhh_2018(coll: Any, lead_centre: float = 120.0, sub_centre: float = 110.0) -> Any:
    """Two pT-ordered candidates (a 2-object collection), ``None`` where no pairing passes."""
    four = ak.pad_none(coll[:, :4], 4, axis=1)
    j = [four[:, i] for i in range(4)]
    k = lead_centre / sub_centre
    cands = []
    for (a, b), (c, d) in _PAIRINGS:
        h1, h2 = j[a] + j[b], j[c] + j[d]
        first = ak.fill_none(h1.pt >= h2.pt, True)
        lead, sub = ak.where(first, h1, h2), ak.where(first, h2, h1)
        dr1, dr2 = j[a].deltaR(j[b]), j[c].deltaR(j[d])
        dr_lead, dr_sub = ak.where(first, dr1, dr2), ak.where(first, dr2, dr1)
        m4j = (h1 + h2).mass
        ok = ak.fill_none(_passes_dr_windows(dr_lead, dr_sub, m4j), False)
        dhh = abs(lead.mass - k * sub.mass) / np.sqrt(1.0 + k**2)
        score = ak.where(ok, ak.fill_none(dhh, np.inf), np.inf)
        cands.append((lead, sub, ak.to_numpy(score)))
    scores = np.stack([s for _, _, s in cands], axis=1)
    pick = np.argmin(scores, axis=1)
    found = np.isfinite(scores.min(axis=1))
    lead, sub = cands[0][0], cands[0][1]
    for n in (1, 2):
        sel = pick == n
        lead = ak.where(sel, cands[n][0], lead)
        sub = ak.where(sel, cands[n][1], sub)
    lead = ak.mask(lead, found)
    sub = ak.mask(sub, found)
    out = ak.concatenate([lead[:, np.newaxis], sub[:, np.newaxis]], axis=1)
    return ak.with_name(out, "Momentum4D")


def vbf_pair(coll: Any, hc: Any) -> Any:
    """The largest-mass pair of ``coll`` objects outside the four HC objects (pT-ordered)."""
    hc4 = hc[:, :4]
    pairs = ak.cartesian({"j": coll, "h": hc4}, axis=1, nested=True)
    clash = ak.any(pairs.j.deltaR(pairs.h) < _SAME, axis=2)
    rest = coll[~ak.fill_none(clash, False)]
    two = ak.combinations(rest, 2, fields=["a", "b"])
    best = ak.argmax((two.a + two.b).mass, axis=1, keepdims=True)
    pick = ak.firsts(two[best])
    first = ak.fill_none(pick.a.pt >= pick.b.pt, True)
    a = ak.where(first, pick.a, pick.b)
    b = ak.where(first, pick.b, pick.a)
    out = ak.concatenate([a[:, np.newaxis], b[:, np.newaxis]], axis=1)
    return ak.with_name(out, "Momentum4D")


def ntag_near(obj: Any, coll: Any, dr: float, n: float, field: str) -> Any:
    """How many of the leading ``n`` ``coll`` objects within ΔR < dr of ``obj`` have ``field``."""
    if field not in ak.fields(coll):
        raise ValueError(f"ntag_near: collection has no attribute {field!r}")
    near = coll[ak.fill_none(coll.deltaR(obj) < dr, False)]
    lead = near[:, : int(n)]
    return ak.sum(ak.values_astype(lead[field], np.int64), axis=1)


#: name -> (implementation, min args, max args, literal-string argument positions, doc)
HH_FUNCTIONS: dict[str, tuple[Any, int, int | None, tuple[int, ...], str]] = {
    "x_wt": (x_wt, 2, 4, (), "HH→4b top-veto X_Wt: min over HC b-jet + two other jets"),
    "pair_dhh_2018": (
        pair_dhh_2018, 1, 3, (), "arXiv:1804.06174 pairing: ΔR(m4j) windows, then min D_HH"
    ),
    "vbf_pair": (vbf_pair, 2, 2, (), "largest-mass pair of objects outside the four HC jets"),
    "ntag_near": (ntag_near, 5, 5, (4,), "tagged objects among the leading n near an object"),
}  # fmt: skip
