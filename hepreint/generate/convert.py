"""Our own Pythia 8 event record -> ``pyhepmc.GenEvent`` converter.

The project rule is not to use Pythia's built-in HepMC interface, so the conversion is done here
in two steps that the tests can check separately:

1. :func:`read_record` copies Pythia's ``event`` (row 0, the "system" line, skipped) into a
   :class:`Record` of numpy columns plus a parent list per particle, taken from Pythia's own
   ``motherList()`` (which resolves Pythia's three mother1/mother2 conventions: one mother, a
   contiguous range, or two unrelated mothers).  :func:`prune_record` optionally drops the
   uninteresting part of the history.
2. :func:`to_genevent` builds the ``GenEvent``: one production vertex per distinct set of
   parents, so that siblings share a vertex and the graph reads like the physics.

HepMC status codes follow the HepMC3/Pythia8ToHepMC convention (the one ``Particle::statusHepMC``
implements): final-state particles -> 1, beam particles (Pythia -11/-12) -> 4, decayed hadrons,
muons and taus -> 2, every other intermediate (hard process 21-29, shower, remnants, string
partons, ...) -> ``|Pythia status|``, which HepMC reserves for generator-specific codes 11-200.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyhepmc
from particle.pdgid import has_bottom, has_charm, is_hadron

from hepreint.errors import HepreintError

#: (px, py, pz, e, m) and (x, y, z, t) in GeV and mm, Pythia's and our file's units.
_MOM = ("px", "py", "pz", "e", "m")
_POS = ("x", "y", "z", "t")


@dataclass
class Record:
    """One event as flat columns; row ``k`` becomes HepMC particle id ``k + 1``.

    ``parents[k]`` holds row numbers (not Pythia indices) of the particle's mothers in Pythia's
    order: the first is Pythia's ``mother1``, which becomes the first incoming particle of the
    HepMC production vertex, the one downstream "first mother chain" code follows.
    ``index`` keeps the Pythia event-record index so pruned records stay traceable.
    """

    index: np.ndarray
    pid: np.ndarray
    status: np.ndarray  # HepMC status
    pythia_status: np.ndarray
    p: np.ndarray  # (n, 5): px, py, pz, e, m
    x: np.ndarray  # (n, 4): production vertex x, y, z, t
    parents: list[tuple[int, ...]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.pid)


def hepmc_status(pythia_status: int, pid: int, hadron: bool) -> int:
    """Map a Pythia status code to the HepMC3 convention described in the module docstring."""
    if pythia_status > 0:
        return 1
    if pythia_status in (-11, -12):
        return 4
    if hadron or abs(pid) in (13, 15):
        return 2
    return -pythia_status


def read_record(event: Any) -> Record:
    """Copy a ``pythia8mc.Event`` into a :class:`Record` (per-particle loop over pybind objects).

    Pythia index 0 (the system line) is skipped, and mother index 0 means "no mother", so only the
    two beams end up without parents.  Rows are put in topological order (every mother before its
    daughters, otherwise Pythia's order): Pythia's initial-state shower appends the new, earlier
    incoming parton *after* the parton it branches into, and a HepMC3 reader (3.1 included) wants
    every particle written before the vertices it enters.
    """
    n = event.size() - 1
    pid = np.empty(n, dtype=np.int32)
    pst = np.empty(n, dtype=np.int32)
    st = np.empty(n, dtype=np.int32)
    p = np.empty((n, 5))
    x = np.empty((n, 4))
    mothers: list[list[int]] = []
    for k in range(n):
        q = event[k + 1]
        ident, status = q.id(), q.status()
        pid[k], pst[k] = ident, status
        st[k] = hepmc_status(status, ident, q.isHadron())
        p[k] = (q.px(), q.py(), q.pz(), q.e(), q.m())
        x[k] = (q.xProd(), q.yProd(), q.zProd(), q.tProd())
        # dict.fromkeys: drop repeats but keep Pythia's order, so mother1 stays first
        mothers.append(list(dict.fromkeys(m - 1 for m in q.motherList() if m > 0)))
    order = _topological_order(mothers)
    row = np.empty(n, dtype=np.int64)
    row[order] = np.arange(n)
    parents = [tuple(int(row[m]) for m in mothers[k]) for k in order]
    return Record(order + 1, pid[order], st[order], pst[order], p[order], x[order], parents)


def _topological_order(mothers: Sequence[Sequence[int]]) -> np.ndarray:
    """Original row numbers in an order where mothers come first (ties: lowest row first)."""
    n = len(mothers)
    pending = [len(ms) for ms in mothers]
    children: list[list[int]] = [[] for _ in range(n)]
    for k, ms in enumerate(mothers):
        for m in ms:
            children[m].append(k)
    ready = [k for k in range(n) if pending[k] == 0]
    heapq.heapify(ready)
    order: list[int] = []
    while ready:
        k = heapq.heappop(ready)
        order.append(k)
        for c in children[k]:
            pending[c] -= 1
            if pending[c] == 0:
                heapq.heappush(ready, c)
    if len(order) != n:
        raise HepreintError(
            f"Pythia event record has a mother/daughter loop ({n - len(order)} particles); "
            "cannot write it as HepMC - please report this with the process and seed"
        )
    return np.asarray(order, dtype=np.int64)


def _keep_mask(rec: Record) -> np.ndarray:
    """Which rows :func:`prune_record` keeps (see its docstring for the why)."""
    keep = (rec.status == 1) | (rec.status == 4)
    abs_pid = np.abs(rec.pid)
    abs_st = np.abs(rec.pythia_status)
    keep |= (abs_st >= 21) & (abs_st <= 29)  # hard process, incl. resonance decays
    keep |= np.isin(abs_pid, (6, 15, 23, 24, 25, 35, 36))  # t, tau, Z, W, Higgs bosons
    for k in np.flatnonzero(~keep):
        ident = int(rec.pid[k])
        if is_hadron(ident) and (has_bottom(ident) or has_charm(ident)):
            keep[k] = True
    for k in np.flatnonzero(rec.status == 1):
        keep[list(rec.parents[k])] = True  # immediate mothers of the final state
    return keep


def nearest_kept_ancestors(rec: Record, keep: np.ndarray) -> list[tuple[int, ...]]:
    """For every row, the set of nearest kept ancestors (rows of ``rec``).

    A kept mother is itself the answer; a dropped mother is replaced, recursively, by its own
    nearest kept ancestors.  Rows are in topological order (see :func:`read_record`), so one pass
    in row order resolves everything.
    """
    up: list[tuple[int, ...]] = []
    for k in range(len(rec)):
        found: dict[int, None] = {}  # ordered set: the first entry follows the mother1 chain
        for m in rec.parents[k]:
            if keep[m]:
                found[m] = None
            else:
                found.update(dict.fromkeys(up[m]))
        up.append(tuple(found))
    return up


def _conflicts(parent_sets: Sequence[tuple[int, ...]], rows: np.ndarray) -> set[int]:
    """Rows whose parent set shares a particle with a different parent set.

    HepMC gives a particle one end vertex, so such sets cannot both be honoured.
    """
    first: dict[int, int] = {}
    bad: set[int] = set()
    for k in rows:
        ps = set(parent_sets[k])
        for m in ps:
            j = first.setdefault(m, int(k))
            if set(parent_sets[j]) != ps:
                bad.update((j, int(k)))
    return bad


def _union_points(
    rec: Record, keep: np.ndarray, up: list[tuple[int, ...]], bad: set[int]
) -> set[int]:
    """Dropped mothers to keep so that the clashing parent sets of ``bad`` rows split apart.

    A parent set with several members is born at a dropped particle whose mothers lead to
    different kept ancestors (two MPI partons with beams 1 and 2 behind them); keeping those
    mothers resolves the clash with the fewest extra particles, instead of keeping the whole
    shower chain below them.
    """
    extra: set[int] = set()
    seen: set[int] = set()
    stack = [m for k in bad for m in rec.parents[k] if not keep[m]]
    while stack:
        d = stack.pop()
        if d in seen:
            continue
        seen.add(d)
        contrib = {frozenset((m,) if keep[m] else up[m]) for m in rec.parents[d]}
        if len(contrib) > 1:
            extra.update(m for m in rec.parents[d] if not keep[m])
        else:
            stack.extend(m for m in rec.parents[d] if not keep[m])
    return extra


def prune_record(rec: Record) -> Record:
    """Drop history that analyses never look at, keeping the relations they rely on.

    Kept: beams, hard-process particles (Pythia |status| 21-29), b and c hadrons, taus, W/Z/H/t
    (and the BSM scalars 35/36), every final-state particle, and the immediate mother(s) of every
    final-state particle.  Each kept particle's parents are re-pointed to its nearest kept
    ancestors.

    Why these: downstream code calls a final-state object "prompt" when its first-mother chain
    reaches no hadron or tau, and calls a b-hadron "weakly decaying" when none of its children is
    a b-hadron.  Keeping the direct mother of every final particle means a photon from a pi0
    still has the pi0 (a hadron) as parent, and keeping every heavy-flavour hadron keeps the
    excited -> weakly decaying b-hadron chain intact, so both answers are the same as on the full
    record.

    Re-pointing can make two different parent sets share a particle (beam 1 is the nearest kept
    ancestor of the hard-process parton and, through dropped MPI partons, of string partons
    together with beam 2), which HepMC cannot express.  Rather than merge vertices and invent
    parents, the dropped particles where such a set is born are kept too (see
    :func:`_union_points`), repeating until no clash is left (the full record is clash-free, and
    each round keeps more, so it terminates).
    """
    keep = _keep_mask(rec)
    while True:
        up = nearest_kept_ancestors(rec, keep)
        bad = _conflicts(up, np.flatnonzero(keep))
        if not bad:
            break
        extra = _union_points(rec, keep, up, bad)
        if not extra:  # cannot happen as far as we know; the blunt fix always progresses
            extra = {m for k in bad for m in rec.parents[k] if not keep[m]}
        keep[sorted(extra)] = True
    rows = np.flatnonzero(keep)
    new_row = np.full(len(rec), -1, dtype=np.int64)
    new_row[rows] = np.arange(len(rows))
    parents = [tuple(int(new_row[m]) for m in up[k]) for k in rows]
    return Record(
        rec.index[rows],
        rec.pid[rows],
        rec.status[rows],
        rec.pythia_status[rows],
        rec.p[rows],
        rec.x[rows],
        parents,
    )


def _vertex_groups(parents: Sequence[tuple[int, ...]]) -> tuple[list[int], int]:
    """Assign each particle with parents a vertex group; returns (group per row, merges).

    A HepMC particle has one end vertex, so two different parent sets that share a particle must
    become one vertex.  Neither Pythia's full record nor :func:`prune_record` output has such
    clashes (the tests check), so this union-find is a safety net for hand-made records: it
    merges the groups rather than write a broken graph, and counts the merges so they show up.
    """
    n = len(parents)
    root = list(range(n))

    def find(a: int) -> int:
        while root[a] != a:
            root[a] = root[root[a]]
            a = root[a]
        return a

    owner: dict[int, int] = {}  # parent row -> a child row whose group it ends in
    merges = 0
    for k, ps in enumerate(parents):
        for m in ps:
            if m in owner:
                a, b = find(owner[m]), find(k)
                if a != b:
                    if sorted(parents[a]) != sorted(ps):
                        merges += 1
                    root[b] = a
            else:
                owner[m] = k
    return [find(k) if parents[k] else -1 for k in range(n)], merges


@dataclass
class EventInfo:
    """Per-event numbers that go next to the particles."""

    number: int
    weights: Sequence[float] = (1.0,)
    sigma_pb: float | None = None
    sigma_err_pb: float | None = None
    n_accepted: int = -1
    n_tried: int = -1


def to_genevent(
    rec: Record, info: EventInfo, run_info: pyhepmc.GenRunInfo | None = None
) -> pyhepmc.GenEvent:
    """Build the ``GenEvent``; particle ``id`` k+1 is row k of ``rec``.

    Vertex position is the production point of its first outgoing particle (Pythia sets these for
    decays of long-lived hadrons; the rest are at the origin).  The number of vertex merges (see
    :func:`_vertex_groups`) is stored as the event attribute ``hepreint_vertex_merges`` when
    non-zero.
    """
    evt = pyhepmc.GenEvent(pyhepmc.Units.GEV, pyhepmc.Units.MM)
    # one C++ call creates every particle (momentum, generated mass, pid, status) in row order;
    # no parents given, so it builds no vertices: those follow below from our parent sets
    evt.from_hepevt(
        info.number,
        *(np.ascontiguousarray(rec.p[:, i]) for i in range(5)),
        rec.pid.astype(np.int32),
        rec.status.astype(np.int32),
    )
    if evt.momentum_unit != pyhepmc.Units.GEV or evt.length_unit != pyhepmc.Units.MM:
        raise AssertionError("pyhepmc from_hepevt changed units")  # pragma: no cover
    evt.event_number = info.number
    if run_info is not None:
        evt.run_info = run_info
    evt.weights = list(info.weights)
    if info.sigma_pb is not None:
        xs = pyhepmc.GenCrossSection()
        xs.set_cross_section(info.sigma_pb, info.sigma_err_pb or 0.0, info.n_accepted, info.n_tried)
        evt.cross_section = xs
    parts = list(evt.particles)

    groups, merges = _vertex_groups(rec.parents)
    vertices: dict[int, pyhepmc.GenVertex] = {}
    for k, g in enumerate(groups):
        if g < 0:
            continue
        v = vertices.get(g)
        if v is None:
            pos = rec.x[k]
            v = pyhepmc.GenVertex(tuple(pos) if pos.any() else (0.0, 0.0, 0.0, 0.0))
            vertices[g] = v
        v.add_particle_out(parts[k])
    for k, g in enumerate(groups):
        if g < 0:
            continue
        v = vertices[g]
        for m in rec.parents[k]:
            if parts[m].end_vertex is None:
                v.add_particle_in(parts[m])
    for v in vertices.values():
        evt.add_vertex(v)
    if merges:
        evt.attributes["hepreint_vertex_merges"] = merges
    return evt
