"""What is wrong with an event that parses: the decisions, and the checks that make them.

A file can be well-formed HepMC and still hold things no generator writes on purpose. Each
case below is either a *bad event* (refused: the read stops with an InputError naming the
place, or the event is skipped with ``--skip-bad-events``) or *kept with a warning* (one line
in :attr:`ReadReport.warnings` naming the file and the first place, once per file and kind).
Both readers (fast and pyhepmc) make the same checks, so they refuse and warn alike.

* **Negative energy** (``E < 0``, any particle): bad event. No generator writes it; it is a
  flipped sign or a damaged number, and it would enter sums of energy unnoticed.
* **Space-like final-state particle** (status 1, ``|p| > E`` by more than
  :data:`SPACELIKE_REL` of ``|p|`` plus :data:`SPACELIKE_ABS` GeV): bad event. Smaller
  excesses are rounding (files written with 6 or 8 digits show up to ~0.2 %) and are accepted
  silently: the mass of such a particle is taken as 0. Intermediate particles (other
  statuses) may be off-shell and are not checked.
* **An event without particles** (the E line declares none): kept with a warning. Generators
  write empty records for vetoed or failed events so that the event count and the sum of
  weights (the normalisation) stay right; dropping them would bias cross-sections.
* **A particle id that is no PDG Monte Carlo number** (0, or no valid code in the
  ``particle`` package's scheme, e.g. 9999999 or Pythia's hidden-valley 4900101): kept with
  a warning. BSM models use private numbering; the event is not broken, but selections by id
  will not recognise the particle (it is neither a lepton nor invisible to them).
* **An event number that is not an integer, or outside int64**: bad event (the E line is
  damaged; :func:`hepreint.io.checks.event_number`).
* **An exact copy of the previous event** (same bytes, so same number): bad event; a copy-
  paste or a twice-flushed buffer would double-count it. With ``--skip-bad-events`` the
  first copy is kept.
* **An event number not above the previous event's** (other content): kept with a warning;
  numbering restarts when runs are concatenated (``cat run1 run2``), which is legitimate. If
  a file holds the same run twice, the warning's place shows where the copy begins.

Only consecutive events are compared (no table of all numbers: bounded memory, and a
byte-range share needs only the one event before its start, :func:`hepreint.io.cuts.
event_before`), so serial and parallel reads refuse and warn alike. The comparison and the
report's warnings are :mod:`hepreint.io.sequence`; the checks of one event's particles are
here, for both readers (vectorised: per block in the fast reader, per event in pyhepmc's).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np

from hepreint.io.checks import EventProblem

#: a final-state particle may exceed E by this fraction of |p| (rounding in the file) ...
SPACELIKE_REL = 1e-2
#: ... plus this many GeV (soft particles written with few digits)
SPACELIKE_ABS = 1e-3

EMPTY_NOTE = (
    "has no particles (the E line declares none); kept: generators write empty records "
    "for vetoed events and they count in the number of events and the sum of weights; "
    "further ones in this file are not listed"
)


def bad_momenta(
    px: np.ndarray, py: np.ndarray, pz: np.ndarray, e: np.ndarray, status: np.ndarray
) -> np.ndarray:
    """Mask of particles with a negative energy, or final-state ones that are space-like
    beyond rounding (vectorised over any number of events; momenta in GeV, finite)."""
    bad = e < 0
    final = status == 1
    if final.any():
        p = np.sqrt(px[final] ** 2 + py[final] ** 2 + pz[final] ** 2)
        bad[final] |= p - e[final] > SPACELIKE_REL * p + SPACELIKE_ABS
    return bad


def momentum_problem(
    i: int, pid: int, status: int, p4: Sequence[float], line: int | None
) -> EventProblem:
    """The message for particle ``i`` flagged by :func:`bad_momenta`."""
    px, py, pz, e = p4
    shown = f"px={px:.7g}, py={py:.7g}, pz={pz:.7g}, e={e:.7g}"
    if e < 0:
        what = f"particle {i} (pid {pid}) has a negative energy ({shown})"
    else:
        p = (px * px + py * py + pz * pz) ** 0.5
        what = (
            f"final-state particle {i} (pid {pid}, status {status}) is space-like: "
            f"|p| = {p:.7g} > E ({shown})"
        )
    return EventProblem(f"{what}; the generator wrote an unphysical momentum", line=line)


def _digits_ok(pid: int) -> bool:
    """Quark digits of a hadron code are quarks (1-8); the scheme alone lets 9 through."""
    n = abs(pid)
    return all((n // 10**k) % 10 <= 8 for k in (1, 2, 3))


@lru_cache(maxsize=4096)
def known_pid(pid: int) -> bool:
    """Whether ``pid`` is a valid PDG Monte Carlo number (the ``particle`` package's scheme;
    hadrons must be made of quarks)."""
    from particle.pdgid import is_hadron, is_nucleus, is_valid

    if pid == 0 or is_valid(pid) is not True:
        return False
    return not is_hadron(pid) or is_nucleus(pid) or _digits_ok(pid)


def unknown_pids(pid: np.ndarray) -> np.ndarray:
    """The distinct ids of ``pid`` (any number of events) that are not PDG numbers."""
    uniq = np.unique(pid)
    return uniq[[not known_pid(int(p)) for p in uniq.tolist()]]


def pid_note(pid: int) -> str:
    return (
        f"particle id {pid} is not a PDG Monte Carlo number (particle package); kept, but "
        "selections by id do not recognise it; check the model's particle table"
    )


def event_notes(pid: np.ndarray) -> tuple[str, ...]:
    """Warnings about one event's particles (pyhepmc path; the fast path does blocks)."""
    if not len(pid):
        return (EMPTY_NOTE,)
    return tuple(pid_note(int(p)) for p in unknown_pids(pid).tolist())


def block_notes(pid: np.ndarray, p_ev: np.ndarray, first: np.ndarray) -> list[tuple[str, ...]]:
    """:func:`event_notes` of every event of a block (fast path): ``p_ev`` is the event of
    every particle, ``first`` the first particle of every event (n_events + 1)."""
    notes: list[tuple[str, ...]] = [(EMPTY_NOTE,) if n == 0 else () for n in np.diff(first)]
    odd = unknown_pids(pid)
    if len(odd):
        rows = np.flatnonzero(np.isin(pid, odd))
        for e, p in sorted(set(zip(p_ev[rows].tolist(), pid[rows].tolist(), strict=True))):
            notes[e] = (*notes[e], pid_note(p))
    return notes
