"""Where the stages run: in this process, in local worker processes, or on Dask.

Serial runs read and process in this process. Parallel runs never ship events: the client only
plans *shares* of the input (:func:`hepreint.io.shares.plan_shares`: whole files, or byte ranges
of one big file cut at event boundaries) and each worker reads its own share, with its analyses
loaded and compiled once for the whole run (:func:`_processor`). Executors only schedule; they
never change a number: draws belong to events and yields add exactly.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from hepreint.analysis.spec import load_analysis
from hepreint.engine import interrupt
from hepreint.engine.interrupt import Interrupted, ignore_interrupts
from hepreint.engine.options import RunOptions
from hepreint.engine.processor import Processor
from hepreint.engine.yields import Yields
from hepreint.errors import HepreintError, InputError, SpecError
from hepreint.events.batch import EventBatch


class InternalError(HepreintError):
    """An unexpected exception while processing: a bug of hepreint, reported with context."""


def as_hepreint(exc: BaseException) -> HepreintError:
    if isinstance(exc, HepreintError):
        return exc
    return InternalError(
        f"internal error ({type(exc).__name__}: {exc}); the results of the events before it "
        "are kept; please report this with the command and input file"
    )


@dataclass
class Accumulated:
    """What was merged so far, kept when reading fails or the run is interrupted half way."""

    yields: dict[str, Yields] | None = None
    weight_names: tuple[str, ...] | None = None
    first_source: str = ""
    n_events: int = 0
    reports: list[Any] = field(default_factory=list)
    #: per file, the cross-section of its last event that states one: (offset, xsec, err)
    xsec_by_file: dict[str, tuple[int, float, float | None]] = field(default_factory=dict)
    failure: HepreintError | None = None
    interrupted: Interrupted | None = None
    #: a worker stopped before the end of its share because the run was interrupted
    stopped: bool = False
    #: per worker process: (shares done, peak RSS in MB) (benchmarks; never in results)
    workers: dict[int, tuple[int, float]] = field(default_factory=dict)

    def add(self, part: dict[str, Yields], names: tuple[str, ...], source: str) -> None:
        if self.weight_names is None:
            self.weight_names, self.first_source = names, source
        elif names != self.weight_names:
            raise InputError(
                f"{source}: its {len(names)} event weights differ from the "
                f"{len(self.weight_names)} of {self.first_source}; run the files "
                "separately and add the results with 'hepreint merge'"
            )
        if self.yields is None:
            self.yields = part
        else:
            self.yields = {k: self.yields[k] + part[k] for k in self.yields}
        self.n_events += next(iter(part.values())).n_events if part else 0

    def note_xsec(self, source: str, place: int, xsec: float | None, err: float | None) -> None:
        if xsec is None:
            return
        old = self.xsec_by_file.get(source)
        if old is None or place >= old[0]:
            self.xsec_by_file[source] = (place, xsec, err)

    def fail(self, exc: BaseException) -> None:
        if self.failure is None:
            self.failure = as_hepreint(exc)


@dataclass(frozen=True)
class ProcessorSpec:
    """How a worker rebuilds the processor: small to send, loaded once per worker process."""

    #: (path, parameters, digest, (detector, tagging, detector_label)) per analysis
    analyses: tuple[tuple[str, tuple[tuple[str, float], ...], str, tuple[str, str, bool]], ...]
    seed: int

    @classmethod
    def of(cls, p: Processor) -> ProcessorSpec:
        return cls(
            tuple(
                (str(a.path), tuple(sorted(a.parameters.items())), a.digest(),
                 (a.detector, a.tagging, a.detector_label))
                for a in p.analyses
            ),
            p.seed,
        )  # fmt: skip


_LOADED: dict[ProcessorSpec, Processor] = {}
#: how many times this process compiled a processor (tests check workers load once)
LOADS = {"count": 0}


def _processor(spec: ProcessorSpec) -> Processor:
    if spec not in _LOADED:
        analyses = []
        for path, params, digest, (detector, tagging, label) in spec.analyses:
            a = load_analysis(path).with_parameters(dict(params))
            if a.digest() != digest:
                raise SpecError(f"{path}: changed while the run was going on; rerun")
            analyses.append(a.with_detector(detector, tagging, label))
        _LOADED[spec] = Processor(analyses, spec.seed)
        LOADS["count"] += 1
    return _LOADED[spec]


def consume(
    processor: Processor,
    batches: Iterable[EventBatch],
    acc: Accumulated,
    on_batch: Callable[[int], None] | None = None,
    stop: Callable[[], bool] | None = None,
) -> None:
    """Process ``batches`` into ``acc``; a failure stops the loop, keeping what was merged, and
    so does ``stop()`` turning true (a worker told by its client that the run is interrupted)."""
    try:
        for b in batches:
            part = processor.process(b)
            with interrupt.CURRENT.merging():
                acc.add(part, b.weight_names, b.source)
                place = int(b.places[-1]) if len(b) else -1
                acc.note_xsec(b.source, place, b.xsec_pb, b.xsec_err_pb)
            if on_batch is not None:
                on_batch(len(b))
            if stop is not None and stop():
                acc.stopped = True
                break
    except Interrupted:
        raise
    except Exception as exc:  # noqa: BLE001 - kept as the run's failure, with what was merged
        acc.fail(exc)
    finally:
        acc.reports += list(getattr(batches, "reports", []))


@dataclass
class ShareOutput:
    acc: Accumulated
    pid: int
    loads: int
    seconds: float
    peak_rss_mb: float = 0.0


def _peak_rss_mb() -> float:
    import resource
    import sys

    scale = 1.0 if sys.platform == "darwin" else 1024.0  # Linux reports kB
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 2**20


def run_share(
    spec: ProcessorSpec, share: Any, opts: RunOptions, queue: Any = None, stop: Any = None
) -> ShareOutput:
    """A worker's task: read one share of the input and process it (runs in the worker)."""
    from hepreint.io.shares import read_share

    t0 = time.perf_counter()
    acc = Accumulated()
    try:
        processor = _processor(spec)
        stream = read_share(
            share,
            batch_size=opts.batch_size,
            skip_bad_events=opts.skip_bad_events,
            reader=opts.reader,
        )
    except Exception as exc:  # noqa: BLE001 - reported by the client like any failure
        acc.fail(exc)
        return ShareOutput(acc, os.getpid(), LOADS["count"], time.perf_counter() - t0)
    consume(processor, stream, acc, None if queue is None else queue.put,
            None if stop is None else stop.is_set)  # fmt: skip
    seconds = time.perf_counter() - t0
    return ShareOutput(acc, os.getpid(), LOADS["count"], seconds, _peak_rss_mb())


