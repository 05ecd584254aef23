"""Truth tagging: the exact probability of a tag requirement, and tags drawn given it passes.

Direct tagging throws most events of a ≥3 or ≥4 b-tag selection away; truth tagging keeps every
event with the probability that its jets satisfy the requirement (the ATLAS technique, e.g. the
VH(bb) analyses, arXiv:2007.02873 Sec. 5). The probability is summed over all tag
configurations exactly, by dynamic programming over the jets (vectorised over events, one loop
over jet positions): the state is the number of jets tagged at each working point the
requirement names, capped where the requirement stops caring, so "≥2 at 70 % and ≥3 at 85 %"
needs 3 × 4 states whatever the jet multiplicity. The tags the kinematics then use (which jets
count as b-jets for m_bb) are drawn from the configurations that pass, each with its
probability, by sampling the dynamic programme backwards; inside the drawn tag level a jet's
uniform is drawn again, so its fields at working points the requirement does not name stay
consistent (pseudo-continuous) too.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass

import awkward as ak
import numpy as np

OPS = ("at_least", "at_most", "exactly")


@dataclass(frozen=True)
class Requirement:
    """``conditions``: (working point, op, n) with op one of :data:`OPS`."""

    collection: str
    conditions: tuple[tuple[int, str, int], ...]

    @classmethod
    def from_spec(cls, spec: Mapping[str, object]) -> Requirement:
        conds = []
        for op in OPS:
            for wp, n in dict(spec.get(op) or {}).items():  # type: ignore[call-overload]
                conds.append((int(wp), op, int(n)))
        return cls(str(spec["collection"]), tuple(sorted(conds)))

    @property
    def working_points(self) -> tuple[int, ...]:
        """Tightest (lowest efficiency) first."""
        return tuple(sorted({wp for wp, _, _ in self.conditions}))

    def passes(self, counts: Mapping[int, np.ndarray]) -> np.ndarray:
        ok = np.ones(len(next(iter(counts.values()))), dtype=bool)
        for wp, op, n in self.conditions:
            c = counts[wp]
            ok &= (c >= n) if op == "at_least" else (c <= n) if op == "at_most" else (c == n)
        return ok

    def label(self) -> str:
        return " and ".join(f"{op.replace('_', ' ')} {n} @ {wp} %" for wp, op, n in self.conditions)


def _caps(req: Requirement) -> list[int]:
    caps = []
    for wp in req.working_points:
        cap = 0
        for w, op, n in req.conditions:
            if w == wp:
                cap = max(cap, n if op == "at_least" else n + 1)
        caps.append(cap)
    return caps


def _states(req: Requirement) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(state tuples, transition table T[s, o], accepted mask) of the requirement.

    Outcome ``o`` of a jet = how many of the named working points it passes, loosest first
    (0: none; len(wps): all, the tightest too)."""
    caps = _caps(req)
    wps = req.working_points
    states = np.array(list(itertools.product(*[range(c + 1) for c in caps])), dtype=np.int64)
    index = {tuple(s): i for i, s in enumerate(states.tolist())}
    n_out = len(wps) + 1
    table = np.zeros((len(states), n_out), dtype=np.int64)
    for i, s in enumerate(states.tolist()):
        for o in range(n_out):
            # passes the o loosest points: wps is tightest first, so the last o entries
            new = [
                min(c + (k >= len(wps) - o), cap)
                for k, (c, cap) in enumerate(zip(s, caps, strict=True))
            ]
            table[i, o] = index[tuple(new)]
    counts = {wp: states[:, k] for k, wp in enumerate(wps)}
    return states, table, req.passes(counts)


def _outcome_probabilities(
    effs: Mapping[int, ak.Array], req: Requirement, n_max: int
) -> np.ndarray:
    """P[e, j, o] for jet j of event e (absent jets: o = 0 with probability 1)."""
    wps = req.working_points
    # E[k]: efficiency of passing the k loosest named points (E[0] = 1); wps tightest first
    cum = [np.asarray(ak.fill_none(ak.pad_none(effs[wp], n_max, axis=1, clip=True), 0.0))
           for wp in reversed(wps)]  # fmt: skip
    n_ev = len(cum[0]) if cum else 0
    e_levels = [np.ones((n_ev, n_max))] + cum + [np.zeros((n_ev, n_max))]
    probs = [np.clip(e_levels[o] - e_levels[o + 1], 0.0, 1.0) for o in range(len(wps) + 1)]
    return np.stack(probs, axis=-1)


