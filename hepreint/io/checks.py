"""What a broken event is, and the checks of its raw text that pyhepmc's readers do not make.

pyhepmc is trusted to parse, not to complain: ReaderAsciiHepMC2 silently accepts an event with a
missing or garbage particle line, and both readers accept an event cut at the end of a line.
Hence the cross-checks here, before any parser runs: the counts the event declares (HepMC3
``E`` line, HepMC2 ``V`` lines) against the record lines present, a file that ends inside the
event, and lines that are no HepMC record.  Both readers (pyhepmc and fast) run them, so a
broken event gets the same message whichever reads it.
"""

from __future__ import annotations

import re
import warnings

import numpy as np

from hepreint.io.detect import HEPMC2, HEPMC3
from hepreint.io.split import EventText

#: HepMC2 ``V barcode id x y z ctau n_orphans_in n_out ...``: the particles that follow it
_HEPMC2_VERTEX = re.compile(rb"\nV (-?[0-9]+)(?: [^ \n]+){5} ([0-9]+) ([0-9]+)")
_INTEGER = re.compile(rb"[-+]?[0-9]+")
#: HepMC3 ``V id status [in1,in2,...]`` and ``P id mother ...``: the references they make
_V3_REFS = re.compile(rb"^V (-?[0-9]+) [^ \n]+ \[([^\]\n]*)\]", re.M)
_P3_MOTHER = re.compile(rb"^P [^ \n]+ (-?[0-9]+) ", re.M)
INT64 = 2**63


class EventProblem(Exception):
    """A broken event; ``str`` is the what-and-fix part, the caller prefixes file and place."""

    def __init__(self, what: str, *, line: int | None = None, truncated: bool = False) -> None:
        super().__init__(what)
        #: file line number of the offending line, when known (else the event's E line)
        self.line = line
        #: the stream ended inside this event (advice differs: re-copy the file)
        self.truncated = truncated


def _declared_counts(fmt: str, event: EventText) -> tuple[int | None, int | None, bytes]:
    """(vertices, particles) the event says it has (``None`` if it cannot say), and the text
    to give pyhepmc (HepMC2: patched where HepMC3's reader would crash)."""
    data = event.data
    eol = data.find(b"\n")
    fields = data[: eol if eol >= 0 else len(data)].split()
    try:
        if fmt == HEPMC3:  # E number n_vertices n_particles [@ x y z t]
            return int(fields[2]), int(fields[3]), data
        # HepMC2: E number mpi scale aqcd aqed signal_id signal_vtx n_vertices ...
        vertices = int(fields[8])
        found = _HEPMC2_VERTEX.findall(data)
        particles = sum(int(a) + int(b) for _, a, b in found)
    except (IndexError, ValueError):
        return None, None, data
    signal = fields[7]
    if signal != b"0" and any(v == signal and a == b"0" and b == b"0" for v, a, b in found):
        # a signal-process vertex without particles of its own (old Pythia 6 / pruned records)
        # crashes ReaderAsciiHepMC2 (segfault); the signal vertex is not used here: unset it
        fields[7] = b"0"
        data = b" ".join(fields) + data[eol:]
    return vertices, particles, data


def event_number(event: EventText) -> int:
    """The event number as the E line's text says (pyhepmc stores an ``int``: it would wrap
    numbers beyond 2^31 silently); EventProblem unless an integer that fits int64."""
    data = event.data
    fields = data[: data.find(b"\n")].split(maxsplit=2)
    token = fields[1] if len(fields) > 1 else b""
    shown = token[:40].decode(errors="replace")
    if not _INTEGER.fullmatch(token):
        raise EventProblem(
            f"event number {shown!r} on the E line is not an integer; the E line was damaged",
            line=event.line,
        )
    number = int(token)
    if not -INT64 <= number < INT64:
        raise EventProblem(
            f"event number {shown} does not fit a 64-bit integer (|n| >= 2^63); the E line "
            "was damaged or the generator's counter overflowed",
            line=event.line,
        )
    return number


