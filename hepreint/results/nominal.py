"""Which weight is the nominal: moved to column 0 of the merged yields, once, before normalising.

Everything downstream (normalisation, tables, limits, every export) reads the nominal from
column 0, so the choice is made here and nowhere else. Moving columns after the run is exact:
every Σw and Σw² is summed per weight column on its own (:mod:`hepreint.engine.yields`), so
the permuted sums are those a reader delivering the columns in that order would have given.
"""

from __future__ import annotations

from typing import Any

from hepreint.engine.yields import RegionYields, Yields
from hepreint.errors import InputError
from hepreint.io.weights import choose_nominal


def _order(n: int, first: int) -> list[int]:
    return [first, *(i for i in range(n) if i != first)]


def nominal_first(yields: Yields, requested: str | None) -> tuple[Yields, dict[str, Any]]:
    """``yields`` with the nominal weight in column 0, and what to record in the provenance."""
    names = tuple(yields.weight_names)
    column, how = choose_nominal(names, requested)
    info = {"name": names[column], "column_in_input": column, "chosen_as": how}
    if column == 0:
        return yields, info
    order = _order(len(names), column)

    def take(row: list[int]) -> list[int]:
        return [row[i] for i in order]

    regions = {
        name: RegionYields(r.steps, [take(s) for s in r.sumw], [take(s) for s in r.sumw2], r.n)
        for name, r in yields.regions.items()
    }
    moved = Yields(
        tuple(names[i] for i in order),
        regions,
        yields.n_events,
        take(yields.sumw_all) if yields.sumw_all else [],
        take(yields.sumw2_all) if yields.sumw2_all else [],
    )
    return moved, info


def check_nominal_early(files: list[str], requested: str | None) -> None:
    """Refuse an unknown ``--nominal-weight`` before the run when the first file's header names
    its weights (HepMC3 ``W`` line): otherwise the mistake would show only after all events."""
    if requested is None or not files:
        return
    from hepreint.io.detect import HEPMC3, scan_file
    from hepreint.io.weights import header_weight_names

    try:
        info = scan_file(files[0])
    except InputError:  # the run itself reports a bad file, with its place
        return
    names = header_weight_names(info.header) if info.format == HEPMC3 else None
    if names:
        try:
            choose_nominal(names, requested)
        except InputError as exc:
            raise InputError(f"{files[0]}: {exc}") from None
