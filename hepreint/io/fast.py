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

import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from hepreint.io.detect import HEPMC3
from hepreint.io.hepmc import (
    EventColumns,
    EventProblem,
    _check_text,
    _check_weights,
    _xsec_hepmc3,
    nonfinite_problem,
)
from hepreint.io.split import EventText

Result = EventColumns | EventProblem | None

_INT32 = 2**31

#: a number as C++ ``istream >> double`` and Python's ``float`` read it alike (W line values)
_PLAIN_FLOAT = re.compile(rb"[-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")
#: a whole V line: id, status, non-empty list of incoming particles, optional position
_V_LINE = re.compile(
    rb"V (-[0-9]+) (-?[0-9]+) \[([0-9]+(?:,[0-9]+)*)\](?: @ [^ \n]+ [^ \n]+ [^ \n]+ [^ \n]+)?\r?\n"
)
#: an event attribute line HepMC3 can parse: id, name, then the value after a space
_A_LINE = re.compile(rb"A -?[0-9]+ [^ \n]+ ")

_P, _V = ord("P"), ord("V")
#: line letters the fast path knows (blank lines are skipped by HepMC3 too)
_KNOWN = np.zeros(256, dtype=bool)
for _c in b"EUWAPV\n\r":
    _KNOWN[_c] = True
#: lines that must come before the first particle/vertex line (after it they end the event early)
_META = np.zeros(256, dtype=bool)
for _c in b"EUWA":
    _META[_c] = True
#: bytes that may appear in the integer fields of a P line
_NOT_INT = np.ones(256, dtype=bool)
for _c in b"0123456789-+ \r\n":
    _NOT_INT[_c] = False


@lru_cache(maxsize=16)
def weight_names(header: bytes) -> tuple[str, ...] | None:
    """Weight names as HepMC3's ReaderAscii reads the header's ``W`` line (the last one wins):
    ``\\|`` is a separator, ``\\x`` is ``x``, names are split at whitespace."""
    names: tuple[str, ...] = ()
    for ln in header.splitlines():
        if ln.startswith(b"W"):
            text = ln[ln.find(b" ") + 1 :] if b" " in ln else b""
            text = re.sub(rb"\\(.)", lambda m: b"\n" if m[1] == b"|" else m[1], text, flags=re.S)
            names = tuple(text.decode(errors="replace").split())
    return names or None


@dataclass(slots=True)
class _Prep:
    """What the per-event (Python) part found; the block part does the particle lines."""

    event: EventText
    number: int
    n_vertices: int
    mev: bool
    weights: list[float]
    names: tuple[str, ...] | None
    xsec: tuple[float, float] | None


def _line_at(data: bytes, at: int) -> bytes:
    end = data.find(b"\n", at)
    return data[at : end if end >= 0 else len(data)]


def _prepare(event: EventText) -> _Prep | EventProblem | None:
    """Event-level checks and the few non-particle lines; ``None``: leave it to pyhepmc."""
    if event.fmt != HEPMC3:
        return None
    try:
        _check_text(HEPMC3, event)
    except EventProblem as problem:
        return problem
    c = event.census
    data = event.data
    if not _KNOWN[c.heads].all() or c["E"] != 1 or c["U"] > 1 or c["W"] > 1:
        return None
    pv = (c.heads == _P) | (c.heads == _V)
    if pv.any() and _META[c.heads[int(np.argmax(pv)) :]].any():
        return None  # HepMC3 ends the event at an A/W/U line after the particles
    first = _line_at(data, 0)
    if b"  " in first or b"\t" in first:
        return None  # HepMC3 3.2.5 steps from space to space: leave odd spacing to it
    fields = first.split()
    try:
        number, n_vertices = int(fields[1]), int(fields[2])
    except (IndexError, ValueError):
        return None
    if not -_INT32 <= number < _INT32:
        return None
    mev = False
    if c["U"]:
        units = _line_at(data, data.find(b"\nU ") + 1).split()
        if len(units) != 3 or units[1] not in (b"GEV", b"MEV") or units[2] not in (b"MM", b"CM"):
            return None
        mev = units[1] == b"MEV"
    weights: list[float] = []
    if c["W"]:
        values = _line_at(data, data.find(b"\nW ") + 1).split()[1:]
        if not all(_PLAIN_FLOAT.fullmatch(v) for v in values):
            return None  # nan, inf, garbage: pyhepmc's error path says which
        weights = [float(v) for v in values]
    names = weight_names(event.header) if weights else None
    if names is not None and len(names) != len(weights):
        return None  # pyhepmc throws; its path turns that into the right message
    if c["A"]:
        for at in c.starts[c.heads == ord("A")].tolist():
            if not _A_LINE.match(data, at):
                return None
    try:
        _check_weights(event, weights, names)
    except EventProblem as problem:
        return problem
    return _Prep(event, number, n_vertices, mev, weights, names, _xsec_hepmc3(event))


