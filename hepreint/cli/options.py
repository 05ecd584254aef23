"""Click options shared by the commands that run analyses (``run``, ``validate``), built from
:class:`~hepreint.engine.options.RunOptions` so defaults live in one place."""

from __future__ import annotations

import math
import sys
from collections.abc import Callable
from typing import Any

import click

from hepreint.engine.options import EXECUTORS, READERS, RunOptions

_D = RunOptions()


class Number(click.ParamType):
    """An int or a finite float in a range, with errors that say what to pass: ``0: must be
    >= 1`` (click's ranges let ``nan`` through every bound, and ``inf`` through open ones)."""

    def __init__(
        self,
        kind: type[int] | type[float] = int,
        min: float | None = None,
        max: float | None = None,
        *,
        min_open: bool = False,
    ) -> None:
        self.kind, self.min, self.max, self.min_open = kind, min, max, min_open
        self.name = "integer" if kind is int else "number"

    def get_metavar(self, param: click.Parameter, ctx: click.Context | None = None) -> str:
        return "N" if self.kind is int else "X"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, self.kind) and not isinstance(value, bool):
            v = value
        else:
            try:
                v = self.kind(str(value).strip())
            except ValueError:
                what = "a whole number" if self.kind is int else "a number"
                self.fail(f"{value!r}: not {what}", param, ctx)
        if self.kind is float and not math.isfinite(v):
            self.fail(f"{value}: must be a finite number", param, ctx)
        if self.min is not None and (v < self.min or (self.min_open and v == self.min)):
            self.fail(f"{value}: must be {'>' if self.min_open else '>='} {self.min:g}", param, ctx)
        if self.max is not None and v > self.max:
            self.fail(f"{value}: must be <= {self.max:g}", param, ctx)
        return v


def parse_params(values: tuple[str, ...]) -> dict[str, float]:
    out = {}
    for v in values:
        key, sep, num = v.partition("=")
        try:
            if not sep or not key.strip():
                raise ValueError
            out[key.strip()] = float(num)
            if not math.isfinite(out[key.strip()]):
                raise ValueError
        except ValueError:
            raise click.UsageError(
                f"--param {v!r}: expected NAME=NUMBER with a finite number, e.g. mX=500"
            ) from None
    return out


RUN_OPTIONS: list[Callable[[Any], Any]] = [
    click.option("--xsec", type=Number(float, 0, 1e12, min_open=True), default=None,
                 help="cross-section in pb (overrides the file)"),
    click.option("--lumi", type=Number(float, 0, 1e9, min_open=True), default=None,
                 help="luminosity in fb^-1 (default: analysis)"),
    click.option("--max-events", type=Number(int, 1), default=None,
                 help="stop after N events in total (default: all; with --skip, N after those)"),
    click.option("--skip", type=Number(int, 0), default=_D.skip,
                 help="skip the first N events"),
    click.option("--batch-size", type=Number(int, 1, 10_000_000), default=_D.batch_size,
                 show_default=True,
                 help="events processed together; memory grows with it, results do not change"),
    click.option("--seed", type=Number(int, 0, 2**63 - 1), default=_D.seed, show_default=True,
                 help="seed of every random draw (recorded in the output)"),
    click.option("--param", "params", multiple=True, metavar="NAME=VALUE",
                 help="analysis parameter NAME=VALUE (e.g. mX=500)"),
    click.option("--executor", type=click.Choice(EXECUTORS), default=_D.executor,
                 show_default=True,
                 help="serial, local worker processes, or Dask; workers read their own share "
                 "of the input"),
    click.option("--workers", type=Number(int, 1, 1024), default=_D.workers, show_default=True,
                 help="parallel workers: local processes, or shares of the input for Dask"),
    click.option("--scheduler", default=None, metavar="ADDRESS",
                 help="address of a running dask.distributed scheduler (with --executor dask)"),
    click.option("--skip-bad-events", is_flag=True,
                 help="report and skip broken events instead of stopping at the first"),
    click.option("--reader", type=click.Choice(READERS), default=_D.reader, show_default=True,
                 help="HepMC reader: fast (our vectorised HepMC3 parser, tested identical to "
                 "pyhepmc and stricter on broken lines; HepMC2 files go through pyhepmc) or "
                 "pyhepmc (the reference)"),
    click.option("--detector", "detectors", default=None, metavar="NAME[,NAME...]",
                 help="detector response: a card (atlas-run2, or a card .yaml), truth (truth-level "
                 "objects, perfect b-tagging) or none (objects as in the file); several, comma-"
                 "separated, run in one pass and are shown side by side (default: the "
                 "analysis' own, detector.default in analysis.yaml)"),
    click.option("--tagging", type=click.Choice(["direct", "truth"]), default=None,
                 help="flavour tagging with a detector card: direct (a seeded tag decision per "
                 "jet) or truth (every event kept with the exact probability of each tag "
                 "requirement); default: the analysis' own"),
    click.option("--nominal-weight", default=None, metavar="NAME",
                 help="name of the event weight to use as the nominal (default as Rivet: the "
                 "unnamed one, else WEIGHT, 0, DEFAULT or NOMINAL in any case, else the first); "
                 "the others are kept as variations"),
]  # fmt: skip


def run_options(f: Callable[..., Any]) -> Callable[..., Any]:
    for opt in reversed(RUN_OPTIONS):
        f = opt(f)
    return f


def _detectors(value: str | None) -> tuple[str, ...]:
    if not value:
        return ()
    names = tuple(v.strip() for v in value.split(",") if v.strip())
    if not names:
        raise click.BadParameter(f"{value!r}: give card names, e.g. truth,atlas-run2")
    return names


def build_options(kw: dict[str, Any], *, quiet: bool) -> tuple[RunOptions, dict[str, float]]:
    """RunOptions and parameters from the shared options (removed from ``kw``)."""
    opts = RunOptions(
        xsec_pb=kw.pop("xsec"),
        lumi_fb=kw.pop("lumi"),
        max_events=kw.pop("max_events"),
        skip=kw.pop("skip"),
        batch_size=kw.pop("batch_size"),
        seed=kw.pop("seed"),
        executor=kw.pop("executor"),
        workers=kw.pop("workers"),
        scheduler=kw.pop("scheduler"),
        skip_bad_events=kw.pop("skip_bad_events"),
        reader=kw.pop("reader"),
        nominal_weight=kw.pop("nominal_weight"),
        detectors=_detectors(kw.pop("detectors")),
        tagging=kw.pop("tagging"),
        progress=not quiet,
        command="hepreint " + " ".join(sys.argv[1:]),
    )
    return opts, parse_params(kw.pop("params"))
