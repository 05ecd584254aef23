"""Checks of an event's weights (finite, as many as its ``W`` line holds and as the run's names),
and which of them is the nominal (:func:`choose_nominal`, Rivet's rule).

HepMC3's reader silently stops at a ``W`` value it cannot read when the file has no weight
names, and throws (wording about weights) when it has; HepMC2's names may not match the
weights at all.  These checks turn each case into an :class:`EventProblem` that names the
weight, the same for the pyhepmc and the fast reader.
"""

from __future__ import annotations

import math

import numpy as np

from hepreint.errors import InputError
from hepreint.io.checks import EventProblem
from hepreint.io.detect import HEPMC3
from hepreint.io.split import EventText


def weight_line(event: EventText) -> tuple[int, list[bytes]] | None:
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


def weight_text_problem(
    event: EventText, names: tuple[str, ...] | None, n_read: int | None
) -> EventProblem | None:
    """What is wrong with the HepMC3 W line, if anything: a value that is not a finite number
    (HepMC3's reader stops at it), or a count that differs from the weight names."""
    found = weight_line(event)
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


def header_weight_names(header: bytes) -> tuple[str, ...] | None:
    """Weight names of a HepMC3 header's ``W`` line (names are separated by an escaped newline,
    ``\\|``, or spaces), or None; only used to label messages."""
    for ln in header.splitlines():
        if ln.startswith(b"W "):
            text = ln[2:].replace(b"\\|", b"\n").decode(errors="replace")
            return tuple(text.split())
    return None


def check_weights(event: EventText, weights: list[float], names: tuple[str, ...] | None) -> None:
    """Every event's weights: as many as the W line holds (HepMC3 silently stops at a value it
    cannot read when the file has no weight names), as many as the names, all finite."""
    if event.fmt == HEPMC3 and event.census["W"]:
        problem = weight_text_problem(event, names, len(weights))
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


#: names Rivet takes as the nominal when none is asked for, compared in upper case (Rivet 3.1's
#: ``AnalysisHandler::setWeightNames``, src/Core/AnalysisHandler.cc)
RIVET_NOMINAL_NAMES = ("WEIGHT", "0", "DEFAULT", "NOMINAL")


def choose_nominal(names: tuple[str, ...], requested: str | None) -> tuple[int, str]:
    """(column, how it was chosen) of the nominal weight among ``names``, by Rivet's rule.

    Rivet 3 takes the first weight whose name is exactly the requested one (default: the
    unnamed weight, ``""``); failing that, the first named ``WEIGHT``, ``0``, ``DEFAULT`` or
    ``NOMINAL`` in any case; failing that, the first weight. A name asked for with
    ``--nominal-weight`` must exist: Rivet falls back silently, which would put a variation in
    the place of the nominal without anyone noticing.
    """
    if requested is not None:
        if requested in names:
            return names.index(requested), f"--nominal-weight {requested}"
        shown = ", ".join(repr(n) for n in names[:8]) + (", ..." if len(names) > 8 else "")
        raise InputError(
            f"--nominal-weight {requested!r}: the events have no weight of that name (their "
            f"{len(names)} weight(s): {shown}); pass one of these names"
        )
    if "" in names:
        return names.index(""), "the unnamed weight (Rivet's rule)"
    for i, name in enumerate(names):
        if name.upper() in RIVET_NOMINAL_NAMES:
            return i, f"named {name!r} (Rivet's rule: WEIGHT, 0, DEFAULT or NOMINAL)"
    return 0, "the first weight (Rivet's rule: no weight is named WEIGHT, 0, DEFAULT or NOMINAL)"
