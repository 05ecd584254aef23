"""Keep HepMC3's own output off the user's terminal while pyhepmc parses an event.

HepMC3 reports through ``std::cerr`` (switched off through ``pyhepmc.Setup``) and, for some
count mismatches, a bare ``printf`` to stdout that no switch silences; the latter is only
stopped at the file descriptor, below Python.  Split from :mod:`hepreint.io.hepmc` so that
the file-descriptor handling lives in one place, next to nothing else.
"""

from __future__ import annotations

import ctypes
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pyhepmc


def _find_c_fflush() -> Callable[[], None]:
    """``fflush(NULL)`` of the C library (flushes every C stdio stream), or a no-op."""
    try:
        fflush = ctypes.CDLL(None).fflush
    except (OSError, AttributeError, TypeError):  # no C library handle (e.g. Windows)
        return lambda: None
    fflush.argtypes = [ctypes.c_void_p]
    fflush.restype = ctypes.c_int
    return lambda: fflush(None)


#: flush every C stdio stream (so HepMC3's buffered output lands where fd 1/2 point now)
c_flush = _find_c_fflush()
_devnull_fd: int | None = None


@contextmanager
def quiet_pyhepmc() -> Iterator[None]:
    """Silence HepMC3's stderr chatter; its content is recovered on failure (see
    :func:`hepreint.io.hepmc._why`)."""
    setup = pyhepmc.Setup
    saved = (setup.print_errors, setup.print_warnings, setup.debug_level)
    setup.print_errors = setup.print_warnings = False
    setup.debug_level = 0
    try:
        yield
    finally:
        setup.print_errors, setup.print_warnings, setup.debug_level = saved


def mute_stdout() -> int | None:
    """Send file descriptor 1 to /dev/null (C level, below Python); returns the saved fd for
    :func:`unmute_stdout` (``None``: nothing to restore).

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
    c_flush()
    try:
        if _devnull_fd is None:
            _devnull_fd = os.open(os.devnull, os.O_WRONLY)
        saved = os.dup(1)
    except OSError:  # no stdout at all (closed fd 1): nothing to protect
        return None
    os.dup2(_devnull_fd, 1)
    return saved


def unmute_stdout(saved: int | None) -> None:
    """Undo :func:`mute_stdout` (after flushing what HepMC3 printed into /dev/null)."""
    if saved is None:
        return
    c_flush()
    os.dup2(saved, 1)
    os.close(saved)
