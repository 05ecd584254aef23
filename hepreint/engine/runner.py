"""One call from files to normalised results: read → process (any executor) → merge → normalise.

If reading fails part-way, everything merged before the failure is kept: the error carries a
``Results`` marked ``partial`` so the CLI can still write it (nothing computed is lost).
"""

from __future__ import annotations

import datetime as dt
import math
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hepreint._version import __version__
from hepreint.analysis.spec import Analysis, load_analysis
from hepreint.engine.exact import to_float
from hepreint.engine.executors import run_batches
from hepreint.engine.processor import Processor
from hepreint.engine.yields import Yields
from hepreint.errors import HepreintError, InputError, SpecError
from hepreint.io import read_events
from hepreint.results.document import Results


class PartialResultsError(InputError):
    """Reading failed part-way; ``results`` holds what the events before the failure gave."""

    def __init__(self, message: str, results: Results) -> None:
        super().__init__(message, events_read=results.yields.n_events)
        self.results = results


@dataclass(frozen=True)
class RunOptions:
    xsec_pb: float | None = None
    lumi_fb: float | None = None
    max_events: int | None = None
    skip: int = 0
    batch_size: int = 1000
    seed: int = 12345
    executor: str = "serial"
    workers: int = 2
    skip_bad_events: bool = False
    #: "pyhepmc" (reference) or "fast" (hepreint.io.fast, HepMC3 only, identical results)
    reader: str = "fast"  # HepMC3 via hepreint.io.fast (identical to pyhepmc, tested)
    command: str = ""


def run(
    analysis: Analysis | str | Path,
    files: Sequence[str | Path],
    options: RunOptions | None = None,
    *,
    params: dict[str, float] | None = None,
) -> Results:
    opts = options or RunOptions()
    for name, v in (("--xsec", opts.xsec_pb), ("--lumi", opts.lumi_fb)):
        if v is not None and not (math.isfinite(v) and v > 0):
            raise HepreintError(f"{name} {v}: must be a positive finite number")
    a = analysis if isinstance(analysis, Analysis) else load_analysis(analysis)
    if params:
        a = a.with_parameters(params)
    if not files:
        raise InputError("no event files given; pass one or more HepMC files")
    resolved = [Path(f).resolve() for f in files]
    dupes = sorted({str(f) for f in files if resolved.count(Path(f).resolve()) > 1})
    if dupes:
        raise InputError(
            f"{', '.join(dupes)}: given more than once; each file may appear once in a run"
        )
    processor = Processor(a, seed=opts.seed)
    stream = read_events(
        [str(f) for f in files],
        batch_size=opts.batch_size,
        max_events=opts.max_events,
        skip=opts.skip,
        skip_bad_events=opts.skip_bad_events,
        reader=opts.reader,
    )
    seen = _Seen(stream)
    acc = run_batches(processor.process, seen, executor=opts.executor, workers=opts.workers)
    yields = acc.yields
    if yields is None:
        yields = Yields.zeros(a.layout, ("nominal",))
    results = _results(a, yields, seen, opts)
    if isinstance(acc.failure, SpecError):
        raise acc.failure  # the analysis is wrong, not the input: nothing partial to keep
    if acc.failure is not None:
        results.status = "partial"
        results.errors.append(str(acc.failure))
        raise PartialResultsError(str(acc.failure), results)
    if yields.n_events == 0:
        raise InputError(
            f"{', '.join(map(str, files))}: no events were read"
            + (f" (--skip {opts.skip} skipped them all?)" if opts.skip else "")
        )
    return results


