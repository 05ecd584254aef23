"""Points on the run executors: in this process, on local worker processes, or on Dask.

The executors of :mod:`hepreint.engine.executors` are reused as they are (their worker pool,
which ignores Ctrl-C, and their Dask client); a scan's work item is a whole point (generate,
run, limits), so a point's own run is serial inside its worker. ``on_done`` is called in this
process as each point finishes, so the maps can be rewritten as the scan goes.

Ctrl-C / SIGTERM: points finished stay finished (their ``point.json`` is written); points
running are stopped and, having no ``point.json``, are redone next time; :class:`ScanInterrupted`
then carries the exit code (130 / 143).
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, wait
from typing import Any

from hepreint.engine.interrupt import Interrupted, interrupts_raise
from hepreint.engine.options import RunOptions
from hepreint.errors import HepreintError
from hepreint.scan.plan import PlannedPoint, ScanConfig
from hepreint.scan.run import PointOutcome, run_point

OnDone = Callable[[PlannedPoint, PointOutcome], None]


class ScanInterrupted(HepreintError):
    """The scan was stopped by a signal; finished points are kept, the maps marked partial."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def run_points(
    config: ScanConfig,
    todo: list[PlannedPoint],
    executor: str = "serial",
    workers: int = 1,
    scheduler: str | None = None,
    on_done: OnDone | None = None,
) -> dict[str, PointOutcome]:
    """Run ``todo`` on ``executor``; outcomes by point name. Raises :class:`ScanInterrupted`."""
    done: dict[str, PointOutcome] = {}

    def finish(pp: PlannedPoint, out: PointOutcome) -> None:
        done[pp.point.name] = out
        if on_done is not None:
            on_done(pp, out)

    if not todo:
        return done
    if executor == "serial":
        _serial(config, todo, finish)
    elif executor == "processes":
        _processes(config, todo, workers, finish)
    elif executor == "dask":
        _dask(config, todo, workers, scheduler, finish)
    else:
        raise HepreintError(f"--executor {executor!r}: choose serial, processes or dask")
    return done


def _stopped(signum: int) -> ScanInterrupted:
    sig = Interrupted(signum)
    return ScanInterrupted(
        f"interrupted by {sig.name}; finished points are kept, the others are redone by the "
        "next run of the same command; the maps written are marked partial",
        sig.exit_code,
    )


def _serial(config: ScanConfig, todo: list[PlannedPoint], finish: OnDone) -> None:
    for pp in todo:
        try:
            with interrupts_raise():
                out = run_point(config, pp)
        except Interrupted as sig:
            raise _stopped(sig.signum) from None
        finish(pp, out)
        if out.status == "interrupted":
            raise _stopped(out.exit_code - 128)


def _processes(config: ScanConfig, todo: list[PlannedPoint], workers: int, finish: OnDone) -> None:
    from hepreint.engine.executors import _kill, worker_pool

    pool, _ = worker_pool(workers, ["hepreint.scan.run"])
    try:
        with interrupts_raise() as guard, guard.held():
            pending: dict[Future[PointOutcome], PlannedPoint] = {
                pool.submit(run_point, config, pp): pp for pp in todo
            }
            while pending:
                ready, _rest = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
                for f in ready:
                    pp = pending.pop(f)
                    finish(pp, _result(f, pp))
                if guard.signum is not None:
                    raise _stopped(guard.signum)
        pool.shutdown(wait=True)
    except BaseException:
        _kill(pool)
        raise


def _result(f: Future[PointOutcome], pp: PlannedPoint) -> PointOutcome:
    try:
        return f.result()
    except Exception as exc:  # noqa: BLE001 - a worker died: that point failed, not the scan
        return PointOutcome(pp.point.name, "failed", error=f"worker failed: {exc}")


def _dask(
    config: ScanConfig,
    todo: list[PlannedPoint],
    workers: int,
    scheduler: str | None,
    finish: OnDone,
) -> None:
    from hepreint.engine.executors import dask_client

    opts = RunOptions(executor="dask", workers=workers, scheduler=scheduler)
    with dask_client(opts) as client:
        from dask.distributed import as_completed

        futures: dict[Any, PlannedPoint] = {
            client.submit(run_point, config, pp, pure=False): pp for pp in todo
        }
        try:
            with interrupts_raise():
                for f in as_completed(list(futures)):
                    pp = futures[f]
                    try:
                        out = f.result()
                    except Exception as exc:  # noqa: BLE001 - a worker died: keep the rest
                        out = PointOutcome(pp.point.name, "failed", error=f"worker failed: {exc}")
                    finish(pp, out)
        except Interrupted as sig:
            client.cancel(list(futures))
            raise _stopped(sig.signum) from None
