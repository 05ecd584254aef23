"""The public entry point: analyses and files in, one normalised :class:`Results` per analysis.

If reading fails part-way or the run is interrupted, everything merged before is kept: the error
carries the results marked ``partial`` so the CLI can still write them (nothing computed is lost).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from hepreint.analysis.spec import Analysis, load_analysis
from hepreint.detector import card_for
from hepreint.engine.options import RunOptions
from hepreint.engine.processor import Processor
from hepreint.engine.runner import execute
from hepreint.errors import InputError, SpecError
from hepreint.results.build import build_results
from hepreint.results.document import Results
from hepreint.results.nominal import check_nominal_early


class PartialResultsError(InputError):
    """Reading failed or the run was interrupted part-way; ``results`` (the first analysis) and
    ``all_results`` (every analysis, by name) hold what the events before it gave."""

    def __init__(self, message: str, all_results: dict[str, Results], exit_code: int = 2) -> None:
        first = next(iter(all_results.values()))
        super().__init__(message, events_read=first.yields.n_events)
        self.all_results = all_results
        self.results = first
        self.exit_code = exit_code


AnalysisLike = Analysis | str | Path


def load_with_parameters(
    analyses: Sequence[AnalysisLike], params: dict[str, float] | None
) -> list[Analysis]:
    """Load the analyses; each ``--param`` goes to every analysis that declares it, and a
    parameter no analysis declares is an error (a typo must not pass silently)."""
    loaded = [a if isinstance(a, Analysis) else load_analysis(a) for a in analyses]
    params = params or {}
    used: set[str] = set()
    out = []
    for a in loaded:
        mine = {k: v for k, v in params.items() if k in a.parameters}
        used |= set(mine)
        if len(loaded) == 1:
            mine = dict(params)  # one analysis: with_parameters names the unknown ones
        out.append(a.with_parameters(mine) if mine else a)
    unknown = sorted(set(params) - used)
    if unknown and len(loaded) > 1:
        raise SpecError(
            f"parameter(s) {', '.join(unknown)} declared by none of the analyses "
            f"{', '.join(a.name for a in loaded)}"
        )
    return out


def with_detectors(analyses: list[Analysis], opts: RunOptions) -> list[Analysis]:
    """Each analysis once per detector of the run (its own default when none is named);
    with several detectors the results are keyed ``name@detector``."""
    for det in opts.detectors:
        card_for(det)  # an unknown card or a bad one fails before any event is read
    out = []
    for a in analyses:
        dets = opts.detectors or (a.default_detector,)
        for d in dets:
            out.append(a.with_detector(d, opts.tagging, label=len(dets) > 1))
    return out


def run_many(
    analyses: Sequence[AnalysisLike],
    files: Sequence[str | Path],
    options: RunOptions | None = None,
    *,
    params: dict[str, float] | None = None,
) -> dict[str, Results]:
    """Every analysis over ``files`` in one pass: each event is read once, each collection
    definition built once; each analysis gets the results it would get alone."""
    opts = options or RunOptions()
    opts.check()
    from hepreint.generate.lhe import showered_inputs

    budget = None if opts.max_events is None else opts.max_events + opts.skip
    with showered_inputs(files, opts.seed, budget) as (inputs, showers):
        try:
            results = _run_many(analyses, inputs, opts, params)
        except PartialResultsError as exc:
            _record_showers(exc.all_results, showers)
            raise
        return _record_showers(results, showers)


def _record_showers(results: dict[str, Results], showers: list[dict]) -> dict[str, Results]:
    """LHE inputs: what Pythia did to each (settings, seed, σ) goes into the provenance."""
    for res in results.values():
        if showers:
            res.provenance["showered_lhe"] = showers
    return results


def _run_many(
    analyses: Sequence[AnalysisLike],
    files: Sequence[str | Path],
    opts: RunOptions,
    params: dict[str, float] | None,
) -> dict[str, Results]:
    check_nominal_early([str(f) for f in files], opts.nominal_weight)
    loaded = with_detectors(load_with_parameters(analyses, params), opts)
    processor = Processor(loaded, seed=opts.seed)
    acc = execute(processor, files, opts)
    names = [a.key for a in loaded]
    results = {a.key: build_results(a, acc, opts, names) for a in loaded}
    if isinstance(acc.failure, SpecError):
        raise acc.failure  # the analysis is wrong, not the input: nothing partial to keep
    if acc.interrupted is not None:
        raise PartialResultsError(
            f"interrupted by {acc.interrupted.name} after {acc.n_events} events; "
            "the results of those events are kept, marked partial",
            results,
            exit_code=acc.interrupted.exit_code,
        )
    if acc.failure is not None:
        raise PartialResultsError(str(acc.failure), results)
    if acc.n_events == 0:
        raise InputError(
            f"{', '.join(map(str, files))}: no events were read"
            + (f" (--skip {opts.skip} skipped them all?)" if opts.skip else "")
        )
    return results


def run(
    analysis: AnalysisLike,
    files: Sequence[str | Path],
    options: RunOptions | None = None,
    *,
    params: dict[str, float] | None = None,
) -> Results:
    """One analysis over ``files`` (``run_many`` with one analysis)."""
    return next(iter(run_many([analysis], files, options, params=params).values()))
