"""Keep FastJet's licence banner off our stdout, where it would corrupt printed tables.

FastJet prints it to ``std::cout`` the first time a clustering runs in a process; printing it
once, deliberately, with file descriptor 1 pointed at /dev/null, uses that one time up.
"""

from __future__ import annotations

import os
import sys

_done = False


def silence_fastjet_banner() -> None:
    global _done
    if _done:
        return
    _done = True
    try:
        from fastjet import _swig
    except ImportError:  # pragma: no cover - fastjet is a hard dependency
        return
    sys.stdout.flush()
    saved = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        _swig.ClusterSequence.print_banner()
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)
