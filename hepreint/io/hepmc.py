"""One event's text -> a parsed pyhepmc event, via pyhepmc's own parsers, failures explained.

The pyhepmc path of the reader: the text checks of :mod:`hepreint.io.checks` first (pyhepmc is
trusted to parse, not to complain), then a fresh pyhepmc reader for the event with HepMC3's
output kept off the terminal (:mod:`hepreint.io.mute`).  Exceptions out of pyhepmc (HepMC3
throws on some bad ``W`` lines) and failed parses become :class:`EventProblem`, with HepMC3's
own reason recovered by a second, captured parse; the stream adds file and place.  The parsed
event becomes columns in :mod:`hepreint.io.columns`.
"""

from __future__ import annotations

import io
import os
import sys
import tempfile

import pyhepmc
from pyhepmc.io import ReaderAscii, ReaderAsciiHepMC2, pyiostream

from hepreint.io.checks import EventProblem, check_references, check_text
from hepreint.io.detect import HEPMC2, HEPMC3
from hepreint.io.mute import c_flush, mute_stdout, quiet_pyhepmc, unmute_stdout
from hepreint.io.split import EventText
from hepreint.io.weights import header_weight_names, weight_line, weight_text_problem

_READERS = {HEPMC3: ReaderAscii, HEPMC2: ReaderAsciiHepMC2}

#: C++ exceptions that pybind11 turns into these escape pyhepmc's readers on some bad input
#: (e.g. ReaderAscii::parse_weight_values throws when a W line does not match the weight names)
_PYHEPMC_ERRORS = (RuntimeError, ValueError, IndexError, OverflowError)


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
    c_flush()
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
            c_flush()  # HepMC3's printf output, if buffered, belongs in tmp
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


def read_event(event: EventText) -> tuple[pyhepmc.GenEvent, pyhepmc.GenEventData, EventText]:
    """Parse one event with pyhepmc after the text checks."""
    fmt = event.fmt
    assert fmt is not None
    text = check_text(fmt, event)
    if fmt == HEPMC3:
        check_references(event)
    saved = mute_stdout()
    try:
        with quiet_pyhepmc():
            ok, evt = _read(fmt, event.header, text)
    except _PYHEPMC_ERRORS as exc:
        raise _exception_problem(event, exc) from None
    finally:
        unmute_stdout(saved)
    data = pyhepmc.GenEventData()
    if ok:
        # (len(evt.particles) would build 1000s of Python objects; the table is needed anyway)
        evt.write_data(data)
    if not ok or (len(data.particles) == 0 and event.census["P"] > 0):
        reason, bad = _why(fmt, event.header, text)
        raise EventProblem(
            f"pyhepmc cannot parse it ({reason})", line=_line_of(event.data, bad, event.line)
        )
    return evt, data, event


def _exception_problem(event: EventText, exc: Exception) -> EventProblem:
    """An exception out of pyhepmc's reader as an EventProblem, with the W line diagnosed
    when it is about weights (the only exception HepMC3's ASCII readers throw today)."""
    message = " ".join(str(exc).split())
    if "weight" in message.lower():
        names = header_weight_names(event.header)
        problem = weight_text_problem(event, names, None)
        if problem is not None:
            return problem
        found = weight_line(event)
        return EventProblem(
            f"pyhepmc cannot parse it ({message})", line=found[0] if found else event.line
        )
    return EventProblem(f"pyhepmc cannot parse it ({message})", line=event.line)
