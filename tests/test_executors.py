"""Serial, worker processes and Dask (local, or a running scheduler by its address) give
bit-identical results for any batch size, with workers that read their own share of the input
and compile the analyses once for the whole run."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path
from typing import Any

import pytest

from hepreint import RunOptions, load_analysis, run_many
from hepreint.engine.processor import Processor
from hepreint.engine.runner import execute

ROOT = Path(__file__).resolve().parent.parent
TTH = ROOT / "analyses" / "ttHbb"
HH4B = ROOT / "tests" / "specs" / "HH4b"
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def plain(example_sample: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("plain") / "tth.hepmc3"
    with gzip.open(example_sample) as src, open(out, "wb") as dst:
        shutil.copyfileobj(src, dst)
    return out


def _exact(files: list[Path], **kw: Any) -> dict[str, Any]:
    res = run_many([TTH, HH4B], files, RunOptions(seed=5, **kw), params={"mX": 500.0})
    return {name: r.to_dict()["exact"] for name, r in res.items()}


@pytest.fixture(scope="module")
def serial(example_sample: Path) -> dict[str, Any]:
    return _exact([example_sample], batch_size=1000)


@pytest.mark.parametrize(
    "kw",
    [
        {"batch_size": 9},
        {"executor": "processes", "workers": 2, "batch_size": 25},
        {"executor": "processes", "workers": 3, "batch_size": 1000},
    ],
)
def test_compressed_file_any_executor(
    example_sample: Path, serial: dict[str, Any], kw: dict[str, Any]
) -> None:
    assert _exact([example_sample], **kw) == serial


@pytest.mark.parametrize("workers", [1, 2])
def test_plain_file_in_byte_ranges(plain: Path, serial: dict[str, Any], workers: int) -> None:
    assert _exact([plain], executor="processes", workers=workers, batch_size=20) == serial


def test_window_with_skip_and_max_events(plain: Path, example_sample: Path) -> None:
    want = _exact([example_sample], skip=17, max_events=70)
    got = _exact([plain], skip=17, max_events=70, executor="processes", workers=2)
    assert got == want


def test_workers_load_analyses_once(plain: Path) -> None:
    proc = Processor([load_analysis(TTH)], seed=1)
    acc = execute(proc, [plain], RunOptions(executor="processes", workers=2, batch_size=10))
    assert acc.failure is None and acc.n_events == 130
    shares = sum(n for n, _ in acc.workers.values())
    assert len(acc.workers) <= 2 and shares > len(acc.workers)  # some worker took 2+ shares


def test_dask_local_and_by_scheduler_address(example_sample: Path, serial: dict[str, Any]) -> None:
    distributed = pytest.importorskip("dask.distributed")
    assert _exact([example_sample], executor="dask", workers=2, batch_size=40) == serial
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:  # fmt: skip
        got = _exact([example_sample], executor="dask", scheduler=cluster.scheduler_address)
    assert got == serial
