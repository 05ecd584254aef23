"""One event's text -> checked flat numpy columns, via pyhepmc's own parsers.

This is the only per-event Python code of the package, so everything inside an event is numpy:
``GenEvent.write_data`` hands over the particle table as one structured array and the graph as
two link arrays, from which the first mother of every particle is found without a Python loop.

pyhepmc is trusted to parse, not to complain: ReaderAsciiHepMC2 silently accepts an event with a
missing or garbage particle line, and both readers accept an event cut at the end of a line.
Hence the cross-checks here: the counts the event declares (HepMC3 ``E`` line, HepMC2 ``V``
lines) against the record lines present and the particles pyhepmc built, non-record lines,
non-finite momenta, and the event weights (finite, as many as the ``W`` line holds and as the
weight names).  Exceptions out of pyhepmc (HepMC3 throws on some bad ``W`` lines) and its
stray ``printf`` to stdout are contained too.  A failed check raises :class:`EventProblem`; the
stream adds file and place.
"""

from __future__ import annotations

import ctypes
import io
import math
import os
import re
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import pyhepmc
from pyhepmc.io import ReaderAscii, ReaderAsciiHepMC2, pyiostream

from hepreint.io.detect import HEPMC2, HEPMC3
from hepreint.io.split import EventText

_READERS = {HEPMC3: ReaderAscii, HEPMC2: ReaderAsciiHepMC2}
_MEV = pyhepmc.Units.MEV

#: HepMC2 ``V barcode id x y z ctau n_orphans_in n_out ...``: the particles that follow it
_HEPMC2_VERTEX = re.compile(rb"\nV (-?[0-9]+)(?: [^ \n]+){5} ([0-9]+) ([0-9]+)")

#: momentum-like fields of GenEventData's particle table, contiguous float64 from "mass" on
_FLOAT_FIELDS = ("mass", "px", "py", "pz", "e")

#: C++ exceptions that pybind11 turns into these escape pyhepmc's readers on some bad input
#: (e.g. ReaderAscii::parse_weight_values throws when a W line does not match the weight names)
_PYHEPMC_ERRORS = (RuntimeError, ValueError, IndexError, OverflowError)


def _find_c_fflush() -> Callable[[], None]:
    """``fflush(NULL)`` of the C library (flushes every C stdio stream), or a no-op."""
    try:
        fflush = ctypes.CDLL(None).fflush
    except (OSError, AttributeError, TypeError):  # no C library handle (e.g. Windows)
        return lambda: None
    fflush.argtypes = [ctypes.c_void_p]
    fflush.restype = ctypes.c_int
    return lambda: fflush(None)


_c_flush = _find_c_fflush()
_devnull_fd: int | None = None


class EventProblem(Exception):
    """A broken event; ``str`` is the what-and-fix part, the caller prefixes file and place."""

    def __init__(self, what: str, *, line: int | None = None, truncated: bool = False) -> None:
        super().__init__(what)
        #: file line number of the offending line, when known (else the event's E line)
        self.line = line
        #: the stream ended inside this event (advice differs: re-copy the file)
        self.truncated = truncated


@dataclass(frozen=True, slots=True)
class EventColumns:
    """Flat columns of one event (GeV), in the dtypes of the batch, ready to be concatenated.

    ``columns`` maps every name of :data:`hepreint.events.batch.PARTICLE_FIELDS` to a 1-d array:
    px, py, pz, E, m float64 (``m`` already the on-shell mass where the record stores none),
    pid, status int32, parent int32 (index of the first mother within the event, -1 if none).
    The arrays may be views into the columns of a whole block of events (fast reader).
    """

    columns: dict[str, np.ndarray]
    weights: list[float]
    weight_names: tuple[str, ...] | None
    event_number: int
    xsec: tuple[float, float] | None

    @property
    def n_particles(self) -> int:
        return len(self.columns["pid"])


@contextmanager
def _quiet_pyhepmc() -> Iterator[None]:
    """Silence HepMC3's stderr chatter; its content is recovered on failure (see _why)."""
    setup = pyhepmc.Setup
    saved = (setup.print_errors, setup.print_warnings, setup.debug_level)
    setup.print_errors = setup.print_warnings = False
    setup.debug_level = 0
    try:
        yield
    finally:
        setup.print_errors, setup.print_warnings, setup.debug_level = saved