def parse_events(events: Sequence[EventText]) -> list[Result]:
    """Results of ``events`` (in order), parsed as one block where possible."""
    results: list[Result] = [None] * len(events)
    preps: list[_Prep] = []
    where: list[int] = []
    for i, event in enumerate(events):
        prep = _prepare(event)
        if isinstance(prep, _Prep):
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


def _parse_block(preps: list[_Prep]) -> list[Result]:
    try:
        return _parse_vectorised(preps)
    except _BlockFailed:
        if len(preps) == 1:
            return [_diagnose(preps[0])]
        return [r for p in preps for r in _parse_block([p])]


def _diagnose(prep: _Prep) -> EventProblem:
    """The first particle or vertex line of one event that the block checks refused (slow)."""
    event = prep.event
    data = event.data
    c = event.census
    for k, at in enumerate(c.starts.tolist()):
        head = c.heads[k]
        if head not in (_P, _V):
            continue
        text = _line_at(data, at)
        shown = text[:80].decode(errors="replace")
        if head == _V:
            if not _V_LINE.match(data, at) and not _V_LINE.match(text + b"\n"):
                return EventProblem(
                    f"vertex line is malformed ({shown!r}); expected 'V id status [in1,...]' "
                    "with an optional '@ x y z t'",
                    line=event.line + k,
                )
            continue
        fields = text.rstrip(b"\r").split(b" ")
        if len(fields) != 10 or not all(fields):
            return EventProblem(
                f"particle line does not hold 9 single-space-separated fields ({shown!r}); "
                "the file was damaged or hand-edited",
                line=event.line + k,
            )
        for f, token in enumerate(fields[1:]):
            integer = f in (0, 1, 2, 8)
            ok = token.lstrip(b"+-").isdigit() if integer else _is_c_number(token)
            if not ok:
                kind = "an integer" if integer else "a number"
                return EventProblem(
                    f"particle line field {f + 1} is {token.decode(errors='replace')!r}, not "
                    f"{kind} ({shown!r}); pyhepmc would silently read a wrong value there",
                    line=event.line + k,
                )
    return EventProblem("its particle lines cannot be parsed (unknown reason)", line=event.line)


def _is_c_number(token: bytes) -> bool:
    try:
        return len(np.fromstring(token, sep=" ")) == 1  # noqa: NPY201 (text mode, not deprecated)
    except (ValueError, DeprecationWarning):
        return False


def _fromstring(text: bytes) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        try:
            return np.fromstring(text, sep=" ")  # noqa: NPY201
        except (ValueError, DeprecationWarning):
            raise _BlockFailed from None


