"""Where ``process(batch)`` runs: in this process, in local worker processes, or on Dask.

Executors only schedule; they never change a number, because batches carry their own seed index
and yields add exactly. Reading stays in the calling process (it is the sequential part); at most
``2 × workers`` batches are in flight, which bounds memory whatever the file size.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from hepreint.engine.yields import Yields
from hepreint.errors import HepreintError
from hepreint.events.batch import EventBatch


class InternalError(HepreintError):
    """An unexpected exception while processing: a bug of hepreint, reported with context."""


def _as_hepreint(exc: BaseException) -> HepreintError:
    if isinstance(exc, HepreintError):
        return exc
    return InternalError(
        f"internal error ({type(exc).__name__}: {exc}); the results of the batches before it "
        "are kept; please report this with the command and input file"
    )


EXECUTORS = ("serial", "processes", "dask")


@dataclass
class Accumulated:
    """What was merged so far, kept even when reading fails half way."""

    yields: Yields | None = None
    n_batches: int = 0
    failure: BaseException | None = None
    seconds_by_stage: dict[str, float] = field(default_factory=dict)

    def add(self, y: Yields) -> None:
        self.yields = y if self.yields is None else self.yields + y
        self.n_batches += 1


def run_batches(
    process: Callable[[EventBatch], Yields],
    batches: Iterable[EventBatch],
    *,
    executor: str = "serial",
    workers: int = 2,
    dask_address: str | None = None,
) -> Accumulated:
    """Process every batch; a reading error stops the loop but keeps what was merged before it."""
    acc = Accumulated()
    if executor == "serial":
        try:
            for b in batches:
                acc.add(process(b))
        except Exception as exc:  # noqa: BLE001 - kept as the run's failure, with what was merged
            acc.failure = _as_hepreint(exc)
        return acc
    if executor == "processes":
        with ProcessPoolExecutor(max_workers=workers) as pool:
            _pipeline(lambda b: pool.submit(process, b), batches, workers, acc)
        return acc
    if executor == "dask":
        try:
            from dask.distributed import Client, LocalCluster
        except ImportError:
            raise HepreintError(
                "the dask executor needs dask.distributed: pip install 'hepreint[dask]'"
            ) from None
        if dask_address:
            client = Client(dask_address)
            cluster = None
        else:
            cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True)
            client = Client(cluster)
        try:
            _pipeline(lambda b: client.submit(process, b, pure=False), batches, workers, acc)
        finally:
            client.close()
            if cluster is not None:
                cluster.close()
        return acc
    raise HepreintError(f"unknown executor {executor!r}; choose one of {', '.join(EXECUTORS)}")


def _pipeline(
    submit: Callable[[EventBatch], Any],
    batches: Iterable[EventBatch],
    workers: int,
    acc: Accumulated,
) -> None:
    inflight: deque[Future[Yields]] = deque()
    try:
        for b in batches:
            inflight.append(submit(b))
            while len(inflight) >= 2 * workers:
                acc.add(inflight.popleft().result())
    except Exception as exc:  # noqa: BLE001 - kept as the run's failure, with what was merged
        acc.failure = _as_hepreint(exc)
    while inflight:  # what was submitted before a failure still counts
        try:
            acc.add(inflight.popleft().result())
        except Exception as exc:  # noqa: BLE001
            if acc.failure is None:
                acc.failure = _as_hepreint(exc)