def merge_share(acc: Accumulated, out: ShareOutput) -> None:
    part = out.acc
    try:
        if part.yields is not None and part.weight_names is not None:
            acc.add(part.yields, part.weight_names, part.first_source)
    except InputError as exc:
        acc.fail(exc)
    for src, (place, x, e) in part.xsec_by_file.items():
        acc.note_xsec(src, place, x, e)
    acc.reports += part.reports
    n, _ = acc.workers.get(out.pid, (0, 0.0))
    acc.workers[out.pid] = (n + 1, out.peak_rss_mb)
    if out.loads > 1:  # each worker compiles the analyses once for the whole run
        acc.fail(InternalError(f"worker {out.pid} loaded the analyses {out.loads} times"))
    if part.failure is not None:
        acc.fail(part.failure)


def run_parallel(
    processor: Processor,
    files: list[str],
    opts: RunOptions,
    acc: Accumulated,
    on_events: Callable[[int], None],
) -> None:
    """Shares of the input on worker processes or Dask; the client only plans and adds up."""
    from hepreint.io.shares import plan_shares

    shares = plan_shares(files, opts.workers, skip=opts.skip, max_events=opts.max_events)
    spec = ProcessorSpec.of(processor)
    if opts.executor == "processes":
        _on_pool(spec, shares, opts, acc, on_events)
    else:
        _on_dask(spec, shares, opts, acc, on_events)


def worker_pool(workers: int, preload: list[str]) -> tuple[ProcessPoolExecutor, Any]:
    """Local worker processes that ignore Ctrl-C (the client stops them), and their context.
    With forkserver, workers fork from a server that has imported ``preload`` once (numpy,
    awkward, fastjet, pyhepmc): seconds of start-up per worker saved."""
    import multiprocessing as mp

    ctx = mp.get_context("forkserver" if os.name == "posix" else "spawn")
    if ctx.get_start_method() == "forkserver":
        ctx.set_forkserver_preload(preload)
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=ignore_interrupts)
    return pool, ctx


