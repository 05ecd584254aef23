"""One scan point, start to finish: generate its events (unless given), run the analysis with
the point's parameters, compute its limits, then write ``point.json`` last.

:func:`run_point` is what a worker runs (the arguments are small and picklable); it never raises
for an expected failure: the outcome says what happened, so one bad point does not stop a scan.
An interrupt (Ctrl-C, SIGTERM) is the exception: it propagates, and the point, having no
``point.json``, is redone by the next run.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hepreint.errors import HepreintError
from hepreint.scan.plan import PlannedPoint, ScanConfig, write_manifest

EVENTS_NAME = "events.hepmc3.gz"


@dataclass
class PointOutcome:
    name: str
    status: str  # "complete", "failed", "interrupted"
    seconds: float = 0.0
    generated: bool = False
    error: str = ""
    limits: bool = False
    #: exit code of the interrupt that stopped it (130 / 143), 0 otherwise
    exit_code: int = 0
    gen_seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)


def has_likelihood(analysis: Any) -> bool:
    return bool(analysis.raw.get("likelihood"))


def _generate(config: ScanConfig, pp: PlannedPoint) -> tuple[list[str], dict[str, Any]]:
    from hepreint.generate import generate

    assert config.process is not None
    out = pp.directory / EVENTS_NAME
    # pruned record (hepreint.generate.convert.prune_record): what the analyses read, at a
    # fraction of the full history's disk space
    summary = generate(
        config.process, config.n_events, pp.seed, out, params=pp.gen_params, prune=True
    )
    info = {
        "process": summary.process,
        "events": summary.n_events,
        "seed": summary.seed,
        "sigma_pb": summary.sigma_pb,
        "sigma_err_pb": summary.sigma_err_pb,
        "seconds": round(summary.seconds, 3),
        "file": EVENTS_NAME,
        "pruned": True,
    }
    return [str(out)], info


def run_point(config: ScanConfig, pp: PlannedPoint) -> PointOutcome:
    """Generate, run, limits, record; returns what happened (never raises a HepreintError)."""
    t0 = time.perf_counter()
    outcome = PointOutcome(pp.point.name, "failed")
    try:
        _run(config, pp, outcome)
        outcome.status = "complete"
    except HepreintError as exc:
        code = getattr(exc, "exit_code", 2)
        if code != 2:  # a run stopped by a signal (PartialResultsError with 130 / 143)
            outcome.status, outcome.exit_code = "interrupted", int(code)
        outcome.error = " ".join(str(exc).split())
    outcome.seconds = time.perf_counter() - t0
    return outcome


def _run(config: ScanConfig, pp: PlannedPoint, outcome: PointOutcome) -> None:
    from hepreint.analysis.spec import load_analysis
    from hepreint.engine.options import RunOptions
    from hepreint.results.run import run

    pp.directory.mkdir(parents=True, exist_ok=True)
    # a stale record must not survive a redo that fails half way
    (pp.directory / "point.json").unlink(missing_ok=True)
    analysis = load_analysis(config.analysis)
    generation: dict[str, Any] | None = None
    if pp.point.files:
        files = list(pp.point.files)
    else:
        g0 = time.perf_counter()
        files, generation = _generate(config, pp)
        outcome.generated = True
        outcome.gen_seconds = time.perf_counter() - g0
    opts = RunOptions(
        xsec_pb=config.xsec_pb,
        lumi_fb=config.lumi_fb,
        batch_size=config.batch_size,
        seed=pp.seed,
        detectors=(config.detector,) if config.detector else (),
        tagging=config.tagging,
        command=config.command,
    )
    res = run(analysis, files, opts, params=pp.point.values)
    notes: list[str] = []
    res.write(pp.directory, notes)
    outcome.warnings += list(res.warnings) + notes
    outputs = ["results.json"]
    limits_info: dict[str, Any] = {"computed": False}
    if config.with_limits and has_likelihood(analysis):
        from hepreint.stats import compute_limits

        lim = compute_limits(res.to_dict(), res.analysis, per_region=config.per_region)
        lim.write(pp.directory)
        outputs.append("limits.json")
        outcome.limits = True
        limits_info = {"computed": True, "label": lim.label, "seconds": round(lim.seconds, 3)}
    if generation is not None:
        outputs.append(EVENTS_NAME)
    write_manifest(
        pp,
        outputs,
        {
            "files": [str(Path(f)) for f in files],
            "generation": generation,
            "limits": limits_info,
        },
    )