def _mute_stdout() -> int | None:
    """Send file descriptor 1 to /dev/null (C level, below Python); returns the saved fd for
    :func:`_unmute_stdout` (``None``: nothing to restore).

    HepMC3's ReaderAscii ``printf``s "N  vs  M expected" to stdout when an event's vertex or
    particle count differs from its E line, whatever ``Setup.print_errors`` says (e.g. an event
    of two beams declaring a vertex).  Only a failed parse prints, but that is not known in
    advance, so every parse is wrapped: measured ~1 us per event (dup/dup2 and two fflush),
    against ~1.3 ms to parse a 1000-particle event.  The C stdio buffers are flushed before
    (pending output of others still goes to the real stdout) and after (a buffered printf of
    HepMC3 goes to /dev/null, not to the terminal at exit).  Python's ``sys.stdout`` is not
    flushed during a parse, so Python output is unaffected (another thread writing to fd 1
    during the parse itself would lose that text; the reader is used single-threaded).
    """
    global _devnull_fd
    _c_flush()
    try:
        if _devnull_fd is None:
            _devnull_fd = os.open(os.devnull, os.O_WRONLY)
        saved = os.dup(1)
    except OSError:  # no stdout at all (closed fd 1): nothing to protect
        return None
    os.dup2(_devnull_fd, 1)
    return saved


def _unmute_stdout(saved: int | None) -> None:
    if saved is None:
        return
    _c_flush()
    os.dup2(saved, 1)
    os.close(saved)


def _read(fmt: str, header: bytes, data: bytes) -> tuple[bool, pyhepmc.GenEvent]:
    # a fresh reader per event costs ~20 us and makes every event independent of the previous
    # one (resynchronisation after a broken event is free); see the benchmark in the report
    reader = _READERS[fmt](pyiostream(io.BytesIO(header + data), 1 << 16))
    evt = pyhepmc.GenEvent()
    ok = reader.read_event(evt)
    return bool(ok), evt


def _why(fmt: str, header: bytes, data: bytes) -> tuple[str, bytes | None]:
    """Re-parse a failed event with HepMC3's messages on and captured (slow path only).

    HepMC3 writes errors to std::cerr and the offending line to std::cout, below Python, so the
    file descriptors themselves are redirected for the duration of this one parse.
    """
    setup = pyhepmc.Setup
    saved = (setup.print_errors, setup.print_warnings, setup.debug_level)
    sys.stdout.flush()
    sys.stderr.flush()
    _c_flush()
    with tempfile.TemporaryFile() as tmp:
        kept = [os.dup(1), os.dup(2)]
        try:
            os.dup2(tmp.fileno(), 1)
            os.dup2(tmp.fileno(), 2)
            setup.print_errors, setup.print_warnings, setup.debug_level = True, False, 1
            try:
                _read(fmt, header, data)
            except _PYHEPMC_ERRORS:
                pass  # read_event reports the exception itself
        finally:
            _c_flush()  # HepMC3's printf output, if buffered, belongs in tmp
            os.dup2(kept[0], 1)
            os.dup2(kept[1], 2)
            for fd in kept:
                os.close(fd)
            setup.print_errors, setup.print_warnings, setup.debug_level = saved
        tmp.seek(0)
        captured = tmp.read(1 << 16)
    lines = [ln.strip() for ln in captured.splitlines() if ln.strip()]
    errors = [ln.decode(errors="replace") for ln in lines if ln.startswith(b"ERROR")]
    reason = errors[0].split("::", 1)[-1] if errors else "no reason given"
    reason = reason.replace("HEPMC3_ERROR ", "")
    # HepMC3 ends with "Parsing failed at line:" followed by the line: locate it in the event
    bad_line = None
    for i, ln in enumerate(lines[:-1]):
        if ln.endswith(b"Parsing failed at line:"):
            bad_line = lines[i + 1]
    if "were parsed" in reason:
        # a count check against the E line after the last line: point at the E line
        counts = [ln.decode(errors="replace") for ln in lines if b" vs " in ln]
        bad_line = None
        if counts:
            reason += f": {' '.join(counts[0].split())} by the E line"
    return reason, bad_line


def _line_of(data: bytes, text: bytes | None, first_line: int) -> int:
    if not text:
        return first_line
    at = data.find(text)
    return first_line if at < 0 else first_line + data.count(b"\n", 0, at)


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


def _check_text(fmt: str, event: EventText) -> bytes:
    """Checks on the raw text that do not need pyhepmc; catch what its readers let through."""
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


def read_event(event: EventText) -> tuple[pyhepmc.GenEvent, pyhepmc.GenEventData, EventText]:
    """Parse one event with pyhepmc after the text checks."""
    fmt = event.fmt
    assert fmt is not None
    text = _check_text(fmt, event)
    saved = _mute_stdout()
    try:
        with _quiet_pyhepmc():
            ok, evt = _read(fmt, event.header, text)
    except _PYHEPMC_ERRORS as exc:
        raise _exception_problem(event, exc) from None
    finally:
        _unmute_stdout(saved)
    data = pyhepmc.GenEventData()
    if ok:
        # (len(evt.particles) would build 1000s of Python objects; the table is needed anyway)
        evt.write_data(data)
    if not ok or len(data.particles) == 0:
        reason, bad = _why(fmt, event.header, text)
        raise EventProblem(
            f"pyhepmc cannot parse it ({reason})", line=_line_of(event.data, bad, event.line)
        )
    return evt, data, event