def _ints(tokens: list[bytes] | tuple[bytes, ...]) -> np.ndarray | None:
    """``tokens`` (integers) as numbers, parsed by C strtod in one call; None if one is not."""
    if not tokens:
        return np.zeros(0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        try:
            values = np.fromstring(b" ".join(tokens), sep=" ")  # noqa: NPY201
        except (ValueError, DeprecationWarning):
            return None  # not numbers: the readers' own checks refuse the line
    return values if len(values) == len(tokens) else None


def _references_problem(data: bytes, n_vertices: int, n_particles: int) -> tuple[str, int] | None:
    """(what, offset of the line) if a HepMC3 V or P line refers to a particle or vertex the
    E line does not declare (ReaderAscii indexes its tables with them: a crash)."""
    found = _V3_REFS.findall(data) if b"V " in data else []
    if found:
        id_tokens, lists = zip(*found, strict=True)
        vids = _ints(id_tokens)
        ins = _ints(b",".join(lists).replace(b",", b" ").split())
        n_in = np.fromiter((t.count(b",") + 1 for t in lists), np.int64, len(lists))
        bad_v = np.zeros(len(found), dtype=bool)
        if vids is not None:
            bad_v |= (vids >= 0) | (vids < -n_vertices)
        if ins is not None and len(ins) == n_in.sum():
            bad_in = (ins < 1) | (ins > n_particles)
            bad_v |= np.logical_or.reduceat(bad_in, np.cumsum(n_in) - n_in)
        if bad_v.any():
            k = int(np.argmax(bad_v))
            m = list(_V3_REFS.finditer(data))[k]
            return (
                f"vertex line {m[0].decode(errors='replace')!r} refers to a vertex or particle "
                f"the E line does not declare ({n_vertices} vertices, {n_particles} particles)",
                m.start(),
            )
    mothers = _ints(_P3_MOTHER.findall(data))
    if mothers is not None and len(mothers):
        bad = np.flatnonzero((mothers < -n_vertices) | (mothers > n_particles))
        if len(bad):
            at = [m.start() for m in _P3_MOTHER.finditer(data)][int(bad[0])]
            return (
                f"particle line gives mother {int(mothers[bad[0]])}, which the E line does not "
                f"declare ({n_vertices} vertices, {n_particles} particles)",
                at,
            )
    return None


def check_references(event: EventText) -> None:
    """EventProblem if a HepMC3 V or P line refers to a particle or vertex the E line does
    not declare: pyhepmc's ReaderAscii indexes its tables with these ids unchecked (a
    segmentation fault, or an IndexError). Run before pyhepmc parses (the fast reader hands
    such events to pyhepmc)."""
    n_vertices, n_particles, _ = _declared_counts(HEPMC3, event)
    if n_vertices is None or n_particles is None:
        return
    data = event.data
    found = _references_problem(data, n_vertices, n_particles)
    if found is not None:
        what, at = found
        raise EventProblem(
            f"{what}; the record is inconsistent", line=event.line + data.count(b"\n", 0, at)
        )


def check_text(fmt: str, event: EventText) -> bytes:
    """Checks on the raw text that do not need pyhepmc; catch what its readers let through.

    Returns the text to hand to pyhepmc (see :func:`_declared_counts`)."""
    data = event.data
    c = event.census
    n_vertices, n_particles, patched = _declared_counts(fmt, event)
    truncated = event.last and not data.endswith(b"\n")
    if truncated or (event.last and (n_particles is None or n_particles > c["P"])):
        raise EventProblem(
            f"the file ends inside this event ({c['P']} of {n_particles} particle lines, "
            f"{c['V']} of {n_vertices} vertex lines present)",
            line=event.line + data.count(b"\n") - (0 if truncated else 1),
            truncated=True,
        )
    if c.bad_line >= 0:
        at = int(c.starts[c.bad_line])
        shown = data[at : at + 40].split(b"\n")[0]
        raise EventProblem(f"line is not a HepMC record ({shown!r})", line=event.line + c.bad_line)
    event_number(event)
    if n_particles is None or n_vertices is None:
        raise EventProblem(f"malformed E line ({data[:60].splitlines()[0]!r})", line=event.line)
    # HepMC3 writes no V line for a vertex with a single mother and no attributes
    vertex_lines_ok = c["V"] == n_vertices if fmt == HEPMC2 else c["V"] <= n_vertices
    if n_particles != c["P"] or not vertex_lines_ok:
        raise EventProblem(
            f"declares {n_vertices} vertices and {n_particles} particles but "
            f"{c['V']} vertex and {c['P']} particle lines follow (lines lost or spliced)"
        )
    return patched
