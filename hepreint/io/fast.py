"""Columnar HepMC3 reader: the text of many events at once -> the columns of the pyhepmc path.

Optional (``read_events(..., reader="fast")``); pyhepmc stays the reference and the default.
Every number the fast path delivers is identical to what the pyhepmc path delivers for the same
event (tests/test_io_fast.py compares them bit for bit); what it is not sure to reproduce, it
hands back to the pyhepmc path for that one event.

How: the events of a block (a few MB of text) are joined; all particle (``P``) lines are parsed
by one ``np.fromstring`` (C ``strtod``, as HepMC3's ``atof``), after checking, for every line at
once, that it holds exactly 9 single-space-separated fields, and that the integer fields hold
only digits and signs (HepMC3's ``atoi`` would read ``1e3`` as 1).  ``V`` lines go through one
strict regular expression each.  Mothers are resolved as HepMC3 3.2.5 (pyhepmc 2.16) does:
``mother > 0`` is an implicit vertex whose only incoming particle is ``mother``, ``mother < 0``
is the vertex of that ``V`` line, whose first *listed* incoming particle is the first mother.

Per event, a result is one of:

* :class:`EventColumns` -- parsed here;
* :class:`EventProblem` -- broken (the same checks as the pyhepmc path: text checks, weights,
  non-finite momenta -- plus what pyhepmc silently misreads: non-numeric or misplaced fields,
  a particle whose production vertex has no ``V`` line, a particle entering two vertices);
* ``None`` -- unusual (HepMC2, particle ids out of order, a vertex count that disagrees with the
  ``E`` line, lines after the particles that end a HepMC3 event early, ...): the caller runs the
  pyhepmc path, which gives the reference result or error.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from hepreint.io.checks import EventProblem
from hepreint.io.columns import EventColumns, nonfinite_problem
from hepreint.io.fast_event import INT32, V_LINE, P, Prep, V, diagnose, prepare
from hepreint.io.split import EventText
from hepreint.io.vet import bad_momenta, block_notes, momentum_problem

Result = EventColumns | EventProblem | None

#: bytes that may appear in the integer fields of a P line
_NOT_INT = np.ones(256, dtype=bool)
for _c in b"0123456789-+ \r\n":
    _NOT_INT[_c] = False


def parse_events(events: Sequence[EventText]) -> list[Result]:
    """Results of ``events`` (in order), parsed as one block where possible."""
    results: list[Result] = [None] * len(events)
    preps: list[Prep] = []
    where: list[int] = []
    for i, event in enumerate(events):
        prep = prepare(event)
        if isinstance(prep, Prep):
            preps.append(prep)
            where.append(i)
        else:
            results[i] = prep
    if preps:
        for i, result in zip(where, _parse_block(preps), strict=True):
            results[i] = result
    return results


class _BlockFailed(Exception):
    """A check over the whole block failed; the events are redone one by one to find which."""


def _parse_block(preps: list[Prep]) -> list[Result]:
    try:
        return _parse_vectorised(preps)
    except _BlockFailed:
        if len(preps) == 1:
            return [diagnose(preps[0])]
        return [r for p in preps for r in _parse_block([p])]


def _fromstring(text: bytes) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        try:
            return np.fromstring(text, sep=" ")  # noqa: NPY201
        except (ValueError, DeprecationWarning):
            raise _BlockFailed from None


@dataclass(slots=True)
class _Block:
    """The events of a block as one text with per-line arrays; collects per-event verdicts."""

    preps: list[Prep]
    text: bytes
    starts: np.ndarray  # of every line in ``text``
    ends: np.ndarray
    heads: np.ndarray  # first byte of every line
    line_ev: np.ndarray  # event of every line
    line_base: np.ndarray  # first line of every event (n_ev + 1)
    declared_v: np.ndarray  # vertices the E line declares
    problems: dict[int, EventProblem]  # broken events (the first problem found)
    delegate: np.ndarray  # events left to the pyhepmc path

    def problem(self, e: int, line_in_event: int, what: str) -> None:
        """Record ``what`` for event ``e`` unless it already has a problem."""
        line = self.preps[e].event.line + int(line_in_event)
        self.problems.setdefault(e, EventProblem(what, line=line))


@dataclass(slots=True)
class _Particles:
    """Where the P lines are and their integer fields (``values`` holds all nine)."""

    is_p: np.ndarray  # per block line
    lines: np.ndarray  # block line of every particle
    ev: np.ndarray  # event of every particle
    first: np.ndarray  # first particle of every event (n_ev + 1)
    local: np.ndarray  # index within its event
    ids: np.ndarray
    mother: np.ndarray


@dataclass(slots=True)
class _Vertices:
    """The V lines: vertex id, first listed incoming particle, and all incoming particles."""

    lines: np.ndarray
    ev: np.ndarray
    id: np.ndarray
    slot_ok: np.ndarray  # the id names a vertex the E line declares
    first: np.ndarray
    ins: np.ndarray  # incoming particles of all V lines, concatenated
    ins_ev: np.ndarray  # event of each of ``ins``


def _parse_vectorised(preps: list[Prep]) -> list[Result]:
    """Each step is one numpy pass over all events of the block; _BlockFailed if one refuses."""
    block = _join(preps)
    particles, values = _parse_particle_lines(block)
    vertices = _parse_vertex_lines(block, particles)
    parent = _parents(block, particles, vertices)
    _check_single_entry(block, particles, vertices)
    columns = _momenta(block, particles, values)
    del values
    return _results(block, particles, columns, parent.astype(np.int32))


def _join(preps: list[Prep]) -> _Block:
    """One text of all events, with the census of every line moved to block offsets."""
    events = [p.event for p in preps]
    n_ev = len(events)
    sizes = np.fromiter((len(e.data) for e in events), np.int64, n_ev)
    ev_offset = np.zeros(n_ev + 1, dtype=np.int64)
    np.cumsum(sizes, out=ev_offset[1:])
    n_lines = np.fromiter((len(e.census.starts) for e in events), np.int64, n_ev)
    line_base = np.zeros(n_ev + 1, dtype=np.int64)
    np.cumsum(n_lines, out=line_base[1:])
    starts = np.concatenate([e.census.starts for e in events]) + np.repeat(ev_offset[:-1], n_lines)
    ends = np.empty_like(starts)
    ends[:-1] = starts[1:]
    ends[-1] = ev_offset[-1]
    heads = np.concatenate([e.census.heads for e in events])
    line_ev = np.repeat(np.arange(n_ev), n_lines)
    text = b"".join(e.data for e in events)
    declared_v = np.array([p.n_vertices for p in preps], dtype=np.int64)
    delegate = np.zeros(n_ev, dtype=bool)
    return _Block(preps, text, starts, ends, heads, line_ev, line_base, declared_v, {}, delegate)


def _particle_text(
    block: _Block, p_lines: np.ndarray, is_p: np.ndarray
) -> tuple[bytes, np.ndarray]:
    """All P lines as one text with the ``P`` blanked, and where each line starts in it."""
    starts, ends = block.starts, block.ends
    before = np.zeros_like(is_p)
    before[1:] = is_p[:-1]
    after = np.zeros_like(is_p)
    after[:-1] = is_p[1:]
    run_start = np.flatnonzero(is_p & ~before)
    run_end = np.flatnonzero(is_p & ~after)
    view = memoryview(block.text)
    pieces = [
        view[s:e] for s, e in zip(starts[run_start].tolist(), ends[run_end].tolist(), strict=True)
    ]
    text = b"".join([b"\n", *pieces]).replace(b"\nP", b"\n ")
    p_len = ends[p_lines] - starts[p_lines]
    p_at = np.empty(len(p_lines) + 1, dtype=np.int64)  # start of each line in ``text``
    p_at[0] = 1
    np.cumsum(p_len, out=p_at[1:])
    p_at[1:] += 1
    return text, p_at


def _check_particle_fields(chars: np.ndarray, p_at: np.ndarray) -> None:
    """Raise _BlockFailed unless every P line holds 9 non-empty single-space-separated fields
    and its integer fields only digits and signs (what strtod would misread otherwise)."""
    n_p = len(p_at) - 1
    # "P " became two spaces at p_at, then single spaces, and the last field is not empty
    # (the newline is at p_at[1:] - 1)
    flat_spaces = np.flatnonzero(chars == 32)
    if len(flat_spaces) != 10 * n_p:
        raise _BlockFailed
    spaces = flat_spaces.reshape(n_p, 10)
    if (
        not np.array_equal(spaces[:, 0], p_at[:-1])
        or not np.array_equal(spaces[:, 1], p_at[:-1] + 1)
        or (np.diff(spaces[:, 1:], axis=1) < 2).any()
        or (spaces[:, 9] > p_at[1:] - 3).any()
    ):
        raise _BlockFailed
    # integer fields (id, mother, pid before the 5th space; status after the 10th): digits only
    bounds = np.stack([p_at[:-1], spaces[:, 4], spaces[:, 9]], axis=1).ravel()
    odd = np.logical_or.reduceat(_NOT_INT[chars], bounds).reshape(n_p, 3)
    if odd[:, 0].any() or odd[:, 2].any():
        raise _BlockFailed


def _parse_particle_lines(block: _Block) -> tuple[_Particles, np.ndarray]:
    """Every P line of the block: one text, one strtod pass; the (n, 9) values besides."""
    is_p = block.heads == P
    p_lines = np.flatnonzero(is_p)
    n_p = len(p_lines)
    p_ev = block.line_ev[p_lines]
    text, p_at = _particle_text(block, p_lines, is_p)
    _check_particle_fields(np.frombuffer(text, dtype=np.uint8), p_at)
    values = _fromstring(text)
    if len(values) != 9 * n_p:
        raise _BlockFailed
    values = values.reshape(n_p, 9)
    ints = values[:, [0, 1, 2, 8]]
    if not (np.abs(ints) < INT32).all():
        raise _BlockFailed  # (digits only, so integral; NaN impossible)
    ids = ints[:, 0].astype(np.int64)
    mother = ints[:, 1].astype(np.int64)
    n_ev = len(block.preps)
    p_first = np.searchsorted(p_ev, np.arange(n_ev + 1))  # first P line of each event
    local = np.arange(n_p) - p_first[p_ev]
    np.logical_or.at(block.delegate, p_ev[ids != local + 1], True)  # ids not 1, 2, 3, ...
    return _Particles(is_p, p_lines, p_ev, p_first, local, ids, mother), values


def _parse_vertex_lines(block: _Block, particles: _Particles) -> _Vertices:
    """Every V line through the strict pattern; odd vertex ids or incoming lists delegate."""
    v_lines = np.flatnonzero(block.heads == V)
    v_ev = block.line_ev[v_lines]
    v_id = np.empty(len(v_lines), dtype=np.int64)
    v_first = np.empty(len(v_lines), dtype=np.int64)
    v_in_lists: list[bytes] = []
    for k, at in enumerate(block.starts[v_lines].tolist()):
        m = V_LINE.match(block.text, at)
        if m is None:
            raise _BlockFailed
        v_id[k] = int(m[1])
        ins = m[3]
        comma = ins.find(b",")
        v_first[k] = int(ins if comma < 0 else ins[:comma])
        v_in_lists.append(ins)
    v_n_in = np.fromiter((s.count(b",") + 1 for s in v_in_lists), np.int64, len(v_lines))
    v_in = (
        np.fromstring(b",".join(v_in_lists), sep=",").astype(np.int64)  # noqa: NPY201
        if v_in_lists
        else np.zeros(0, dtype=np.int64)
    )
    v_in_ev = np.repeat(v_ev, v_n_in)
    # particles already read when the V line comes (HepMC3 3.2.5 links later ones differently)
    p_first = particles.first
    p_before = np.cumsum(particles.is_p)[v_lines] - p_first[v_ev] if len(v_lines) else v_ev
    v_slot_ok = (v_id < 0) & (-v_id <= block.declared_v[v_ev])
    np.logical_or.at(block.delegate, v_ev[~v_slot_ok], True)
    late = (v_in > np.repeat(p_before, v_n_in)) | (v_in < 1)
    np.logical_or.at(block.delegate, v_in_ev[late], True)
    return _Vertices(v_lines, v_ev, v_id, v_slot_ok, v_first, v_in, v_in_ev)


def _vertex_slots(block: _Block, vertices: _Vertices) -> tuple[np.ndarray, ...]:
    """Per declared vertex of the block: its first incoming particle (-2: no V line) and its
    V line, and the start of each event's vertices; two V lines for one vertex are a problem."""
    v_lines, v_ev, v_id = vertices.lines, vertices.ev, vertices.id
    v_base = np.zeros(len(block.preps) + 1, dtype=np.int64)
    np.cumsum(block.declared_v, out=v_base[1:])
    slot = np.where(vertices.slot_ok, v_base[v_ev] - v_id - 1, -1)
    good = slot >= 0
    first_in = np.full(int(v_base[-1]), -2, dtype=np.int64)  # -2: no V line
    v_line_of = np.full(int(v_base[-1]), -1, dtype=np.int64)
    dup_slot = np.zeros(int(v_base[-1]), dtype=np.int64)
    np.add.at(dup_slot, slot[good], 1)
    first_in[slot[good]] = vertices.first[good] - 1
    v_line_of[slot[good]] = v_lines[good]
    for e in np.unique(v_ev[good][dup_slot[slot[good]] > 1]).tolist():
        k = int(v_lines[good][(v_ev[good] == e) & (dup_slot[slot[good]] > 1)][0])
        block.problem(e, k - block.line_base[e], "has a second V line with the same vertex id")
    return v_base, first_in, v_line_of