def _weight_line(event: EventText) -> tuple[int, list[bytes]] | None:
    """(file line, values) of a HepMC3 event's ``W`` line, or None if it has none."""
    if event.fmt != HEPMC3 or not event.census["W"]:
        return None
    data = event.data
    at = data.find(b"\nW ") + 1
    if at <= 0:
        return None
    end = data.find(b"\n", at)
    values = data[at : end if end >= 0 else len(data)].split()[1:]
    return event.line + data.count(b"\n", 0, at), values


def _name(names: tuple[str, ...] | None, i: int) -> str:
    return f" ({names[i]!r})" if names is not None and i < len(names) else ""


def _weight_text_problem(
    event: EventText, names: tuple[str, ...] | None, n_read: int | None
) -> EventProblem | None:
    """What is wrong with the HepMC3 W line, if anything: a value that is not a finite number
    (HepMC3's reader stops at it), or a count that differs from the weight names."""
    found = _weight_line(event)
    if found is None:
        return None
    line, values = found
    if n_read is not None and len(values) == n_read and (names is None or n_read == len(names)):
        return None  # HepMC3 read every value (it stops at the first it cannot read)
    for i, text in enumerate(values):
        try:
            value = float(text)
        except ValueError:
            value = None
        if value is None or not np.isfinite(value):
            shown = text.decode(errors="replace")
            return EventProblem(
                f"weight {i}{_name(names, i)} is {shown!r}, not a finite number; the generator "
                "wrote a bad event weight",
                line=line,
            )
    if names is not None and len(values) != len(names):
        return EventProblem(
            f"its W line has {len(values)} weight(s) but the run info names {len(names)} "
            f"({', '.join(names[:5])}{', ...' if len(names) > 5 else ''}); the event does not "
            "belong to this run's weight set",
            line=line,
        )
    if n_read is not None and len(values) != n_read:
        return EventProblem(
            f"its W line has {len(values)} values but pyhepmc read {n_read}", line=line
        )
    return None


def _exception_problem(event: EventText, exc: Exception) -> EventProblem:
    """An exception out of pyhepmc's reader as an EventProblem, with the W line diagnosed
    when it is about weights (the only exception HepMC3's ASCII readers throw today)."""
    message = " ".join(str(exc).split())
    if "weight" in message.lower():
        names = _header_weight_names(event.header)
        problem = _weight_text_problem(event, names, None)
        if problem is not None:
            return problem
        found = _weight_line(event)
        return EventProblem(
            f"pyhepmc cannot parse it ({message})", line=found[0] if found else event.line
        )
    return EventProblem(f"pyhepmc cannot parse it ({message})", line=event.line)


def _header_weight_names(header: bytes) -> tuple[str, ...] | None:
    """Weight names of a HepMC3 header's ``W`` line (names are separated by an escaped newline,
    ``\\|``, or spaces), or None; only used to label messages."""
    for ln in header.splitlines():
        if ln.startswith(b"W "):
            text = ln[2:].replace(b"\\|", b"\n").decode(errors="replace")
            return tuple(text.split())
    return None


def _check_weights(event: EventText, weights: list[float], names: tuple[str, ...] | None) -> None:
    """Every event's weights: as many as the W line holds (HepMC3 silently stops at a value it
    cannot read when the file has no weight names), as many as the names, all finite."""
    if event.fmt == HEPMC3 and event.census["W"]:
        problem = _weight_text_problem(event, names, len(weights))
        if problem is not None:
            raise problem
    if names is not None and len(names) != len(weights):
        raise EventProblem(
            f"has {len(weights)} weight(s) but {len(names)} weight names "
            f"({', '.join(names[:5])}{', ...' if len(names) > 5 else ''}); the weight names "
            "(HepMC2 N line) do not match the event's weights"
        )
    if not all(map(math.isfinite, weights)):  # (numpy costs ~1 us per event more)
        values = np.asarray(weights, dtype=np.float64)
        i = int(np.flatnonzero(~np.isfinite(values))[0])
        raise EventProblem(
            f"weight {i}{_name(names, i)} is {values[i]}, not a finite number; the generator "
            "wrote a bad event weight"
        )