def requirement_probability(
    effs: Mapping[int, ak.Array], req: Requirement
) -> tuple[np.ndarray, list[np.ndarray], np.ndarray, np.ndarray]:
    """(P(requirement) per event, forward tables, outcome probabilities, transition table).

    ``effs[wp]`` are the jets' (cumulative) efficiencies per working point, jagged per event."""
    _, table, accept = _states(req)
    counts = np.asarray(ak.num(effs[req.working_points[0]], axis=1))
    n_ev, n_max = len(counts), int(counts.max()) if len(counts) else 0
    probs = _outcome_probabilities(effs, req, n_max)
    f = np.zeros((n_ev, table.shape[0]))
    f[:, 0] = 1.0
    forward = [f]
    for j in range(n_max):
        new = np.zeros_like(f)
        for o in range(table.shape[1]):
            np.add.at(new.T, table[:, o], (f * probs[:, j, o : o + 1]).T)
        f = new
        forward.append(f)
    return f[:, accept].sum(axis=1), forward, probs, table


def draw_passing_tags(
    effs: Mapping[int, ak.Array],
    req: Requirement,
    uniforms: ak.Array,
) -> tuple[np.ndarray, np.ndarray]:
    """(P(requirement), each jet's tag uniform) with the tags drawn among passing configurations.

    ``uniforms``: per event, 2 × n_jets + 1 draws. The returned jet uniforms ``u`` reproduce the
    drawn configuration through ``u < eff[wp]`` at every (nested) working point; events
    that cannot pass keep their jets untagged (u = 1) and get probability 0."""
    p, forward, probs, table = requirement_probability(effs, req)
    _, _, accept = _states(req)
    counts = np.asarray(ak.num(effs[req.working_points[0]], axis=1))
    n_ev, n_max = len(counts), probs.shape[1]
    u = np.asarray(ak.fill_none(ak.pad_none(uniforms, 2 * n_max + 1, axis=1), 0.5))
    final = forward[-1] * accept
    state = _pick(final, u[:, 0])
    outcome = np.zeros((n_ev, n_max), dtype=np.int64)
    n_s, n_o = table.shape
    for j in range(n_max - 1, -1, -1):
        w = forward[j][:, :, None] * probs[:, j, None, :]  # (e, s', o)
        w = w * (table[None, :, :] == state[:, None, None])
        pick = _pick(w.reshape(n_ev, n_s * n_o), u[:, 1 + j])
        state, outcome[:, j] = pick // n_o, pick % n_o
    # a uniform inside the drawn level: E[o+1] <= u < E[o] in the loosest-first levels
    wps = req.working_points
    levels = [np.ones((n_ev, n_max))] + [
        np.asarray(ak.fill_none(ak.pad_none(effs[wp], n_max, axis=1, clip=True), 0.0))
        for wp in reversed(wps)
    ] + [np.zeros((n_ev, n_max))]  # fmt: skip
    lv = np.stack(levels, axis=-1)
    hi = np.take_along_axis(lv, outcome[..., None], axis=-1)[..., 0]
    lo = np.take_along_axis(lv, outcome[..., None] + 1, axis=-1)[..., 0]
    v = u[:, 1 + n_max : 1 + 2 * n_max]
    jet_u = lo + v * (hi - lo)
    jet_u = np.where(p[:, None] > 0, jet_u, 1.0)
    mask = np.arange(n_max)[None, :] < counts[:, None]
    return p, jet_u[mask]


def _pick(weights: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Index drawn per row with probability proportional to ``weights`` (0 if all are 0)."""
    cum = np.cumsum(weights, axis=1)
    total = cum[:, -1:]
    target = u[:, None] * total
    idx = (cum <= target).sum(axis=1)
    return np.where(total[:, 0] > 0, np.minimum(idx, weights.shape[1] - 1), 0)
