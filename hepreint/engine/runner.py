"""From files to merged yields of every analysis: check the inputs, pick the executor, read
and process, stop cleanly on a failure or an interrupt with everything merged so far."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from hepreint.engine.executors import Accumulated, consume, run_parallel
from hepreint.engine.interrupt import Interrupted, interrupts_raise
from hepreint.engine.options import RunOptions
from hepreint.engine.processor import Processor
from hepreint.engine.progress import Progress
from hepreint.errors import InputError
from hepreint.io import read_events


def check_files(files: Sequence[str | Path]) -> list[str]:
    if not files:
        raise InputError("no event files given; pass one or more HepMC files")
    resolved = [Path(f).resolve() for f in files]
    dupes = sorted({str(f) for f in files if resolved.count(Path(f).resolve()) > 1})
    if dupes:
        raise InputError(
            f"{', '.join(dupes)}: given more than once; each file may appear once in a run"
        )
    return [str(f) for f in files]


def execute(processor: Processor, files: Sequence[str | Path], opts: RunOptions) -> Accumulated:
    """Every analysis of ``processor`` over ``files``; never raises for a reading failure or an
    interrupt (they are recorded in the result, next to what was merged before them)."""
    opts.check()
    paths = check_files(files)
    acc = Accumulated()
    progress = Progress(opts.progress, opts.max_events)
    try:
        with interrupts_raise():
            if opts.executor == "serial":
                stream = read_events(
                    paths,
                    batch_size=opts.batch_size,
                    max_events=opts.max_events,
                    skip=opts.skip,
                    skip_bad_events=opts.skip_bad_events,
                    reader=opts.reader,
                )
                consume(processor, stream, acc, progress.update)
            else:
                run_parallel(processor, paths, opts, acc, progress.update)
    except Interrupted as sig:
        acc.interrupted = sig
    finally:
        progress.close()
    return acc