def first_mothers(n: int, n_vertices: int, links1: np.ndarray, links2: np.ndarray) -> np.ndarray:
    """Index of the first incoming particle of each particle's production vertex, or -1.

    In ``GenEventData`` links, positive ids are particles (1-based), negative ids vertices;
    particle->vertex means "enters", vertex->particle means "produced at". ``write_data`` lists
    each vertex's incoming particles in their order, so the first link into a vertex is its first
    mother.
    """
    parent = np.full(n, -1, dtype=np.int32)
    if len(links1) == 0:
        return parent
    into = (links1 > 0) & (links2 < 0)
    vertex_in = -links2[into] - 1
    particle_in = links1[into] - 1
    first = np.full(n_vertices, -1, dtype=np.int32)
    uniq, at = np.unique(vertex_in, return_index=True)
    first[uniq] = particle_in[at]
    out = (links1 < 0) & (links2 > 0)
    parent[links2[out] - 1] = first[-links1[out] - 1]
    return parent


def _float_view(table: np.ndarray) -> np.ndarray:
    """(n, 5) float64 view of mass, px, py, pz, e of the particle table (no copy)."""
    fields = table.dtype.fields
    assert fields is not None  # a structured particle table
    offset = fields["mass"][1]
    return np.ndarray(
        (len(table), len(_FLOAT_FIELDS)),
        dtype=np.float64,
        buffer=table,
        offset=offset,
        strides=(table.dtype.itemsize, 8),
    )


def _xsec_hepmc2(evt: pyhepmc.GenEvent) -> tuple[float, float] | None:
    cs = evt.cross_section
    if cs is None:
        return None
    value, err = float(cs.xsec()), float(cs.xsec_err())
    return (value, err) if np.isfinite(value) else None


def _xsec_hepmc3(event: EventText) -> tuple[float, float] | None:
    """Cross-section from the event's ``A 0 GenCrossSection`` line, read from the text.

    pyhepmc 2.16 segfaults on ``evt.cross_section`` for the two-value attribute written by
    HepMC 3.0 (``xsec err`` without accepted/attempted counts), so it is never asked.
    """
    c = event.census
    if not c["A"]:
        return None
    data = event.data
    for at in c.starts[c.heads == ord("A")]:
        at = int(at)
        if data.startswith(b"A 0 GenCrossSection ", at):
            fields = data[at : data.find(b"\n", at)].split()
            try:
                value, err = float(fields[3]), float(fields[4])
            except (IndexError, ValueError):
                return None
            return (value, err) if np.isfinite(value) else None
    return None


def nonfinite_problem(i: int, pid: int, values: Iterable[float]) -> EventProblem:
    """Particle ``i`` has NaN/inf among ``values`` (mass, px, py, pz, e)."""
    shown = ", ".join(f"{k}={v}" for k, v in zip(_FLOAT_FIELDS, values, strict=True))
    return EventProblem(
        f"particle {i} (pid {pid}) has a non-finite momentum ({shown}); the generator wrote NaN/inf"
    )


def to_columns(evt: pyhepmc.GenEvent, data: pyhepmc.GenEventData, event: EventText) -> EventColumns:
    """Convert a parsed event to GeV columns; raise EventProblem on non-finite momenta."""
    table = np.asarray(data.particles)
    floats = _float_view(table)
    if evt.momentum_unit == _MEV:
        table = table.copy()
        floats = _float_view(table)
        floats /= 1000.0
    finite = np.isfinite(floats)
    if not finite.all():
        i = int(np.flatnonzero(~finite.all(axis=1))[0])
        raise nonfinite_problem(i, int(table["pid"][i]), floats[i])
    links1 = np.asarray(data.links1)
    links2 = np.asarray(data.links2)
    parent = first_mothers(len(table), len(data.vertices), links1, links2)
    columns = table_columns(table, parent)
    weights = list(evt.weights)
    run_info = evt.run_info
    names = None
    if run_info is not None and weights:
        names = tuple(run_info.weight_names) or None
    _check_weights(event, weights, names)
    xsec = _xsec_hepmc3(event) if event.fmt == HEPMC3 else _xsec_hepmc2(evt)
    return EventColumns(columns, weights, names, int(evt.event_number), xsec)


def table_columns(table: np.ndarray, parent: np.ndarray) -> dict[str, np.ndarray]:
    """Batch columns of a GenEventData particle table (momenta already in GeV)."""
    px, py, pz, energy = (np.ascontiguousarray(table[k]) for k in ("px", "py", "pz", "e"))
    mass = np.ascontiguousarray(table["mass"])
    is_set = table["is_mass_set"]
    if not is_set.all():
        # a record without a stored mass gets the on-shell one from its four-momentum
        computed = np.sqrt(np.maximum(energy**2 - px**2 - py**2 - pz**2, 0.0))
        mass = np.where(is_set, mass, computed)
    return {
        "px": px, "py": py, "pz": pz, "E": energy, "m": mass,
        "pid": table["pid"].astype(np.int32), "status": table["status"].astype(np.int32),
        "parent": parent.astype(np.int32, copy=False),
    }  # fmt: skip