def _parents(block: _Block, particles: _Particles, vertices: _Vertices) -> np.ndarray:
    """First mother of every particle, as HepMC3 3.2.5 links them (int64, -1: none)."""
    v_base, first_in, v_line_of = _vertex_slots(block, vertices)
    p_ev, ids, mother, p_lines = particles.ev, particles.ids, particles.mother, particles.lines
    delegate, declared_v = block.delegate, block.declared_v
    parent = np.full(len(ids), -1, dtype=np.int64)
    implicit = mother > 0
    np.logical_or.at(delegate, p_ev[implicit & (mother >= ids)], True)  # HepMC3 needs it read
    parent[implicit] = mother[implicit] - 1
    explicit = mother < 0
    in_range = -mother <= declared_v[p_ev]
    np.logical_or.at(delegate, p_ev[explicit & ~in_range], True)
    use = explicit & in_range
    p_slot = np.where(use, v_base[p_ev] - mother - 1, 0)
    found = first_in[p_slot] if len(first_in) else np.zeros(len(ids), dtype=np.int64)
    missing = use & (found == -2)
    for e in np.unique(p_ev[missing]).tolist():
        g = int(np.flatnonzero(missing & (p_ev == e))[0])
        block.problem(
            e,
            p_lines[g] - block.line_base[e],
            f"particle {int(ids[g])} comes from vertex {int(mother[g])}, which has no V "
            "line (a line was lost); pyhepmc would silently drop the link",
        )
    v_after = use & ~missing & (v_line_of[p_slot] > p_lines) if len(v_line_of) else use & False
    np.logical_or.at(delegate, p_ev[v_after], True)
    parent[use & ~missing] = found[use & ~missing]
    return parent