def _on_pool(
    spec: ProcessorSpec, shares: list[Any], opts: RunOptions, acc: Accumulated,
    on_events: Callable[[int], None],
) -> None:  # fmt: skip
    """Shares on local processes. On Ctrl-C/SIGTERM the client tells the workers to stop after
    their current batch and merges what they did (shares not started are dropped); a second
    signal, or workers that do not answer within ``STOP_GRACE_S``, stop them at once."""
    from multiprocessing.managers import SyncManager

    pool, ctx = worker_pool(opts.workers, ["hepreint.engine.executors", "hepreint.io.shares"])
    manager = SyncManager(ctx=ctx)
    manager.start(ignore_interrupts)
    queue, stop = manager.Queue(), manager.Event()
    guard = interrupt.CURRENT
    try:
        with guard.held():
            pending: set[Future[ShareOutput]] = {
                pool.submit(run_share, spec, s, opts, queue, stop) for s in shares
            }
            deadline = None
            while pending:
                done, pending = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
                _drain(queue, on_events)
                for f in done:
                    if f.cancelled():
                        continue
                    try:
                        merge_share(acc, f.result())
                    except Exception as exc:  # noqa: BLE001 - a worker died: keep the rest
                        acc.fail(exc)
                if guard.signum is not None and deadline is None:
                    stop.set()
                    for f in pending:
                        f.cancel()
                    deadline = time.monotonic() + STOP_GRACE_S
                    asked = guard.count
                elif deadline is not None and (time.monotonic() > deadline
                                               or guard.count > asked):  # fmt: skip
                    break  # workers too slow to stop, or asked twice: stop them now
            _drain(queue, on_events)
        if guard.signum is not None:
            raise Interrupted(guard.signum)
        pool.shutdown(wait=True)
    except BaseException:
        _kill(pool)
        raise
    finally:
        manager.shutdown()


#: seconds an interrupted run waits for its workers to hand in their current batch
STOP_GRACE_S = 60.0


def _drain(queue: Any, on_events: Callable[[int], None]) -> None:
    import queue as q

    while True:
        try:
            on_events(queue.get_nowait())
        except (q.Empty, EOFError, OSError):
            return


def _kill(pool: ProcessPoolExecutor) -> None:
    """Stop the workers now (an interrupt): no orphan keeps running after the client exits."""
    procs = list(getattr(pool, "_processes", {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for p in procs:
        if p.is_alive():
            p.terminate()
    for p in procs:
        p.join(timeout=5)


def _on_dask(
    spec: ProcessorSpec, shares: list[Any], opts: RunOptions, acc: Accumulated,
    on_events: Callable[[int], None],
) -> None:  # fmt: skip
    """Shares on Dask. Dask's own log lines (heartbeats and closed connections while a run is
    stopped) stay off the user's stderr: what matters reaches them as hepreint's one line."""
    log = logging.getLogger("distributed")
    level = log.level
    log.setLevel(logging.CRITICAL)
    try:
        _dask_run(spec, shares, opts, acc, on_events)
    finally:
        log.setLevel(level)


def _dask_run(
    spec: ProcessorSpec, shares: list[Any], opts: RunOptions, acc: Accumulated,
    on_events: Callable[[int], None],
) -> None:  # fmt: skip
    with dask_client(opts) as client:
        from dask.distributed import as_completed

        futures = [client.submit(run_share, spec, s, opts, pure=False) for s in shares]
        try:
            for f in as_completed(futures):
                try:
                    out = f.result()
                except Exception as exc:  # noqa: BLE001 - a worker died: keep the rest
                    acc.fail(exc)
                    continue
                merge_share(acc, out)
                on_events(out.acc.n_events)
        except BaseException:
            client.cancel(futures)
            raise


@contextmanager
def dask_client(opts: RunOptions) -> Iterator[Any]:
    """A dask.distributed client: on ``opts.scheduler``, else on a local cluster of
    ``opts.workers`` single-threaded processes (closed at the end)."""
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        raise HepreintError(
            "the dask executor needs dask.distributed: pip install 'hepreint[dask]'"
        ) from None
    cluster = None
    if opts.scheduler:
        try:
            client = Client(opts.scheduler, timeout=30)
        except (OSError, TimeoutError) as exc:
            raise HepreintError(
                f"--scheduler {opts.scheduler}: cannot connect ({exc}); is the dask scheduler "
                "running there? (dask scheduler / dask worker, or drop --scheduler)"
            ) from None
    else:
        cluster = LocalCluster(n_workers=opts.workers, threads_per_worker=1, processes=True,
                               dashboard_address=None, silence_logs=logging.ERROR)  # fmt: skip
        client = Client(cluster)
    try:
        yield client
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