def _parse_vectorised(preps: list[_Prep]) -> list[Result]:  # noqa: PLR0915
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
    block = b"".join(e.data for e in events)
    view = memoryview(block)
    problems: dict[int, EventProblem] = {}
    delegate = np.zeros(n_ev, dtype=bool)

    # --- particle lines: one text, one strtod pass --------------------------------------------
    is_p = heads == _P
    p_lines = np.flatnonzero(is_p)
    n_p = len(p_lines)
    p_ev = line_ev[p_lines]
    before = np.zeros_like(is_p)
    before[1:] = is_p[:-1]
    after = np.zeros_like(is_p)
    after[:-1] = is_p[1:]
    run_start = np.flatnonzero(is_p & ~before)
    run_end = np.flatnonzero(is_p & ~after)
    pieces = [
        view[s:e] for s, e in zip(starts[run_start].tolist(), ends[run_end].tolist(), strict=True)
    ]
    text = b"".join([b"\n", *pieces]).replace(b"\nP", b"\n ")
    chars = np.frombuffer(text, dtype=np.uint8)
    p_len = ends[p_lines] - starts[p_lines]
    p_at = np.empty(n_p + 1, dtype=np.int64)  # start of each line in ``text`` (the blanked P)
    p_at[0] = 1
    np.cumsum(p_len, out=p_at[1:])
    p_at[1:] += 1
    # exactly 9 non-empty fields per line: "P " became two spaces at p_at, then single spaces,
    # and the last field is not empty (the newline is at p_at[1:] - 1)
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
    values = _fromstring(text)
    if len(values) != 9 * n_p:
        raise _BlockFailed
    values = values.reshape(n_p, 9)
    ints = values[:, [0, 1, 2, 8]]
    if not (np.abs(ints) < _INT32).all():
        raise _BlockFailed  # (digits only, so integral; NaN impossible)
    ids = ints[:, 0].astype(np.int64)
    mother = ints[:, 1].astype(np.int64)

    p_first = np.searchsorted(p_ev, np.arange(n_ev + 1))  # first P line of each event
    local = np.arange(n_p) - p_first[p_ev]
    np.logical_or.at(delegate, p_ev[ids != local + 1], True)  # ids not 1, 2, 3, ...: pyhepmc
    n_particles = np.diff(p_first)

    # --- vertex lines --------------------------------------------------------------------------
    v_lines = np.flatnonzero(heads == _V)
    v_ev = line_ev[v_lines]
    v_id = np.empty(len(v_lines), dtype=np.int64)
    v_first = np.empty(len(v_lines), dtype=np.int64)
    v_in_lists: list[bytes] = []
    for k, at in enumerate(starts[v_lines].tolist()):
        m = _V_LINE.match(block, at)
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
    p_before = np.cumsum(is_p)[v_lines] - p_first[v_ev] if len(v_lines) else v_ev
    declared_v = np.array([p.n_vertices for p in preps], dtype=np.int64)
    v_slot_ok = (v_id < 0) & (-v_id <= declared_v[v_ev])
    np.logical_or.at(delegate, v_ev[~v_slot_ok], True)
    late = (v_in > np.repeat(p_before, v_n_in)) | (v_in < 1)
    np.logical_or.at(delegate, v_in_ev[late], True)

    v_base = np.zeros(n_ev + 1, dtype=np.int64)
    np.cumsum(declared_v, out=v_base[1:])
    slot = np.where(v_slot_ok, v_base[v_ev] - v_id - 1, -1)
    good = slot >= 0
    first_in = np.full(int(v_base[-1]), -2, dtype=np.int64)  # -2: no V line
    v_line_of = np.full(int(v_base[-1]), -1, dtype=np.int64)
    dup_slot = np.zeros(int(v_base[-1]), dtype=np.int64)
    np.add.at(dup_slot, slot[good], 1)
    first_in[slot[good]] = v_first[good] - 1
    v_line_of[slot[good]] = v_lines[good]
    for e in np.unique(v_ev[good][dup_slot[slot[good]] > 1]).tolist():
        k = int(v_lines[good][(v_ev[good] == e) & (dup_slot[slot[good]] > 1)][0])
        problems.setdefault(
            e, _at(preps[e], k - line_base[e], "has a second V line with the same vertex id")
        )

    # --- mothers ------------------------------------------------------------------------------
    parent = np.full(n_p, -1, dtype=np.int64)
    implicit = mother > 0
    np.logical_or.at(delegate, p_ev[implicit & (mother >= ids)], True)  # HepMC3 needs it read
    parent[implicit] = mother[implicit] - 1
    explicit = mother < 0
    in_range = -mother <= declared_v[p_ev]
    np.logical_or.at(delegate, p_ev[explicit & ~in_range], True)
    use = explicit & in_range
    p_slot = np.where(use, v_base[p_ev] - mother - 1, 0)
    found = first_in[p_slot] if len(first_in) else np.zeros(n_p, dtype=np.int64)
    missing = use & (found == -2)
    for e in np.unique(p_ev[missing]).tolist():
        g = int(np.flatnonzero(missing & (p_ev == e))[0])
        problems.setdefault(
            e,
            _at(
                preps[e],
                p_lines[g] - line_base[e],
                f"particle {int(ids[g])} comes from vertex {int(mother[g])}, which has no V "
                "line (a line was lost); pyhepmc would silently drop the link",
            ),
        )
    v_after = use & ~missing & (v_line_of[p_slot] > p_lines) if len(v_line_of) else use & False
    np.logical_or.at(delegate, p_ev[v_after], True)
    parent[use & ~missing] = found[use & ~missing]

    # a particle enters at most one vertex (HepMC3 links it oddly otherwise)
    width = int(n_particles.max(initial=0)) + 1
    imp_keys = np.unique(p_ev[implicit] * width + mother[implicit])
    in_keys = np.concatenate([imp_keys, v_in_ev * width + v_in])
    uniq, counts = np.unique(in_keys, return_counts=True)
    for key in uniq[counts > 1][:n_ev].tolist():
        e, pid_ = divmod(key, width)
        if e not in problems:
            lines = v_lines[v_ev == e]
            problems[e] = _at(
                preps[e],
                (int(lines[0]) if len(lines) else line_base[e]) - line_base[e],
                f"particle {pid_} enters more than one vertex (listed twice in V lines, or "
                "also the mother of an implicit vertex); the record is inconsistent",
            )
    # vertex count: V lines + implicit vertices (one per distinct mother) as HepMC3 counts
    n_implicit = np.bincount(imp_keys // width, minlength=n_ev) if width else np.zeros(n_ev)
    n_v_lines = np.bincount(v_ev, minlength=n_ev)
    delegate |= n_v_lines + n_implicit != declared_v

    # --- momenta: the batch's columns, one contiguous array each (no per-particle table) -------
    del ints
    mev = np.array([p.mev for p in preps], dtype=bool)
    mev_rows = mev[p_ev] if mev.any() else None
    momenta = []
    for k in range(3, 8):  # px, py, pz, e, mass
        column = np.ascontiguousarray(values[:, k])
        if mev_rows is not None:
            column[mev_rows] /= 1000.0
        momenta.append(column)
    pid = values[:, 2].astype(np.int32)
    status = values[:, 8].astype(np.int32)
    del values
    finite = np.isfinite(momenta[0])
    for column in momenta[1:]:
        finite &= np.isfinite(column)
    for e in np.unique(p_ev[~finite]).tolist():
        g = int(np.flatnonzero(~finite & (p_ev == e))[0])
        row = [column[g] for column in momenta]
        problems.setdefault(e, nonfinite_problem(int(local[g]), int(pid[g]), [row[4], *row[:4]]))
    px, py, pz, energy, mass = momenta
    parent32 = parent.astype(np.int32)

    results: list[Result] = []
    for e, prep in enumerate(preps):
        if e in problems:
            results.append(problems[e])
        elif delegate[e]:
            results.append(None)
        else:
            a, b = int(p_first[e]), int(p_first[e + 1])
            columns = {
                "px": px[a:b], "py": py[a:b], "pz": pz[a:b], "E": energy[a:b], "m": mass[a:b],
                "pid": pid[a:b], "status": status[a:b], "parent": parent32[a:b],
            }  # fmt: skip
            results.append(
                EventColumns(columns, prep.weights, prep.names, prep.number, prep.xsec)
            )
    return results


def _at(prep: _Prep, line_in_event: int, what: str) -> EventProblem:
    return EventProblem(what, line=prep.event.line + int(line_in_event))
