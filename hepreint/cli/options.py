"""Click options shared by the commands that run analyses (``run``, ``validate``), built from
:class:`~hepreint.engine.options.RunOptions` so defaults live in one place."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import click

from hepreint.engine.options import EXECUTORS, READERS, RunOptions

_D = RunOptions()


def parse_params(values: tuple[str, ...]) -> dict[str, float]:
    out = {}
    for v in values:
        key, sep, num = v.partition("=")
        try:
            if not sep:
                raise ValueError
            out[key.strip()] = float(num)
        except ValueError:
            raise click.BadParameter(f"{v!r}: expected NAME=NUMBER, e.g. mX=500") from None
    return out


RUN_OPTIONS: list[Callable[[Any], Any]] = [
    click.option("--xsec", type=click.FloatRange(min=0, min_open=True, max=1e12), default=None,
                 help="cross-section in pb (overrides the file)"),
    click.option("--lumi", type=click.FloatRange(min=0, min_open=True, max=1e9), default=None,
                 help="luminosity in fb^-1 (default: analysis)"),
    click.option("--max-events", type=click.IntRange(min=1), default=None),
    click.option("--skip", type=click.IntRange(min=0), default=_D.skip,
                 help="skip the first N events"),
    click.option("--batch-size", type=click.IntRange(min=1), default=_D.batch_size,
                 show_default=True),
    click.option("--seed", type=int, default=_D.seed, show_default=True,
                 help="seed of every random draw (recorded in the output)"),
    click.option("--param", "params", multiple=True,
                 help="analysis parameter NAME=VALUE (e.g. mX=500)"),
    click.option("--executor", type=click.Choice(EXECUTORS), default=_D.executor,
                 show_default=True,
                 help="serial, local worker processes, or Dask; workers read their own share "
                 "of the input"),
    click.option("--workers", type=click.IntRange(min=1), default=_D.workers, show_default=True),
    click.option("--scheduler", default=None, metavar="ADDRESS",
                 help="address of a running dask.distributed scheduler (with --executor dask)"),
    click.option("--skip-bad-events", is_flag=True,
                 help="report and skip broken events instead of stopping at the first"),
    click.option("--reader", type=click.Choice(READERS), default=_D.reader, show_default=True,
                 help="HepMC reader: fast (our vectorised HepMC3 parser, tested identical to "
                 "pyhepmc and stricter on broken lines; HepMC2 files go through pyhepmc) or "
                 "pyhepmc (the reference)"),
]  # fmt: skip


def run_options(f: Callable[..., Any]) -> Callable[..., Any]:
    for opt in reversed(RUN_OPTIONS):
        f = opt(f)
    return f


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
        progress=not quiet,
        command="hepreint " + " ".join(sys.argv[1:]),
    )
    return opts, parse_params(kw.pop("params"))