def _check_single_entry(block: _Block, particles: _Particles, vertices: _Vertices) -> None:
    """A particle enters at most one vertex (HepMC3 links it oddly otherwise), and the vertex
    count is the E line's (else delegate): V lines + one implicit vertex per distinct mother."""
    n_ev = len(block.preps)
    p_ev, mother = particles.ev, particles.mother
    v_lines, v_ev = vertices.lines, vertices.ev
    line_base = block.line_base
    implicit = mother > 0
    # (mothers and listed particles beyond the event's particles are possible: delegated)
    n_max = max(np.diff(particles.first).max(initial=0), mother.max(initial=0))
    width = int(max(n_max, vertices.ins.max(initial=0))) + 1
    imp_keys = np.unique(p_ev[implicit] * width + mother[implicit])
    in_keys = np.concatenate([imp_keys, vertices.ins_ev * width + vertices.ins])
    uniq, counts = np.unique(in_keys, return_counts=True)
    for key in uniq[counts > 1][:n_ev].tolist():
        e, pid_ = divmod(key, width)
        if e not in block.problems:
            lines = v_lines[v_ev == e]
            block.problem(
                e,
                (int(lines[0]) if len(lines) else line_base[e]) - line_base[e],
                f"particle {pid_} enters more than one vertex (listed twice in V lines, or "
                "also the mother of an implicit vertex); the record is inconsistent",
            )
    n_implicit = np.bincount(imp_keys // width, minlength=n_ev) if width else np.zeros(n_ev)
    n_v_lines = np.bincount(v_ev, minlength=n_ev)
    block.delegate |= n_v_lines + n_implicit != block.declared_v


def _momenta(block: _Block, particles: _Particles, values: np.ndarray) -> list[np.ndarray]:
    """px, py, pz, e, mass (GeV), pid, status: one contiguous array each for the whole block
    (no per-particle table); a non-finite momentum is a problem of its event."""
    mev = np.array([p.mev for p in block.preps], dtype=bool)
    p_ev = particles.ev
    mev_rows = mev[p_ev] if mev.any() else None
    momenta = []
    for k in range(3, 8):  # px, py, pz, e, mass
        column = np.ascontiguousarray(values[:, k])
        if mev_rows is not None:
            column[mev_rows] /= 1000.0
        momenta.append(column)
    pid = values[:, 2].astype(np.int32)
    status = values[:, 8].astype(np.int32)
    finite = np.isfinite(momenta[0])
    for column in momenta[1:]:
        finite &= np.isfinite(column)
    bad = bad_momenta(momenta[0], momenta[1], momenta[2], momenta[3], status)
    for mask, nonfinite in ((~finite, True), (bad, False)):
        for e in np.unique(p_ev[mask]).tolist():
            g = int(np.flatnonzero(mask & (p_ev == e))[0])
            i, row = int(particles.local[g]), [float(column[g]) for column in momenta]
            line = block.preps[e].event.line + int(particles.lines[g] - block.line_base[e])
            problem = (
                nonfinite_problem(i, int(pid[g]), [row[4], *row[:4]], line)
                if nonfinite
                else momentum_problem(i, int(pid[g]), int(status[g]), row[:4], line)
            )
            block.problems.setdefault(e, problem)
    return [*momenta, pid, status]


def _results(
    block: _Block, particles: _Particles, columns: list[np.ndarray], parent32: np.ndarray
) -> list[Result]:
    """Per event: its problem, ``None`` (delegated), or its slices of the block's columns."""
    px, py, pz, energy, mass, pid, status = columns
    p_first = particles.first
    notes = block_notes(pid, particles.ev, p_first)
    results: list[Result] = []
    for e, prep in enumerate(block.preps):
        if e in block.problems:
            results.append(block.problems[e])
        elif block.delegate[e]:
            results.append(None)
        else:
            a, b = int(p_first[e]), int(p_first[e + 1])
            columns_e = {
                "px": px[a:b], "py": py[a:b], "pz": pz[a:b], "E": energy[a:b], "m": mass[a:b],
                "pid": pid[a:b], "status": status[a:b], "parent": parent32[a:b],
            }  # fmt: skip
            results.append(
                EventColumns(columns_e, prep.weights, prep.names, prep.number, prep.xsec, notes[e])
            )
    return results
