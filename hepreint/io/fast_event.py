"""The per-event, line-by-line part of the fast HepMC3 reader (:mod:`hepreint.io.fast`).

Before the particle lines of a block are parsed together, each event's few other lines are
read here (``E``, ``U``, ``W``, ``A``) and the text checks shared with the pyhepmc path made;
whatever looks unusual is left to pyhepmc (``None``).  After a block check failed, the slow
:func:`diagnose` finds which particle or vertex line of one event was refused and says why.
Kept apart from the numpy block code so that each side stays readable.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from hepreint.io.checks import EventProblem, check_text
from hepreint.io.detect import HEPMC3
from hepreint.io.split import EventText
from hepreint.io.weights import check_weights
from hepreint.io.xsec import xsec_hepmc3

INT32 = 2**31

#: a number as C++ ``istream >> double`` and Python's ``float`` read it alike (W line values)
_PLAIN_FLOAT = re.compile(rb"[-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")
#: a whole V line: id, status, non-empty list of incoming particles, optional position
V_LINE = re.compile(
    rb"V (-[0-9]+) (-?[0-9]+) \[([0-9]+(?:,[0-9]+)*)\](?: @ [^ \n]+ [^ \n]+ [^ \n]+ [^ \n]+)?\r?\n"
)
#: an event attribute line HepMC3 can parse: id, name, then the value after a space
_A_LINE = re.compile(rb"A -?[0-9]+ [^ \n]+ ")

P, V = ord("P"), ord("V")
#: line letters the fast path knows (blank lines are skipped by HepMC3 too)
_KNOWN = np.zeros(256, dtype=bool)
for _c in b"EUWAPV\n\r":
    _KNOWN[_c] = True
#: lines that must come before the first particle/vertex line (after it they end the event early)
_META = np.zeros(256, dtype=bool)
for _c in b"EUWA":
    _META[_c] = True


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
class Prep:
    """What the per-event (Python) part found; the block part does the particle lines."""

    event: EventText
    number: int
    n_vertices: int
    mev: bool
    weights: list[float]
    names: tuple[str, ...] | None
    xsec: tuple[float, float] | None


def line_at(data: bytes, at: int) -> bytes:
    """The line of ``data`` starting at ``at``, without its newline."""
    end = data.find(b"\n", at)
    return data[at : end if end >= 0 else len(data)]


def prepare(event: EventText) -> Prep | EventProblem | None:
    """Event-level checks and the few non-particle lines; ``None``: leave it to pyhepmc."""
    if event.fmt != HEPMC3:
        return None
    try:
        check_text(HEPMC3, event)
    except EventProblem as problem:
        return problem
    c = event.census
    data = event.data
    if not _KNOWN[c.heads].all() or c["E"] != 1 or c["U"] > 1 or c["W"] > 1:
        return None
    pv = (c.heads == P) | (c.heads == V)
    if pv.any() and _META[c.heads[int(np.argmax(pv)) :]].any():
        return None  # HepMC3 ends the event at an A/W/U line after the particles
    first = line_at(data, 0)
    if b"  " in first or b"\t" in first:
        return None  # HepMC3 3.2.5 steps from space to space: leave odd spacing to it
    fields = first.split()
    try:
        number, n_vertices = int(fields[1]), int(fields[2])
    except (IndexError, ValueError):
        return None
    mev = False
    if c["U"]:
        units = line_at(data, data.find(b"\nU ") + 1).split()
        if len(units) != 3 or units[1] not in (b"GEV", b"MEV") or units[2] not in (b"MM", b"CM"):
            return None
        mev = units[1] == b"MEV"
    weights: list[float] = []
    if c["W"]:
        values = line_at(data, data.find(b"\nW ") + 1).split()[1:]
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
        check_weights(event, weights, names)
    except EventProblem as problem:
        return problem
    return Prep(event, number, n_vertices, mev, weights, names, xsec_hepmc3(event))


def diagnose(prep: Prep) -> EventProblem:
    """The first particle or vertex line of one event that the block checks refused (slow)."""
    event = prep.event
    data = event.data
    c = event.census
    for k, at in enumerate(c.starts.tolist()):
        head = c.heads[k]
        if head not in (P, V):
            continue
        text = line_at(data, at)
        shown = text[:80].decode(errors="replace")
        if head == V:
            if not V_LINE.match(data, at) and not V_LINE.match(text + b"\n"):
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
            if ok and integer and abs(int(token)) >= INT32:
                ok = False  # HepMC3 stores an int: atoi would wrap it
            if not ok:
                kind = "an integer" if integer else "a number"
                if integer and token.lstrip(b"+-").isdigit():
                    kind += " that fits 32 bits"
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
