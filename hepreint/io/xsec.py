"""An event's cross-section (value, error), or None when it carries none or no finite one."""

from __future__ import annotations

import numpy as np
import pyhepmc

from hepreint.io.split import EventText


def xsec_hepmc2(evt: pyhepmc.GenEvent) -> tuple[float, float] | None:
    """Cross-section of a HepMC2 event as pyhepmc parsed it (its ``C`` line)."""
    cs = evt.cross_section
    if cs is None:
        return None
    value, err = float(cs.xsec()), float(cs.xsec_err())
    return (value, err) if np.isfinite(value) else None


def xsec_hepmc3(event: EventText) -> tuple[float, float] | None:
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