class _Seen:
    """Passes batches through, remembering the last cross-section the files stated."""

    def __init__(self, stream: Any) -> None:
        self.stream = stream
        self.xsec_pb: float | None = None
        self.xsec_err_pb: float | None = None
        self.xsec_by_file: dict[str, float] = {}
        self.weight_names: tuple[str, ...] | None = None
        self.first_source = ""

    def __iter__(self) -> Any:
        for b in self.stream:
            if self.weight_names is None:
                self.weight_names, self.first_source = b.weight_names, b.source
            elif b.weight_names != self.weight_names:
                raise InputError(
                    f"{b.source}: its {len(b.weight_names)} event weights differ from the "
                    f"{len(self.weight_names)} of {self.first_source}; run the files "
                    "separately and add the results with 'hepreint merge'",
                    events_read=0,
                )
            if b.xsec_pb is not None:
                self.xsec_pb, self.xsec_err_pb = b.xsec_pb, b.xsec_err_pb
                self.xsec_by_file[b.source] = b.xsec_pb
            yield b

    @property
    def reports(self) -> list[Any]:
        return list(getattr(self.stream, "reports", []))


def _results(a: Analysis, yields: Yields, stream: _Seen, opts: RunOptions) -> Results:
    reports = stream.reports
    xsec, xerr, xsrc = opts.xsec_pb, None, "--xsec" if opts.xsec_pb is not None else None
    warnings: list[str] = []
    if xsec is None:
        xsec, xerr = stream.xsec_pb, stream.xsec_err_pb
        xsrc = "input file" if xsec is not None else None
    if xsec is not None and (not yields.sumw_all or to_float(yields.sumw_all[0]) <= 0):
        warnings.append(
            "yields are NOT normalised: the nominal weights of all events sum to <= 0; "
            "generate more events or check the weights"
        )
    if xsec is None:
        warnings.append(
            "yields are NOT normalised (sum of weights): the input has no cross-section; "
            "pass --xsec in pb"
        )
    if opts.xsec_pb is None and len(stream.xsec_by_file) > 1:
        vals = list(stream.xsec_by_file.values())
        if max(vals) > 1.05 * min(vals):
            warnings.append(
                "the input files state cross-sections that differ by more than 5% "
                f"({', '.join(f'{v:.4g}' for v in vals)} pb): are they one process? the last "
                "one is used; pass --xsec or run them separately"
            )
    lumi = opts.lumi_fb if opts.lumi_fb is not None else float(a.metadata["luminosity_fb"])
    lsrc = "--lumi" if opts.lumi_fb is not None else f"analysis ({a.metadata['arxiv']})"
    for r in reports:
        for msg in getattr(r, "bad_event_messages", []):
            warnings.append(f"skipped bad event: {msg}")
    if a.metadata.get("approximations"):
        warnings.append("approximate preservation: " + "; ".join(a.metadata["approximations"]))
    prov = {
        "hepreint_version": __version__,
        "analysis_sha256": a.digest(),
        "analysis_parameters": a.parameters,
        "inputs": [
            {
                "path": str(r.path),
                "size_bytes": int(r.size_bytes),
                "format": str(getattr(r, "format", "")),
                "events_read": int(r.n_events_read),
                "bad_events_skipped": int(getattr(r, "n_bad_skipped", 0)),
            }
            for r in reports
        ],
        "seed": opts.seed,
        "batch_size": opts.batch_size,
        "executor": opts.executor,
        "reader": opts.reader,
        "skip": opts.skip,
        "max_events": opts.max_events,
        "command": opts.command or " ".join(sys.argv),
        "time_utc": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "python": sys.version.split()[0],
    }
    return Results(
        analysis=a,
        yields=yields,
        xsec_pb=xsec,
        xsec_err_pb=xerr,
        xsec_source=xsrc,
        lumi_fb=lumi,
        lumi_source=lsrc,
        provenance=prov,
        warnings=warnings,
    )


def merge_results(docs: Sequence[dict[str, Any]], a: Analysis) -> Yields:
    """Exact sum of the accumulators of several results files of the same analysis."""
    from hepreint.results.document import yields_from_dict

    digests = {d["analysis"]["sha256"] for d in docs}
    if len(digests) > 1:
        raise HepreintError(
            "results come from different versions of the analysis (sha256 differs); rerun them"
        )
    total = yields_from_dict(docs[0])
    for d in docs[1:]:
        total = total + yields_from_dict(d)
    return total
